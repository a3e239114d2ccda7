"""The offline guard itself: loopback passes, anything else fails before a packet leaves."""

from __future__ import annotations

import socket

import pytest
import requests

from tests import offline
from tests.offline import NetworkUsed, is_loopback


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True), ("", True),
    ("203.0.113.7", False), ("quotes.example.invalid", False), ("api.example.invalid", False),
    ("::ffff:8.8.8.8", False),
])
def test_what_counts_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_reaching_out_fails_naming_the_host(web):
    # names under .invalid never resolve (RFC 6761): even a broken guard could not reach a real host
    with pytest.raises(NetworkUsed, match="name look-up of 'rates.example.invalid'"):
        socket.getaddrinfo("rates.example.invalid", 443)
    with socket.socket() as sock, pytest.raises(NetworkUsed, match=r"connection to \('203.0.113.7', 80\)"):
        sock.connect(("203.0.113.7", 80))
    with pytest.raises(NetworkUsed, match="name look-up of 'api.example.invalid'"):
        requests.get("https://api.example.invalid/api/v2/doc/doc", timeout=1)
    assert len(offline.attempts) == 3   # recorded too: conftest fails a test that caught the error
    offline.attempts.clear()            # (these three were meant)
    web.add("ok", b"ok")
    assert requests.get(web.url_for("ok"), timeout=5).text == "ok"   # loopback is fine
    assert offline.attempts == []
