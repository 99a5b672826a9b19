"""Alert emails against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from opwatch.alerts.email import EmailSender, EmailSettings
from opwatch.errors import NotifyError
from tests.alerts.http_helpers import free_port
from tests.alerts.smtp_server import Inbox

SENDER = "Opwatch <opwatch@example.org>"
PASSWORD = "hunter2-not-in-messages"


def only_opwatch(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    assert isinstance(auth_data, LoginPassword)
    ok = auth_data.login == b"opwatch" and auth_data.password == PASSWORD.encode()
    # handled=False: aiosmtpd then answers 535 itself instead of leaving the client waiting.
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[EmailSettings, Inbox]]:
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=only_opwatch,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield EmailSettings(host="127.0.0.1", port=controller.port, sender=SENDER, timeout=5), inbox
    finally:
        controller.stop()


def test_plain_message(smtp_server: tuple[EmailSettings, Inbox]) -> None:
    settings, inbox = smtp_server
    text = "gc_ms p95 rose 12 % on release (2026-10-23).\nSee the dashboard. Grüße"
    message_id = EmailSender(settings).send(
        ["owner@example.org", "team@example.org"], "opwatch: gc_ms changed", text
    )
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "opwatch@example.org"
    assert envelope.rcpt_tos == ["owner@example.org", "team@example.org"]
    message = inbox.message()
    assert message["Subject"] == "opwatch: gc_ms changed"
    assert message["Message-ID"] == message_id
    assert message_id.endswith("@example.org>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == text


def test_html_message_with_given_id_and_headers(smtp_server: tuple[EmailSettings, Inbox]) -> None:
    settings, inbox = smtp_server
    given = "<alert-41.2026-10-23@opwatch.example.org>"
    returned = EmailSender(settings).send(
        ["owner@example.org"],
        "opwatch: gc_ms changed",
        "gc_ms rose",
        html="<p><b>gc_ms</b> rose</p>",
        message_id=given,
        headers={"X-Opwatch-Alert": "41"},
    )
    assert returned == given
    message = inbox.message()
    assert message["Message-ID"] == given
    assert message["X-Opwatch-Alert"] == "41"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert plain.get_content().strip() == "gc_ms rose"
    assert html.get_content().strip() == "<p><b>gc_ms</b> rose</p>"


def test_refused_recipient(smtp_server: tuple[EmailSettings, Inbox]) -> None:
    settings, inbox = smtp_server
    with pytest.raises(NotifyError, match="no such mailbox") as caught:
        EmailSender(settings).send(["nobody@example.org"], "subject", "text")
    assert (caught.value.service, caught.value.status) == ("smtp", 550)
    assert "nobody@example.org" in str(caught.value)
    assert inbox.envelopes == []


def test_partly_refused_recipients_say_who_got_it(smtp_server: tuple[EmailSettings, Inbox]) -> None:
    settings, inbox = smtp_server
    with pytest.raises(NotifyError, match=r"accepted <.*> for owner@example\.org") as caught:
        EmailSender(settings).send(["owner@example.org", "nobody@example.org"], "s", "text")
    assert caught.value.status == 550
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["owner@example.org"]]


def test_login(smtp_server: tuple[EmailSettings, Inbox]) -> None:
    settings, inbox = smtp_server
    with_login = EmailSettings(
        host=settings.host, port=settings.port, username="opwatch", password=PASSWORD
    )
    EmailSender(with_login).send(["owner@example.org"], "subject", "text")
    assert len(inbox.envelopes) == 1
    assert PASSWORD not in repr(with_login)


def test_refused_login_never_shows_the_password(smtp_server: tuple[EmailSettings, Inbox]) -> None:
    settings, _ = smtp_server
    wrong = EmailSettings(
        host=settings.host, port=settings.port, username="opwatch", password=PASSWORD + "x"
    )
    with pytest.raises(
        NotifyError, match=r"check the smtp username \('opwatch'\) and password"
    ) as caught:
        EmailSender(wrong).send(["owner@example.org"], "subject", "text")
    assert caught.value.status == 535
    assert PASSWORD not in str(caught.value)


def test_refused_sender(smtp_server: tuple[EmailSettings, Inbox]) -> None:
    settings, inbox = smtp_server
    spoofing = EmailSettings(host=settings.host, port=settings.port, sender="spoof@example.org")
    with pytest.raises(NotifyError, match=r"sender not allowed.*'spoof@example\.org'") as caught:
        EmailSender(spoofing).send(["owner@example.org"], "subject", "text")
    assert caught.value.status == 553
    assert inbox.envelopes == []


def test_closed_port() -> None:
    settings = EmailSettings(host="127.0.0.1", port=free_port(), timeout=2)
    with pytest.raises(NotifyError, match=f"127.0.0.1:{settings.port}") as caught:
        EmailSender(settings).send(["owner@example.org"], "subject", "text")
    assert (caught.value.service, caught.value.status) == ("smtp", None)


def test_bad_calls_fail_before_connecting() -> None:
    sender = EmailSender(EmailSettings(port=free_port()))
    with pytest.raises(ValueError, match="no recipients"):
        sender.send([], "subject", "text")
    with pytest.raises(ValueError, match="Subject"):
        sender.send(["owner@example.org"], "subject", "text", headers={"Subject": "other"})
    with pytest.raises(ValueError, match="not both"):
        EmailSettings(ssl=True, starttls=True)
