"""The schema migration "plain, capped headline text" (version 9; self-contained, so that it can be
renumbered when migrations of other branches are merged): one transaction (migrations.migrate);
returns lines for the report.

1. The column headlines.text_truncated (false for every stored row).
2. Every stored title and summary made what ingest.headline_text stores today: plain text (markup
   that entity decoding let through, such as `<img src=x onerror=…>`, the content of xmp, textarea,
   iframe, noscript…, control and bidi override characters removed) cut to TITLE_CAP and
   SUMMARY_CAP characters, text_truncated set where it was cut. The rows changed get their
   normalised title and search entries with their text, and are queued for retagging (the next
   refresh or `newsmarks retag` knows the configured topics); a store answering a 15 MB title in
   every chart and table stops doing so here.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from ingest.headline_text import SUMMARY_CAP, TITLE_CAP, headline_text
from ingest.store import schema
from ingest.store.dialect import insert_ignore
from ingest.store.retagging import store_text
from ingest.store.runs import bump_data_version

CHUNK = 2000


def upgrade(conn: Connection) -> list[str]:
    """Add headlines.text_truncated and clean and cap every stored title and summary (see the
    module docstring); the report's lines."""
    kind = schema.headlines.c.text_truncated.type.compile(dialect=conn.dialect)
    false = "false" if conn.dialect.name == "postgresql" else "0"
    conn.execute(text(f"ALTER TABLE headlines ADD COLUMN text_truncated {kind} NOT NULL DEFAULT {false}"))
    cleaned, cut = _clean_stored_text(conn)
    if not cleaned:
        return []
    bump_data_version(conn)
    notes = [f"{cleaned:,} headlines' titles or summaries made plain text (markup, entities, control or bidi "
             "characters left in them removed or decoded); their tags are computed again by the next refresh or "
             "`newsmarks retag`"]
    if cut:
        notes.append(f"{cut:,} headlines' titles or summaries cut to {TITLE_CAP:,} and {SUMMARY_CAP:,} "
                     "characters, marked text_truncated")
    return notes


def _clean_stored_text(conn: Connection) -> tuple[int, int]:
    """Clean every stored headline's text, CHUNK rows at a time in id order; (rows changed, rows
    cut to a cap)."""
    table = schema.headlines
    cleaned = cut = 0
    after = 0
    while True:
        rows = conn.execute(select(table.c.id, table.c.title, table.c.summary).where(table.c.id > after)
                            .order_by(table.c.id).limit(CHUNK)).all()
        if not rows:
            return cleaned, cut
        changed, truncated = [], {}
        for row in rows:
            stored = (row.title, row.summary or "")
            clean = headline_text(*stored)
            if (clean.title, clean.summary) != stored:
                changed.append((row.id, clean.title, clean.summary))
                truncated[row.id] = clean.truncated
        store_text(conn, changed, truncated)
        insert_ignore(conn, schema.retag_queue, [{"headline_id": i} for i, _, _ in changed], ["headline_id"])
        cleaned += len(changed)
        cut += sum(truncated.values())
        after = rows[-1].id
