"""Alert emails over SMTP, with the standard library's ``smtplib`` and ``EmailMessage``.

``EmailSender.send`` opens one connection per message: alerts are rare, and a fresh connection
never fails on a session the server timed out long ago. Every failure (connection, TLS, login,
a refused sender or recipient) becomes a ``NotifyError(service="smtp")`` that names the server,
what it answered and what to check; the password never appears in a message or a ``repr``.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import ClassVar

from opwatch.config.alert_settings import AlertSettings
from opwatch.errors import NotifyError

__all__ = ["EmailSender", "EmailSettings"]

_SERVICE = "smtp"
# Headers that ``send`` writes itself: passing one in ``headers`` would silently fight it.
_RESERVED_HEADERS = frozenset(
    {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}
)
# What to check after each kind of refusal, the most specific kind first.
_REFUSAL_HINTS: tuple[tuple[type[smtplib.SMTPResponseException], str], ...] = (
    (smtplib.SMTPAuthenticationError, "check the smtp username ({username!r}) and password"),
    (smtplib.SMTPSenderRefused, "check that this server may send for the sender {sender!r}"),
    (smtplib.SMTPResponseException, "the mail server's log says more about this message"),
)


@dataclass(frozen=True)
class EmailSettings:
    """Where and how to reach the mail server (mapped from ``opwatch.toml`` elsewhere).

    ``ssl`` is implicit TLS from the first byte (usually port 465); ``starttls`` upgrades a
    plain connection (usually port 587). ``username`` turns on login; the password is kept out
    of the ``repr`` so that logging the settings never leaks it.
    """

    host: str = "localhost"
    port: int = 25
    sender: str = "opwatch@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0

    def __post_init__(self) -> None:
        """Refuse the one contradictory combination before any connection is tried."""
        if self.ssl and self.starttls:
            raise ValueError(
                "EmailSettings: set either ssl (implicit TLS, usually port 465) or starttls "
                "(upgrade a plain connection, usually port 587), not both"
            )

    @property
    def server(self) -> str:
        """``host:port``, the way every error message names the server."""
        return f"{self.host}:{self.port}"


class EmailSender:
    """Sends alert emails through the server described by an ``EmailSettings``."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    name: ClassVar[str] = "email"

    @classmethod
    def from_settings(cls, alerts: AlertSettings) -> list[EmailSender]:
        """The sender of ``[alerts.email]`` (its password from the environment), or none."""
        server = alerts.email
        if server is None:
            return []
        settings = EmailSettings(
            host=server.host,
            port=server.port,
            sender=server.sender,
            username=server.username,
            password=os.environ.get(server.password_env),
            starttls=server.starttls,
            ssl=server.ssl,
        )
        return [cls(settings)]

    @property
    def target(self) -> str:
        """The SMTP server, ``host:port``."""
        return self.settings.server

    def close(self) -> None:
        """Nothing to release: each send opens and closes its own SMTP connection."""

    def send(
        self,
        to: Sequence[str],
        subject: str,
        text: str,
        *,
        html: str | None = None,
        message_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Send one message to every address of ``to`` and return its Message-ID.

        Pass the same ``message_id`` when retrying an alert so that mail clients can recognise
        the repeat. With ``html`` the message is multipart/alternative: the text part for
        plain-text readers, the html part for the others. When the server takes the message
        for some recipients but refuses others, the ``NotifyError`` names both: a retry should
        address only the refused ones.
        """
        recipients = list(to)
        if not recipients:
            raise ValueError("EmailSender.send: no recipients given in `to`")
        message = _compose(
            self.settings.sender, recipients, subject, text, html, message_id, headers
        )
        try:
            refused = self._deliver(message, recipients)
        except (smtplib.SMTPException, OSError) as error:
            raise _smtp_failure(error, self.settings) from error
        if refused:
            raise _partly_refused(refused, recipients, message["Message-ID"], self.settings.server)
        return str(message["Message-ID"])

    def _deliver(
        self, message: EmailMessage, recipients: list[str]
    ) -> dict[str, tuple[int, bytes]]:
        """Hand the message to the server; return the recipients it refused (if not all)."""
        client = self._connect()
        try:
            self._secure_and_login(client)
            return client.send_message(message, to_addrs=recipients)
        finally:
            _hang_up(client)

    def _connect(self) -> smtplib.SMTP:
        """A connected client: TLS from the start when ``ssl`` is set, plain otherwise."""
        settings = self.settings
        if settings.ssl:
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)

    def _secure_and_login(self, client: smtplib.SMTP) -> None:
        """Upgrade to TLS when asked, then log in when a username is configured."""
        if self.settings.starttls:
            client.starttls(context=ssl.create_default_context())
        if self.settings.username is not None:
            client.login(self.settings.username, self.settings.password or "")


def _compose(
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html: str | None,
    message_id: str | None,
    headers: Mapping[str, str] | None,
) -> EmailMessage:
    """Build the message: addressing headers, extra headers, the text and optional html part."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=_sender_domain(sender))
    for name, value in (headers or {}).items():
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"EmailSender.send: header {name!r} is set by send() itself")
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _sender_domain(sender: str) -> str:
    """The domain of the sender address, for Message-IDs.

    ``make_msgid`` would otherwise ask the resolver for this host's fully qualified name,
    which can stall for seconds on a machine without working reverse DNS.
    """
    _, address = parseaddr(sender)
    return address.rpartition("@")[2] or "localhost"


