"""Refresh locks: never two refreshes of the same sources on one store at once, across
processes. Prices and feeds have a lock each, so a slow price refresh never holds up the feeds;
a refresh of everything takes both (always in the same order, so two never deadlock).

SQLite: OS file locks beside the database (filelock), released by the OS if the process dies.
Other databases: not yet implemented (PostgreSQL advisory locks arrive with the PostgreSQL store).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

import filelock
from sqlalchemy import Engine

from ingest.store.engine import sqlite_path


class LockBusy(Exception):
    """Another refresh holds the lock and did not release it within the wait."""


_memory_locks: dict[tuple[int, str], threading.Lock] = {}
_memory_guard = threading.Lock()


@contextmanager
def _one_lock(engine: Engine, name: str, wait_seconds: float) -> Iterator[None]:
    path = sqlite_path(engine)
    if path is not None:
        lock = filelock.FileLock(f"{path}.refresh-{name}.lock")
        try:
            lock.acquire(timeout=wait_seconds)
        except filelock.Timeout:
            raise LockBusy(f"another refresh of {name} is running on {path}") from None
        try:
            yield
        finally:
            lock.release()
        return
    if engine.dialect.name == "sqlite":
        with _memory_guard:
            lock_obj = _memory_locks.setdefault((id(engine), name), threading.Lock())
        if not lock_obj.acquire(timeout=wait_seconds):
            raise LockBusy(f"another refresh of {name} is running")
        try:
            yield
        finally:
            lock_obj.release()
        return
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
