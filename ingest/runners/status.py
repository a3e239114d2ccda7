"""The `status` report: per source unit, its last run and what the store holds (pure over
store reads)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from ingest.config import Config
from ingest.records import INTERVALS, HostBackoff
from ingest.sources import UNIT_GROUPS, build_sources
from ingest.sources.base import PriceSource
from ingest.sources.host_breakers import until_text
from ingest.store import Store

FLAGGED_WIDTH = 18


def _when(value) -> str:
    if value is None:
        return "-"
    import pandas as pd

    stamp = pd.Timestamp(value, unit="s", tz="UTC") if isinstance(value, int) else pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M")


def status_rows(store: Store, config: Config) -> list[dict]:
    """One dict per source unit (configured ones first, then ones only seen in past runs). A
    price unit's `flagged` says how many of its bars are bad (kept out of returns) and how many
    carry a warning (`7 bad, 397 ohlc`; '-' for none); other units' is empty."""
    runs = store.latest_runs()
    bars = {(r.instrument_id, r.interval): r for r in store.bar_extents().itertuples()}
    heads = {r.source: r for r in store.headline_extents().itertuples()}
    flagged = flag_summaries(store.flag_counts())
    rows = []
    units = build_sources(config, groups=UNIT_GROUPS)
    keys = [u.key for u in units]
    for unit in units:
        if isinstance(unit, PriceSource):
            extent = bars.get((unit.instrument.id, unit.interval))
            row = _row(unit.key, runs.get(unit.key), extent, configured=True)
            row["flagged"] = flagged.get((unit.instrument.id, unit.interval), "-")
        else:   # a feed's headlines are under its name, a watched page's under its key
            extent = heads.get(unit.feed.name) if unit.group == "feeds" else heads.get(unit.key)
            row = _row(unit.key, runs.get(unit.key), extent, configured=True)
        rows.append(row)
    for key in sorted(set(runs) - set(keys)):
        on_demand = _on_demand(key)
        price = _price_key(key) if not on_demand else None
        extent = bars.get(price) if price is not None else _on_demand_extent(key, heads)
        row = _row(key, runs[key], extent, configured=False) | {"on_demand": on_demand}
        if price is not None:
            row["flagged"] = flagged.get(price, "-")
        rows.append(row)
    return rows


def _price_key(key: str) -> tuple[str, str] | None:
    """(instrument, interval) of a price unit's key ('yahoo:brent:1d'), else None."""
    parts = key.split(":")
    if len(parts) == 3 and parts[0] in ("yahoo", "cbr") and parts[2] in INTERVALS:
        return parts[1], parts[2]
    return None


def flag_summaries(counts) -> dict[tuple[str, str], str]:
    """Per (instrument, interval), from Store.flag_counts(): '7 bad, 397 ohlc' — the bars kept out
    of returns (by their flags or a user's review), the other bars with a warning flag, and the
    bars a user's review:good keeps in although their flags say bad."""
    from ingest.bar_quality import is_bad

    totals: dict[tuple[str, str], list[int]] = {}
    for instrument_id, interval, flag, review, bars in counts[
            ["instrument_id", "interval", "flag", "review", "bars"]].itertuples(index=False):
        flag = flag if isinstance(flag, str) and flag else None
        review = review if isinstance(review, str) and review else None
        total = totals.setdefault((instrument_id, interval), [0, 0, 0])
        if is_bad(flag, review):
            total[0] += int(bars)
            continue
        if flag and "ohlc" in flag.split(","):
            total[1] += int(bars)
        if review == "good" and is_bad(flag):
            total[2] += int(bars)
    out = {}
    for key, (bad, warned, kept) in totals.items():
        parts = [f"{bad:,} bad"] if bad else []
        parts += [f"{warned:,} ohlc"] if warned else []
        parts += [f"{kept:,} good by review"] if kept else []
        out[key] = ", ".join(parts) or "-"
    return out


def migration_lines(report: dict | None) -> list[str]:
    """What the latest migration that changed data did, for the status report:
    `schema v6 (migrated 2026-12-02 08:30 UTC): 938 duplicate daily bars merged ...`, one note a
    line (the later ones aligned under the first); none without notes."""
    if not report or not report.get("notes"):
        return []
    head = f"schema v{report.get('version', '?')} (migrated {report.get('at', '?')}): "
    return [(head if i == 0 else " " * len(head)) + str(note) for i, note in enumerate(report["notes"])]


def _on_demand(key: str) -> bool:
    """Units run by a command rather than the schedule: the GDELT history backfill ('gdelt') and
    saved news pages ('page:<site or file>')."""
    return key == "gdelt" or key.startswith("page:")


