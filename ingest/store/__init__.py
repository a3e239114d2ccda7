"""The store: the only place with SQL. `Store.open(url)` creates or migrates the schema and
returns the one data-access object every command and the dashboard use. Its methods come in
groups, one module each: price_access, headline_access, run_access and repair_access, all
running in the transactions of ingest.store.transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from ingest.records import HeadlineFilter
from ingest.store.copy import CopyError, TableCopy, copy_store
from ingest.store.engine import StoreMissing, check_store_file, make_engine, url_without_password
from ingest.store.headline_access import HeadlineAccess
from ingest.store.lock import LockBusy, refresh_lock
from ingest.store.migrations import SCHEMA_VERSION, SchemaError, current_version, migrate
from ingest.store.price_access import PriceAccess
from ingest.store.repair_access import RepairAccess
from ingest.store.run_access import RunAccess, UnitWrite
from ingest.store.write_counts import NO_ROWS, WriteCounts

__all__ = ["Store", "ReadOnlyStore", "HeadlineFilter", "make_engine", "LockBusy", "SchemaError", "WriteCounts",
           "SCHEMA_VERSION", "CopyError", "TableCopy", "NO_ROWS", "StoreMissing", "UnitWrite"]


class Store(RunAccess, PriceAccess, HeadlineAccess, RepairAccess):
    """Data access for newsmarks. Every write is one transaction: it lands whole or not at all."""

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Store:
        """Open (creating or migrating) the store at a SQLAlchemy URL. With `create` False (the
        commands that only read), a store that does not exist — no SQLite file, a database without
        newsmarks' tables — raises StoreMissing and nothing is created."""
        if not create:
            check_store_file(url)
        engine = make_engine(url, create=create)
        if not create:
            with engine.connect() as conn:
                empty = current_version(conn) is None
            if empty:
                engine.dispose()
                raise StoreMissing(f"no store in {url_without_password(url)}: the database holds no newsmarks "
                                   "tables (check [store] url or NEWSMARKS_DB; a refresh or an import creates "
                                   "the store)")
        migrate(engine)
        return cls(engine)

    def copy_into(self, target: Store, source_name: str,
                  progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
        """Copy this store into `target` (empty, or a partial copy of this one), resumable and
        verified by counts (see ingest.store.copy); `source_name` is this store's URL without
        password. Raises CopyError."""
        return copy_store(self.engine, target.engine, source_name, progress)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    @contextmanager
    def consistent_read(self) -> Iterator[Store]:
        """A read-only view of the store whose reads all share one read transaction: one
        connection and one consistent state for several reads (a chart's bars, counts and
        headlines agree with each other, and cost one transaction instead of one each). Writing
        through it raises ReadOnlyStore."""
        with self.reading() as conn:
            yield _ConsistentReadStore(self.engine, conn)

    def refresh_lock(self, wait_seconds: float, groups: tuple[str, ...] = ("prices", "feeds")):
        """Context manager holding the cross-process refresh locks of `groups`; raises LockBusy."""
        return refresh_lock(self.engine, wait_seconds, groups)


class ReadOnlyStore(Exception):
    """A write was attempted through Store.consistent_read()."""


class _ConsistentReadStore(Store):
    """Store.consistent_read(): every read on the one connection of an open read transaction."""

    def __init__(self, engine: Engine, conn: Connection):
        super().__init__(engine)
        self._conn = conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        yield self._conn

    @contextmanager
    def consistent_read(self) -> Iterator[Store]:
        yield self

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        raise ReadOnlyStore("this is a read-only consistent read of the store: write through the Store itself")
        yield  # pragma: no cover  (makes this a generator)

    def close(self) -> None:
        raise ReadOnlyStore("a consistent read does not own the store's connections: close the Store itself")
