"""A store at real feed density for the marks' tests (callbacks and browser): Brent's hourly and
daily closes, and 1,200 headlines a day on 10 and 11 August 2026 (one every 72 seconds), a fifth
of them acts, a fifth threats and a fifth about oil (the Energy topic), every tenth story carried
by a second feed five minutes later. Every title ends in six made-up words of its own, so no two
of them tell one story."""

from __future__ import annotations

import random

import pandas as pd

from ingest.config import Config
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline
from ingest.store import Store
from tests.conftest import close_bars, utc

FETCHED = utc(2026, 9, 1)
PER_DAY = 1200
DENSE_VIEW = "?instruments=brent&range=custom&start=2026-08-10&end=2026-08-11"
KINDS = ["Missile strike hits depot", "Army threatens offensive", "Markets calm", "Markets calm", "Oil markets calm"]


def own_words(n: int, count: int = 6) -> str:
    """`count` made-up words for headline `n` (the same each time): titles ending in them never
    tell one story."""
    rng = random.Random(n)
    return " ".join("".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4))
                    for _ in range(count))


def fill_dense_store(url: str) -> Config:
    """Fill the store at `url` (new) and return its config."""
    config = Config.model_validate({"store": {"url": url}, "feeds": [], "pages": []})
    store = Store.open(config.store.url)
    try:
        store.sync_config(config)
        days = pd.date_range("2026-08-01", "2026-08-20", freq="D", tz="UTC")
        store.write_bars("brent", "1d", "import", close_bars(days, [70.0 + i for i in range(len(days))]), FETCHED)
        hours = pd.date_range("2026-08-09", "2026-08-13", freq="h", tz="UTC")
        store.write_bars("brent", "1h", "import", close_bars(hours, [80.0 + i / 10 for i in range(len(hours))],
                                                             hours + pd.Timedelta(hours=1)), FETCHED)
        items = []
        for n in range(2 * PER_DAY):
            at = utc(2026, 8, 10) + pd.Timedelta(seconds=72 * n)
            title = f"{KINDS[n % 5]} {own_words(n)}"
            items.append(Headline(source="wire", guid=str(n), title=title, published=at, fetched=FETCHED))
            if n % 10 == 0:
                items.append(Headline(source="second", guid=str(n), title=title,
                                      published=at + pd.Timedelta(minutes=5), fetched=FETCHED))
        store.write_headlines(items, tag=headline_tagger(config.topics))
    finally:
        store.close()
    return config
