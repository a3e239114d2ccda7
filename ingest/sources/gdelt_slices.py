"""The time slices of a GDELT backfill (pure): the range a backfill can cover, its slices, the
parts earlier runs left to do, and halving a slice whose page came back full (GDELT returns at
most MAX_RECORDS articles a request, stamped at its 15-minute updates)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ingest.utc import aware_utc

ARCHIVE_START = datetime(2017, 1, 1, tzinfo=UTC)  # the DOC API searches back to here
SETTLE = timedelta(hours=1)           # the latest hour is still being indexed: left for a later run
MIN_SLICE = timedelta(minutes=15)     # GDELT stamps articles at its 15-minute updates: no finer slices


@dataclass(frozen=True, order=True)
class Slice:
    """A half-open time range [start, end), UTC."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def label(self) -> str:
        """'2023-09-18 00:00..2023-09-19 00:00 UTC' (seconds shown when not zero)."""
        return f"{_stamp(self.start)}..{_stamp(self.end)} UTC"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def backfill_range(since: datetime, until: datetime, now: datetime) -> tuple[Slice, list[str]]:
    """The range a backfill can cover: `since` no earlier than GDELT's archive start, `until`
    no later than an hour before `now` (GDELT is still indexing that hour, and a slice marked
    done is never fetched again). Returns it with notes on what was moved; ValueError when
    nothing is left."""
    since, until, now = aware_utc(since, "since"), aware_utc(until, "until"), aware_utc(now, "now")
    notes = []
    if since < ARCHIVE_START:
        notes.append(f"GDELT's DOC API searches back to {ARCHIVE_START:%Y-%m-%d}: starting there, "
                     f"not at {_stamp(since)}")
        since = ARCHIVE_START
    settled = now - SETTLE
    if until > settled:
        notes.append(f"the last hour is still being indexed by GDELT: stopping at {_stamp(settled)} UTC")
        until = settled
    if since >= until:
        raise ValueError(f"nothing to backfill: since {_stamp(since)} is not before until {_stamp(until)} UTC")
    return Slice(since, until), notes


def initial_slices(since: datetime, until: datetime, length: timedelta) -> list[Slice]:
    """[since, until) cut into consecutive slices of `length` (the last one shorter)."""
    since, until = aware_utc(since, "since"), aware_utc(until, "until")
    if length < MIN_SLICE:
        raise ValueError(f"slice length {length} is shorter than GDELT's {MIN_SLICE} updates")
    slices, start = [], since
    while start < until:
        end = min(start + length, until)
        slices.append(Slice(start, end))
        start = end
    return slices


def pending_slices(slices: Iterable[Slice], done: Iterable[tuple[datetime, datetime]]) -> list[Slice]:
    """The parts of `slices` not covered by the finished ranges `done` (split halves of an
    earlier run included), in time order."""
    covered = sorted((aware_utc(a, "start"), aware_utc(b, "end")) for a, b in done)
    pending = []
    for item in sorted(slices):
        start = item.start
        for a, b in covered:
            if b <= start or a >= item.end:
                continue
            if a > start:
                pending.append(Slice(start, a))
            start = max(start, b)
            if start >= item.end:
                break
        if start < item.end:
            pending.append(Slice(start, item.end))
    return pending


def split_slice(item: Slice, minimum: timedelta = MIN_SLICE) -> tuple[Slice, Slice] | None:
    """The two halves of a slice (split on a whole second), or None when a half would be
    shorter than `minimum`."""
    half = timedelta(seconds=int(item.duration.total_seconds()) // 2)
    if half < minimum:
        return None
    middle = item.start + half
    return Slice(item.start, middle), Slice(middle, item.end)


def truncated_problem(item: Slice, max_records: int) -> str:
    """The problem recorded for a slice that still hit the cap at the smallest slice length."""
    return (f"slice {item.label} still truncated at {max_records} articles "
            f"(its halves would be shorter than {int(MIN_SLICE.total_seconds() // 60)} min)")
