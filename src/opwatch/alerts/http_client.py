"""What the HTTP services (Bugzilla, webhooks, the pushlog) share: one pooled httpx client,
closed by ``close()`` or by leaving a ``with`` block."""

from __future__ import annotations

from typing import Self

import httpx


class PooledClient:
    """Base of a service client holding ``self._client``."""

    _client: httpx.Client

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
