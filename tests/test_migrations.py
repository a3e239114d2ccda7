"""Real schema migrations: a store left at an older version is brought forward, data intact."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, text

from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline
from ingest.store import HeadlineFilter, Store
from ingest.store.migrations import SCHEMA_VERSION
from tests.conftest import utc


def back_to_version_10(conn) -> None:
    """Undo what schema version 11 added, as a version-10 store was."""
    conn.execute(text("DROP TABLE story_group_days"))


def back_to_version_9(conn) -> None:
    """Undo what schema versions 10 and 11 added, as a version-9 store was."""
    back_to_version_10(conn)
    conn.execute(text("DROP TABLE host_backoff"))


def back_to_version_8(conn) -> None:
    """Undo what schema versions 9 and 10 added, as a version-8 store was."""
    back_to_version_9(conn)
    conn.execute(text("ALTER TABLE headlines DROP COLUMN text_truncated"))


def back_to_version_7(conn) -> None:
    """Undo what schema versions 8 and 9 added, as a version-7 store was."""
    back_to_version_8(conn)
    conn.execute(text("DROP INDEX ix_headlines_story_kind"))


def back_to_version_6(conn) -> None:
    """Undo what schema versions 7 and 8 added, as a version-6 store was."""
    back_to_version_7(conn)
    conn.execute(text("DROP INDEX ix_headlines_importance"))
    for column in ("story_kind", "story_sources", "importance"):
        conn.execute(text(f"ALTER TABLE headlines DROP COLUMN {column}"))


def back_to_version_5(conn) -> None:
    """Undo what schema versions 6 to 9 added, as a version-5 store was."""
    back_to_version_6(conn)
    conn.execute(text("DROP INDEX ix_price_bars_known"))
    conn.execute(text("DROP TABLE retag_queue"))
    for table, column in (("price_bars", "known"), ("price_bars", "review"), ("instruments", "close_rule"),
                          ("headlines", "day_precision")):
        conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))


def test_a_version_1_store_gains_the_backfill_table_and_the_snapshot_index(store_url):
    url = store_url
    store = Store.open(url)
    store.write_headlines([Headline(source="s", guid="g", title="Kept across the upgrade",
                                    published=utc(2022, 3, 1), fetched=utc(2022, 3, 1))])
    with store.engine.begin() as conn:   # what a version-1 store looked like
        back_to_version_5(conn)
        conn.execute(text("DROP TABLE headline_days"))
        conn.execute(text("DROP TABLE data_changes"))
        conn.execute(text("DROP TABLE news_backfill_slices"))
        conn.execute(text("DROP INDEX ix_ticker_snapshots_captured_at"))
        conn.execute(text("ALTER TABLE ticker_snapshots DROP COLUMN direction"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(url)
    inspector = inspect(upgraded.engine)
    assert SCHEMA_VERSION == 11
    assert inspector.has_table("news_backfill_slices") and inspector.has_table("data_changes")
    assert "ix_ticker_snapshots_captured_at" in {i["name"] for i in inspector.get_indexes("ticker_snapshots")}
    assert "direction" in {c["name"] for c in inspector.get_columns("ticker_snapshots")}
    with upgraded.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == "11"
    assert upgraded.headlines()["title"].tolist() == ["Kept across the upgrade"]
    assert upgraded.done_backfill_slices("gdelt", "oil") == []
    upgraded.close()


def test_a_version_2_store_gains_the_change_log_and_redraws_once(store_url):
    store = Store.open(store_url)
    for day in (1, 2):
        store.write_headlines([Headline(source="s", guid=f"g{day}", title=f"Story {day}",
                                        published=utc(2022, 3, day), fetched=utc(2022, 3, 5))])
    with store.engine.begin() as conn:   # what a version-2 store looked like
        back_to_version_5(conn)
        conn.execute(text("DROP TABLE headline_days"))
        conn.execute(text("DROP TABLE data_changes"))
        conn.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        assert inspect(upgraded.engine).has_table("data_changes")
        # the v6 migration changed data (known times...): one version, anywhere
        assert upgraded.data_version() == 3
        # what changed in versions 1 and 2 was not logged: a chart drawn then redraws
        assert upgraded.changed_since(1, utc(2030, 1, 1), None) is True
        assert upgraded.changed_since(3, None, None) is False
        upgraded.write_headlines([Headline(source="s", guid="g3", title="Story 3", published=utc(2022, 3, 3),
                                           fetched=utc(2022, 3, 5))])
        assert upgraded.changed_since(3, utc(2022, 3, 4), None) is False
        assert upgraded.changed_since(3, utc(2022, 3, 1), utc(2022, 3, 3)) is True
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
        back_to_version_5(conn)
        conn.execute(text("DROP TABLE headline_days"))
        conn.execute(text("UPDATE meta SET value = '4' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        with upgraded.engine.connect() as conn:
            version = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
            assert version == str(SCHEMA_VERSION)
            days = conn.execute(text("SELECT day, headlines, stories FROM headline_days ORDER BY day")).all()
        day = utc(2022, 3, 1).timestamp()
        # the same title from the second source within two days is a copy of the first's story
        assert [tuple(row) for row in days] == [(day, 6, 3), (day + 86400, 4, 2), (day + 3 * 86400, 2, 1)]
        counts = upgraded.headline_counts(HeadlineFilter(start=utc(2022, 2, 1), end=utc(2022, 3, 31),
                                                         stories_only=True), 86400)
        assert counts["count"].tolist() == [3, 2, 1]
    finally:
        upgraded.close()


def test_the_v6_migration_times_daily_bars_of_an_instrument_no_longer_stored_by_the_default_rule(store_url):
    """Daily bars whose instrument has no row (removed from the store) get the end of their UTC
    day (DEFAULT_RULE); a stored instrument's bars its rule, in the same migration."""
    from ingest.config import Config

    store = Store.open(store_url)
    store.sync_config(Config())
    with store.engine.begin() as conn:
        back_to_version_5(conn)
        for instrument, ts in (("retired", utc(2022, 6, 15)), ("retired", utc(2022, 6, 16)),
                               ("brent", utc(2022, 6, 15))):
            conn.execute(text("INSERT INTO price_bars (instrument_id, interval, ts, close, source, updated) "
                              "VALUES (:i, '1d', :t, 1.0, 'import', :u)"),
                         {"i": instrument, "t": int(ts.timestamp()), "u": int(utc(2022, 6, 20).timestamp())})
        conn.execute(text("UPDATE meta SET value = '5' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        rows = [(r.instrument_id, r.ts.isoformat(), r.known.isoformat()) for r in upgraded.bars().itertuples()]
        assert rows == [("brent", "2022-06-15T00:00:00+00:00", "2022-06-15T18:30:00+00:00"),
                        ("retired", "2022-06-15T00:00:00+00:00", "2022-06-16T00:00:00+00:00"),
                        ("retired", "2022-06-16T00:00:00+00:00", "2022-06-17T00:00:00+00:00")]
        assert "3 bars given the time their close became known" in upgraded.migration_report()["notes"]
    finally:
        upgraded.close()


def test_a_version_5_store_gets_trading_days_known_times_and_trusted_headlines(store_url):
    """v6: daily bars move to their trading day and two stamps of one day merge (the one written
    last kept); every bar gets the time its close became known by its instrument's rule; flags
    are computed again; entities in stored text are decoded (tags queued for the next refresh);
    a headline dated after it was fetched gets its fetch time, inferred. The report says so."""
    from ingest.config import Config

    store = Store.open(store_url)
    store.sync_config(Config())
    with store.engine.begin() as conn:
        back_to_version_5(conn)
        bars = [  # instrument, interval, ts, close, updated
            ("usd_rub_mkt", "1d", utc(2022, 6, 14, 23), 57.0, 100),    # Yahoo: London midnight of 06-15 (BST)
            ("usd_rub_mkt", "1d", utc(2022, 6, 15), 57.5, 200),        # a naive-date import of the same day, later
            ("usd_rub_mkt", "1d", utc(2022, 6, 16, 23), 58.0, 200),    # 06-17
            ("usd_rub_mkt", "1d", utc(2022, 1, 10), 75.0, 100),        # winter: already at 00:00
            ("brent", "1d", utc(2022, 6, 15, 4), 118.5, 100),          # New York midnight (EDT)
            ("usd_rub", "1d", utc(2022, 6, 15), 57.2, 100),            # the Bank of Russia's rate dated 06-15
            ("brent", "1h", utc(2022, 6, 15, 13), 118.0, 100),
        ]
        for instrument, interval, ts, close, updated in bars:
            conn.execute(text("INSERT INTO price_bars (instrument_id, interval, ts, close, source, updated) "
                              "VALUES (:i, :v, :t, :c, 'yahoo', :u)"),
                         {"i": instrument, "v": interval, "t": int(ts.timestamp()), "c": close,
                          "u": int(utc(2022, 6, 20).timestamp()) + updated})
        for guid, title, published in (("e", "Trump&#039;s &amp; Putin&#039;s talks", utc(2022, 6, 15, 9)),
                                       ("f", "Dated in the future", utc(2099, 1, 1))):
            conn.execute(text("INSERT INTO headlines (source, guid, title, summary, published, fetched, "
                              "time_inferred, title_norm) VALUES ('s', :g, :t, '', :p, :f, :x, :n)"),
                         {"g": guid, "t": title, "p": int(published.timestamp()),
                          "f": int(utc(2022, 6, 15, 12).timestamp()), "x": False, "n": title.lower()})
        conn.execute(text("UPDATE meta SET value = '5' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        got = upgraded.bars()
        rows = [(r.instrument_id, r.interval, r.ts.isoformat(), r.known.isoformat(), r.close)
                for r in got.itertuples()]
        assert rows == [
            ("brent", "1d", "2022-06-15T00:00:00+00:00", "2022-06-15T18:30:00+00:00", 118.5),   # 19:30 London (BST)
            ("brent", "1h", "2022-06-15T13:00:00+00:00", "2022-06-15T14:00:00+00:00", 118.0),
            ("usd_rub", "1d", "2022-06-15T00:00:00+00:00", "2022-06-14T14:00:00+00:00", 57.2),  # 17:00 Moscow, D - 1
            ("usd_rub_mkt", "1d", "2022-01-10T00:00:00+00:00", "2022-01-11T00:00:00+00:00", 75.0),  # 24:00 London
            ("usd_rub_mkt", "1d", "2022-06-15T00:00:00+00:00", "2022-06-15T23:00:00+00:00", 57.5),  # written last
            ("usd_rub_mkt", "1d", "2022-06-17T00:00:00+00:00", "2022-06-17T23:00:00+00:00", 58.0),
        ]
        assert upgraded.close_rules() == {"usd_rub": "cbr 17:00 Europe/Moscow", "eur_rub": "cbr 17:00 Europe/Moscow",
                                          "brent": "19:30 Europe/London", "usd_rub_mkt": "24:00 Europe/London",
                                          "eur_rub_mkt": "24:00 Europe/London"}
        heads = upgraded.headlines().sort_values("guid")
        assert heads["title"].tolist() == ["Trump's & Putin's talks", "Dated in the future"]
        assert [t.isoformat() for t in heads["published"]] == ["2022-06-15T09:00:00+00:00",
                                                                "2022-06-15T12:00:00+00:00"]
        assert heads["time_inferred"].tolist() == [False, True]
        assert upgraded.headlines(query="Putin's")["guid"].tolist() == ["e"]
        with upgraded.engine.connect() as conn:
            queued = [r[0] for r in conn.execute(text("SELECT headline_id FROM retag_queue"))]
        assert queued == heads.loc[heads["guid"] == "e", "id"].tolist()
        report = upgraded.migration_report()
        assert report["version"] == 6
        assert report["notes"] == [
            "2 daily bars moved to their trading day (00:00 UTC)",
            "1 duplicate daily bars merged into the bar of their trading day (the one written last kept): "
            "usd_rub_mkt 1",
            "6 bars given the time their close became known",
            "1 headlines had HTML entities in their text (`Trump&#039;s`): decoded; their tags are computed "
            "again by the next refresh or `newsmarks retag`",
            "1 headlines dated after they were fetched or imported now carry that moment, marked inferred",
        ]
    finally:
        upgraded.close()


def test_a_version_6_store_gains_each_storys_score(store_url):
    """v7 scores every stored story on its first copy: the kind of all its copies' categories,
    its distinct sources and its importance (ingest.stories.importance); copies carry none."""
    store = Store.open(store_url)
    at = utc(2022, 3, 1, 9)
    store.write_headlines([
        Headline(source="a", guid="1", title="Talks on grain deal resume in Istanbul", published=at, fetched=at),
        Headline(source="b", guid="2", title="Talks on grain deal resume in Istanbul",
                 published=at + timedelta(hours=1), fetched=at),
        Headline(source="c", guid="3", title="Airstrike hits Kyiv power plant overnight", published=at, fetched=at),
    ], tag=headline_tagger(()))
    with store.engine.begin() as conn:
        back_to_version_6(conn)
        conn.execute(text("UPDATE meta SET value = '6' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        with upgraded.engine.connect() as conn:
            rows = conn.execute(text("SELECT guid, story_kind, story_sources, importance FROM headlines "
                                     "ORDER BY guid")).all()
        assert [tuple(r) for r in rows] == [("1", "none", 2, 1), ("2", None, None, None), ("3", "act", 1, 4)]
    finally:
        upgraded.close()


def test_a_version_7_store_gains_the_index_its_badges_count_risk_kinds_by(store_url):
    """v8 adds the partial index of geopolitical stories the chart's badges are coloured from
    (ingest.store.story_groups); on SQLite the count walks it, not the table."""
    store = Store.open(store_url)
    at = utc(2022, 3, 1, 9)
    store.write_headlines([
        Headline(source="a", guid="1", title="Airstrike hits Kyiv power plant overnight", published=at, fetched=at),
        Headline(source="a", guid="2", title="Markets calm on Tuesday", published=at, fetched=at),
    ], tag=headline_tagger(()))
    with store.engine.begin() as conn:
        back_to_version_7(conn)
        conn.execute(text("UPDATE meta SET value = '7' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        assert "ix_headlines_story_kind" in {i["name"] for i in inspect(upgraded.engine).get_indexes("headlines")}
        flt = HeadlineFilter(start=utc(2022, 3, 1), end=utc(2022, 3, 2))
        counted = upgraded.story_group_counts(flt, 86400, "risk")
        assert [(str(r.bucket), r.group, r.count) for r in counted.itertuples()] == [
            ("2022-03-01 00:00:00+00:00", "act", 1)]
        if upgraded.engine.dialect.name == "sqlite":
            with upgraded.engine.connect() as conn:
                plan = conn.execute(text(
                    "EXPLAIN QUERY PLAN SELECT published - published % 86400, story_kind, count(*) FROM headlines "
                    "WHERE story_kind != 'none' AND published >= 0 AND published <= 1e10 AND story_id IS NULL "
                    "GROUP BY 1, 2")).all()
            assert any("ix_headlines_story_kind" in str(row[-1]) for row in plan)
    finally:
        upgraded.close()


def test_a_version_8_store_gets_plain_capped_text_and_the_flag(store_url):
    """v9 (plain, capped headline text): the text_truncated column; every stored title and summary
    made what ingest.headline_text stores (markup that entities let through, the content of xmp,
    textarea…, bidi overrides removed; cut to the caps, flagged); the rows changed get their
    search entries with it and are queued for retagging; the report says so."""
    store = Store.open(store_url)
    store.write_headlines([Headline(source="s", guid="clean", title="Oil up & away", summary="Brent rose",
                                    published=utc(2022, 3, 1), fetched=utc(2022, 3, 1))])
    with store.engine.begin() as conn:   # what a version-8 store could hold: text never cleaned or capped
        back_to_version_8(conn)
        for guid, title, summary in (
                ("img", "<img src=x onerror=alert(1)>Rouble slides", "<xmp><b>x</b></xmp>Talks\u202e stall"),
                ("huge", "Oil " * 1_000_000, "word " * 2_000)):
            conn.execute(text("INSERT INTO headlines (source, guid, title, summary, published, fetched, "
                              "time_inferred, day_precision, title_norm) VALUES ('s', :g, :t, :s, :p, :p, false, "
                              "false, :n)"),
                         {"g": guid, "t": title, "s": summary, "p": int(utc(2022, 3, 2).timestamp()),
                          "n": title[:50].lower()})
        conn.execute(text("UPDATE meta SET value = '8' WHERE key = 'schema_version'"))
    store.close()

    upgraded = Store.open(store_url)
    try:
        heads = upgraded.headlines().sort_values("guid")
        assert [(r.guid, r.title, r.summary, r.text_truncated) for r in heads.itertuples()] == [
            ("clean", "Oil up & away", "Brent rose", False),
            ("huge", " ".join(["Oil"] * 125) + "…", ("word " * 1000).strip() + "…", True),
            ("img", "Rouble slides", "Talks stall", False),
        ]
        assert upgraded.headlines(query="rouble")["guid"].tolist() == ["img"]   # searched by its new text
        with upgraded.engine.connect() as conn:
            queued = sorted(r[0] for r in conn.execute(text("SELECT headline_id FROM retag_queue")))
            norms = dict(conn.execute(text("SELECT guid, title_norm FROM headlines")).all())
        assert queued == sorted(heads.loc[heads["guid"] != "clean", "id"].tolist())
        assert norms["img"] == "rouble slides"
        report = upgraded.migration_report()
        assert (report["version"], report["notes"]) == (9, [
            "2 headlines' titles or summaries made plain text (markup, entities, control or bidi characters left "
            "in them removed or decoded); their tags are computed again by the next refresh or `newsmarks retag`",
            "1 headlines' titles or summaries cut to 500 and 5,000 characters, marked text_truncated"])
    finally:
        upgraded.close()


def test_a_version_9_store_gains_the_host_backoff_table(store_url):
    from ingest.records import HostBackoff

    store = Store.open(store_url)
    with store.engine.begin() as conn:
        back_to_version_9(conn)
        conn.execute(text("UPDATE meta SET value = '9' WHERE key = 'schema_version'"))
    store.close()
    upgraded = Store.open(store_url)
    assert inspect(upgraded.engine).has_table("host_backoff") and upgraded.host_backoffs() == {}
    backoff = HostBackoff("query2.finance.yahoo.com", utc(2026, 12, 3, 1, 35), 2, "HTTP 429 Too Many Requests")
    upgraded.save_host_backoffs({backoff.host: backoff}, utc(2026, 12, 3, 1, 25))
    assert upgraded.host_backoffs() == {backoff.host: backoff}
    upgraded.save_host_backoffs({backoff.host: None}, utc(2026, 12, 3, 1, 40))
    assert upgraded.host_backoffs() == {}
    upgraded.close()


def test_a_version_10_store_gains_its_stories_counted_per_day_and_source_topic_and_risk_kind(store_url):
    store = Store.open(store_url)
    tag = headline_tagger([])
    titles = iter(["Tanker seized near Hormuz", "Refinery fire in Texas", "OPEC cuts output again",
                   "Pipeline talks stall in Ankara", "Drone hits depot in Bryansk", "Brent tops ninety dollars",
                   "Sanctions widen on shipping", "Grain corridor reopens at Odesa"])
    store.write_headlines([Headline(source=source, guid=f"{source}{i}", title=next(titles),
                                    published=utc(2024, 3, 1, 20) + timedelta(hours=3 * i), fetched=utc(2024, 3, 9))
                           for i in range(4) for source in ("A", "B")],
                          tag=lambda h: [*tag(h), ("topic", "Oil")])
    with store.engine.begin() as conn:
        back_to_version_10(conn)
        conn.execute(text("UPDATE meta SET value = '10' WHERE key = 'schema_version'"))
    store.close()
    upgraded = Store.open(store_url)
    with upgraded.engine.connect() as conn:
        rows = conn.execute(text("SELECT by, day, name, stories FROM story_group_days ORDER BY by, day, name")).all()
    day1, day2 = int(utc(2024, 3, 1).timestamp()), int(utc(2024, 3, 2).timestamp())
    # 20:00 and 23:00 on the 1st, 02:00 and 05:00 on the 2nd, from A and B, all stories of their own
    assert [tuple(r) for r in rows if r[0] != "risk"] == [
        ("source", day1, "A", 2), ("source", day1, "B", 2), ("source", day2, "A", 2), ("source", day2, "B", 2),
        ("topic", day1, "Oil", 4), ("topic", day2, "Oil", 4)]
    stories = upgraded.headlines(HeadlineFilter(stories_only=True))
    kinds = stories[stories["story_kind"] != "none"]
    by_hand = sorted(("risk", int(t.floor("D").timestamp()), k, int(n)) for (t, k), n in
                     kinds.groupby([kinds["published"].dt.floor("D"), "story_kind"]).size().items())
    assert by_hand and [tuple(r) for r in rows if r[0] == "risk"] == by_hand
    upgraded.close()