def _on_demand_extent(key: str, heads: dict):
    """What the store holds of an on-demand unit: its headlines (GDELT's under 'gdelt:<domain>')."""
    if key.startswith("page:"):
        return heads.get(key)
    if key != "gdelt":
        return None
    parts = [r for source, r in heads.items() if source.startswith("gdelt:")]
    if not parts:
        return None
    return SimpleNamespace(last=max(r.last for r in parts), rows=sum(int(r.rows) for r in parts))


def _row(key: str, run: dict | None, extent, configured: bool) -> dict:
    return dict(
        source=key,
        configured=configured,
        last_run=_when(run["started"]) if run else "never",
        result=run["status"] if run else "-",
        new=run["new_rows"] if run else 0,
        error=(run["error"] or "") if run else "",
        newest=_when(extent.last) if extent is not None else "-",
        rows=int(extent.rows) if extent is not None else 0,
    )


def status_lines(store: Store, config: Config, now: datetime | None = None) -> list[str]:
    """The status report as text lines: the store, its row counts, what the latest migration did
    (when it left notes), then a line per source unit, then the hosts left alone until after
    `now` (default: the clock)."""
    counts = store.counts()
    lines = [
        f"store: {store.engine.url.render_as_string(hide_password=True)}",
        f"rows: {counts['price_bars']} price bars, {counts['headlines']} headlines, "
        f"{counts['ticker_snapshots']} ticker snapshots",
        *migration_lines(store.migration_report()),
        "",
        f"{'source':<32} {'last run (UTC)':<16}  {'result':<12} {'new':>6}  {'newest (UTC)':<16} {'rows':>8}  "
        f"{'flagged':<{FLAGGED_WIDTH}}  error",
    ]
    for row in status_rows(store, config):
        name = row["source"] + ("" if row["configured"] else
                                " (on demand)" if row.get("on_demand") else " (not configured)")
        lines.append(f"{name:<32} {row['last_run']:<16}  {row['result']:<12} {row['new']:>6}  "
                     f"{row['newest']:<16} {row['rows']:>8}  {row.get('flagged', ''):<{FLAGGED_WIDTH}}  "
                     f"{row['error']}".rstrip())
    if config.pages:
        lines += ["", "page strips (the last stored; a strip is stored again only when it changed):"]
        lines += [strip_line(page.key, store.last_strip(page.key)) for page in config.pages]
    lines += backoff_lines(store.host_backoffs(), now or datetime.now(UTC))
    return lines


def backoff_lines(backoffs: dict[str, HostBackoff], now: datetime) -> list[str]:
    """The hosts left alone after 429 / 5xx answers and when they may be tried again (those
    whose time has come are tried by the next refresh, and say nothing)."""
    waiting = sorted((b for b in backoffs.values() if b.until > now), key=lambda b: (b.until, b.host))
    if not waiting:
        return []
    lines = ["", "hosts left alone after 429 / 5xx answers (their units are recorded rate-limited, not tried):"]
    for b in waiting:
        runs = "1 run" if b.failures == 1 else f"{b.failures} runs in a row"
        lines.append(f"  {b.host:<40} may be tried again at {until_text(b.until)} ({b.reason}; {runs})")
    return lines


def strip_line(source: str, snapshots) -> str:
    """One page's last stored strip: `page:TASS  2024-05-01 12:00 UTC (fetch)  $ 87.70 -0.69,
    € 95.44 -0.89, BR 90.06 +0.64%`; `none stored` when it has none."""
    if not snapshots:
        return f"{source:<32} none stored"
    first = snapshots[0]
    items = ", ".join(_item(s) for s in sorted(snapshots, key=lambda s: _MARK_ORDER.get(s.mark, 9)))
    return f"{source:<32} {first.captured_at:%Y-%m-%d %H:%M} UTC ({first.captured_from})  {items}"


_MARK_ORDER = {"$": 0, "€": 1, "BR": 2}
_ARROWS = {1: "↑", -1: "↓", 0: "→"}


def _number(value: float) -> str:
    """A value as a page shows it: two decimals at least, four at most (`87.70`, `57.4918`)."""
    text = f"{value:.4f}".rstrip("0")
    decimals = len(text.split(".")[1])
    return f"{value:.{max(2, decimals)}f}"


def _item(snapshot) -> str:
    text = f"{snapshot.mark} {_number(snapshot.value)}"
    if snapshot.change is not None:
        text += f" {'+' if snapshot.change > 0 else ''}{_number(snapshot.change)}"
    elif snapshot.change_pct is not None:
        text += f" {'+' if snapshot.change_pct > 0 else ''}{_number(snapshot.change_pct)}%"
    elif snapshot.direction is not None:
        text += f" {_ARROWS[snapshot.direction]}"
    return text
