"""The store on PostgreSQL: the same search results as SQLite on real headlines, the search's
own machinery (tsvector documents, tsquery text), stores created and repaired on open, writers
taking turns, the refresh lock between connections."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from ingest.csvio import read_headlines_csv
from ingest.records import Headline
from ingest.search_query import parse_search
from ingest.store import HeadlineFilter, LockBusy, Store
from ingest.store.fts import index_missing, to_tsquery
from ingest.store.pg_search import document, tokenize
from tests.conftest import store_place, utc
from tests.test_migrations import back_to_version_5

FETCHED = utc(2026, 9, 1)

# the search box's syntax on words the real headlines hold, and on edge cases
QUERIES = [
    "Syria", "syria", "Lavrov OR Kerry", '"oil output"', "sanction*", "Ukraine Russia", "Putin OR Kremlin",
    '"prime minister"', '"white house" OR pentagon', "oil price*", "gaza ceasefire", "Trump OR Biden",
    "U.S.", '"U.S. sanctions"', "tariff* China", "China*", "covid-19", "brexit OR eu", "Zelensk*",
    '"climate change"', "café", "cafe", "Путин", "санкц*", "São", "Nord Stream", '"interest rates" OR inflation',
    "Lavrov OR", "OR Kerry", '"oil', "oil*gas", "__", "🙂", "2022", "3.5", "a*", "the OR and",
]

HAND_MADE = [  # what tokenizers disagree about: accents, case beyond ASCII, hyphens, dots, columns
    ("Café owners in São Paulo protest", ""),
    ("ПУТИН подписал указ о санкциях", "Кремль"),
    ("Oil-rich nations: output falls 3.5%", "U.S. sanctions bite"),
    ("Oil", "output rises in summary only"),
    ("COVID-19 cases rise; e-mail www.example.com for help", "Zelenskyy and Zelensky both spelt"),
]


@pytest.fixture
def new_postgres_url(postgres_databases, request):
    """Make fresh PostgreSQL databases (a migrated empty store, or nothing when not `migrated`),
    dropped after the test; returns their URLs."""

    def make(migrated: bool = True) -> str:
        name = postgres_databases.create(migrated)
        request.addfinalizer(lambda: postgres_databases.drop(name))
        return postgres_databases.url(name)

    return make


def sample_csv(source: Path, every: int, target: Path) -> Path:
    """Every `every`-th data row of a CSV file (with its header), written to `target`."""
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    with open(target, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *rows[1::every]])
    return target


def corpus(shared_data: Path, folder: Path) -> list[Headline]:
    """About 13,000 real headlines of 2008-2026 (with BBC summaries) and the hand-made ones."""
    files = [(sample_csv(shared_data / "reddit-worldnews-2008-2016.csv", 12, folder / "reddit.csv"), "reddit"),
             (shared_data / "bbc-business-rss-2022-2024.csv", "BBC Business"),
             (sample_csv(shared_data / "world-headlines-rss-2026-05-to-08.csv", 20, folder / "world.csv"), None)]
    headlines: list[Headline] = []
    for path, source in files:
        headlines += read_headlines_csv(path, source=source, fetched=FETCHED).headlines
    headlines += [Headline(source="hand", guid=str(i), title=title, summary=summary, published=utc(2022, 3, 1, i),
                           fetched=FETCHED) for i, (title, summary) in enumerate(HAND_MADE)]
    return headlines


def test_search_finds_the_same_headlines_on_sqlite_and_postgresql(new_postgres_url, shared_data, tmp_path):
    headlines = corpus(shared_data, tmp_path)
    stores = [Store.open(f"sqlite:///{tmp_path / 'store.db'}"), Store.open(new_postgres_url())]
    try:
        for store in stores:
            assert store.write_headlines(headlines).new == 12572   # rows repeating a source and guid are one
        found = {}
        for query in QUERIES:
            sqlite_rows, pg_rows = (store.headlines(query=query)[["id", "title"]].values.tolist() for store in stores)
            assert pg_rows == sqlite_rows, query
            found[query] = len(pg_rows)
        assert found == {
            "Syria": 125, "syria": 125, "Lavrov OR Kerry": 5, '"oil output"': 3, "sanction*": 53,
            "Ukraine Russia": 54, "Putin OR Kremlin": 90, '"prime minister"': 69, '"white house" OR pentagon': 37,
            "oil price*": 36, "gaza ceasefire": 6, "Trump OR Biden": 248, "U.S.": 232, '"U.S. sanctions"': 1,
            "tariff* China": 2, "China*": 428, "covid-19": 4, "brexit OR eu": 127, "Zelensk*": 13,
            '"climate change"': 38, "café": 9, "cafe": 9, "Путин": 1, "санкц*": 1, "São": 10, "Nord Stream": 3,
            '"interest rates" OR inflation': 128, "Lavrov OR": 0, "OR Kerry": 5, '"oil': 164, "oil*gas": 1, "__": 0,
            "🙂": 12572, "2022": 16, "3.5": 2, "a*": 9200, "the OR and": 5143}   # 🙂 has no words: no filter
        # titles sort by code point on both, accents and Cyrillic included
        ordered = [store.headlines(sort="title", descending=True, limit=50)["title"].tolist() for store in stores]
        assert ordered[1] == ordered[0]
        window = HeadlineFilter(start=utc(2014, 1, 1), end=utc(2016, 12, 31), query="Syria OR Assad", stories_only=True)
        # 50 titles; two Reddit posts of 2016-03-01/02 tell one story ("Russia and Syria 'weaponising'
        # refugee crisis ...", said in other words): 49 stories on both
        assert [s.count_headlines(window) for s in stores] == [49, 49]
        assert stores[1].headline_counts(window, 86400 * 30).equals(stores[0].headline_counts(window, 86400 * 30))
    finally:
        for store in stores:
            store.close()


def test_search_documents_hold_fts5_words_with_a_gap_between_title_and_summary():
    words = tokenize([("Oil-rich Café: ПУТИН's U.S. deal", "Oil output")])
    assert words == [[("oil", 1), ("rich", 2), ("cafe", 3), ("путин", 4), ("s", 5), ("u", 6), ("s", 7),
                      ("deal", 8), ("oil", 10), ("output", 11)]]
    assert document(words[0]) == "'oil':1,10 'rich':2 'cafe':3 'путин':4 's':5,7 'u':6 'deal':8 'output':11"
    assert document([("it's", 1), ("a\\b", 2), ("x" * 3000, 3)]) == "'it''s':1 'a\\\\b':2"


def test_search_box_syntax_becomes_a_tsquery():
    assert to_tsquery(parse_search('Lavrov OR Kerry "oil output" sanction* OR "U.S. deal"*')) == \
        "('lavrov' | 'kerry') & 'oil' <-> 'output' & ('sanction':* | 'u' <-> 's' <-> 'deal':*)"
    assert to_tsquery(parse_search("Café ПУТИН")) == "'cafe' & 'путин'"
    assert to_tsquery(parse_search("oil OR __")) == "'oil'"   # a term without words matches nothing
    assert to_tsquery(parse_search("oil __")) is None          # ... so neither does the whole search


def test_search_on_postgresql_matches_what_fts5_matches(store):
    store.write_headlines([Headline(source="hand", guid=str(i), title=title, summary=summary,
                                    published=utc(2022, 3, 1, i), fetched=FETCHED)
                           for i, (title, summary) in enumerate(HAND_MADE)])

    def guids(query):
        return store.headlines(query=query)["guid"].tolist()

    assert guids("cafe") == guids("CAFÉ") == ["0"]
    assert guids("путин") == guids("Санкциях") == ["1"]
    assert guids('"oil rich"') == ["2"]
    assert guids('"oil output"') == []       # "Oil" ends the title, "output" starts the summary
    assert guids("oil output") == ["2", "3"]
    assert guids('"u s sanctions"') == guids("3.5") == ["2"]
    assert guids('"covid 19"') == guids("example.com") == ["4"]
    assert guids("zelensk*") == ["4"]
    assert guids("oil __") == []


def test_an_empty_postgresql_database_becomes_a_store(new_postgres_url):
    url = new_postgres_url(migrated=False).replace("postgresql+psycopg://", "postgresql://")
    store = Store.open(url)   # a plain postgresql:// URL means psycopg 3
    try:
        assert store.engine.dialect.driver == "psycopg"
        tables = set(inspect(store.engine).get_table_names())
        assert {"headlines", "headlines_search", "price_bars", "meta"} <= tables
        with store.engine.connect() as conn:
            indexes = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'headlines_search'"))
            assert "USING gin (document)" in " ".join(r[0] for r in indexes)
        store.write_headlines([Headline(source="s", guid="g", title="Sanctions on oil", published=utc(2022, 3, 1),
                                        fetched=FETCHED)])
        assert store.headlines(query="sanction*")["guid"].tolist() == ["g"]
    finally:
        store.close()


def insert_directly(store: Store, guid: str, title: str, summary: str) -> None:
    """A headline written around the store (as a bulk copy does): no search document."""
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO headlines (source, guid, title, summary, published, fetched, time_inferred,"
                          " title_norm) VALUES ('s', :guid, :title, :summary, 1700000000, 0, false, '')"),
                     {"guid": guid, "title": title, "summary": summary})


def test_headlines_that_bypassed_the_store_are_indexed_when_asked(new_postgres_url):
    url = new_postgres_url()
    store = Store.open(url)
    store.write_headlines([Headline(source="s", guid="1", title="Oil embargo", published=utc(2022, 3, 1),
                                    fetched=FETCHED)])
    insert_directly(store, "2", "Gas embargo", "Pipeline")
    assert store.headlines(query="embargo")["guid"].tolist() == ["1"]
    with store.engine.begin() as conn:
        assert index_missing(conn) == 1
        assert index_missing(conn) == 0
    assert store.headlines(query="embargo")["guid"].tolist() == ["1", "2"]
    insert_directly(store, "3", "Coal embargo", "")
    insert_directly(store, "4", "Steel embargo", "")
    store.close()
    store = Store.open(url)   # opening stays quick: it indexes nothing
    assert store.headlines(query="embargo")["guid"].tolist() == ["1", "2"]
    assert store.index_missing(chunk=1) == 2   # the refresh job's call, one committed chunk at a time
    assert store.headlines(query="embargo")["guid"].tolist() == ["1", "2", "3", "4"]
    with store.engine.begin() as conn:  # a PostgreSQL store from before its search existed
        conn.execute(text("DROP TABLE headlines_search"))
    store.close()
    store = Store.open(url)   # the table comes back empty; the refresh job fills it
    try:
        assert store.headlines(query="pipeline OR oil OR coal")["guid"].tolist() == []
        assert store.index_missing() == 4
        assert store.headlines(query="pipeline OR oil OR coal")["guid"].tolist() == ["1", "2", "3"]
    finally:
        store.close()


def test_writers_take_turns(store_url):
    """Two processes' worth of stores write the same headlines at once: one stores them, the
    other finds them stored — never twice, never a conflict."""
    items = [Headline(source="s", guid=str(i), title=f"Headline {i}", published=utc(2022, 3, 1, i % 24),
                      fetched=FETCHED) for i in range(300)]
    stores = [Store.open(store_url) for _ in range(2)]
    results, start = [], threading.Barrier(2)

    def write(store):
        start.wait()
        results.append(store.write_headlines(items))

    threads = [threading.Thread(target=write, args=(s,)) for s in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted((c.new, c.unchanged) for c in results) == [(0, 300), (300, 0)]
        assert stores[0].count_headlines() == 300
        assert stores[0].data_version() == 1
    finally:
        for store in stores:
            store.close()


def test_refresh_lock_between_two_connections(store_url):
    holder, other = Store.open(store_url), Store.open(store_url)
    try:
        with holder.refresh_lock(1, ("prices",)):
            with other.refresh_lock(0.2, ("feeds",)):   # the other group is free
                pass
            with pytest.raises(LockBusy) as busy:
                with other.refresh_lock(0.2, ("prices",)):
                    pass
            assert str(busy.value) == f"another refresh of prices is running on {store_place(store_url)} (waited 0.2s)"
        with other.refresh_lock(0.2, ("prices",)):     # released at the end of the block
            pass
    finally:
        holder.close()
        other.close()


def _settings(conn) -> tuple[str, str]:
    return (conn.exec_driver_sql("SHOW plan_cache_mode").scalar(),
            conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar())


def test_every_statement_is_planned_for_its_own_values_without_parallel_workers(new_postgres_url):
    """psycopg prepares statements on the server after a few runs; PostgreSQL must not then
    answer every time range with one generic plan (a keyword view over years took 700 ms instead
    of 18 ms): each connection the store opens plans every run with its values. And it starts
    no parallel workers for one query (the dashboard's many short queries compete for cores)."""
    store = Store.open(new_postgres_url())
    try:
        for _ in range(2):   # a connection from the pool, then a new one
            with store.reading() as conn:
                assert _settings(conn) == ("force_custom_plan", "0")
            store.engine.dispose()
        with store.writing() as conn:
            assert _settings(conn) == ("force_custom_plan", "0")
    finally:
        store.close()


def _headline_index_definitions(store: Store) -> dict[str, str]:
    with store.reading() as conn:
        rows = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'headlines' "
            "AND indexname IN ('ix_headlines_published', 'ix_headlines_source_published')").all()
    return {name: definition.split(" USING ")[1] for name, definition in rows}


