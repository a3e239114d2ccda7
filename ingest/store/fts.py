"""Full-text search: the search box's query (parsed once by ingest.search_query) rendered per
dialect (SQLite FTS5; PostgreSQL tsvector/tsquery through pg_search, with the same words and the
same results)."""

from __future__ import annotations

from sqlalchemy import Connection, false, text

from ingest.search_query import Term
from ingest.store.pg_search import (
    FTS5_TOKENIZE,
    create_search,
    ensure_search,
    fill_missing,
    matching_ids,
    missing_count,
    phrase_query,
    write_documents,
)


def to_fts5(groups: list[list[Term]]) -> str:
    """Render parsed groups as an FTS5 MATCH expression (every term quoted)."""
    def render(term: Term) -> str:
        quoted = '"' + term.text.replace('"', '""') + '"'
        return quoted + ("*" if term.prefix else "")

    parts = []
    for group in groups:
        alternatives = [render(t) for t in group]
        parts.append(alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")")
    return " AND ".join(parts)


SQLITE_FTS_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS headlines_fts USING fts5(
        title, summary, content='headlines', content_rowid='id',
        tokenize='""" + FTS5_TOKENIZE + """')""",
    """CREATE TRIGGER IF NOT EXISTS headlines_fts_ai AFTER INSERT ON headlines BEGIN
        INSERT INTO headlines_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END""",
    """CREATE TRIGGER IF NOT EXISTS headlines_fts_ad AFTER DELETE ON headlines BEGIN
        INSERT INTO headlines_fts(headlines_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title, old.summary);
    END""",
    """CREATE TRIGGER IF NOT EXISTS headlines_fts_au AFTER UPDATE OF title, summary ON headlines BEGIN
        INSERT INTO headlines_fts(headlines_fts, rowid, title, summary)
        VALUES ('delete', old.id, old.title, old.summary);
        INSERT INTO headlines_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END""",
]


def to_tsquery(groups: list[list[Term]]) -> str | None:
    """Render parsed groups as PostgreSQL tsquery text with the same meaning as to_fts5 (words cut
    by the same tokenizer, see pg_search); None when nothing can match (a group whose every
    term has no words, as FTS5 finds nothing for an empty phrase)."""
    parts = []
    for group in groups:
        phrases = [p for p in phrase_query([t.text for t in group], [t.prefix for t in group]) if p]
        if not phrases:
            return None
        parts.append(phrases[0] if len(phrases) == 1 else "(" + " | ".join(phrases) + ")")
    return " & ".join(parts)


def search_condition(conn: Connection, id_column, groups: list[list[Term]]):
    """The condition 'the headline whose id is `id_column` matches the search `groups`'."""
    if conn.dialect.name == "sqlite":
        matching = text("SELECT rowid FROM headlines_fts WHERE headlines_fts MATCH :match") \
            .bindparams(match=to_fts5(groups))
        return id_column.in_(matching)
    if conn.dialect.name == "postgresql":
        tsquery = to_tsquery(groups)
        return id_column.in_(matching_ids(tsquery)) if tsquery is not None else false()
    raise NotImplementedError(f"full-text search is not implemented for {conn.dialect.name}")


def create_fts(conn: Connection) -> None:
    """Create the full-text index and what keeps it in sync: on SQLite the FTS5 table and its
    triggers, on PostgreSQL the search table (filled from the headlines already stored; the
    store's writes keep it current)."""
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_FTS_DDL:
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        create_search(conn)
    else:
        raise NotImplementedError(f"full-text search is not implemented for {conn.dialect.name}")


def index_headlines(conn: Connection, rows: list[tuple[int, str, str]]) -> None:
    """Bring the full-text index up to date for new or changed headlines (id, title, summary):
    on PostgreSQL the store writes the documents; on SQLite the triggers already did."""
    if conn.dialect.name == "postgresql":
        write_documents(conn, rows)


def unindexed_count(conn: Connection) -> int:
    """How many headlines the full-text index lacks (0 on SQLite, without a query: its triggers
    never miss one)."""
    return missing_count(conn) if conn.dialect.name == "postgresql" else 0


def index_missing(conn: Connection, limit: int | None = None) -> int:
    """Index (up to `limit`) headlines the full-text index lacks (rows written around the store's
    writes); returns how many. SQLite's triggers never miss one: 0 there, and no query."""
    if not unindexed_count(conn):
        return 0
    return fill_missing(conn, limit)


def ensure_index(conn: Connection) -> None:
    """On opening an existing store: make the full-text index whole (PostgreSQL: create it if the
    store predates it, index headlines written around the store); SQLite's triggers need nothing."""
    if conn.dialect.name == "postgresql":
        ensure_search(conn)
