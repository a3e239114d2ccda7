"""The loopback replays `newsmarks schedule` refreshes from during bench_load.py, and its config.

- Bank of Russia (tests/servers/cbr.FakeCbr) and Yahoo (tests/servers/yahoo.FakeYahoo, the real
  yfinance code against it): synthetic daily bars (random walks near the benchmark's levels) from
  a few weeks before the benchmark store's last bar up to today, so every price refresh gets an
  answer in the real formats (the hourly bars are FakeYahoo's, derived from the daily ones).
- Headline feeds (tests/servers/feeds.FeedServer): one RSS 2.0 document per configured feed, to
  which a newsroom thread adds an item with a real title every `publish_every` seconds (the
  document keeps the newest WINDOW items; ETag from the content, so an unchanged feed gets 304).
  Every published guid starts with GUID_PREFIX: after the run, each must be stored exactly once.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from tests.servers.cbr import EUR, USD, FakeCbr
from tests.servers.feeds import FeedServer
from tests.servers.yahoo import FakeYahoo, brent_series, rub_series

GUID_PREFIX = "load-"
WINDOW = 30
FEED_NAMES = ("TASS", "BBC World", "Al Jazeera", "The Moscow Times", "Deutsche Welle", "Guardian World")
FIRST_DAY = date(2026, 7, 1)  # a few weeks before bench_chart.END, so the first refresh overlaps it


def _walk(rng: np.random.Generator, n: int, level: float, vol: float) -> np.ndarray:
    return level * np.exp(np.cumsum(rng.normal(0.0, vol, n)))


def _daily(rng: np.random.Generator, tz: str, today: date, level: float, vol: float) -> pd.DataFrame:
    """Weekday bars at local midnight (as Yahoo stamps them), FIRST_DAY..today, in FakeYahoo's shape."""
    ts = pd.date_range(FIRST_DAY, today, freq="B", tz=tz).tz_convert("UTC").as_unit("s")
    close = _walk(rng, len(ts), level, vol)
    open_ = np.concatenate([[level], close[:-1]])
    return pd.DataFrame({"ts": ts, "open": open_, "high": np.maximum(open_, close) * 1.002,
                         "low": np.minimum(open_, close) * 0.998, "close": close, "volume": 0})


def start_price_fakes(now: datetime, seed: int) -> tuple[FakeCbr, FakeYahoo]:
    """FakeCbr (USD, EUR) and FakeYahoo (BZ=F, RUB=X, EURRUB=X) serving FIRST_DAY..today; started."""
    rng = np.random.default_rng(seed)
    today = now.date()
    cbr = FakeCbr()
    for currency, level in ((USD, 82.0), (EUR, 95.0)):
        days = pd.date_range(FIRST_DAY, today, freq="B")
        cbr.add_rates(currency, {d.date(): f"{v:.4f}" for d, v in zip(days, _walk(rng, len(days), level, 0.008),
                                                                    strict=True)})
    rub, brent = rub_series(), brent_series()
    series = [
        dataclasses.replace(brent, daily=_daily(rng, brent.tz, today, 68.0, 0.02)),
        dataclasses.replace(rub, daily=_daily(rng, rub.tz, today, 82.5, 0.01)),
        dataclasses.replace(rub, symbol="EURRUB=X", short_name="EUR/RUB", long_name="EUR/RUB",
                            daily=_daily(rng, rub.tz, today, 95.5, 0.01)),
    ]
    yahoo = FakeYahoo(series, now=now + timedelta(days=1), hourly_days=30)
    return cbr.start(), yahoo.start()


def feed_slug(name: str) -> str:
    return name.lower().replace(" ", "-") + ".xml"


class Newsroom:
    """The feed server plus a thread that publishes one item to each feed in turn."""

    def __init__(self, titles: list[str], publish_every: float, seed: int):
        self.server = FeedServer(directory=None)
        self.titles, self.every = titles, publish_every
        self.rng = random.Random(seed)
        self.items: dict[str, list[str]] = {name: [] for name in FEED_NAMES}
        self.guids: dict[str, list[tuple[str, float]]] = {name: [] for name in FEED_NAMES}  # (guid, published)
        self.published = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newsroom", daemon=True)

    def start(self) -> Newsroom:
        self.server.start()
        for name in FEED_NAMES:
            self._publish(name, datetime.now(UTC))
        self._thread.start()
        return self

    def url_for(self, name: str) -> str:
        return self.server.url_for(feed_slug(name))

    def _publish(self, name: str, moment: datetime) -> None:
        self.published += 1
        title, summary = escape(self.rng.choice(self.titles)), escape(self.rng.choice(self.titles))
        guid = f"{GUID_PREFIX}{feed_slug(name)[:-4]}-{self.published}"
        self.guids[name].append((guid, moment.timestamp()))
        self.items[name].append(
            f"<item><title>{title}</title><link>https://news.example/{guid}</link>"
            f'<guid isPermaLink="false">{guid}</guid><pubDate>{format_datetime(moment)}</pubDate>'
            f"<description>{summary}</description></item>")
        newest = "".join(reversed(self.items[name][-WINDOW:]))
        self.server.add(feed_slug(name), (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(name)}</title><link>https://news.example/</link><description>load test"
            f"</description>{newest}</channel></rss>").encode())

    def _run(self) -> None:
        turn = 0
        while not self._stop.wait(self.every / len(FEED_NAMES)):
            self._publish(FEED_NAMES[turn % len(FEED_NAMES)], datetime.now(UTC))
            turn += 1

    def stop_publishing(self) -> int:
        """Stop adding items; returns how many were published in all."""
        self._stop.set()
        self._thread.join(timeout=5)
        return self.published

    def stop(self) -> None:
        self.stop_publishing()
        self.server.stop()


def write_config(path: Path, store_url: str, refresh_every: str, cbr: FakeCbr, yahoo: FakeYahoo,
                 newsroom: Newsroom) -> Path:
    """The TOML config gunicorn and `newsmarks schedule` read (NEWSMARKS_CONFIG): the loopback
    sources, both refresh intervals `refresh_every`, the default instruments and topics, no
    watched page (the default one is on the internet)."""
    feeds = "".join(f'\n[[feeds]]\nname = "{name}"\nurl = "{newsroom.url_for(name)}"\n' for name in FEED_NAMES)
    path.write_text(f"""# written by tests/benchmarks/bench_load.py
pages = []

[store]
url = "{store_url}"

[refresh]
prices = "{refresh_every}"
feeds = "{refresh_every}"
lock_wait = "2s"

[http]
connect_timeout = 2.0
read_timeout = 10.0
retries = 1
backoff = 0.1
backoff_max = 0.5

[sources.cbr]
url = "{cbr.url}"
[sources.yahoo]
url = "{yahoo.url}"
{feeds}""")
    return path