COVERING = {"ix_headlines_published": "btree (published, story_id) INCLUDE (id)",
            "ix_headlines_source_published": "btree (source, published, story_id) INCLUDE (id)"}


def test_the_time_indexes_carry_the_id_in_new_and_upgraded_stores(new_postgres_url):
    """Counting headlines with tag filters joins on the id: the time indexes include it, so that
    PostgreSQL reads them instead of the table — in a new store and in one upgraded from v3."""
    url = new_postgres_url()
    store = Store.open(url)
    try:
        assert _headline_index_definitions(store) == COVERING
        store.write_headlines([Headline(source="s", guid="g", title="Kept across the upgrade",
                                        published=utc(2022, 3, 1), fetched=utc(2022, 3, 1))])
        with store.engine.begin() as conn:   # the indexes of a version-3 store
            back_to_version_5(conn)
            for name, columns in (("ix_headlines_published", "published, story_id"),
                                  ("ix_headlines_source_published", "source, published, story_id")):
                conn.execute(text(f"DROP INDEX {name}"))
                conn.execute(text(f"CREATE INDEX {name} ON headlines ({columns})"))
            conn.execute(text("DROP TABLE headline_days"))
            conn.execute(text("UPDATE meta SET value = '3' WHERE key = 'schema_version'"))
        assert _headline_index_definitions(store)["ix_headlines_published"] == "btree (published, story_id)"
    finally:
        store.close()
    upgraded = Store.open(url)
    try:
        assert _headline_index_definitions(upgraded) == COVERING
        with upgraded.reading() as conn:
            assert conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'schema_version'").scalar() == "8"
        assert upgraded.headlines()["title"].tolist() == ["Kept across the upgrade"]
    finally:
        upgraded.close()
