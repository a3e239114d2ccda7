"""CSV bytes for the dashboard's download buttons (pure).

Every file is UTF-8 with a byte-order mark (so Excel shows Cyrillic), `\\n` line ends and the
csv module's minimal quoting (`ingest.csvio.csv_safety.write_csv`). Text cells (and header names that
come from data) go through `ingest.csvio.csv_safety.neutralise_cell`, so a spreadsheet never runs them
as formulas; numbers are written as numbers (`format_number`: the shortest text that reads back
as the same float, integral values without `.0`, NaN as an empty cell), so a negative move stays
`-1.5`. Times are ISO 8601 to the second in the display zone, with its offset
(`2022-03-01T03:00:00+03:00`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from dashboard.analysis.time_columns import format_times
from ingest.csvio.csv_safety import format_number, neutralise_cell, write_csv

DOWNLOAD_KINDS = ("prices", "headlines", "joined")
HEADLINE_COLUMNS = ["time", "source", "title", "link", "summary", "topics"]
_BOM = "\ufeff"


def _check_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {tz!r} (expected an IANA name such as 'UTC' or "
                         f"'Europe/Moscow')") from None
    return tz


def local_iso(times: pd.Series, tz: str) -> list[str]:
    """ISO 8601 times to the second in zone `tz`, with the offset (`2022-03-01T03:00:00+03:00`);
    an empty string for NaT. The times must be tz-aware."""
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"times must be tz-aware, got dtype {times.dtype}")
    text = format_times(times, ZoneInfo(_check_zone(tz)), "%Y-%m-%dT%H:%M:%S%z")
    return [f"{t[:-2]}:{t[-2:]}" if t is not None else "" for t in text]


def _text(value) -> str:
    """A text cell: neutralised; None/NaN empty; a list or tuple (e.g. topics) joined by ';'."""
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return neutralise_cell(str(value))


def _require(frame: pd.DataFrame, what: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks column(s) {', '.join(missing)}")


def _encode(header: list[str], rows) -> bytes:
    return (_BOM + write_csv(header, rows)).encode("utf-8")


def prices_csv(bars: pd.DataFrame, labels: Mapping[str, str] | None = None, tz: str = "UTC") -> bytes:
    """Closes as a wide CSV: header `time_<tz>` then one column per instrument id; one row per
    timestamp (ascending) at which any instrument has a bar; an empty cell where an instrument
    has none. Columns: the instruments present in `bars`, in the order of `labels`' keys when
    given (instruments not in `labels` after them), else in order of first appearance.
    bars: columns instrument_id, ts (tz-aware), close; one bar per instrument and time."""
    _require(bars, "bars", ("instrument_id", "ts", "close"))
    _check_zone(tz)
    present = list(pd.unique(bars["instrument_id"].to_numpy()))
    ids = [i for i in (labels or {}) if i in present] + [i for i in present if i not in (labels or {})]
    if not isinstance(bars["ts"].dtype, pd.DatetimeTZDtype):
        raise ValueError(f"bars.ts must be tz-aware, got dtype {bars['ts'].dtype}")
    frame = pd.DataFrame({"instrument_id": bars["instrument_id"].to_numpy(),
                          "ts": bars["ts"].dt.tz_convert("UTC").dt.as_unit("ns").to_numpy("datetime64[ns]"),
                          "close": pd.to_numeric(bars["close"]).astype("float64").to_numpy()})
    if frame["ts"].isna().any():
        raise ValueError("bars have a missing time (NaT)")
    duplicated = frame.duplicated(["instrument_id", "ts"])
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise ValueError(f"bars have more than one close for {first['instrument_id']} at {first['ts']} "
                         "(pass one interval per instrument)")
    wide = frame.pivot(index="ts", columns="instrument_id", values="close").sort_index()
    wide = wide.reindex(columns=ids)
    times = local_iso(wide.index.tz_localize("UTC").to_series(), tz)
    cells = [[format_number(v) for v in wide[i].tolist()] for i in ids]
    header = [f"time_{tz}", *(neutralise_cell(str(i)) for i in ids)]
    return _encode(header, zip(times, *cells, strict=True))


def _headline_rows(headlines: pd.DataFrame, tz: str) -> list[list[str]]:
    _require(headlines, "headlines", ("published", "title"))
    n = len(headlines)
    columns = [local_iso(headlines["published"], tz)]
    for name in HEADLINE_COLUMNS[1:]:
        values = headlines[name].tolist() if name in headlines.columns else [None] * n
        columns.append([_text(v) for v in values])
    return [list(row) for row in zip(*columns, strict=True)]


def headlines_csv(headlines: pd.DataFrame, tz: str = "UTC") -> bytes:
    """Headlines as CSV `time,source,title,link,summary,topics`, in the frame's order.
    headlines: columns published (tz-aware) and title; source, link, summary and topics (a
    ';'-joined string, or a list) are optional (empty cells)."""
    return _encode(HEADLINE_COLUMNS, _headline_rows(headlines, tz))


def joined_csv(headlines: pd.DataFrame, moves: pd.DataFrame, tz: str = "UTC") -> bytes:
    """Headlines (as in `headlines_csv`) followed by their moves: the `move_*` columns of
    `moves` (the output of `dashboard.analysis.moves.moves_after`), matched on `id`, as percent numbers —
    an empty cell where there is no move (never 0: an average taken over the column skips it)
    or for a headline missing from `moves` — and, when `moves` has them, each `why_*` column
    after its move (why the move is empty: "no hourly data", "no close within 1d", ...)."""
    _require(headlines, "headlines", ("id",))
    _require(moves, "moves", ("id",))
    if moves["id"].duplicated().any():
        raise ValueError(f"moves have duplicate id {moves['id'][moves['id'].duplicated()].tolist()[0]!r}")
    move_columns = [c for c in moves.columns if c != "id"]
    matched = moves.set_index("id").reindex(headlines["id"].to_numpy())
    rows = _headline_rows(headlines, tz)
    for column in move_columns:
        text = column.startswith("why_")
        for row, value in zip(rows, matched[column].tolist(), strict=True):
            row.append(_text(value) if text else format_number(value))
    header = HEADLINE_COLUMNS + [neutralise_cell(str(c)) for c in move_columns]
    return _encode(header, rows)


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise ValueError(f"expected a date, got {value!r}")
    return value.isoformat()


def download_name(kind: str, start: date | datetime | None, end: date | datetime | None) -> str:
    """File name of a download: `newsmarks-<kind>-<start>-to-<end>.csv` (dates as YYYY-MM-DD;
    `-from-<start>` / `-to-<end>` / `-all` when a side is open). kind: prices, headlines, joined."""
    if kind not in DOWNLOAD_KINDS:
        raise ValueError(f"unknown download kind {kind!r} (known: {', '.join(DOWNLOAD_KINDS)})")
    first, last = _day(start), _day(end)
    if first and last:
        span = f"{first}-to-{last}"
    elif first:
        span = f"from-{first}"
    elif last:
        span = f"to-{last}"
    else:
        span = "all"
    return f"newsmarks-{kind}-{span}.csv"
