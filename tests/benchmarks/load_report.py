"""The report of bench_load.py: the users' requests (throughput, latency per kind, the server's own
time from gunicorn's access log, errors), the CPU each party used, the scheduler's runs and the
target verdicts. Each function returns lines."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from load_checks import RefreshVerdict

KINDS = ("page", "layout", "dependencies", "poll", "chart")
TARGET_P95_MS = 300.0


@dataclass(frozen=True)
class LoadResult:
    """What the load phase measured. records: load_client.Record tuples of every user request."""

    records: list[tuple]
    start: float  # epoch s, the users' start
    end: float    # epoch s, the last answer
    client_cpu: float
    clients: int
    stuck_threads: int
    cpu: dict[str, float]  # party -> CPU seconds during the load
    machine_busy: float    # share of the machine's CPU time that was busy during the load
    load_average: tuple[float, float]  # the 1-minute load average when the users started and at the end


def _cols(values_ms: list[float]) -> str:
    if not values_ms:
        return f"{'-':>7} {'-':>7} {'-':>7} {'-':>7}"
    p50, p95, p99 = np.percentile(values_ms, [50, 95, 99])
    return f"{p50:7.0f} {p95:7.0f} {p99:7.0f} {max(values_ms):7.0f}"


def p95_ms(records: list[tuple], kind: str | None = None) -> float:
    values = [r[2] * 1000 for r in records if kind is None or r[0] == kind]
    return float(np.percentile(values, 95)) if values else float("nan")


def load_lines(result: LoadResult, access: dict[str, tuple[int, float, int]], users: int, think: float,
               workers: int, views: list[dict]) -> list[str]:
    records, span = result.records, result.end - result.start
    lines = [f"== load: {users} users in {result.clients} client processes, think time exponential with mean "
             f"{think:g} s, gunicorn -w {workers} (sync), {span:.1f} s from the first request to the last answer ==",
             f"requests: {len(records):,} answered or failed -> {len(records) / span:.1f} requests/s "
             f"({sum(r[0] == 'chart' for r in records) / span:.1f} chart callbacks/s)",
             f"client-side latency (ms)   {'count':>6} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
             f"{'errors':>6}"]
    for kind in (*KINDS, None):
        of_kind = [r for r in records if kind is None or r[0] == kind]
        lines.append(f"  {kind or 'all requests':<24} {len(of_kind):>6} {len(of_kind) / span:>6.1f} "
                     f"{_cols([r[2] * 1000 for r in of_kind])} {sum(bool(r[4]) for r in of_kind):>6}")

    matched = [(r, access[r[7]]) for r in records if r[7] in access]
    lines.append(f"server time (gunicorn access log, {len(matched):,} of {len(records):,} requests matched; "
                 "the worker's time from reading the request to sending the answer) and queueing "
                 "(client latency minus server time: waiting for a free worker, plus the transfer):")
    lines.append(f"  {'':<24} {'':>6} {'':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
    for kind in ("chart", "poll", None):
        pairs = [(r, a) for r, a in matched if kind is None or r[0] == kind]
        name = kind or "all requests"
        lines.append(f"  {name + ', server':<24} {len(pairs):>6} {'':>6} {_cols([a[1] for _, a in pairs])}")
        lines.append(f"  {name + ', queueing':<24} {len(pairs):>6} {'':>6} "
                     f"{_cols([max(0.0, r[2] * 1000 - a[1]) for r, a in pairs])}")
    lines.append("chart callbacks by view (ms)   count  client p50  p95    server p50  p95")
    for what in sorted({r[8] for r, _ in matched if r[0] == "chart"}):
        pairs = [(r, a) for r, a in matched if r[0] == "chart" and r[8] == what]
        client, server = [r[2] * 1000 for r, _ in pairs], [a[1] for _, a in pairs]
        lines.append(f"  {what:<27} {len(pairs):>6} {np.percentile(client, 50):>7.0f} {np.percentile(client, 95):>6.0f}"
                     f"    {np.percentile(server, 50):>7.0f} {np.percentile(server, 95):>6.0f}")
    slowest = sorted(((r, a) for r, a in matched if r[0] == "chart"), key=lambda pair: -pair[1][1])[:5]
    if slowest and views:
        lines.append("slowest chart callbacks by server time:")
        for r, a in slowest:
            view = views[r[9]] if r[9] >= 0 else None
            state = {k: v for k, v in view["state"].items() if v} if view else "the default view"
            lines.append(f"  {a[1]:7.0f} ms server, {r[2] * 1000:7.0f} ms client  {r[8]:<8} {state}"
                         + (f" zoom {view['relayout']}" if view and view["relayout"] else ""))
    per_worker = Counter(a[2] for _, a in matched)
    lines.append("requests per gunicorn worker: " + ", ".join(f"pid {p}: {n}" for p, n in sorted(per_worker.items())))
    sizes = [r[6] for r in records if r[0] == "chart" and not r[4]]
    if sizes:
        lines.append(f"chart answer size: p50 {np.percentile(sizes, 50) / 1e3:.0f} kB, max {max(sizes) / 1e3:.0f} kB")

    errors: dict[str, list[tuple]] = defaultdict(list)
    for r in records:
        if r[4]:
            errors[f"{r[0]}: {r[4]}"].append(r)
    lines.append(f"errors: {sum(len(v) for v in errors.values())}")
    for name, of_kind in sorted(errors.items(), key=lambda item: -len(item[1])):
        lines.append(f"  {len(of_kind):>5} x {name}")
        for r in of_kind[:3]:
            lines.append(f"          after {r[2]:.1f} s: {r[5][:160]!r}")
    if result.stuck_threads:
        lines.append(f"  {result.stuck_threads} user threads were still running at the hard cap")

    lines.append(f"CPU during the load ({span:.0f} s; the machine has {result.cpu.get('cores', 0):.0f} cores; "
                 f"core-seconds and average cores busy):")
    for party in ("gunicorn", "postgres", "scheduler", "clients", "this script"):
        if party in result.cpu:
            seconds = result.cpu[party]
            lines.append(f"  {party:<12} {seconds:7.1f} core-s  {seconds / span:5.2f} cores")
    cores = result.cpu.get("cores", 1) or 1
    ours = sum(result.cpu.get(p, 0.0) for p in ("gunicorn", "postgres", "scheduler", "clients", "this script"))
    lines.append(f"  load average (1 min) {result.load_average[0]:.1f} when the users started, "
                 f"{result.load_average[1]:.1f} at the end")
    lines.append(f"  other processes on the machine: {max(0.0, result.machine_busy * cores - ours / span):.2f} cores")
    lines.append(f"  whole machine busy {result.machine_busy:.0%} of its CPU time"
                 + ("  <- saturated: the latency above is mostly waiting for a core" if result.machine_busy > 0.9
                    else ""))
    return lines


def refresh_lines(verdict: RefreshVerdict, every: float, span: float, published: int, stored: tuple[int, int],
                  duplicates: dict[str, int], log_counts: dict[str, int]) -> list[str]:
    lines = [f"runs per unit that started during the load (expected about {span / every:.0f} each):"]
    lines += [f"  {', '.join(f'{u} {n}' for u, n in list(verdict.runs.items())[i:i + 4])}"
              for i in range(0, len(verdict.runs), 4)]
    for group, spans in sorted(verdict.group_seconds.items()):
        if spans:
            lines.append(f"one {group} refresh (all its units, whole seconds): p50 {np.percentile(spans, 50):.0f} s, "
                         f"max {max(spans):.0f} s over {len(spans)} runs")
    lines.append("APScheduler log: " + ", ".join(f"{n} x '{what}'" for what, n in log_counts.items()))
    rows, distinct = stored
    lines.append(f"headlines published by the replay: {published}; stored: {rows} rows, {distinct} distinct guids")
    lines.append("duplicate natural keys: " + ", ".join(f"{name} {n}" for name, n in duplicates.items()))
    for problem in verdict.problems[:12]:
        lines.append(f"  problem: {problem}")
    if len(verdict.problems) > 12:
        lines.append(f"  ... and {len(verdict.problems) - 12} more problems")
    return lines


def target_lines(records: list[tuple], refresh_ok: bool) -> list[str]:
    errors = sum(bool(r[4]) for r in records)
    overall, chart = p95_ms(records), p95_ms(records, "chart")
    verdict = {True: "met", False: "MISSED"}
    return ["== targets ==",
            f"zero errors: {verdict[errors == 0]} ({errors} errors)",
            f"p95 <= {TARGET_P95_MS:.0f} ms: {verdict[overall <= TARGET_P95_MS]} (all requests {overall:.0f} ms; "
            f"chart callbacks {chart:.0f} ms)",
            f"no refresh lost or doubled: {verdict[refresh_ok]}"]
