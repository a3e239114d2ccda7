"""The checks and measurements of bench_load.py that are not about the users: the scheduler's runs
(none lost, none doubled), duplicate rows, the published headlines stored exactly once, process
CPU from /proc, and the server-side request times from gunicorn's access log."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, select

from ingest.store import schema

GOOD_STATUSES = ("ok", "not_modified", "partial")
ACCESS_LOG_FORMAT = "%({x-load-id}i)s %(s)s %(D)s %(p)s"  # request id, status, microseconds, worker pid


@dataclass
class RefreshVerdict:
    """Per source unit: its runs in the window and what is wrong with them."""

    runs: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    group_seconds: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_refresh_runs(runs: pd.DataFrame, every: float, start: float, end: float,
                       units: dict[str, str]) -> RefreshVerdict:
    """Judge the refresh runs of each unit that started in [start, end] (epoch seconds): a run every
    `every` seconds (none missing, i.e. no gap over 1.5 intervals, also from `start` to the first
    and from the last to `end`; none doubled, i.e. no two starts within half an interval) and only
    good statuses. `runs` is Store.runs(): one row per unit run (times 1 s resolution).
    `units`: every unit key -> its group, in the order a group run runs them."""
    verdict = RefreshVerdict()
    runs = runs[runs["job"] == "refresh"].copy()
    runs["t0"] = runs["started"].map(lambda t: t.timestamp())
    runs["t1"] = runs["finished"].map(lambda t: t.timestamp() if pd.notna(t) else float("nan"))
    inside = runs[(runs["t0"] >= start) & (runs["t0"] <= end)]
    for source in units:
        of_unit = inside[inside["source"] == source].sort_values("t0")
        verdict.runs[source] = len(of_unit)
        starts = [start, *of_unit["t0"].tolist(), end]
        for before, after in zip(starts, starts[1:], strict=False):
            gap = after - before
            edge = before == start or after == end
            if gap > 1.5 * every + 1:  # +1: started is stored in whole seconds
                verdict.problems.append(f"{source}: no run for {gap:.0f} s (lost)"
                                        + (" at the window's edge" if edge else ""))
            elif not edge and gap < 0.5 * every - 1:
                verdict.problems.append(f"{source}: two runs {gap:.0f} s apart (doubled)")
        bad = of_unit[~of_unit["status"].isin(GOOD_STATUSES)]
        for row in bad.itertuples():
            verdict.problems.append(f"{source}: a run {row.status}" + (f" ({row.error})" if row.error else ""))
    first_units = {}
    for source, group in units.items():
        first_units.setdefault(group, source)
    for group, first_unit in first_units.items():
        # one group run: from a start of its first unit to the last finish before the next one
        of_group = inside[inside["source_group"] == group]
        firsts = sorted(of_group.loc[of_group["source"] == first_unit, "t0"])
        spans = []
        for begin, until in zip(firsts, [*firsts[1:], float("inf")], strict=True):
            ends = of_group.loc[(of_group["t0"] >= begin) & (of_group["t0"] < until), "t1"]
            spans.append(float(ends.max()) - begin)
        verdict.group_seconds[group] = spans
    return verdict


def duplicate_keys(engine: Engine) -> dict[str, int]:
    """Per table, how many natural keys occur more than once."""
    checks = {
        "headlines (source, guid)": (schema.headlines.c.source, schema.headlines.c.guid),
        "price_bars (instrument, interval, ts)": (schema.price_bars.c.instrument_id, schema.price_bars.c.interval,
                                                  schema.price_bars.c.ts),
        "ingest_runs (job, source, started)": (schema.ingest_runs.c.job, schema.ingest_runs.c.source,
                                               schema.ingest_runs.c.started),
    }
    found = {}
    with engine.connect() as conn:
        for name, keys in checks.items():
            doubled = select(*keys).group_by(*keys).having(func.count() > 1).subquery()
            found[name] = int(conn.execute(select(func.count()).select_from(doubled)).scalar())
    return found


def stored_guid_set(engine: Engine, prefix: str) -> set[str]:
    """The guids of the stored headlines whose guid starts with `prefix`."""
    table = schema.headlines
    with engine.connect() as conn:
        return set(conn.execute(select(table.c.guid).where(table.c.guid.like(prefix + "%"))).scalars())


def missing_headlines(published: dict[str, list[tuple[str, float]]], stored: set[str]) -> dict[str, list]:
    """Per feed, the published (guid, time) that are not stored, in publication order."""
    missing = {feed: [item for item in items if item[0] not in stored] for feed, items in published.items()}
    return {feed: items for feed, items in missing.items() if items}


def stored_guids(engine: Engine, prefix: str) -> tuple[int, int]:
    """(rows, distinct guids) of the headlines whose guid starts with `prefix`."""
    table = schema.headlines
    with engine.connect() as conn:
        row = conn.execute(select(func.count(), func.count(table.c.guid.distinct()))
                           .where(table.c.guid.like(prefix + "%"))).one()
    return int(row[0]), int(row[1])


# -- processes ------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    """Every live descendant of `pid`."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found.extend(kids)
        todo.extend(kids)
    return found


def cpu_of_tree(pid: int | None) -> float:
    """CPU seconds of a process and its live descendants."""
    return 0.0 if pid is None else sum(process_cpu(p) for p in [pid, *children(pid)])


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


# -- gunicorn's access log ------------------------------------------------------------------

def read_access_log(path: str) -> dict[str, tuple[int, float, int]]:
    """Request id -> (status, server milliseconds, worker pid), for the requests the users tagged."""
    found = {}
    with open(path, errors="replace") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 4 and parts[0] != "-":
                found[parts[0]] = (int(parts[1]), int(parts[2]) / 1000, int(parts[3].strip("<>")))
    return found
