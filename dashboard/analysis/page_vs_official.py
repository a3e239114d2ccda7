"""Page against official (pure): which official value each value a news page showed equals, how
late the page was, and by how much it differed.

A page's strip shows a value rounded to its own places (`$ 87.70`); the official series (the Bank
of Russia's rate, the Brent close) has more (`87.7040`), and each of its values became known at a
moment (`known`: the Bank of Russia's rate dated D at 17:00 Moscow on the business day before;
see ingest.close_rules). For each page value captured at C, among the official values of its
instrument known by C (newest first, the last LOOKBACK of them):

- `matched`: the newest one equal to the page value at the page's places (|official − page| ≤
  half a unit of the last place shown, PLACES = 2 by default);
- `lag` = C − the matched value's known time: how late the page showed it (at least this late —
  the page may have changed to it earlier, between two captures);
- `stale`: a newer official value was already known at C (the page still showed an older one);
- `difference` = page value − the matched value (the rounding), or − the newest known value when
  none matched (rounded to 6 places);
- `match`: "latest" (equals the newest value known), "older" (equals an older one: stale),
  "none" (equals none of them) or "no official" (no value of the instrument was known by C).

Provisional closes (known NaT: written before their bar closed) are never matched.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

PLACES = 2
LOOKBACK = 10
READ_BEFORE = timedelta(days=LOOKBACK + 10)   # official closes read before the first capture (weekends, holidays)
COLUMNS = ["captured_at", "source", "mark", "instrument_id", "value", "match", "official_ts", "official_known",
           "official_close", "lag", "difference", "latest_ts", "latest_known", "latest_close", "stale"]


def page_vs_official(snapshots: pd.DataFrame, closes: pd.DataFrame, places: int = PLACES,
                     lookback: int = LOOKBACK) -> pd.DataFrame:
    """One row per snapshot with an instrument (`snapshots`: captured_at, source, mark,
    instrument_id, value), in the snapshots' order, with COLUMNS (see the module docstring).
    `closes`: instrument_id, ts, known (UTC; NaT: provisional), close — the official series.
    `official_*` describe the matched value (NaT/NaN when none), `latest_*` the newest value
    known at the capture."""
    if places < 0 or lookback < 1:
        raise ValueError("places must be >= 0 and lookback >= 1")
    tolerance = 0.5 * 10.0 ** -places + 1e-9
    known = closes.dropna(subset=["known", "close"]).sort_values(["known", "ts"], kind="stable")
    series = {i: part for i, part in known.groupby("instrument_id", sort=False)}
    rows = []
    for snap in snapshots.itertuples(index=False):
        if not isinstance(snap.instrument_id, str):
            continue
        part = series.get(snap.instrument_id)
        seen = part[part["known"] <= snap.captured_at] if part is not None else None
        row = dict(captured_at=snap.captured_at, source=snap.source, mark=snap.mark, instrument_id=snap.instrument_id,
                   value=float(snap.value), match="no official", official_ts=pd.NaT, official_known=pd.NaT,
                   official_close=np.nan, lag=pd.NaT, difference=np.nan, latest_ts=pd.NaT, latest_known=pd.NaT,
                   latest_close=np.nan, stale=False)
        if seen is not None and len(seen):
            latest = seen.iloc[-1]
            row.update(latest_ts=latest["ts"], latest_known=latest["known"], latest_close=float(latest["close"]))
            recent = seen.iloc[::-1].iloc[:lookback]
            equal = recent[(recent["close"] - snap.value).abs() <= tolerance]
            if len(equal):
                hit = equal.iloc[0]
                newest = hit["known"] == latest["known"] and hit["ts"] == latest["ts"]
                row.update(match="latest" if newest else "older", official_ts=hit["ts"], official_known=hit["known"],
                           official_close=float(hit["close"]), lag=snap.captured_at - hit["known"],
                           difference=round(float(snap.value) - float(hit["close"]), 6), stale=not newest)
            else:
                row.update(match="none", difference=round(float(snap.value) - float(latest["close"]), 6))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("official_ts", "official_known", "latest_ts", "latest_known", "captured_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["lag"] = pd.to_timedelta(frame["lag"].astype(object)) if len(frame) else \
        pd.Series(dtype="timedelta64[ns]")
    frame["stale"] = frame["stale"].astype(bool)
    return frame


def official_span(snapshots: pd.DataFrame) -> tuple[datetime, datetime]:
    """The span of official daily closes the matching of `snapshots` (not empty) reads: from
    READ_BEFORE before the first capture to two days after the last (the Bank of Russia's rate
    for tomorrow is known today)."""
    return (snapshots["captured_at"].min().to_pydatetime() - READ_BEFORE,
            snapshots["captured_at"].max().to_pydatetime() + timedelta(days=2))


def duration_text(delta) -> str:
    """A lag as people say it: `45 min`, `2 h 30 min`, `1 d 1 h` (minutes dropped from a day on);
    `-` for none; a negative lag (a value shown before it was known) with a minus."""
    if delta is None or pd.isna(delta):
        return "-"
    minutes = int(pd.Timedelta(delta).total_seconds() // 60)
    sign, minutes = ("-", -minutes) if minutes < 0 else ("", minutes)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h" if hours else f"{sign}{days} d"
    if hours:
        return f"{sign}{hours} h {mins:02d} min" if mins else f"{sign}{hours} h"
    return f"{sign}{mins} min"


def describe(row, label: str, tz) -> str:
    """One row of `page_vs_official` in words, times in `tz` (a tzinfo or zone name), e.g.
    `equals USD/RUB (Bank of Russia) dated 2026-12-02, known 2026-12-01 17:00; shown 2 h 30 min
    after it became known (−0.0040: the page's rounding)`."""
    def when(moment) -> str:
        return f"{pd.Timestamp(moment).tz_convert(tz):%Y-%m-%d %H:%M}"

    if row.match == "no official":
        return f"no {label} value known by then"
    if row.match == "none":
        return (f"equals no {label} value of the last {LOOKBACK} known; {row.difference:+.4f} from the one dated "
                f"{pd.Timestamp(row.latest_ts):%Y-%m-%d}, known {when(row.latest_known)}")
    text = (f"equals {label} dated {pd.Timestamp(row.official_ts):%Y-%m-%d}, known {when(row.official_known)}; "
            f"shown {duration_text(row.lag)} after it became known ({row.difference:+.4f})")
    if row.stale:
        text += (f"; stale: the value dated {pd.Timestamp(row.latest_ts):%Y-%m-%d} was known since "
                 f"{when(row.latest_known)}")
    return text
