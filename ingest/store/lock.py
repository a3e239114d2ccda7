"""Refresh locks: never two refreshes of the same sources on one store at once, across
processes. Prices and feeds have a lock each, so a slow price refresh never holds up the feeds;
a refresh of everything takes both (always in the same order, so two never deadlock).

SQLite: OS file locks beside the database (filelock), released by the OS if the process dies.
PostgreSQL: session-level advisory locks held on a connection of their own for as long as the
refresh runs. They live in the server, so they work across hosts, and the server releases them
when the holder's connection ends (a killed process, a lost host).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

import filelock
from sqlalchemy import Engine, func, select

from ingest.store.engine import advisory_key, describe_database, sqlite_path

POLL_SECONDS = 0.1
log = logging.getLogger(__name__)


class LockBusy(Exception):
    """Another refresh holds the lock and did not release it within the wait."""


_memory_locks: dict[tuple[int, str], threading.Lock] = {}
_memory_guard = threading.Lock()


def _busy(engine: Engine, name: str) -> LockBusy:
    return LockBusy(f"another refresh of {name} is running on {describe_database(engine)}")


@contextmanager
def _file_lock(engine: Engine, name: str, wait_seconds: float) -> Iterator[None]:
    lock = filelock.FileLock(f"{sqlite_path(engine)}.refresh-{name}.lock")
    try:
        lock.acquire(timeout=wait_seconds)
    except filelock.Timeout:
        raise _busy(engine, name) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _memory_lock(engine: Engine, name: str, wait_seconds: float) -> Iterator[None]:
    with _memory_guard:
        lock_obj = _memory_locks.setdefault((id(engine), name), threading.Lock())
    if not lock_obj.acquire(timeout=wait_seconds):
        raise LockBusy(f"another refresh of {name} is running")
    try:
        yield
    finally:
        lock_obj.release()


@contextmanager
def _advisory_lock(engine: Engine, name: str, wait_seconds: float) -> Iterator[None]:
    """A PostgreSQL session advisory lock on a connection of its own (autocommit: no transaction
    stays open while the refresh runs), tried every POLL_SECONDS until `wait_seconds` passed."""
    key = advisory_key(f"refresh:{name}")
    deadline = time.monotonic() + wait_seconds
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        while not conn.execute(select(func.pg_try_advisory_lock(key))).scalar():
            if time.monotonic() >= deadline:
                raise _busy(engine, name)
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        try:
            yield
        finally:
            try:
                conn.execute(select(func.pg_advisory_unlock(key)))
            except Exception:  # a broken connection: closing the session releases the lock too
                log.warning("could not release the refresh lock of %s; closing its connection", name,
                            exc_info=True)
                conn.invalidate()
    finally:
        conn.close()


def _one_lock(engine: Engine, name: str, wait_seconds: float):
    if sqlite_path(engine) is not None:
        return _file_lock(engine, name, wait_seconds)
    if engine.dialect.name == "sqlite":
        return _memory_lock(engine, name, wait_seconds)
    if engine.dialect.name == "postgresql":
        return _advisory_lock(engine, name, wait_seconds)
    raise NotImplementedError(f"the refresh lock is not implemented for {engine.dialect.name}")


@contextmanager
def refresh_lock(engine: Engine, wait_seconds: float, names: Iterable[str] = ("feeds", "prices")) \
        -> Iterator[None]:
    """Hold the refresh locks `names`, waiting up to `wait_seconds` in all; raise LockBusy
    (saying how long it waited) otherwise."""
    deadline = time.monotonic() + wait_seconds
    with ExitStack() as held:
        for name in sorted(set(names)):
            try:
                held.enter_context(_one_lock(engine, name, max(0.0, deadline - time.monotonic())))
            except LockBusy as exc:
                raise LockBusy(f"{exc} (waited {wait_seconds:g}s)") from None
        yield
