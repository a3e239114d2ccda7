"""Full-text search on PostgreSQL that finds exactly what SQLite's FTS5 finds.

The words of titles and summaries are cut and folded by the very tokenizer the SQLite store
indexes with (FTS5 unicode61, diacritics removed), run in-process through Python's sqlite3 on an
in-memory table; PostgreSQL stores them as a `tsvector` (table headlines_search, a GIN index) and
matches a `tsquery` built from the same parsed search. The server's own parser and dictionaries
are never involved, so its locale and text-search configuration cannot change a result.

Positions: title words from 1, summary words after a gap of one, so a phrase never spans the two
(as in FTS5, whose columns are separate). PostgreSQL caps positions at 16383 and keeps at most 256
positions per word: in a summary longer than that, single words still match but phrases may not.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Integer, bindparam, column, func, inspect, select, table, text
from sqlalchemy.dialects.postgresql import TSVECTOR

from ingest.store import schema
from ingest.store.dialect import upsert

FTS5_TOKENIZE = "unicode61 remove_diacritics 2"  # the SQLite store's tokenizer (fts.SQLITE_FTS_DDL)
MAX_LEXEME_BYTES = 2046      # PostgreSQL's limit for one word of a tsvector
MAX_DOCUMENT_BYTES = 900_000  # below the 1 MB limit of one tsvector (words past it are left out)
MAX_POSITION, MAX_POSITIONS = 16383, 256  # PostgreSQL's largest position, and positions kept per word
FILL_CHUNK = 2000

POSTGRES_SEARCH_DDL = [
    """CREATE TABLE IF NOT EXISTS headlines_search (
        headline_id INTEGER PRIMARY KEY REFERENCES headlines (id) ON DELETE CASCADE,
        document TSVECTOR NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_headlines_search_document ON headlines_search USING GIN (document)",
]


search_table = table("headlines_search", column("headline_id", Integer), column("document", TSVECTOR))


def _quote(token: str) -> str:
    """A word as a tsvector/tsquery literal."""
    if "'" in token or "\\" in token:
        token = token.replace("\\", "\\\\").replace("'", "''")
    return f"'{token}'"


def tokenize(texts: Sequence[tuple[str, str]]) -> list[list[tuple[str, int]]]:
    """For each (title, summary): its words as FTS5 indexes them, with positions (title from 1,
    summary after a gap of one)."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE VIRTUAL TABLE doc USING fts5(title, summary, tokenize='{FTS5_TOKENIZE}')")
        db.execute("CREATE VIRTUAL TABLE doc_words USING fts5vocab(doc, instance)")
        db.executemany("INSERT INTO doc(rowid, title, summary) VALUES (?, ?, ?)",
                       [(i, title, summary) for i, (title, summary) in enumerate(texts)])
        title_words: dict[int, int] = dict(db.execute(
            "SELECT doc, count(*) FROM doc_words WHERE col = 'title' GROUP BY doc"))
        words: list[list[tuple[str, int]]] = [[] for _ in texts]
        for doc, col, term, offset in db.execute("SELECT doc, col, term, offset FROM doc_words"):
            start = 1 if col == "title" else title_words.get(doc, 0) + 2
            words[doc].append((term, start + offset))
    finally:
        db.close()
    for item in words:
        item.sort(key=lambda word: word[1])
    return words


def document(words: Iterable[tuple[str, int]]) -> str:
    """The text form of a tsvector of (word, position) pairs."""
    positions: dict[str, list[str]] = {}
    size = 0
    for word, position in words:
        known = positions.get(word)
        if known is not None:
            if len(known) < MAX_POSITIONS:
                known.append(str(min(position, MAX_POSITION)))
            continue
        length = len(word.encode())
        if length > MAX_LEXEME_BYTES or size + length > MAX_DOCUMENT_BYTES:
            continue
        size += length + 8
        positions[word] = [str(min(position, MAX_POSITION))]
    return " ".join(f"{_quote(word)}:{','.join(places)}" for word, places in positions.items())


def phrase_query(texts: Sequence[str], prefix: Sequence[bool]) -> list[str | None]:
    """Each search term as a tsquery phrase of its FTS5 words (`'oil' <-> 'output'`, a trailing
    `:*` for a prefix); None for a term without words (FTS5 matches nothing for it)."""
    phrases: list[str | None] = []
    for words, is_prefix in zip(tokenize([(t, "") for t in texts]), prefix, strict=True):
        if not words:
            phrases.append(None)
            continue
        quoted = [_quote(word) for word, _ in words]
        if is_prefix:
            quoted[-1] += ":*"
        phrases.append(" <-> ".join(quoted))
    return phrases


def write_documents(conn: Connection, rows: Sequence[tuple[int, str, str]]) -> None:
    """Write (or rewrite) the search documents of headlines given as (id, title, summary)."""
    if not rows:
        return
    docs = tokenize([(title, summary or "") for _, title, summary in rows])
    values = [{"headline_id": hid, "document": document(words)} for (hid, _, _), words in zip(rows, docs, strict=True)]
    upsert(conn, search_table, values, ["headline_id"])


def create_search(conn: Connection) -> None:
    """Create the search table and its GIN index (headlines already stored are indexed by
    `fill_missing`, chunk by chunk, outside this transaction)."""
    for statement in POSTGRES_SEARCH_DDL:
        conn.exec_driver_sql(statement)


def ensure_search(conn: Connection) -> None:
    """On opening a store: create the search table if the store predates it. Filling it is not
    done here — opening must stay quick (a dashboard worker opens the store on its first request):
    the refresh job calls Store.index_missing, one committed chunk at a time."""
    if not inspect(conn).has_table("headlines_search"):
        create_search(conn)


def missing_count(conn: Connection) -> int:
    """How many headlines have no search document (two index-only counts)."""
    count = select(func.count()).select_from
    return max(conn.execute(count(schema.headlines)).scalar() - conn.execute(count(search_table)).scalar(), 0)


def fill_missing(conn: Connection, limit: int | None = None) -> int:
    """Write the search documents of headlines that have none (rows that reached the table other
    than through the store's writes, e.g. a bulk copy) — at most `limit` of them (None: all);
    returns how many."""
    headlines = schema.headlines
    missing = ~select(search_table.c.headline_id).where(search_table.c.headline_id == headlines.c.id).exists()
    after, done = 0, 0
    while True:
        rows = conn.execute(select(headlines.c.id, headlines.c.title, headlines.c.summary)
                            .where(headlines.c.id > after, missing).order_by(headlines.c.id)
                            .limit(FILL_CHUNK)).all()
        if not rows:
            return done
        write_documents(conn, [tuple(r) for r in rows])
        after, done = rows[-1].id, done + len(rows)
        if limit is not None and done >= limit:
            return done


def matching_ids(tsquery: str):
    """A subquery of the ids of headlines matching a tsquery text."""
    return text("SELECT headline_id FROM headlines_search WHERE document @@ CAST(:tsquery AS tsquery)") \
        .bindparams(bindparam("tsquery", tsquery))
