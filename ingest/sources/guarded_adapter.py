"""A requests transport adapter that connects only where ingest.sources.destinations allows.

Every new connection of the adapter's pools resolves its host once (`allowed_addresses`), refuses
it before any packet is sent when an address is not allowed, and connects to the checked
addresses themselves (no second look-up that could answer differently). Redirects go through the
same adapter, so every hop is checked the same way. Through a proxy (`HTTP(S)_PROXY`), the proxy
is the user's choice and is not checked; the target is, when its name resolves here.

The look-up and the connection to each address are ingest.sources.deadlines' (`_Watched`), within
the request's deadline. Works with urllib3 1.26 and 2.x: both connect in
`HTTPConnection._new_conn()` to `_dns_host`.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from requests.utils import select_proxy
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ingest.sources.deadlines import WatchedAdapter, WatchedHTTPConnection, WatchedHTTPSConnection
from ingest.sources.destinations import allowed_addresses


class _Checked:
    """Mixed into the watched connections: the addresses connected to are the checked ones."""

    def addresses(self, host: str, port: int) -> list[str]:
        return allowed_addresses(host, port)


class CheckedHTTPConnection(_Checked, WatchedHTTPConnection):
    pass


class CheckedHTTPSConnection(_Checked, WatchedHTTPSConnection):
    pass


class CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


class GuardedAdapter(WatchedAdapter):
    """An HTTPAdapter whose direct connections are checked (see the module docstring), and cut
    at their request's deadline (ingest.sources.deadlines)."""

    pool_classes = {"http": CheckedHTTPConnectionPool, "https": CheckedHTTPSConnectionPool}

    def send(self, request, *args, **kwargs):
        """Send as HTTPAdapter does; through a proxy, check the target's host first."""
        if select_proxy(request.url, kwargs.get("proxies") or {}):
            parts = urlsplit(request.url)
            try:
                allowed_addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
            except socket.gaierror:
                pass   # only the proxy can resolve it
        return super().send(request, *args, **kwargs)
