"""The suite runs offline: every socket a test opens in this process must go to the loopback
interface (or be a local Unix socket). `guard_sockets()` makes anything else fail at once with a
message naming the address — and records it, so a test whose code swallowed the error still fails
(conftest checks `attempts` after each test) — instead of relying on the machine having no route
out."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
attempts: list[str] = []   # what was refused since the last check


class NetworkUsed(RuntimeError):
    """A test tried to reach a host other than this machine's loopback interface."""


def is_loopback(host: object) -> bool:
    """True for loopback addresses and names (127.0.0.0/8, ::1, localhost)."""
    if host is None or host == "":
        return True   # a passive socket: bind/listen on every interface is not an outbound call
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> None:
    message = f"tests must not use the network: {what}"
    attempts.append(message)
    raise NetworkUsed(message)


@contextmanager
def guard_sockets() -> Iterator[None]:
    """While active, name look-ups and connections to anything but loopback raise NetworkUsed."""
    real = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not is_loopback(host):
            _refuse(f"name look-up of {host!r}")
        return real[0](host, *args, **kwargs)

    def check(sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            _refuse(f"connection to {address!r}")

    def connect(sock, address):
        check(sock, address)
        return real[1](sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real[2](sock, address)

    socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex = getaddrinfo, connect, connect_ex
    try:
        yield
    finally:
        socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex = real
