"""The services alerts reach, as one registry of :class:`Notifier` classes.

A notifier is a client class with a ``name`` (the delivery channel recorded in the store), a
``target`` (the recipient, URL or tracker it talks to), ``from_settings`` (its instances for
the ``[alerts]`` settings: none when the service is not configured) and ``close``. They are
registered by import path in :data:`NOTIFIERS`, so that naming them imports no HTTP or SMTP
client.

The manager gives two of them a workflow of their own: the bug tracker (``bugzilla``: bugs
filed, linked and read back) and mail (``email``: one message per owner and run). Every other
notifier is an :class:`AlertPoster` that receives each new alert once (``webhook``): adding
one (a chat service, say) is a module with such a class plus its line in :data:`NOTIFIERS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast, runtime_checkable

from opwatch.config.alert_settings import AlertSettings, BugzillaSettings
from opwatch.registry import Registry

if TYPE_CHECKING:
    from opwatch.alerts.bugzilla import BugzillaClient
    from opwatch.alerts.email import EmailSender

BUG_TRACKER = "bugzilla"
MAIL = "email"


class Notifier(Protocol):
    """A client of a service alerts reach."""

    name: ClassVar[str]

    @property
    def target(self) -> str:
        """Where this client delivers (a URL, a server), as delivery records name it."""
        ...

    @classmethod
    def from_settings(cls, alerts: AlertSettings) -> Sequence[Notifier]:
        """The clients ``alerts`` configures (none when the service is not set)."""
        ...

    def close(self) -> None:
        """Release the client's connections."""
        ...


@runtime_checkable
class AlertPoster(Protocol):
    """A notifier that receives every new alert once, as a JSON payload."""

    name: ClassVar[str]

    @property
    def target(self) -> str:
        """Where this client delivers."""
        ...

    def send(self, payload: Mapping[str, Any], *, idempotency_key: str | None = None) -> None:
        """Deliver ``payload``; a repeat with the same key must not alert twice."""
        ...


NOTIFIERS: Registry[type[Notifier]] = Registry(
    "notifier",
    lazy={
        BUG_TRACKER: "opwatch.alerts.bugzilla:BugzillaClient",
        MAIL: "opwatch.alerts.email:EmailSender",
        "webhook": "opwatch.alerts.webhook:WebhookSender",
    },
)


@dataclass
class Notifiers:
    """The configured clients of every registered notifier, by name."""

    clients: dict[str, list[Notifier]] = field(default_factory=dict)
    bugzilla_settings: BugzillaSettings | None = None

    @classmethod
    def of_settings(cls, alerts: AlertSettings) -> Notifiers:
        """A client for each service ``alerts`` configures (secrets from the environment)."""
        clients = {name: list(NOTIFIERS.get(name).from_settings(alerts)) for name in NOTIFIERS}
        return cls({name: found for name, found in clients.items() if found}, alerts.bugzilla)

    @property
    def bugzilla(self) -> BugzillaClient | None:
        """The bug tracker's client, if configured."""
        return cast("BugzillaClient | None", next(iter(self.clients.get(BUG_TRACKER, [])), None))

    @property
    def email(self) -> EmailSender | None:
        """The mail client, if configured."""
        return cast("EmailSender | None", next(iter(self.clients.get(MAIL, [])), None))

    def posters(self) -> list[AlertPoster]:
        """Every client that receives each new alert (webhooks and their like)."""
        return [
            client
            for name, found in sorted(self.clients.items())
            if name not in (BUG_TRACKER, MAIL)
            for client in found
            if isinstance(client, AlertPoster)
        ]

    def close(self) -> None:
        """Close every client."""
        for found in self.clients.values():
            for client in found:
                client.close()
