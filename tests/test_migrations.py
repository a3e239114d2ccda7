"""Real schema migrations: a store left at an older version is brought forward, data intact."""

from __future__ import annotations

from sqlalchemy import inspect, text

from ingest.sources.base import Headline
from ingest.store import Store
from ingest.store.migrations import SCHEMA_VERSION
from tests.conftest import utc


def test_a_version_1_store_gains_the_backfill_table_and_the_snapshot_index(store_url):
    url = store_url
    store = Store.open(url)
    store.write_headlines([Headline(source="s", guid="g", title="Kept across the upgrade",
                                    published=utc(2022, 3, 1), fetched=utc(2022, 3, 1))])
    with store.engine.begin() as conn:   # what a version-1 store looked like
        conn.execute(text("DROP TABLE data_changes"))
        conn.execute(text("DROP TABLE news_backfill_slices"))
        conn.execute(text("DROP INDEX ix_ticker_snapshots_captured_at"))
        conn.execute(text("ALTER TABLE ticker_snapshots DROP COLUMN direction"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(url)
    inspector = inspect(upgraded.engine)
    assert SCHEMA_VERSION == 4
    assert inspector.has_table("news_backfill_slices") and inspector.has_table("data_changes")
    assert "ix_ticker_snapshots_captured_at" in {i["name"] for i in inspector.get_indexes("ticker_snapshots")}
    assert "direction" in {c["name"] for c in inspector.get_columns("ticker_snapshots")}
    with upgraded.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == "4"
    assert upgraded.headlines()["title"].tolist() == ["Kept across the upgrade"]
    assert upgraded.done_backfill_slices("gdelt", "oil") == []
    upgraded.close()


def test_a_version_2_store_gains_the_change_log_and_redraws_once(store_url):
    store = Store.open(store_url)
    for day in (1, 2):
        store.write_headlines([Headline(source="s", guid=f"g{day}", title=f"Story {day}",
                                        published=utc(2022, 3, day), fetched=utc(2022, 3, 5))])
    with store.engine.begin() as conn:   # what a version-2 store looked like
        conn.execute(text("DROP TABLE data_changes"))
        conn.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        assert inspect(upgraded.engine).has_table("data_changes")
        assert upgraded.data_version() == 2
        # what changed in versions 1 and 2 was not logged: a chart drawn then redraws
        assert upgraded.changed_since(1, utc(2030, 1, 1), None) is True
        assert upgraded.changed_since(2, None, None) is False
        upgraded.write_headlines([Headline(source="s", guid="g3", title="Story 3", published=utc(2022, 3, 3),
                                           fetched=utc(2022, 3, 5))])
        assert upgraded.changed_since(2, utc(2022, 3, 4), None) is False
        assert upgraded.changed_since(2, utc(2022, 3, 1), utc(2022, 3, 3)) is True
        assert upgraded.headlines()["title"].tolist() == ["Story 1", "Story 2", "Story 3"]
    finally:
        upgraded.close()
