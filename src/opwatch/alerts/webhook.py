"""A generic JSON webhook: one POST per alert, to any receiver that accepts JSON.

Webhook URLs often carry their secret in the path or the query (Slack, Teams, Discord), so error
messages show only the scheme, host and port of the URL, never the rest, nor any header value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from opwatch.alerts.http_client import PooledClient
from opwatch.config.alert_settings import AlertSettings
from opwatch.errors import NotifyError

__all__ = ["WebhookSender"]

_SERVICE = "webhook"
_EXCERPT_CHARS = 200


class WebhookSender(PooledClient):
    """Posts JSON payloads to one URL, with fixed extra headers (an ``Authorization``, say)."""

    name: ClassVar[str] = "webhook"

    @classmethod
    def from_settings(cls, alerts: AlertSettings) -> list[WebhookSender]:
        """A sender per URL of ``[alerts] webhooks``."""
        return [cls(url) for url in alerts.webhooks]

    @property
    def target(self) -> str:
        """The URL posted to (delivery records are kept per URL)."""
        return self.url

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self._where = _redacted(url)
        self._client = httpx.Client(
            headers=dict(headers or {}), timeout=timeout, transport=transport
        )

    def send(self, payload: Mapping[str, Any], *, idempotency_key: str | None = None) -> None:
        """POST ``payload`` as JSON; raise ``NotifyError`` unless the receiver answers 2xx.

        ``idempotency_key`` goes out as the ``Idempotency-Key`` header: a receiver that saw
        the key before drops the repeat, so retrying after a timeout cannot alert twice.
        """
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        try:
            response = self._client.post(self.url, json=dict(payload), headers=headers)
        except httpx.HTTPError as error:
            raise NotifyError(
                f"could not reach the webhook at {self._where}: {_describe(error)}; "
                "check the URL and that the receiver is up",
                service=_SERVICE,
            ) from error
        if not response.is_success:
            raise _refused(response, self._where)


def _refused(response: httpx.Response, where: str) -> NotifyError:
    """The receiver answered but not with 2xx: its status, what it said and what to check."""
    return NotifyError(
        f"the webhook at {where} answered {response.status_code} "
        f"{response.reason_phrase}: {_excerpt(response.text)!r}; {_hint(response.status_code)}",
        service=_SERVICE,
        status=response.status_code,
    )


def _hint(status: int) -> str:
    """What to check for a status, by what that status usually means for a webhook."""
    if 300 <= status < 400:
        return "the receiver redirects: configure the URL it redirects to"
    if status in (401, 403):
        return "check the credentials in the webhook's headers"
    if status == 404:
        return "check the webhook URL"
    if status == 429 or status >= 500:
        return "the receiver is failing or rate limiting; the alert will need a retry"
    return "the receiver rejected the payload; check the format it expects"


def _excerpt(body: str) -> str:
    """The first characters of a response body, whitespace folded to keep the message one line."""
    return " ".join(body[:_EXCERPT_CHARS].split())


def _redacted(url: str) -> str:
    """``scheme://host:port/...``: enough to recognise the receiver, nothing of its secret."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number: the request itself will say so
        port = ""
    rest = "/..." if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def _describe(error: httpx.HTTPError) -> str:
    """The error's own words, or its kind (``ConnectTimeout``) when it has none."""
    return str(error) or type(error).__name__
