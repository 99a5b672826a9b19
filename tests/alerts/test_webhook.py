"""The JSON webhook against a real HTTP server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from opwatch.alerts.webhook import WebhookSender
from opwatch.errors import NotifyError
from tests.alerts.http_helpers import LoopbackServer, Received, Reply, free_port, serving

ALERT = {"metric": "gc_ms", "branch": "release", "change": 0.12, "dates": ["2026-10-23"]}


@pytest.fixture
def receiver() -> Iterator[LoopbackServer]:
    with serving(lambda request: Reply(204)) as server:
        yield server


def test_posts_the_payload_as_json(receiver: LoopbackServer) -> None:
    with WebhookSender(f"{receiver.url}/hooks/opwatch") as sender:
        sender.send(ALERT)
    [request] = receiver.received
    assert (request.method, request.path) == ("POST", "/hooks/opwatch")
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == ALERT
    assert "idempotency-key" not in request.headers


def test_sends_the_idempotency_key_and_fixed_headers(receiver: LoopbackServer) -> None:
    headers = {"Authorization": "Bearer s3cret"}
    with WebhookSender(receiver.url, headers=headers) as sender:
        sender.send(ALERT, idempotency_key="alert-41-2026-10-23")
        sender.send(ALERT, idempotency_key="alert-41-2026-10-23")
    keys = [request.headers["idempotency-key"] for request in receiver.received]
    assert keys == ["alert-41-2026-10-23"] * 2
    assert {request.headers["authorization"] for request in receiver.received} == {"Bearer s3cret"}


def failing(request: Received) -> Reply:
    return Reply(500, b"database is locked " + b"x" * 400, "text/plain")


def test_server_error_names_the_status_and_the_body() -> None:
    with (
        serving(failing) as server,
        WebhookSender(f"{server.url}/t/0ken?key=abc") as sender,
        pytest.raises(NotifyError) as caught,
    ):
        sender.send(ALERT)
    error = caught.value
    assert (error.service, error.status) == ("webhook", 500)
    assert "database is locked" in str(error)
    assert "x" * 180 in str(error) and "x" * 200 not in str(error)
    assert "0ken" not in str(error) and "abc" not in str(error)
    assert f"{server.url}/..." in str(error)


@pytest.mark.parametrize(
    ("status", "hint"), [(401, "credentials"), (404, "URL"), (302, "redirect")]
)
def test_client_errors_say_what_to_check(status: int, hint: str) -> None:
    with (
        serving(lambda request: Reply(status, b"{}")) as server,
        WebhookSender(server.url) as sender,
        pytest.raises(NotifyError, match=hint) as caught,
    ):
        sender.send(ALERT)
    assert caught.value.status == status


def test_closed_port_is_a_notify_error_without_status() -> None:
    with (
        WebhookSender(f"http://127.0.0.1:{free_port()}/hook", timeout=2.0) as sender,
        pytest.raises(NotifyError, match="could not reach") as caught,
    ):
        sender.send(ALERT)
    assert (caught.value.service, caught.value.status) == ("webhook", None)
