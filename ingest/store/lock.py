"""The refresh lock: never two refreshes on one store at once, across processes.

SQLite: an OS file lock beside the database (filelock), released by the OS if the process dies.
Other databases: not yet implemented (PostgreSQL advisory locks arrive with the PostgreSQL store).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import filelock
from sqlalchemy import Engine

from ingest.store.engine import sqlite_path


class LockBusy(Exception):
    """Another refresh holds the lock and did not release it within the wait."""


_memory_locks: dict[int, threading.Lock] = {}


@contextmanager
def refresh_lock(engine: Engine, wait_seconds: float) -> Iterator[None]:
    """Hold the store's refresh lock, waiting up to `wait_seconds`; raise LockBusy otherwise."""
    path = sqlite_path(engine)
    if path is not None:
        lock = filelock.FileLock(str(path) + ".refresh.lock")
        try:
            lock.acquire(timeout=wait_seconds)
        except filelock.Timeout:
            raise LockBusy(f"another refresh is running on {path} (waited {wait_seconds:g}s)") from None
        try:
            yield
        finally:
            lock.release()
        return
    if engine.dialect.name == "sqlite":
        lock_obj = _memory_locks.setdefault(id(engine), threading.Lock())
        if not lock_obj.acquire(timeout=wait_seconds):
            raise LockBusy(f"another refresh is running (waited {wait_seconds:g}s)")
        try:
            yield
        finally:
            lock_obj.release()
        return
    raise NotImplementedError(f"the refresh lock is not implemented for {engine.dialect.name}")
