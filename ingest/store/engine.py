"""Engine factory. SQLite gets WAL, a busy timeout, foreign keys and write transactions that take
the write lock up front (BEGIN IMMEDIATE), so concurrent writers queue instead of failing.
PostgreSQL gets the same discipline: a write transaction first takes a transaction-scoped
advisory lock (one writer at a time, as on SQLite, so read-then-write steps such as story linking
and change counting stay exact), and the store's read transactions see one consistent state
(REPEATABLE READ, READ ONLY), as a SQLite reader does."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 10
ADVISORY_NAMESPACE = "newsmarks"


def advisory_key(purpose: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for `purpose` (e.g. 'write',
    'refresh:feeds'), derived from the newsmarks namespace so other applications' keys never collide
    by accident."""
    digest = hashlib.blake2b(f"{ADVISORY_NAMESPACE}:{purpose}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


WRITE_LOCK_KEY = advisory_key("write")


def url_without_password(url: str) -> str:
    """A store URL fit for messages and logs: the password shown as ***."""
    return make_url(url).render_as_string(hide_password=True)


class StoreMissing(Exception):
    """A command that only reads was pointed at a store that does not exist (it creates none)."""


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite store URL; None for other databases and in-memory or URI ones."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def check_store_file(url: str) -> None:
    """StoreMissing when `url` names a SQLite file that does not exist (nothing is created)."""
    path = _sqlite_file(url)
    if path is not None and not path.exists():
        raise StoreMissing(f"no store at {path}: the file does not exist (check [store] url or NEWSMARKS_DB; "
                           "a refresh or an import creates the store)")


def make_engine(url: str, create: bool = True) -> Engine:
    """Create an engine for a SQLAlchemy URL: SQLite (a file's folder is created first, unless
    `create` is False) or PostgreSQL (`postgresql://` means the psycopg driver)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return _postgres_engine(parsed)
    if backend != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    path = _sqlite_file(url)
    if path is not None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("newsmarks_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgres_engine(url: URL) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is what newsmarks installs
    connect_args = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    if "application_name" not in url.query:
        connect_args["application_name"] = "newsmarks"
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # psycopg prepares a statement on the server after 5 runs, and PostgreSQL then soon
        # switches it to one generic plan for every parameter value: for a time range that plan
        # walks the whole time index of a long keyword view. Planning each run for its own values
        # costs little (docs/performance.md).
        # No parallel workers: the store's queries are short index walks, and many run at once
        # (a team's dashboard); a worker process costs more to start than it saves, and competes
        # for the cores other users' requests need (bench_load.py measures it).
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_connection.commit()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        options = conn.get_execution_options()
        if options.get("newsmarks_write", False):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
        elif options.get("newsmarks_read", False):
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    return engine


def is_sqlite(engine: Engine) -> bool:
    """True for SQLite engines."""
    return engine.dialect.name == "sqlite"


def sqlite_path(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for memory databases and other dialects)."""
    if not is_sqlite(engine):
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def describe_database(engine: Engine) -> str:
    """Where the store lives, for messages: the SQLite file, or 'the PostgreSQL database NAME at
    HOST:PORT' (never the password)."""
    path = sqlite_path(engine)
    if path is not None:
        return str(path)
    url = engine.url
    if engine.dialect.name == "postgresql":
        where = f" at {url.host}" + (f":{url.port}" if url.port else "") if url.host else ""
        return f"the PostgreSQL database {url.database}{where}"
    return url.render_as_string(hide_password=True)
