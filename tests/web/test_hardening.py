"""The server against bad input: downloads whose names and cells come from the URL, odd
limits, foreign Host names, the headers every response carries, the API docs offline, time
stamps with their offset, and a spec that says what the server does."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from email.message import Message
from email.utils import collapse_rfc2231_value
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opwatch.config.settings import Settings
from opwatch.web import create_app
from opwatch.web.downloads import content_disposition, safe_cell

SLUG = "opwatch-demo"
STATISTICS = f"/api/v1/projects/{SLUG}/statistics"


def disposition_names(header: str) -> tuple[str, str]:
    """The ``filename`` of a Content-Disposition header and the name a client that reads
    ``filename*`` (RFC 6266) gets, as the standard library's MIME parser reads them; there
    must be one parameter of each."""
    message = Message()
    message["Content-Disposition"] = header
    params = message.get_params(header="content-disposition") or []
    names = [value for key, value in params if key == "filename"]
    plain = [value for value in names if isinstance(value, str)]
    encoded = [value for value in names if isinstance(value, tuple)]
    assert len(plain) == len(encoded) == 1, params  # filename and filename*
    return plain[0], collapse_rfc2231_value(encoded[0])


@pytest.mark.parametrize(
    "metric",
    ["gc_ms", "tempé_ms", "gc\r\nSet-Cookie: a=b", 'gc"; filename="evil.exe', "ü/../x"],
)
def test_a_download_is_named_safely_whatever_the_metric(client: TestClient, metric: str) -> None:
    response = client.get(STATISTICS, params={"metric": metric, "format": "csv"})
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    header = response.headers["content-disposition"]
    assert header.isascii() and "\r" not in header and "\n" not in header
    fallback, exact = disposition_names(header)
    assert exact == f"{SLUG}-{metric}.csv"
    assert re.fullmatch(r"[A-Za-z0-9._ -]+", fallback)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Windows", "Windows"),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_formula_cells_are_written_as_text(cell: object, written: object) -> None:
    assert safe_cell(cell) == written


def test_a_downloaded_dimension_value_cannot_run_as_a_formula(client: TestClient) -> None:
    rows = client.get(STATISTICS, params={"metric": "gc_ms", "os": "=1+1"}).json()["rows"]
    assert rows == []  # no such value: the header is all there is, and it is safe
    text = client.get(STATISTICS, params={"metric": "gc_ms", "os": "Linux", "format": "csv"}).text
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert cells and not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_content_disposition_keeps_ascii_names() -> None:
    assert (
        content_disposition("a-b.csv")
        == "attachment; filename=\"a-b.csv\"; filename*=UTF-8''a-b.csv"
    )


@pytest.mark.parametrize("limit", ["²", "٣", "1" * 4301, "-1", "0", "5001", "1e3", " 5"])
def test_odd_limits_are_a_400_that_says_what_to_give(client: TestClient, limit: str) -> None:
    response = client.get("/api/v1/alerts", params={"limit": limit})
    assert response.status_code == 400
    assert "is not a number from 1 to 5000" in response.json()["detail"]
    assert len(response.json()["detail"]) < 200


def test_a_foreign_host_is_refused(client: TestClient) -> None:
    assert client.get("/api/v1/projects", headers={"Host": "evil.example"}).status_code == 400
    for host in ("127.0.0.1:8000", "localhost", "[::1]:8000"):
        assert client.get("/api/v1/projects", headers={"Host": host}).status_code == 200


def test_allowed_hosts_come_from_the_settings_and_the_bound_address(results: Path) -> None:
    settings = Settings.model_validate(
        {"engine": {"results": str(results)}, "serve": {"allowed_hosts": ["opwatch.internal"]}}
    )
    app = create_app(settings, host="10.1.2.3")
    for host, status in (("opwatch.internal", 200), ("10.1.2.3", 200), ("evil.example", 400)):
        asked = TestClient(app, base_url=f"http://{host}").get("/api/v1/projects")
        assert asked.status_code == status, host


@pytest.mark.parametrize(
    "path",
    ["/", f"/projects/{SLUG}", "/api/v1/projects", "/static/opwatch.css", "/docs", "/nope"],
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert ("'unsafe-inline'" in policy.split("script-src")[1].split(";")[0]) == (path == "/docs")
    cache = headers["cache-control"]
    assert cache == ("public, max-age=3600" if path.startswith("/static/") else "no-cache")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_load_nothing_from_elsewhere(client: TestClient, page: str) -> None:
    html = client.get(page).text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_timestamps_carry_their_offset(client: TestClient) -> None:
    last_run = client.get("/api/v1/projects").json()[0]["last_run"]
    assert last_run.endswith("Z")
    assert datetime.fromisoformat(last_run).utcoffset() is not None


def test_the_spec_describes_csv_enums_and_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    statistics = spec["paths"]["/api/v1/projects/{slug}/statistics"]["get"]
    assert "text/csv" in statistics["responses"]["200"]["content"]
    assert {"400", "404", "422", "503"} <= set(statistics["responses"])
    alerts = spec["paths"]["/api/v1/alerts"]["get"]
    status = next(p for p in alerts["parameters"] if p["name"] == "status")
    assert {"", "open", "new", "fixed"} <= set(status["schema"]["enum"])
