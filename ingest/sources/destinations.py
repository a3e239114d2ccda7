"""Where newsmarks may connect: public addresses and loopback (tests, local mirrors). Private,
link-local, cloud-metadata and other non-public addresses are refused unless the config says
`[http] allow_private = true`.

`allowed_addresses(host, port)` resolves a host once and refuses it when any of its addresses is
not allowed; the callers then connect to exactly those addresses, so that a second look-up cannot
answer differently. ingest.sources.guarded_adapter does it for every connection the HTTP client
(ingest.sources.http) opens — the first request and every redirect hop — and the Yahoo session
(ingest.sources.yahoo_session) for every request and redirect yfinance makes. `refusal_of` is the
pure rule.
"""

from __future__ import annotations

import ipaddress
import socket

from ingest.sources.base import PermanentError
from ingest.sources.deadlines import within_deadline

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Well-known metadata and platform services (most sit in link-local space, a few do not).
METADATA = {
    ipaddress.ip_address("169.254.169.254"): "a cloud metadata address",        # AWS, GCP, Azure, OpenStack…
    ipaddress.ip_address("169.254.170.2"): "the AWS container metadata address",
    ipaddress.ip_address("fd00:ec2::254"): "the AWS IPv6 metadata address",
    ipaddress.ip_address("100.100.100.200"): "the Alibaba Cloud metadata address",
    ipaddress.ip_address("168.63.129.16"): "the Azure platform address",
}
_SHARED = ipaddress.ip_network("100.64.0.0/10")      # carrier-grade NAT, also used inside clouds
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")        # an IPv4 address in its last 32 bits
ALLOW_HINT = "only public and loopback addresses are allowed unless [http] allow_private = true"


class RefusedDestination(PermanentError):
    """A connection refused before it was made; `host` is the name or address it was for."""

    def __init__(self, message: str, host: str = ""):
        super().__init__(message)
        self.host = host


def refusal_of(address: str | IPAddress) -> str | None:
    """What kind of address `address` is when it is refused ('a link-local address', 'a cloud
    metadata address'…), None when it is allowed (public or loopback). An IPv4 address inside an
    IPv6 one (mapped, NAT64, 6to4) is judged as itself."""
    ip = ipaddress.ip_address(address.split("%")[0] if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return refusal_of(embedded)
    if ip in METADATA:
        return METADATA[ip]
    if ip.is_loopback:
        return None
    for test, kind in ((ip.is_unspecified, "an unspecified address"),
                       (ip.is_link_local, "a link-local address"),
                       (ip.is_multicast, "a multicast address"),
                       (ip in _SHARED, "a shared (carrier-grade NAT) address"),
                       (any(ip in n for n in _PRIVATE), "a private address"),
                       (not ip.is_global, "a reserved address")):
        if test:
            return kind
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def allowed_addresses(host: str, port: int) -> list[str]:
    """The addresses of `host` to connect to on `port`, after checking each of them (an address
    is not looked up; a name is, once). RefusedDestination naming the host and the address when
    one is refused; socket.gaierror when the name does not resolve."""
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        found = within_deadline(lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM),
                                f"looking up {host}")
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    for address in addresses:
        kind = refusal_of(address)
        if kind is not None:
            where = address if literal is not None else f"{host} ({address})"
            raise RefusedDestination(f"refused {where}: {kind}; {ALLOW_HINT}", host)
    return addresses
