"""Store's price methods (the PriceAccess part of ingest.store.Store): bars written, imported
with their reviews and read, a user's verdict on a bar, close rules, and ticker snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from ingest.records import TickerSnapshot
from ingest.store import instruments as _instruments
from ingest.store import prices as _prices
from ingest.store import runs as _runs
from ingest.store import snapshots as _snapshots
from ingest.store.transactions import Transactions
from ingest.store.write_counts import WriteCounts
from ingest.utc import series_to_epoch


class PriceAccess(Transactions):
    """Price bars, close rules and ticker snapshots, each call in one transaction."""

    def write_bars(self, instrument_id: str, interval: str, source: str, bars: pd.DataFrame,
                   now: datetime) -> WriteCounts:
        """Upsert bars of one instrument and interval in one transaction (with the verdicts of a
        `review` column: see import_bars); returns the write's counts."""
        return self.import_bars(instrument_id, interval, source, bars, now)[0]

    def import_bars(self, instrument_id: str, interval: str, source: str, bars: pd.DataFrame,
                    now: datetime) -> tuple[WriteCounts, int]:
        """Upsert bars of one instrument and interval and apply the users' verdicts they carry (a
        `review` column, 'bad'/'good'; an empty one leaves a stored verdict as it is), in one
        transaction; returns the write's counts and how many bars' review changed."""
        with self.writing() as conn:
            counts = _prices.write_bars(conn, instrument_id, interval, source, bars, now)
            reviewed: list[int] = []
            if "review" in bars.columns and len(bars):
                given = bars[bars["review"].notna()]
                seconds = series_to_epoch(given["ts"]).tolist()
                reviewed = _prices.apply_reviews(conn, instrument_id, interval,
                                                 dict(zip(seconds, given["review"].tolist(), strict=True)))
            if reviewed:
                _runs.bump_data_version(conn, counts + WriteCounts(updated=len(reviewed), first=min(reviewed),
                                                                   last=max(reviewed)))
            elif counts.changed:
                _runs.bump_data_version(conn, counts)
            return counts, len(reviewed)

    def set_bar_review(self, instrument_id: str, interval: str, ts: datetime, review: str | None) -> bool:
        """Record a user's verdict on one bar: 'bad' (kept out of every return), 'good' (used
        whatever its flags say) or None (its flags decide); whether the bar exists."""
        with self.writing() as conn:
            found = _prices.set_review(conn, instrument_id, interval, ts, review)
            if found:
                seconds = int(ts.timestamp())
                _runs.bump_data_version(conn, WriteCounts(updated=1, first=seconds, last=seconds))
            return found

    def flag_counts(self) -> pd.DataFrame:
        """Flagged and reviewed bars per instrument, interval, flag and review (for `status`)."""
        with self.reading() as conn:
            return _prices.flag_counts(conn)

    def close_rules(self) -> dict[str, str | None]:
        """The close rule each stored instrument's daily bars follow (text; ingest.close_rules)."""
        with self.reading() as conn:
            return _instruments.close_rules(conn)

    def last_bar_time(self, instrument_id: str, interval: str) -> datetime | None:
        with self.reading() as conn:
            return _prices.last_bar_time(conn, instrument_id, interval)

    def bars(self, instrument_ids: list[str] | None = None, interval: str | None = None,
             start: datetime | None = None, end: datetime | None = None, limit: int | None = None) -> pd.DataFrame:
        """Price bars in a range (see ingest.store.prices.read_bars)."""
        with self.reading() as conn:
            return _prices.read_bars(conn, instrument_ids, interval, start, end, limit)

    def closes(self, instrument_ids: list[str], interval: str, start: datetime | None = None,
               end: datetime | None = None) -> pd.DataFrame:
        """Closes of bars in a range: instrument_id, ts, close (see ingest.store.prices.read_closes)."""
        with self.reading() as conn:
            return _prices.read_closes(conn, instrument_ids, interval, start, end)

    def has_bars(self, instrument_ids: list[str], interval: str, start: datetime, end: datetime) -> bool:
        """Whether any of the instruments has a bar of `interval` in [start, end]."""
        with self.reading() as conn:
            return _prices.has_bars(conn, instrument_ids, interval, start, end)

    def write_snapshots(self, snapshots: Sequence[TickerSnapshot]) -> WriteCounts:
        """Store ticker snapshots in one transaction."""
        with self.writing() as conn:
            counts = _snapshots.write_snapshots(conn, snapshots)
            if counts.changed:
                _runs.bump_data_version(conn, counts)
            return counts

    def last_strip(self, source: str) -> list[TickerSnapshot]:
        """The ticker snapshots `source` stored last (its latest captured time), mark order."""
        with self.reading() as conn:
            return _snapshots.last_strip(conn, source)

    def snapshots(self, start: datetime | None = None, end: datetime | None = None,
                  instrument_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Ticker snapshots captured in [start, end) (see snapshots.read_snapshots)."""
        with self.reading() as conn:
            return _snapshots.read_snapshots(conn, start, end, instrument_ids)
