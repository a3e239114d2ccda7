"""Load test of the dashboard on PostgreSQL (a script that prints figures, not a timed test).

    python tests/benchmarks/bench_load.py [--users 50] [--duration 60] [--workers 4] [--think 5.0]
        [--refresh-every 5s] [--headlines 300000] [--clients 2] [--pg-url URL] [--bench-db PATH]
        [--profile]

Setup (timed, not part of the load): the benchmark store of bench_chart.py (5 instruments x 10 y
daily + 2 y hourly bars, `--headlines` real-titled tagged headlines), filled once into a SQLite
file (`--bench-db`, reused while it holds exactly that data) and copied into PostgreSQL with
Store.copy_into: into a template database kept on the server (reused when it is a finished copy
of the same file), from which each run gets a fresh database, dropped at the end. Without
`--pg-url` (any database on the server to use; the script creates its own beside it) a throw-away
server is started with .ci/postgres and stopped at the end. Then `newsmarks schedule` runs as its
own process, refreshing prices and feeds every `--refresh-every` from loopback replays
(load_replay.py), and `gunicorn -w WORKERS app:server` serves the dashboard on 127.0.0.1.

Load: `--users` simulated users (load_client.py), threads spread over `--clients` processes, for
`--duration` seconds: each loads the page, then sends the main chart callback with varied views
(bench_chart.ViewMaker: presets, custom ranges, zooms, keywords, filters, % axis) and polls the
data version as the page does, with an exponential think time of mean `--think` s between
actions (5 s: a brisk analyst, a dozen views a minute each; `--think 1` is a stress test in
which 50 users ask for more chart redraws than 2 cores can draw). Everything stays on
loopback; every request has a timeout and the load phase a hard cap (duration + 120 s).
Gunicorn, the scheduler, the replays and PostgreSQL are stopped on exit and on Ctrl-C.

Report: setup times; requests, requests/s, p50/p95/p99/max latency overall and per kind (page,
layout, dependencies, poll, chart); the server's own time per request from gunicorn's access log
(client latency minus it = queueing); errors by kind with the first messages; CPU used by each
party (the client must not be the bottleneck); the scheduler's runs per unit with the verdict
"no refresh lost or doubled" (a run every interval, no duplicate rows, every published headline
stored once); the target verdicts: zero errors, p95 <= 300 ms. `--profile` then times chart_view
in-process on the same store, SQL statement by statement (load_profile.py).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import bench_chart  # noqa: E402
import load_checks as checks  # noqa: E402
from load_client import Spec, User, find_callback, run_client  # noqa: E402
from load_replay import GUID_PREFIX, Newsroom, start_price_fakes, write_config  # noqa: E402
from load_report import LoadResult, load_lines, refresh_lines, target_lines  # noqa: E402
from load_stores import postmaster_pid, prepare_stores, start_postgres  # noqa: E402

from dashboard.context import DashboardContext  # noqa: E402
from dashboard.state import ViewState  # noqa: E402
from ingest.config import Config, load_config  # noqa: E402
from ingest.config_sections import parse_duration  # noqa: E402
from ingest.sources import build_sources  # noqa: E402
from ingest.store import Store  # noqa: E402

CAP_EXTRA_S = 120.0       # the load phase's hard cap is duration + this
REQUEST_TIMEOUT_S = 30.0  # gunicorn's default worker timeout
SCHEDULER_LOG = {"maximum number of running instances reached": "skipped, still running",
                 "was missed by": "missed"}


def say(line: str = "") -> None:
    print(line, flush=True)


# -- processes ------------------------------------------------------------------------------

def stop_process(proc: subprocess.Popen, name: str, grace: float = 30.0) -> None:
    """SIGTERM the process's group (it has its own session); SIGKILL after `grace` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        say(f"  {name} did not stop within {grace:.0f} s: killed")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def start_process(stack: contextlib.ExitStack, cmd: list[str], env: dict, log: Path, name: str) -> subprocess.Popen:
    """Start `cmd` in its own session (output to `log`), stopped when the stack unwinds."""
    handle = stack.enter_context(open(log, "wb"))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    stack.callback(stop_process, proc, name)
    return proc


