"""The stores of bench_load.py: a throw-away PostgreSQL server (.ci/postgres), the benchmark store
filled once into a SQLite file (bench_chart.fill) and copied into a template database on the
server (Store.copy_into), and a fresh database per run made from that template."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import bench_chart
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from ingest.config import Config
from ingest.store import Store

ROOT = Path(__file__).resolve().parents[2]


def start_postgres(stack: contextlib.ExitStack, folder: Path) -> str:
    """A throw-away server (.ci/postgres), stopped when the stack unwinds: its URL."""
    script = ["bash", str(ROOT / ".ci" / "postgres")]
    stack.callback(subprocess.run, [*script, "stop", str(folder)], capture_output=True, timeout=120)
    done = subprocess.run([*script, "start", str(folder)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f".ci/postgres start failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip()


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's pid when it runs on this machine and its data folder is readable
    (for its CPU time), else None."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            folder = conn.execute(text("SHOW data_directory")).scalar()
        return int((Path(folder) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError, SQLAlchemyError):
        return None
    finally:
        engine.dispose()


def prepare_stores(stack: contextlib.ExitStack, args, server_url: str) -> tuple[str, list[str]]:
    """Fill (or reuse) the SQLite benchmark store, copy it into the server's template database
    (or reuse that), create this run's database from it (dropped when the stack unwinds).
    Returns the run database's URL and lines for the report."""
    config, lines = Config(), []
    instrument_ids = [i.id for i in config.instruments]
    source_url = f"sqlite:///{Path(args.bench_db).resolve()}"
    bench = Store.open(source_url)
    if bench_chart.store_has_data(bench, args.headlines, instrument_ids):
        lines.append(f"benchmark store: reusing {args.bench_db}")
    elif bench.counts()["headlines"]:
        raise SystemExit(f"{args.bench_db} holds other data: remove it or pick another --bench-db")
    else:
        print(f"filling {args.bench_db} with bench_chart.fill ({args.headlines:,} headlines) ...", flush=True)
        started = time.perf_counter()
        bench_chart.fill(bench, config, args.headlines, seed=7)
        lines.append(f"benchmark store: filled {args.bench_db} in {time.perf_counter() - started:.0f} s")

    server = make_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    template, run_db = f"newsmarks_load_template_{args.headlines}", f"newsmarks_load_run_{os.getpid()}"
    template_url = server.set(database=template).render_as_string(hide_password=False)
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": template}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{template}"'))
    started = time.perf_counter()
    target = Store.open(template_url)  # writes missing search documents (see below)
    if time.perf_counter() - started > 2:
        lines.append(f"PostgreSQL: opening the template database took {time.perf_counter() - started:.0f} s")
    with target.engine.connect() as conn:
        copied_from = conn.execute(text("SELECT value FROM meta WHERE key = 'copied_from'")).scalar()
    if copied_from == source_url and bench_chart.store_has_data(target, args.headlines, instrument_ids):
        lines.append(f"PostgreSQL: reusing the template database {template} (a finished copy of it)")
    else:
        if copied_from != source_url:  # a copy of another file, or something else: start afresh
            target.close()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{template}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{template}"'))
            target = Store.open(template_url)
        print(f"copying it into the PostgreSQL database {template} (Store.copy_into) ...", flush=True)
        started = time.perf_counter()
        bench.copy_into(target, source_url)
        lines.append(f"PostgreSQL: copied it into the template database {template} in "
                     f"{time.perf_counter() - started:.0f} s (Store.copy_into)")
        # the first Store.open of a copy writes the full-text search documents of every headline
        # (ingest/store/pg_search.ensure_search): done here once, not by the first gunicorn worker
        target.close()
        started = time.perf_counter()
        target = Store.open(template_url)
        lines.append(f"PostgreSQL: the first Store.open of the copy took {time.perf_counter() - started:.0f} s "
                     "(it writes any search documents the copy lacks)")
    # a freshly copied table has no planner statistics and no visibility map yet (index-only scans
    # then read the heap); autovacuum would get there in time; the load test wants the steady state
    started = time.perf_counter()
    with target.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    lines.append(f"PostgreSQL: VACUUM (ANALYZE) of the template in {time.perf_counter() - started:.0f} s")
    target.close()
    bench.close()
    started = time.perf_counter()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{run_db}" TEMPLATE "{template}"'))
        size = conn.execute(text("SELECT pg_database_size(:n)"), {"n": run_db}).scalar()

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{run_db}" WITH (FORCE)'))

    stack.callback(drop)
    lines.append(f"this run's database {run_db}: created from the template in "
                 f"{time.perf_counter() - started:.1f} s ({size / 1e6:.0f} MB)")
    return server.set(database=run_db).render_as_string(hide_password=False), lines
