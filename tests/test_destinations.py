"""Dangerous destinations: private, link-local and cloud-metadata addresses are refused before any
connection is made — for the first request and every redirect hop, through the HTTP client and
through yfinance's session — unless `[http] allow_private = true`. Nothing here leaves loopback:
the suite's socket guard (tests/offline.py) records any look-up or connection Python makes, and the
tests of the HTTP client check it recorded none; yfinance's curl is refused before it is called."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from ingest.config import Config
from ingest.config_sections import HttpConfig
from ingest.runners.jobs import run_job
from ingest.sources.base import FetchPlan, PermanentError
from ingest.sources.destinations import RefusedDestination, allowed_addresses, refusal_of
from ingest.sources.guarded_adapter import GuardedAdapter
from ingest.sources.http import HttpClient
from ingest.sources.yahoo import YahooSource
from tests import offline
from tests.conftest import utc
from tests.servers.loopback import LoopbackServer, Reply

HINT = "only public and loopback addresses are allowed unless [http] allow_private = true"
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


def client(**settings) -> HttpClient:
    return HttpClient(HttpConfig(**{"retries": 2, "backoff": 0.01, "connect_timeout": 1, **settings}))


@pytest.mark.parametrize("address, kind", [
    ("169.254.169.254", "a cloud metadata address"), ("169.254.170.2", "the AWS container metadata address"),
    ("fd00:ec2::254", "the AWS IPv6 metadata address"), ("100.100.100.200", "the Alibaba Cloud metadata address"),
    ("168.63.129.16", "the Azure platform address"), ("169.254.1.2", "a link-local address"),
    ("fe80::1", "a link-local address"), ("fe80::1%eth0", "a link-local address"),
    ("::ffff:169.254.169.254", "a cloud metadata address"), ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),
    ("2002:a9fe:a9fe::1", "a cloud metadata address"), ("10.1.2.3", "a private address"),
    ("172.16.0.1", "a private address"), ("192.168.1.1", "a private address"), ("fd12::1", "a private address"),
    ("100.64.0.1", "a shared (carrier-grade NAT) address"), ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"), ("224.0.0.1", "a multicast address"), ("ff02::1", "a multicast address"),
    ("240.0.0.1", "a reserved address"), ("192.0.2.1", "a reserved address"),
    ("127.0.0.1", None), ("127.8.9.10", None), ("::1", None), ("::ffff:127.0.0.1", None),
    ("93.184.216.34", None), ("2a00:1450:4001::1", None)])
def test_which_addresses_are_refused(address, kind):
    assert refusal_of(address) == kind


def test_a_metadata_address_is_refused_before_connecting():
    with pytest.raises(RefusedDestination) as info:
        client().get(METADATA_URL, what="feed meta")
    assert str(info.value) == f"feed meta: refused 169.254.169.254: a cloud metadata address; {HINT}"
    assert isinstance(info.value, PermanentError)   # never retried
    for url, kind in (("http://[fe80::1]:8080/x", "a link-local address"),
                      ("https://[fd00:ec2::254]/latest", "the AWS IPv6 metadata address"),
                      ("http://100.100.100.200/latest/meta-data/", "the Alibaba Cloud metadata address"),
                      ("http://10.0.0.1/rss", "a private address")):
        with pytest.raises(RefusedDestination, match=f"^feed x: refused {url.split('/')[2].split(']')[0]}"
                                                     .replace("[", "") + f": {kind}; "):
            client().get(url, what="feed x")
    assert offline.attempts == []   # not even a look-up or a connect() was tried


def test_a_name_that_resolves_to_link_local_is_refused(monkeypatch):
    looked_up = []

    def resolve(host, port, *args, **kwargs):
        looked_up.append((host, port))
        answers = {"metadata.google.internal": ["169.254.169.254"], "mixed.example": ["93.184.216.34", "10.0.0.7"]}
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(RefusedDestination) as info:
        client().get("http://metadata.google.internal/computeMetadata/v1/", what="feed gce")
    assert str(info.value) == (f"feed gce: refused metadata.google.internal (169.254.169.254): "
                               f"a cloud metadata address; {HINT}")
    with pytest.raises(RefusedDestination, match=r"^refused mixed.example \(10.0.0.7\): a private address; "):
        allowed_addresses("mixed.example", 443)   # one bad address among good ones is enough
    assert looked_up == [("metadata.google.internal", 80), ("mixed.example", 443)]   # once each
    assert offline.attempts == []


class Redirector(LoopbackServer):
    """Answers every request with a redirect to `location` (a 200 `ok` at /ok)."""

    location = METADATA_URL

    def answer(self, method, path, query, headers) -> Reply:
        self.record(path)
        if path == "/ok":
            return Reply(200, {"Content-Type": "text/plain"}, b"ok")
        return Reply(302, {"Location": self.location})


@pytest.mark.integration   # a loopback server
@pytest.mark.parametrize("location, refused", [
    (METADATA_URL, f"refused the redirect to 169.254.169.254: a cloud metadata address; {HINT}"),
    ("http://[fe80::a9fe:a9fe]/", f"refused the redirect to fe80::a9fe:a9fe: a link-local address; {HINT}"),
    ("http://192.168.0.1/admin", f"refused the redirect to 192.168.0.1: a private address; {HINT}")])
def test_a_redirect_to_a_refused_address_is_refused_before_connecting(location, refused):
    with Redirector() as server:
        server.location = location
        with pytest.raises(RefusedDestination) as info:
            client().get(server.base_url + "/feed.xml", what="feed evil")
        assert str(info.value) == f"feed evil: {refused}"
        assert server.requests == ["/feed.xml"]    # the first hop, once: a refusal is not retried
        server.location = "/ok"                    # a redirect within loopback is followed
        assert client().get(server.base_url + "/feed.xml").content == b"ok"
    assert offline.attempts == []


def test_allow_private_lets_the_client_connect():
    """With `allow_private = true` nothing is refused: the connection is tried (and stopped here by
    the suite's socket guard, which records it)."""
    allowing = client(allow_private=True, retries=0)
    assert not isinstance(allowing.session.get_adapter("http://x/"), GuardedAdapter)
    assert isinstance(client().session.get_adapter("https://x/"), GuardedAdapter)
    with pytest.raises(offline.NetworkUsed):
        allowing.get("http://10.0.0.1:9/rss", what="feed lan")
    assert offline.attempts == ["tests must not use the network: name look-up of '10.0.0.1'"]
    offline.attempts.clear()


def test_the_refusal_is_the_sources_failure_in_the_store(web, make_config, store):
    web.add("world.xml", b"<rss version='2.0'><channel><title>w</title><item><title>Talks resume</title>"
                         b"<guid>g1</guid><pubDate>Tue, 01 Mar 2022 10:00:00 GMT</pubDate></item></channel></rss>")
    config = make_config(feeds=[{"name": "meta", "url": METADATA_URL},
                                {"name": "world", "url": web.url_for("world.xml")}])
    report = run_job(store, config, now=lambda: utc(2022, 3, 1, 12))
    assert [(o.key, o.status, o.counts.new) for o in report.outcomes] == [("feed:meta", "error", 0),
                                                                            ("feed:world", "ok", 1)]
    runs = store.runs().sort_values("id")
    assert runs[["source", "status", "error"]].values.tolist() == [
        ["feed:meta", "error", f"feed meta: refused 169.254.169.254: a cloud metadata address; {HINT}"],
        ["feed:world", "ok", None]]
    assert offline.attempts == []


# -- yfinance's own requests (curl, not Python sockets: refused before curl is asked) ----------

def yahoo_unit(url: str, **http) -> YahooSource:
    config = Config.model_validate({
        "http": {"retries": 0, "backoff": 0.01, "connect_timeout": 0.5, "read_timeout": 0.5, **http},
        "sources": {"yahoo": {"url": url}},
        "instruments": [{"id": "brent", "label": "Brent", "source": "yahoo", "ticker": "BZ=F"}]})
    return YahooSource(config.instrument("brent"), "1d", config, HttpClient(config.http))


NOW = utc(2022, 3, 1, 18)
WINDOW = "Yahoo BZ=F 1d 2022-01-01 00:00..2022-03-01 18:00 UTC"


def test_a_yahoo_base_url_at_a_metadata_address_is_refused():
    with pytest.raises(RefusedDestination) as info:
        yahoo_unit("http://169.254.169.254").fetch(FetchPlan(now=NOW, backfill_since=date(2022, 1, 1)))
    assert str(info.value) == f"{WINDOW}: refused 169.254.169.254: a cloud metadata address; {HINT}"


@pytest.mark.integration   # a loopback server
@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_a_yahoo_mirror_redirecting_to_link_local_is_refused():
    with Redirector() as server:
        server.location = "http://169.254.169.254/v8/finance/chart/BZ=F"
        with pytest.raises(RefusedDestination) as info:
            yahoo_unit(server.base_url).fetch(FetchPlan(now=NOW, backfill_since=date(2022, 1, 1)))
        assert str(info.value) == (f"{WINDOW}: refused the redirect to 169.254.169.254: a cloud metadata "
                                   f"address; {HINT}")
        assert server.requests and all(path != "/ok" for path in server.requests)
