"""`newsmarks migrate-store`: a whole store copied into another, resumable, verified by counts."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ingest.cli import cli
from ingest.config import Config
from ingest.csvio import read_headlines_csv, read_prices_csv
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline, TickerSnapshot
from ingest.store import CopyError, Store, schema
from ingest.store import copy as store_copy
from ingest.store.engine import url_without_password
from tests.conftest import SHARED_DATA, utc

NOW = utc(2026, 1, 1)


@pytest.fixture
def source_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    config = Config.model_validate({"store": {"url": url}})
    store = Store.open(url)
    store.sync_config(config)
    store.write_bars("brent", "1d", "import", read_prices_csv(SHARED_DATA / "brent-daily.csv").bars.tail(700), NOW)
    headlines = read_headlines_csv(SHARED_DATA / "bbc-business-rss-2022-2024.csv", fetched=NOW).headlines[:900]
    store.write_headlines(headlines, tag=headline_tagger(config.topics))
    store.write_snapshots([TickerSnapshot(source="page:a.txt", mark="$", value=87.7, captured_at=NOW,
                                          captured_from="given", instrument_id="usd_rub", change=-0.69)])
    run = store.start_run("refresh", "cbr:usd_rub:1d", NOW, "prices")
    store.finish_run(run, "error", NOW, error="cbr: connection refused")
    store.commit_backfill_slice("gdelt", "oil", utc(2023, 1, 1), utc(2023, 1, 2), [], NOW)
    store.close()
    return url


def table_rows(store: Store) -> dict[str, pd.DataFrame]:
    out = {}
    with store.engine.connect() as conn:
        for table in store_copy.TABLES:
            keys = list(table.primary_key.columns)
            frame = pd.DataFrame([tuple(r) for r in conn.execute(select(table).order_by(*keys))],
                                 columns=[c.name for c in table.columns])
            out[table.name] = frame
    return out


def test_copy_is_complete_and_verified(source_url, store_url):
    source, target = Store.open(source_url), Store.open(store_url)   # into SQLite and into PostgreSQL
    results = source.copy_into(target, "the source")
    counts = {r.table: (r.source_rows, r.copied, r.target_rows) for r in results}
    assert counts["price_bars"] == (700, 700, 700)
    assert counts["ticker_snapshots"] == (1, 1, 1) and counts["news_backfill_slices"] == (1, 1, 1)
    assert counts["headlines"] == (705, 705, 705)   # 900 rows, repeated guids merged
    expected, copied = table_rows(source), table_rows(target)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(copied[name], frame, check_dtype=False, obj=name)
    # the day counts are the target's own, counted from the copied headlines, equal to the source's
    with source.engine.connect() as src, target.engine.connect() as dst:
        days = [pd.DataFrame([tuple(r) for r in conn.execute(select(schema.headline_days).order_by("day"))])
                for conn in (src, dst)]
    assert len(days[0]) > 20
    pd.testing.assert_frame_equal(days[1], days[0], check_dtype=False)
    # the target's own search index was filled as rows arrived
    assert target.headlines(query="oil")["id"].tolist() == source.headlines(query="oil")["id"].tolist()
    assert len(target.headlines(query="oil")) > 10
    # a rerun copies nothing more and still verifies
    again = source.copy_into(target, "the source")
    assert [r.copied for r in again] == [0] * len(again)
    # new ids continue after the copied ones; a target that moved on no longer verifies
    target.write_headlines([Headline(source="new", guid="1", title="After the copy", published=NOW, fetched=NOW)])
    assert target.headlines(sources=["new"])["id"].item() == expected["headlines"]["id"].max() + 1
    with pytest.raises(CopyError, match="counts differ after the copy: headlines: 705 in the source, 706 in the"):
        source.copy_into(target, "the source")


def test_an_interrupted_copy_resumes_without_duplicates(source_url, store_url, monkeypatch):
    monkeypatch.setattr(store_copy, "CHUNK_ROWS", 100)
    source, target = Store.open(source_url), Store.open(store_url)
    seen: list[tuple[str, int]] = []

    def crash_in_headlines(table: str, rows: int) -> None:
        seen.append((table, rows))
        if table == "headlines" and sum(n for t, n in seen if t == "headlines") >= 300:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        source.copy_into(target, "the source", crash_in_headlines)
    assert target.count_headlines() == 300 and len(target.bars(["brent"], "1d")) == 700
    resumed: list[tuple[str, int]] = []
    results = source.copy_into(target, "the source", lambda t, n: resumed.append((t, n)))
    copied = {r.table: r.copied for r in results}
    assert copied["price_bars"] == 0 and copied["headlines"] == source.count_headlines() - 300
    assert all(r.source_rows == r.target_rows for r in results)
    for name, frame in table_rows(source).items():
        pd.testing.assert_frame_equal(table_rows(target)[name], frame, check_dtype=False, obj=name)
    assert target.headlines(query="oil")["id"].tolist() == source.headlines(query="oil")["id"].tolist()


def test_a_target_with_other_data_is_refused_untouched(source_url, tmp_path):
    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    other.write_headlines([Headline(source="mine", guid="1", title="Mine", published=NOW, fetched=NOW)])
    with pytest.raises(CopyError, match=r"the target already holds data \(headlines\): copy into an empty store"):
        Store.open(source_url).copy_into(other, "the source")
    assert other.headlines()["title"].tolist() == ["Mine"]
    with other.engine.connect() as conn:
        assert conn.execute(select(schema.meta.c.key).where(schema.meta.c.key == "copied_from")).first() is None
    # a partial copy of another store is refused too
    fresh = Store.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    Store.open(source_url).copy_into(fresh, "store A")
    with pytest.raises(CopyError, match="the target is a copy of store A, not of store B"):
        Store.open(source_url).copy_into(fresh, "store B")


def test_the_command_copies_and_reports(source_url, store_url):
    target = store_url
    result = CliRunner().invoke(cli, ["migrate-store", "--from", source_url, "--to", target])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "price_bars: 700 rows (700 copied now)" in lines
    assert "ticker_snapshots: 1 rows (1 copied now)" in lines
    assert lines[-1] == f"verified: every table has the same number of rows in {url_without_password(target)}"
    same = CliRunner().invoke(cli, ["migrate-store", "--from", source_url, "--to", source_url])
    assert same.exit_code == 1 and "--from and --to name the same store" in same.output
    bad = CliRunner().invoke(cli, ["migrate-store", "--from", source_url,
                                   "--to", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"])
    assert bad.exit_code == 1
    assert "cannot open the target store postgresql+psycopg://nobody:***@127.0.0.1:1/none" in bad.output
    assert "secret" not in bad.output
