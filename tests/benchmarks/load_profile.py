"""Where a chart callback's time goes (bench_load.py --profile): chart_view called in this
process on the load test's store, one view at a time (no concurrency), with every SQL statement
timed through SQLAlchemy's cursor events; then EXPLAIN ANALYZE of the slowest executions of the
statements that cost most. Server time without queueing, split into SQL and the rest."""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import time
from collections import defaultdict
from pathlib import Path

import bench_chart
import numpy as np
from sqlalchemy import event

from dashboard.context import DashboardContext
from ingest.config import Config
from ingest.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _key(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()


def profile_views(config: Config, url: str, views: list, explain: int = 3) -> list[str]:
    """Lines of a report on chart_view over `views` (bench_chart.View) against the store at `url`."""
    store = Store.open(url)
    ctx = DashboardContext(config, store)
    stats: dict[str, list] = defaultdict(list)  # statement -> [(ms, params)]
    current: list[float] = []

    def before(_conn, _cursor, _statement, _params, context, _many):
        context._load_started = time.perf_counter()

    def after(_conn, _cursor, statement, params, context, _many):
        elapsed = (time.perf_counter() - context._load_started) * 1000
        stats[_key(statement)].append((elapsed, params))
        current.append(elapsed)

    for view in views[:5]:  # warm-up, not counted
        bench_chart.call(ctx, view)
    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)
    rows: dict[str, list[tuple[float, float, float]]] = defaultdict(list)  # kind -> (total, sql, encode)
    try:
        for view in views:
            current.clear()
            timing = bench_chart.call(ctx, view)
            rows[view.kind].append((timing.ms, sum(current), timing.encode_ms))
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
        event.remove(store.engine, "after_cursor_execute", after)

    lines = [f"chart_view in one process, one call at a time, {len(views)} views (5 warm-up calls not counted):",
             f"  {'kind':<9} {'calls':>5} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'SQL p95':>8} "
             f"{'SQL share':>9} {'to_json p50':>11}"]
    every = [r for of_kind in rows.values() for r in of_kind]
    for kind, of_kind in [*sorted(rows.items()), ("overall", every)]:
        total, sql, encode = (np.array(column) for column in zip(*of_kind, strict=True))
        lines.append(f"  {kind:<9} {len(total):>5} {np.percentile(total, 50):>8.1f} {np.percentile(total, 95):>8.1f} "
                     f"{np.percentile(sql, 50):>8.1f} {np.percentile(sql, 95):>8.1f} "
                     f"{sql.sum() / total.sum():>9.0%} {np.percentile(encode, 50):>11.1f}")
    lines.append("  (to_json: Dash serialises the figure after the callback; not in the callback's time)")
    ranked = sorted(stats.items(), key=lambda item: -sum(ms for ms, _ in item[1]))
    lines.append("SQL statements by total time:")
    for statement, calls in ranked[:8]:
        ms = [m for m, _ in calls]
        lines.append(f"  {sum(ms):8.0f} ms total, {len(ms):4} calls, p50 {np.percentile(ms, 50):6.1f} ms, "
                     f"max {max(ms):6.1f} ms: {statement[:160]}{'...' if len(statement) > 160 else ''}")
    profiler = cProfile.Profile()
    profiler.enable()
    for view in views[:60]:
        bench_chart.call(ctx, view)
    profiler.disable()
    for title, order, restrict in (("project functions by cumulative time", "cumulative", r"/(dashboard|ingest)/"),
                                   ("all functions by own time", "tottime", None)):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(order)
        stats.print_stats(*([restrict, 12] if restrict else [12]))
        table = [line for line in out.getvalue().splitlines() if re.match(r"\s+\d", line)]
        lines.append(f"cProfile of {min(60, len(views))} calls, {title} (ncalls tottime percall cumtime percall):")
        lines.extend(f"  {re.sub(str(ROOT) + '/', '', line)[:150]}" for line in table)
    if store.engine.dialect.name == "postgresql":
        queries = [(st, calls) for st, calls in ranked if st.upper().startswith(("SELECT", "WITH"))]
        for statement, calls in queries[:explain]:
            slowest_ms, params = max(calls, key=lambda call: call[0])
            lines.append(f"EXPLAIN ANALYZE of its slowest call ({slowest_ms:.0f} ms): {statement[:100]}...")
            raw = store.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                plan = [row[0] for row in cursor.fetchall()]
                raw.rollback()
            finally:
                raw.close()
            lines.extend(f"    {line[:150]}{'...' if len(line) > 150 else ''}" for line in plan[:18])
            if len(plan) > 18:
                lines.append(f"    ... ({len(plan) - 18} more plan lines)")
    store.close()
    return lines
