"""Price bars: idempotent writes that count what changed, range reads and users' reviews (the
instruments and their close rules: ingest.store.instruments).

Each bar carries when its close became known (`known`, ingest.close_rules). A close written
before that moment (`updated < known`: today's bar fetched during the session) is provisional:
the reads give it no known time (NaT) until a write after its close confirms or replaces it."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, bindparam, case, func, select, update

from ingest.bar_quality import REVIEWS, bad_mask
from ingest.store import schema
from ingest.store.dialect import upsert
from ingest.store.result_rows import driver_rows, result_frame
from ingest.store.write_counts import WriteCounts
from ingest.utc import epoch_series, from_epoch, series_to_epoch, to_epoch

VALUE_COLUMNS = ["known", "open", "high", "low", "close", "volume", "flag"]
DAY = 86400


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    both_missing = a.isna().to_numpy() & b.isna().to_numpy()
    equal = (a.astype(object) == b.astype(object)).to_numpy(dtype=bool)
    numeric = pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b)
    if numeric:
        equal = equal | np.isclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), rtol=0, atol=1e-12)
    return equal | both_missing


def _check_bars(instrument_id: str, interval: str, bars: pd.DataFrame) -> None:
    missing = [c for c in ("ts", "known", "close") if c not in bars.columns]
    if missing:
        raise ValueError(f"{instrument_id} {interval}: bars lack column(s) {', '.join(missing)}")
    if bars["close"].isna().any():
        raise ValueError(f"{instrument_id} {interval}: bars without a close cannot be stored")
    if bars["known"].isna().any():
        raise ValueError(f"{instrument_id} {interval}: bars without the time their close became known "
                         "cannot be stored")


def write_bars(conn: Connection, instrument_id: str, interval: str, source: str, bars: pd.DataFrame,
               now: datetime) -> WriteCounts:
    """Upsert bars (one row per ts; a daily bar's ts must be its trading day at 00:00 UTC); return
    how many were new, changed or already stored. A stored provisional close (written before its
    bar closed) that is written again after the close counts as changed: it is now confirmed.
    A user's review of a bar is kept."""
    if bars.empty:
        return WriteCounts()
    _check_bars(instrument_id, interval, bars)
    frame = bars.copy()
    frame["ts"] = series_to_epoch(frame["ts"])
    frame["known"] = series_to_epoch(frame["known"])
    if interval == "1d" and (frame["ts"] % DAY != 0).any():
        stray = from_epoch(int(frame["ts"][frame["ts"] % DAY != 0].iloc[0]))
        raise ValueError(f"{instrument_id} 1d: a daily bar's time must be its trading day at 00:00 UTC, "
                         f"got {stray:%Y-%m-%d %H:%M} UTC")
    frame = frame.drop_duplicates("ts", keep="last").sort_values("ts").reset_index(drop=True)
    for column in ("open", "high", "low", "close", "volume"):
        frame[column] = frame[column].astype("float64")
    frame["flag"] = frame["flag"].astype(object).where(frame["flag"].notna(), None)
    table = schema.price_bars
    existing = pd.DataFrame(conn.execute(
        select(table.c.ts, table.c.updated, *[table.c[c] for c in VALUE_COLUMNS]).where(and_(
            table.c.instrument_id == instrument_id, table.c.interval == interval,
            table.c.ts >= int(frame["ts"].iloc[0]), table.c.ts <= int(frame["ts"].iloc[-1])))
    ).all(), columns=["ts", "updated", *VALUE_COLUMNS])
    merged = frame.merge(existing, on="ts", how="left", suffixes=("", "_old"), indicator=True)
    is_new = (merged["_merge"] == "left_only").to_numpy()
    stamp = to_epoch(now)
    same = np.ones(len(merged), dtype=bool)
    for column in VALUE_COLUMNS:
        old = merged[f"{column}_old"]
        if column != "flag":
            old = old.astype("float64")
        new = merged[column].astype("float64") if column == "known" else merged[column]
        same &= _same(new, old)
    confirmed = (merged["updated"].astype("float64") < merged["known_old"].astype("float64")).to_numpy() & \
        (merged["known"].to_numpy(dtype="float64") <= stamp)
    changed = ~is_new & (~same | confirmed)
    to_write = merged[is_new | changed]
    rows = [
        dict(instrument_id=instrument_id, interval=interval, ts=int(r.ts), known=int(r.known), open=_num(r.open),
             high=_num(r.high), low=_num(r.low), close=float(r.close), volume=_num(r.volume),
             source=source, flag=r.flag if isinstance(r.flag, str) else None, updated=stamp)
        for r in to_write.itertuples(index=False)
    ]
    upsert(conn, table, rows, ["instrument_id", "interval", "ts"])
    times = [row["ts"] for row in rows]
    return WriteCounts(new=int(is_new.sum()), updated=int(changed.sum()),
                       unchanged=int(len(merged) - is_new.sum() - changed.sum()),
                       first=min(times, default=None), last=max(times, default=None))


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def last_bar_time(conn: Connection, instrument_id: str, interval: str) -> datetime | None:
    """Time of the newest stored bar, or None."""
    table = schema.price_bars
    value = conn.execute(select(func.max(table.c.ts)).where(
        table.c.instrument_id == instrument_id, table.c.interval == interval)).scalar()
    return from_epoch(value)


def _known_column(table):
    """The known time as the reads give it: NULL while the stored close is provisional."""
    return case((table.c.updated < table.c.known, None), else_=table.c.known).label("known")


def _times(seconds: pd.Series) -> pd.Series:
    """Epoch seconds (NULL allowed) as UTC times, second resolution, NaT where NULL."""
    if not len(seconds):
        return pd.Series(dtype="datetime64[s, UTC]")
    return pd.to_datetime(pd.to_numeric(seconds), unit="s", utc=True).dt.as_unit("s")


def read_bars(conn: Connection, instrument_ids: list[str] | None = None, interval: str | None = None,
              start: datetime | None = None, end: datetime | None = None, limit: int | None = None) -> pd.DataFrame:
    """Bars as a DataFrame: instrument_id, interval, ts (UTC), known (UTC; NaT while the close is
    provisional), open, high, low, close, volume, source, flag, review, bad (kept out of returns:
    ingest.bar_quality.is_bad); ordered by instrument, interval, time. `end` is inclusive."""
    table = schema.price_bars
    query = select(table.c.instrument_id, table.c.interval, table.c.ts, _known_column(table), table.c.open,
                   table.c.high, table.c.low, table.c.close, table.c.volume, table.c.source, table.c.flag,
                   table.c.review)
    if instrument_ids is not None:
        query = query.where(table.c.instrument_id.in_(instrument_ids))
    if interval is not None:
        query = query.where(table.c.interval == interval)
    if start is not None:
        query = query.where(table.c.ts >= to_epoch(start))
    if end is not None:
        query = query.where(table.c.ts <= to_epoch(end))
    query = query.order_by(table.c.instrument_id, table.c.interval, table.c.ts)
    if limit is not None:
        query = query.limit(limit)
    frame = result_frame(conn.execute(query))
    frame["ts"] = epoch_series(frame["ts"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    frame["known"] = _times(frame["known"])
    for column in ("open", "high", "low", "close", "volume"):
        frame[column] = frame[column].astype("float64")
    frame["bad"] = bad_mask(frame["flag"], frame["review"])
    return frame


def read_closes(conn: Connection, instrument_ids: list[str], interval: str, start: datetime | None = None,
                end: datetime | None = None) -> pd.DataFrame:
    """The closes of bars (columns instrument_id, ts UTC, known UTC — NaT while provisional —,
    close, flag, review, bad), ordered by instrument and time, `end` inclusive: all a chart's
    price lines need, read without the other columns of read_bars: faster for a chart of
    thousands of bars."""
    table = schema.price_bars
    query = select(table.c.instrument_id, table.c.ts, _known_column(table), table.c.close, table.c.flag,
                   table.c.review).where(table.c.instrument_id.in_(instrument_ids), table.c.interval == interval)
    if start is not None:
        query = query.where(table.c.ts >= to_epoch(start))
    if end is not None:
        query = query.where(table.c.ts <= to_epoch(end))
    rows = driver_rows(conn.execute(query.order_by(table.c.instrument_id, table.c.ts)))
    # column by column with their types known: faster than pandas reading rows of tuples
    instruments, seconds, known, closes, flags, reviews = zip(*rows, strict=True) if rows else ((),) * 6
    flag = pd.Series(list(flags), dtype=object)
    review = pd.Series(list(reviews), dtype=object)
    return pd.DataFrame({"instrument_id": pd.Series(list(instruments), dtype="str"),
                         "ts": epoch_series(pd.Series(seconds, dtype="int64")),
                         "known": _times(pd.Series(known, dtype="float64")),
                         "close": np.asarray(closes, dtype="float64"),
                         "flag": flag, "review": review, "bad": bad_mask(flag, review)})


def set_review(conn: Connection, instrument_id: str, interval: str, ts: datetime, review: str | None) -> bool:
    """Record a user's verdict on one bar ('bad', 'good', or None to let its flags decide);
    whether the bar exists."""
    if review is not None and review not in REVIEWS:
        raise ValueError(f"unknown review {review!r} (known: {', '.join(REVIEWS)}, or none)")
    table = schema.price_bars
    result = conn.execute(update(table).where(
        table.c.instrument_id == instrument_id, table.c.interval == interval, table.c.ts == to_epoch(ts)
    ).values(review=review))
    return bool(result.rowcount)


def apply_reviews(conn: Connection, instrument_id: str, interval: str, reviews: dict[int, str]) -> list[int]:
    """Record users' verdicts on stored bars (UTC epoch seconds -> 'bad' or 'good'), as an import
    carries them; returns the times of the bars whose review changed (absent bars are left out)."""
    unknown = sorted({r for r in reviews.values() if r not in REVIEWS})
    if unknown:
        raise ValueError(f"unknown review {unknown[0]!r} (known: {', '.join(REVIEWS)})")
    if not reviews:
        return []
    table = schema.price_bars
    stored = conn.execute(select(table.c.ts, table.c.review).where(
        table.c.instrument_id == instrument_id, table.c.interval == interval,
        table.c.ts >= min(reviews), table.c.ts <= max(reviews))).all()
    changed = [int(ts) for ts, review in stored if int(ts) in reviews and reviews[int(ts)] != review]
    keys = (table.c.instrument_id == instrument_id) & (table.c.interval == interval) & (table.c.ts == bindparam("t"))
    values = [{"t": ts, "r": reviews[ts]} for ts in changed]
    if values:
        conn.execute(update(table).where(keys).values(review=bindparam("r")), values)
    return changed


def flag_counts(conn: Connection) -> pd.DataFrame:
    """Per instrument and interval: how many bars carry each flag text and review (columns
    instrument_id, interval, flag, review, bars), for `status`."""
    table = schema.price_bars
    query = select(table.c.instrument_id, table.c.interval, table.c.flag, table.c.review,
                   func.count().label("bars")).where(table.c.flag.is_not(None) | table.c.review.is_not(None)) \
        .group_by(table.c.instrument_id, table.c.interval, table.c.flag, table.c.review)
    return pd.DataFrame(conn.execute(query).all(), columns=["instrument_id", "interval", "flag", "review", "bars"])


def has_bars(conn: Connection, instrument_ids: list[str], interval: str, start: datetime, end: datetime) -> bool:
    """Whether any of the instruments has a bar of `interval` in [start, end]."""
    table = schema.price_bars
    query = select(table.c.ts).where(table.c.instrument_id.in_(instrument_ids), table.c.interval == interval,
                                     table.c.ts >= to_epoch(start), table.c.ts <= to_epoch(end)).limit(1)
    return conn.execute(query).first() is not None
