"""Screenshots of the dashboards for the README: ``docs/screenshots/*.png``.

Run in an installation written by ``opwatch demo`` (2,000 clients, the default):
``.venv/bin/python scripts/screenshots.py opwatch-demo``. It serves the results on a free
port, opens the pages in headless Chromium (/usr/bin/chromium) and saves four pictures.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from opwatch.config.settings import load_settings
from opwatch.web import create_app

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PAGES = {
    "home.png": ("/", None),
    "dashboard.png": ("/projects/opwatch-demo?percentile=95&os=Windows", 1),
    "metric.png": ("/projects/opwatch-demo/metrics/gc_ms?percentile=50&os=Linux", 1),
    "alerts.png": ("/alerts?project=opwatch-demo&status=open", None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("installation", type=Path, help="a folder written by opwatch demo")
    folder = parser.parse_args().installation.resolve()
    settings = load_settings(folder / "opwatch.toml")
    if not hasattr(settings, "engine"):
        raise SystemExit(f"{folder}: no opwatch.toml: {settings}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        for name, (path, draws) in PAGES.items():
            page.goto(f"http://127.0.0.1:{port}{path}")
            if draws:
                page.wait_for_function(f"Number(document.body.dataset.drawn || 0) >= {draws}")
            page.screenshot(path=OUT / name)
            print(OUT / name)
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