def wait_until(predicate, timeout: float, what: str) -> float:
    """Seconds until `predicate()` held; TimeoutError after `timeout`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not done after {timeout:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - started


def serving(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(url, timeout=2).status_code == 200
    return False


def refreshed_since(store: Store, units: int, since: float) -> bool:
    """Every unit has a finished refresh run that started at `since` (epoch s) or later."""
    runs = store.runs(limit=1000)
    recent = runs[(runs["job"] == "refresh") & (runs["status"] != "running")
                  & (runs["started"].map(lambda t: t.timestamp()) >= since)]
    return recent["source"].nunique() >= units


# -- stores ---------------------------------------------------------------------------------

# -- load -----------------------------------------------------------------------------------

def run_load(args, specs: list[Spec], pids: dict[str, int | None]) -> LoadResult:
    """Run the client processes until their deadline (hard cap: + CAP_EXTRA_S), measuring the CPU
    of every party over the same time."""
    pool = multiprocessing.get_context("spawn").Pool(len(specs))
    try:
        pending = pool.map_async(run_client, specs)
        time.sleep(max(0.0, specs[0].start_at - time.time()))
        cpu0 = {name: checks.cpu_of_tree(pid) for name, pid in pids.items()}
        own0, machine0, load0 = time.process_time(), checks.machine_cpu(), os.getloadavg()[0]
        outcomes = pending.get(timeout=args.duration + CAP_EXTRA_S + 5)
        cpu = {name: checks.cpu_of_tree(pid) - cpu0[name] for name, pid in pids.items() if pid is not None}
        busy, total = (after - before for after, before in zip(checks.machine_cpu(), machine0, strict=True))
        cpu["this script"] = time.process_time() - own0
    finally:
        pool.terminate()
        pool.join()
    records = [r for outcome in outcomes for r in outcome["records"]]
    cpu["clients"] = sum(outcome["cpu"] for outcome in outcomes)
    cpu["cores"] = os.cpu_count() or 0
    end = max((r[1] + r[2] for r in records), default=specs[0].deadline)
    return LoadResult(records, specs[0].start_at, end, cpu["clients"], len(specs),
                      sum(outcome["stuck"] for outcome in outcomes), cpu, busy / total if total else 0.0,
                      (load0, os.getloadavg()[0]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Services:
    """What runs beside the users: the replays, the scheduler and gunicorn, on one store."""

    config: Config
    store: Store
    units: dict[str, str]  # refresh unit key -> group
    newsroom: Newsroom
    scheduler: subprocess.Popen
    gunicorn: subprocess.Popen
    base_url: str
    logs: Path
    started: float  # epoch s, the scheduler's start


def start_services(stack: contextlib.ExitStack, args, store_url: str, workdir: Path, setup: list[str]) -> Services:
    """Start the loopback replays, write the config, start `newsmarks schedule` and gunicorn; wait
    until gunicorn serves and every refresh unit ran once (all stopped when the stack unwinds)."""
    every = parse_duration(args.refresh_every).total_seconds()
    cbr, yahoo = start_price_fakes(datetime.now(UTC), args.seed)
    stack.callback(cbr.stop)
    stack.callback(yahoo.stop)
    newsroom = Newsroom(bench_chart.load_titles(), publish_every=every / 2, seed=args.seed).start()
    stack.callback(newsroom.stop)
    logs = Path(tempfile.mkdtemp(prefix="newsmarks-load-logs-"))  # kept: the config, logs and access log
    config_path = write_config(logs / "newsmarks.toml", store_url, args.refresh_every, cbr, yahoo, newsroom)
    config = load_config(config_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMARKS_")}
    env.update(NEWSMARKS_CONFIG=str(config_path), HOME=str(workdir), PYTHONUNBUFFERED="1")
    store = Store.open(store_url)
    stack.callback(store.close)

    started = time.time()
    scheduler = start_process(stack, [str(ROOT / ".venv/bin/newsmarks"), "schedule"], env,
                              logs / "schedule.log", "newsmarks schedule")
    base_url = f"http://127.0.0.1:{free_port()}"
    gunicorn = start_process(stack, [
        str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", base_url.removeprefix("http://"),
        "--no-control-socket", "--access-logfile", str(logs / "access.log"),
        "--access-logformat", checks.ACCESS_LOG_FORMAT, "app:server"], env, logs / "gunicorn.log", "gunicorn")
    services = Services(config, store, {unit.key: unit.group for unit in build_sources(config)}, newsroom,
                        scheduler, gunicorn, base_url, logs, started)
    waited = wait_until(lambda: serving(base_url + "/"), 90, "gunicorn serving /")
    setup.append(f"gunicorn -w {args.workers} serving / after {waited:.1f} s")
    wait_until(lambda: refreshed_since(store, len(services.units), started - 1), 300, "the scheduler's first refresh")
    setup.append(f"newsmarks schedule: first refresh of all {len(services.units)} units done after "
                 f"{time.time() - started:.0f} s (catching up from the store's last bar to today)")
    for name, proc in (("gunicorn", gunicorn), ("newsmarks schedule", scheduler)):
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}: see {logs}")
    return services


def user_specs(args, services: Services) -> tuple[list[dict], Callable[[list[int], float, int], Spec]]:
    """The views the users go through (bench_chart.ViewMaker) and a maker of client specs."""
    deps = requests.get(services.base_url + "/_dash-dependencies", timeout=10).json()
    chart, poll = find_callback(deps, "nm-chart.figure"), find_callback(deps, "nm-data-version.data")
    ctx = DashboardContext(services.config)
    maker, kinds = bench_chart.ViewMaker(random.Random(args.seed), services.config, ctx), random.Random(args.seed)
    views = [vars(maker.make(kinds.choice(bench_chart.KINDS))) for _ in range(3000)]
    default = ViewState(instruments=tuple(ctx.default_instruments)).to_dict()

    def spec(users: list[int], start_at: float, seed: int) -> Spec:
        return Spec(services.base_url, users, views, default, chart, poll, args.think, start_at,
                    start_at + args.duration, REQUEST_TIMEOUT_S, seed)

    return views, spec


def warm_up(spec: Callable[[list[int], float, int], Spec], users: int) -> str:
    """Every worker opens its store and draws a few charts before the load (not counted)."""
    records: list = []
    started = time.perf_counter()
    threads = [threading.Thread(target=User(-1 - i, spec([], time.time(), 0), records, threading.Lock()).load_page)
               for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * REQUEST_TIMEOUT_S)
    if failed := [r for r in records if r[4]]:
        raise RuntimeError(f"warm-up requests failed: {failed[:3]}")
    return f"warm-up: {len(records)} requests from {users} users in {time.perf_counter() - started:.0f} s (not counted)"


def finish_refresh(services: Services, every: float, result: LoadResult) -> tuple[list[str], bool]:
    """Stop publishing, wait for one more full refresh, stop the scheduler and gunicorn, then
    judge the refresh runs and the stored headlines: report lines and whether none was lost or
    doubled."""
    published = services.newsroom.stop_publishing()
    stopped = time.time()
    wait_until(lambda: refreshed_since(services.store, len(services.units), stopped + 1), 3 * every + 60,
               "a full refresh after the last published headline")
    stop_process(services.scheduler, "newsmarks schedule")
    stop_process(services.gunicorn, "gunicorn")
    engine, log = services.store.engine, (services.logs / "schedule.log").read_text(errors="replace")
    runs = services.store.runs(limit=100_000)
    verdict = checks.check_refresh_runs(runs, every, result.start, result.end, services.units)
    stored = checks.stored_guids(engine, GUID_PREFIX)
    duplicates = checks.duplicate_keys(engine)
    lines = refresh_lines(verdict, every, result.end - result.start, published, stored, duplicates,
                          {label: log.count(needle) for needle, label in SCHEDULER_LOG.items()})
    started = runs["started"].map(lambda t: t.timestamp())
    since_start = runs[(runs["job"] == "refresh") & (started >= services.started - 1)]
    lines.append("every refresh run since the scheduler started: " + ", ".join(
        f"{status} {n}" for status, n in since_start["status"].value_counts().items()))
    published_guids = services.newsroom.guids
    for feed, lost in checks.missing_headlines(published_guids, checks.stored_guid_set(engine, GUID_PREFIX)).items():
        lines.append(f"  not stored: {len(lost)} of {len(published_guids[feed])} items of {feed}, published "
                     f"{lost[0][1] - result.start:+.0f} s .. {lost[-1][1] - result.start:+.0f} s from the load's start")
    ok = verdict.ok and stored == (published, published) and not any(duplicates.values())
    return lines, ok


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--think", type=float, default=5.0, help="mean think time between a user's actions (s)")
    parser.add_argument("--refresh-every", default="5s", help="the scheduler's prices and feeds interval")
    parser.add_argument("--headlines", type=int, default=300_000)
    parser.add_argument("--clients", type=int, default=2, help="client processes the users are spread over")
    parser.add_argument("--pg-url", help="any database on a PostgreSQL server to use (default: start a server)")
    parser.add_argument("--bench-db", default=str(Path(tempfile.gettempdir()) / "newsmarks-bench.db"))
    parser.add_argument("--profile", action="store_true", help="afterwards, time chart_view SQL statement by statement")
    parser.add_argument("--seed", type=int, default=11)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    every = parse_duration(args.refresh_every).total_seconds()

    def on_sigterm(*_):
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, on_sigterm)
    say(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with contextlib.ExitStack() as stack:  # unwinds on any exit, Ctrl-C and SIGTERM included
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="newsmarks-load-")))
        workdir.chmod(0o755)  # the PostgreSQL server runs as the `postgres` user when we are root
        setup: list[str] = []
        if args.pg_url:
            server_url = args.pg_url
        else:
            started = time.perf_counter()
            server_url = start_postgres(stack, workdir / "postgres")
            setup.append(f"PostgreSQL: throw-away server started in {time.perf_counter() - started:.0f} s "
                         "(.ci/postgres)")
        store_url, lines = prepare_stores(stack, args, server_url)
        setup += lines
        services = start_services(stack, args, store_url, workdir, setup)
        views, spec = user_specs(args, services)
        setup.append(warm_up(spec, 2 * args.workers))

        say(f"load: {args.users} users for {args.duration:g} s ...")
        start_at = time.time() + 5  # the client processes start meanwhile
        specs = [spec(list(range(i, args.users, args.clients)), start_at, args.seed + i) for i in range(args.clients)]
        result = run_load(args, specs, {"gunicorn": services.gunicorn.pid, "postgres": postmaster_pid(store_url),
                                        "scheduler": services.scheduler.pid})
        refresh, refresh_ok = finish_refresh(services, every, result)

        say("\n== setup (not part of the load) ==")
        for line in setup:
            say("  " + line)
        say()
        for line in load_lines(result, checks.read_access_log(str(services.logs / "access.log")), args.users,
                               args.think, args.workers, views):
            say(line)
        say(f"\n== scheduled refresh: `newsmarks schedule` as its own process, prices and feeds every "
            f"{args.refresh_every}, from loopback replays ==")
        for line in refresh:
            say(line)
        say()
        for line in target_lines(result.records, refresh_ok):
            say(line)
        say(f"(config, scheduler and gunicorn logs, access log: {services.logs})")
        if args.profile:
            from load_profile import profile_views
            say("\n== profile: where a chart callback's time goes (no load) ==")
            for line in profile_views(services.config, store_url, [bench_chart.View(**v) for v in views[:180]]):
                say(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
