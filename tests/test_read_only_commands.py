"""Commands that only read (status, export, study, intensity, delete, flag-bar, migrate-store's
--from) never create a store: pointed at one that does not exist they say so in one line and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from dashboard.commands import newsmarks_cli
from ingest.store import Store
from ingest.store.engine import url_without_password

READ_ONLY = [("status",), ("export", "prices"), ("export", "headlines"), ("export", "snapshots", "-o", "out.csv"),
             ("study", "--query", "oil"), ("intensity", "--query", "oil"), ("delete", "headlines", "--all"),
             ("delete", "prices", "--all", "--yes"), ("flag-bar", "--instrument", "brent", "2022-03-01", "--bad")]
HINT = "(check [store] url or NEWSMARKS_DB; a refresh or an import creates the store)"


def invoke(config: Path, *args: str):
    return CliRunner().invoke(newsmarks_cli(), ["--config", str(config), *args], catch_exceptions=False)


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_a_read_only_command_on_a_mistyped_sqlite_path_creates_nothing(tmp_path, monkeypatch, args):
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "dta" / "newsmarks.db"   # data/ mistyped
    config = tmp_path / "c.toml"
    config.write_text(f'feeds = []\npages = []\n[store]\nurl = "sqlite:///{missing}"\n', encoding="utf-8")
    result = invoke(config, *args)
    assert result.exit_code == 1
    assert result.output == f"Error: no store at {missing}: the file does not exist {HINT}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]   # no folder, no file, no export


def test_migrate_store_from_a_missing_store_creates_neither(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)
    missing, target = tmp_path / "old.db", tmp_path / "new" / "copy.db"
    config = tmp_path / "c.toml"
    config.write_text("feeds = []\npages = []\n", encoding="utf-8")
    result = invoke(config, "migrate-store", "--from", f"sqlite:///{missing}", "--to", f"sqlite:///{target}")
    assert result.exit_code == 1
    assert result.output == f"Error: source store: no store at {missing}: the file does not exist {HINT}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


def test_a_database_without_a_store_gets_no_tables_from_status(store_url, store_kind, tmp_path, monkeypatch,
                                                                request):
    """An existing but empty database (an empty SQLite file, a new PostgreSQL database): `status`
    says it holds no store, and leaves it empty; a command that writes then creates the store."""
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)
    if store_kind == "sqlite":
        Path(store_url.removeprefix("sqlite:///")).touch()
    else:   # the test databases are copies of a migrated one: this one holds nothing at all
        databases = request.getfixturevalue("postgres_databases")
        name = databases.create(migrated=False)
        request.addfinalizer(lambda: databases.drop(name))
        store_url = databases.url(name)
    config = tmp_path / "c.toml"
    config.write_text(f'feeds = []\npages = []\n[store]\nurl = "{store_url}"\n', encoding="utf-8")
    result = invoke(config, "status")
    assert result.exit_code == 1
    shown = url_without_password(store_url)
    assert result.output == f"Error: no store in {shown}: the database holds no newsmarks tables {HINT}\n"
    engine = create_engine(store_url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()
    assert invoke(config, "retag").output == "retagged 0 headlines\n"
    assert invoke(config, "status").exit_code == 0
    Store.open(store_url, create=False).close()
