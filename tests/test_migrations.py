"""Real schema migrations: a store left at an older version is brought forward, data intact."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, text

from ingest.sources.base import Headline
from ingest.store import HeadlineFilter, Store
from ingest.store.migrations import SCHEMA_VERSION
from tests.conftest import utc


def test_a_version_1_store_gains_the_backfill_table_and_the_snapshot_index(store_url):
    url = store_url
    store = Store.open(url)
    store.write_headlines([Headline(source="s", guid="g", title="Kept across the upgrade",
                                    published=utc(2022, 3, 1), fetched=utc(2022, 3, 1))])
    with store.engine.begin() as conn:   # what a version-1 store looked like
        conn.execute(text("DROP TABLE headline_days"))
        conn.execute(text("DROP TABLE data_changes"))
        conn.execute(text("DROP TABLE news_backfill_slices"))
        conn.execute(text("DROP INDEX ix_ticker_snapshots_captured_at"))
        conn.execute(text("ALTER TABLE ticker_snapshots DROP COLUMN direction"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(url)
    inspector = inspect(upgraded.engine)
    assert SCHEMA_VERSION == 5
    assert inspector.has_table("news_backfill_slices") and inspector.has_table("data_changes")
    assert "ix_ticker_snapshots_captured_at" in {i["name"] for i in inspector.get_indexes("ticker_snapshots")}
    assert "direction" in {c["name"] for c in inspector.get_columns("ticker_snapshots")}
    with upgraded.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == "5"
    assert upgraded.headlines()["title"].tolist() == ["Kept across the upgrade"]
    assert upgraded.done_backfill_slices("gdelt", "oil") == []
    upgraded.close()


def test_a_version_2_store_gains_the_change_log_and_redraws_once(store_url):
    store = Store.open(store_url)
    for day in (1, 2):
        store.write_headlines([Headline(source="s", guid=f"g{day}", title=f"Story {day}",
                                        published=utc(2022, 3, day), fetched=utc(2022, 3, 5))])
    with store.engine.begin() as conn:   # what a version-2 store looked like
        conn.execute(text("DROP TABLE headline_days"))
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


def test_a_version_4_store_gains_its_headlines_counted_per_day(store_url):
    """v5 counts the headlines already stored per UTC day (all, and first copies of stories); the
    chart's day and week counts then come from those and equal counting the headlines."""
    store = Store.open(store_url)
    store.write_headlines([Headline(source=source, guid=f"{source}{hour}", title=f"Story {hour}",
                                    published=utc(2022, 3, 1) + timedelta(hours=hour), fetched=utc(2022, 3, 9))
                           for hour in (0, 5, 23, 24, 30, 75) for source in ("a", "b")])
    with store.engine.begin() as conn:   # what a version-4 store looked like
        conn.execute(text("DROP TABLE headline_days"))
        conn.execute(text("UPDATE meta SET value = '4' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        with upgraded.engine.connect() as conn:
            assert conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == "5"
            days = conn.execute(text("SELECT day, headlines, stories FROM headline_days ORDER BY day")).all()
        day = utc(2022, 3, 1).timestamp()
        # the same title from the second source within two days is a copy of the first's story
        assert [tuple(row) for row in days] == [(day, 6, 3), (day + 86400, 4, 2), (day + 3 * 86400, 2, 1)]
        counts = upgraded.headline_counts(HeadlineFilter(start=utc(2022, 2, 1), end=utc(2022, 3, 31),
                                                         stories_only=True), 86400)
        assert counts["count"].tolist() == [3, 2, 1]
    finally:
        upgraded.close()
