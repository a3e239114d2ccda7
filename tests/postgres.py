"""Fresh PostgreSQL databases for the tests, on the server named by NEWSMARKS_TEST_POSTGRES_URL
(.ci/postgres starts one; .ci/run sets the variable).

Each test gets its own database, created from a template that the store's own migrate() set up
once per session (CREATE DATABASE ... TEMPLATE, about 25 ms; a fresh migrate() per test costs
three times that), and dropped after the test, connections and all."""

from __future__ import annotations

import itertools
import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from ingest.store import Store

POSTGRES_URL_ENV = "NEWSMARKS_TEST_POSTGRES_URL"
NOT_SET = f"CI must start PostgreSQL: {POSTGRES_URL_ENV} is not set"


def postgres_url_from_env() -> str | None:
    """The test server's URL, or None when no server was started for the tests."""
    return os.environ.get(POSTGRES_URL_ENV) or None


class PostgresDatabases:
    """Creates and drops the tests' databases on one server."""

    def __init__(self, url: str):
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ValueError(f"{POSTGRES_URL_ENV} is not a PostgreSQL URL: {url!r}")
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self._base: URL = parsed
        self._admin = create_engine(parsed, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._prefix = f"newsmarks_test_{os.getpid()}_"
        self._counter = itertools.count(1)
        self._made: set[str] = set()
        self.template = self._prefix + "template"
        with self._admin.connect() as conn:
            self._strategy = " STRATEGY FILE_COPY" if conn.dialect.server_version_info >= (15,) else ""
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        Store.open(self.url(self.template)).close()  # migrated by the store itself

    def url(self, database: str) -> str:
        """The URL of `database` on the test server."""
        return self._base.set(database=database).render_as_string(hide_password=False)

    def create(self, migrated: bool = True) -> str:
        """A new database holding an empty, migrated store (or nothing at all when not
        `migrated`); returns its name."""
        name = f"{self._prefix}{next(self._counter)}"
        template = f' TEMPLATE "{self.template}"{self._strategy}' if migrated else ""
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
        self._made.add(name)
        return name

    def drop(self, name: str) -> None:
        """Drop a test database, ending any connection a test left open."""
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._made.discard(name)

    def close(self) -> None:
        """Drop the template and any database a test did not drop."""
        for name in sorted(self._made):
            self.drop(name)
        self.drop(self.template)
        self._admin.dispose()
