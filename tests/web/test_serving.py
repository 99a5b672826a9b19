"""The server under load and as a reader: a slow read does not hold up another project's view
and is cancelled with a 503; the results folder is left as it was; nothing is left behind
when the server is stopped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tomli_w
import uvicorn

from opwatch.config.resolved import result_table
from opwatch.demo.telemetry import GeneratedData
from opwatch.engines.results import ResultReads
from opwatch.engines.storage import ResultStore
from opwatch.pipeline.metadata import PROJECTS_TABLE
from opwatch.web import create_app
from tests.conftest import settings_for

SLUG, OTHER = "opwatch-demo", "other-project"
SLOW_SQL = "SELECT count(*) FROM range(100000000000) r WHERE r.range % 7 = 3"
"""Minutes of real work for DuckDB: what a read of a huge unserved table costs."""


class SlowForOneTable(ResultReads):
    """The server's reads, with every read of ``table`` running :data:`SLOW_SQL` first."""

    def __init__(self, inner: ResultReads, table: str) -> None:
        self.inner, self.table = inner, table

    def statements(self, template: str, **context: Any) -> list[str]:
        return self.inner.statements(template, **context)

    def read(
        self, query: str, parameters: list[Any] | None = None, *, timeout: float | None = None
    ) -> list[tuple[Any, ...]]:
        if self.table in query:
            self.inner.read(SLOW_SQL, timeout=timeout)
        return self.inner.read(query, parameters, timeout=timeout)

    def read_columns(
        self, query: str, parameters: list[Any] | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        return self.inner.read_columns(query, parameters, timeout=timeout)

    def has_results(self, table: str) -> bool:
        return self.inner.has_results(table)

    def table_version(self, table: str) -> str | None:
        return self.inner.table_version(table)

    def serving_facts(self, table: str) -> dict[str, Any] | None:
        return self.inner.serving_facts(table)

    def close(self) -> None:
        self.inner.close()


def two_projects(results: Path, folder: Path) -> Path:
    """A copy of the demo results with a second project: the same statistics under
    another slug."""
    copy = folder / "results"
    shutil.copytree(results, copy)
    store = ResultStore(copy)
    shutil.copytree(
        store.table_dir(result_table(SLUG, "statistics")),
        store.table_dir(result_table(OTHER, "statistics")),
    )
    projects = store.table_file(PROJECTS_TABLE)
    rows = pq.read_table(projects)
    other = rows.to_pylist()[0] | {"slug": OTHER, "name": "Another project"}
    pq.write_table(pa.Table.from_pylist([*rows.to_pylist(), other], schema=rows.schema), projects)
    return copy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread, as ``opwatch serve`` serves it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_slow_read_holds_up_no_other_view_and_ends_in_a_503(
    telemetry: GeneratedData, results: Path, tmp_path: Path
) -> None:
    copy = two_projects(results, tmp_path)
    settings = settings_for(telemetry, copy)
    settings.serve.request_seconds = 4.0
    app = create_app(settings)
    app.state.reader.reads = SlowForOneTable(
        app.state.reader.reads, result_table(SLUG, "statistics")
    )
    slow: dict[str, Any] = {}
    query = {"metric": "uri_count", "statistic": "mean"}
    with running(app) as base:

        def ask_slow() -> None:
            started = time.monotonic()
            response = httpx2.get(f"{base}/api/v1/projects/{SLUG}/statistics", params=query)
            slow.update(response=response, seconds=time.monotonic() - started)

        thread = threading.Thread(target=ask_slow)
        thread.start()
        time.sleep(0.5)  # the slow read is running
        started = time.monotonic()
        other = httpx2.get(f"{base}/api/v1/projects/{OTHER}/statistics", params=query, timeout=30)
        fast = time.monotonic() - started
        still_running = thread.is_alive()
        page = httpx2.get(f"{base}/projects/{OTHER}", timeout=30)
        thread.join(timeout=60)
    assert other.status_code == 200 and other.json()["rows"]
    assert fast < 1.0 and still_running
    assert page.status_code == 200
    response = slow["response"]
    assert response.status_code == 503 and response.headers["retry-after"]
    assert "longer than 4 s and was cancelled" in response.json()["detail"]
    assert 4.0 <= slow["seconds"] < 10.0


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time, SQLite's reader
    files (``-shm``, ``-wal``: how a reader sees a writer's commits) aside."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and not path.name.endswith(("-shm", "-wal"))
    }


def workers_of(pid: int) -> list[int]:
    """The worker processes uvicorn started for server ``pid`` (Linux ``/proc``)."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_writes_nothing_and_leaves_nothing_behind(
    telemetry: GeneratedData, results: Path, tmp_path: Path, workers: int
) -> None:
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    before = snapshot(copy)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    settings = tmp_path / "opwatch.toml"
    document = {"engine": {"results": str(copy)}, "serve": {"workers": workers}}
    settings.write_text(tomli_w.dumps(document))
    port = free_port()
    command = [sys.executable, "-m", "opwatch", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--settings", str(settings)],
        env={**os.environ, "TMPDIR": str(temporary)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx2.get(f"{base}/api/v1/projects", timeout=5).status_code == 200
                break
            except httpx2.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        for path in ("/", f"/projects/{SLUG}", "/alerts", "/api/v1/alerts"):
            assert httpx2.get(f"{base}{path}", timeout=30).status_code == 200, path
        statistics = f"{base}/api/v1/projects/{SLUG}/statistics?metric=uri_count&statistic=mean"
        for _ in range(4 * workers):  # each request may be any worker's
            assert httpx2.get(statistics, timeout=30).json()["rows"]
        started = workers_of(server.pid)
        assert len(started) == (workers if workers > 1 else 0)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert not [pid for pid in started if Path(f"/proc/{pid}").exists()]
    assert snapshot(copy) == before
    assert list(temporary.iterdir()) == []