def _hang_up(client: smtplib.SMTP) -> None:
    """Say QUIT politely, but never let a failing goodbye hide the outcome of the send."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _smtp_failure(error: OSError, settings: EmailSettings) -> NotifyError:
    """Translate an ``smtplib`` or socket error into a ``NotifyError`` saying what to check."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _recipients_refused(error.recipients, settings.server)
    if isinstance(error, smtplib.SMTPResponseException):
        return _refusal(error, settings)
    return _connection_failure(error, settings)


def _refusal(error: smtplib.SMTPResponseException, settings: EmailSettings) -> NotifyError:
    """The server answered with an error status: quote it and say what to check."""
    hint = next(hint for kind, hint in _REFUSAL_HINTS if isinstance(error, kind))
    hint = hint.format(username=settings.username, sender=settings.sender)
    return NotifyError(
        f"{settings.server} answered {_answer(error)}: {hint}",
        service=_SERVICE,
        status=error.smtp_code,
    )


def _connection_failure(error: OSError, settings: EmailSettings) -> NotifyError:
    """A failure without an SMTP status: no connection, no TLS, or a server that hung up."""
    if isinstance(error, ssl.SSLError):
        hint = "check that ssl (implicit TLS) or starttls matches what this port speaks"
    elif isinstance(error, smtplib.SMTPNotSupportedError):
        hint = "the server lacks a feature the settings ask for (STARTTLS or AUTH)"
    else:
        hint = "check the smtp host and port and that the mail server is running"
    detail = str(error) or type(error).__name__
    return NotifyError(
        f"could not send through {settings.server}: {detail}; {hint}", service=_SERVICE
    )


def _recipients_refused(refused: Mapping[str, tuple[int, bytes]], server: str) -> NotifyError:
    """Every recipient was refused: name each with the server's reason."""
    return NotifyError(
        f"{server} refused every recipient ({_reasons(refused)}): "
        "check the alert's email addresses",
        service=_SERVICE,
        status=_first_code(refused),
    )


def _partly_refused(
    refused: Mapping[str, tuple[int, bytes]],
    recipients: list[str],
    message_id: str,
    server: str,
) -> NotifyError:
    """Some recipients were refused and the others got the message: say both, so that a retry
    can address only the refused ones, with the same Message-ID."""
    accepted = ", ".join(address for address in recipients if address not in refused)
    return NotifyError(
        f"{server} accepted {message_id} for {accepted} but refused {_reasons(refused)}: "
        "check the refused addresses",
        service=_SERVICE,
        status=_first_code(refused),
    )


def _reasons(refused: Mapping[str, tuple[int, bytes]]) -> str:
    """``address: code text`` for each refused recipient."""
    return "; ".join(
        f"{address}: {code} {_decode(text)}" for address, (code, text) in refused.items()
    )


def _first_code(refused: Mapping[str, tuple[int, bytes]]) -> int:
    """The status of the first refusal, the one ``NotifyError.status`` carries."""
    return next(iter(refused.values()))[0]


def _answer(error: smtplib.SMTPResponseException) -> str:
    """The server's reply as ``code text``."""
    return f"{error.smtp_code} {_decode(error.smtp_error)}"


def _decode(text: bytes | str) -> str:
    """SMTP replies are bytes in smtplib's exceptions; tolerate odd encodings."""
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text
