"""Full-text search: the search-box syntax parsed once (pure), rendered per dialect.

Syntax: words are ANDed (`Syria talks`), `OR` between words or phrases gives alternatives
(`Lavrov OR Kerry`), double quotes make a phrase (`"oil output"`), a trailing `*` a prefix
(`sanction*`). Matching is case-insensitive; anything else is taken literally, never as
search-engine syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection

_TOKEN = re.compile(r'"([^"]*)"?(\*?)|(\S+)')


@dataclass(frozen=True)
class Term:
    """A word or phrase; `prefix` when it ended in '*'."""

    text: str
    prefix: bool = False


def parse_search(query: str | None) -> list[list[Term]]:
    """Parse a search box query into AND-ed groups of OR-ed terms; [] means no filter."""
    if not query:
        return []
    groups: list[list[Term]] = []
    pending_or = False
    for match in _TOKEN.finditer(query):
        phrase, phrase_star, word = match.groups()
        if word is not None and word == "OR":
            pending_or = bool(groups)
            continue
        if word is not None:
            prefix = word.endswith("*")
            text = word.rstrip("*")
        else:
            text, prefix = phrase or "", bool(phrase_star)
        words = re.findall(r"\w+", text)
        if not words:
            continue
        term = Term(" ".join(words), prefix)
        if pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    return groups


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
        tokenize='unicode61 remove_diacritics 2')""",
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


def create_fts(conn: Connection) -> None:
    """Create the full-text index and the triggers that keep it in sync (SQLite)."""
    if conn.dialect.name != "sqlite":
        raise NotImplementedError(f"full-text search is not implemented for {conn.dialect.name}")
    for statement in SQLITE_FTS_DDL:
        conn.exec_driver_sql(statement)
