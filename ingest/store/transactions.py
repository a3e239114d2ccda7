"""The store's transactions: `Transactions` holds the engine and opens the read and write
transactions that every group of Store's methods (price_access, headline_access, ...) runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine


class Transactions:
    """The engine and its transactions; Store (ingest.store) is built on it."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection in a read transaction (one consistent state of the store, on PostgreSQL too)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(newsmarks_read=True)
            with conn.begin():
                yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection in a write transaction (takes the store's write lock up front: one writer
        at a time, on SQLite and PostgreSQL alike)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(newsmarks_write=True)
            with conn.begin():
                yield conn
