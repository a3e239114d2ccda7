"""The `status` report: per source unit, its last run and what the store holds (pure over
store reads)."""

from __future__ import annotations

from types import SimpleNamespace

from ingest.config import Config
from ingest.sources import build_sources
from ingest.sources.base import PriceSource
from ingest.store import Store


def _when(value) -> str:
    if value is None:
        return "-"
    import pandas as pd

    stamp = pd.Timestamp(value, unit="s", tz="UTC") if isinstance(value, int) else pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M")


def status_rows(store: Store, config: Config) -> list[dict]:
    """One dict per source unit (configured ones first, then ones only seen in past runs)."""
    runs = store.latest_runs()
    bars = {(r.instrument_id, r.interval): r for r in store.bar_extents().itertuples()}
    heads = {r.source: r for r in store.headline_extents().itertuples()}
    rows = []
    units = build_sources(config)
    keys = [u.key for u in units]
    for unit in units:
        if isinstance(unit, PriceSource):
            extent = bars.get((unit.instrument.id, unit.interval))
        else:
            extent = heads.get(unit.feed.name)
        rows.append(_row(unit.key, runs.get(unit.key), extent, configured=True))
    for key in sorted(set(runs) - set(keys)):
        row = _row(key, runs[key], _on_demand_extent(key, heads), configured=False)
        rows.append(row | {"on_demand": _on_demand(key)})
    return rows


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


def status_lines(store: Store, config: Config) -> list[str]:
    """The status report as text lines."""
    counts = store.counts()
    lines = [
        f"store: {store.engine.url.render_as_string(hide_password=True)}",
        f"rows: {counts['price_bars']} price bars, {counts['headlines']} headlines, "
        f"{counts['ticker_snapshots']} ticker snapshots",
        "",
        f"{'source':<32} {'last run (UTC)':<16}  {'result':<12} {'new':>6}  {'newest (UTC)':<16} {'rows':>8}  error",
    ]
    for row in status_rows(store, config):
        name = row["source"] + ("" if row["configured"] else
                                " (on demand)" if row.get("on_demand") else " (not configured)")
        lines.append(f"{name:<32} {row['last_run']:<16}  {row['result']:<12} {row['new']:>6}  "
                     f"{row['newest']:<16} {row['rows']:>8}  {row['error']}".rstrip())
    return lines
