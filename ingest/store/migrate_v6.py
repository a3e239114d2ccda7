"""Schema version 6: when each value was known, one bar per trading day, headline times and text
that can be trusted. One transaction (migrations.migrate); returns lines for the report.

1. Columns: price_bars.known and .review, instruments.close_rule, headlines.day_precision; the
   retag_queue table; an index on price_bars.known.
2. Daily bars to their trading day: each daily bar moves to the UTC midnight nearest its stamp
   (close_rules.nearest_midnight: Yahoo's bars were stored at their exchange's midnight, 23:00
   or 04:00 UTC); where that leaves two bars on one day (two imports of one day stamped in
   different zones), the one written last is kept and the others are deleted, and counted.
3. `known` of every bar: hourly bars one hour after their start; daily bars by their
   instrument's close rule (close_rules.instrument_rule from the stored source and ticker:
   the configured close_time and publication time take over at the next sync_config).
4. Flags computed again over each stored series (ingest.bar_quality: `range` and `ohlc` apart).
5. Headlines: HTML entities decoded in titles and summaries (their tags are queued for the next
   refresh or `retag`, which know the configured topics); times more than FUTURE_SLACK after
   the headline was fetched become the fetch time, marked inferred.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, bindparam, func, select, text, update

from ingest.bar_quality import flag_bars
from ingest.clean import decode_entities
from ingest.close_rules import DEFAULT_RULE, instrument_rule, nearest_midnight
from ingest.headline_times import FUTURE_SLACK_SECONDS
from ingest.store import schema
from ingest.store.dialect import insert_ignore
from ingest.store.headline_days import refresh_touched_days
from ingest.store.instruments import recompute_known
from ingest.store.retagging import store_text
from ingest.store.runs import bump_data_version
from ingest.utc import epoch_series, series_to_epoch

CHUNK = 5000


def _add_column(conn: Connection, table, name: str, default: str | None = None) -> None:
    column = table.c[name]
    kind = column.type.compile(dialect=conn.dialect)
    clause = f" NOT NULL DEFAULT {default}" if default is not None else ""
    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}{clause}"))


def upgrade(conn: Connection) -> list[str]:
    """Bring a version-5 store to version 6 (see the module docstring); the report's lines."""
    false = "false" if conn.dialect.name == "postgresql" else "0"
    _add_column(conn, schema.price_bars, "known", "0")
    _add_column(conn, schema.price_bars, "review")
    _add_column(conn, schema.instruments, "close_rule")
    _add_column(conn, schema.headlines, "day_precision", false)
    schema.retag_queue.create(conn, checkfirst=True)
    notes = _daily_bars_to_trading_days(conn)
    notes += _fill_known(conn)
    notes += _flag_again(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE price_bars ALTER COLUMN known DROP DEFAULT"))
    schema.ix_price_bars_known.create(conn, checkfirst=True)
    notes += _decode_entities(conn)
    notes += _future_headlines(conn)
    bump_data_version(conn)
    return notes


def _daily_frame(conn: Connection) -> pd.DataFrame:
    table = schema.price_bars
    rows = conn.execute(select(table.c.instrument_id, table.c.ts, table.c.updated)
                        .where(table.c.interval == "1d")).all()
    return pd.DataFrame(rows, columns=["instrument_id", "ts", "updated"])


def _daily_bars_to_trading_days(conn: Connection) -> list[str]:
    frame = _daily_frame(conn)
    if frame.empty:
        return []
    frame["day"] = series_to_epoch(nearest_midnight(epoch_series(frame["ts"])))
    frame["on_day"] = frame["ts"] == frame["day"]
    frame = frame.sort_values(["instrument_id", "day", "updated", "on_day", "ts"],
                              ascending=[True, True, False, False, False], kind="stable")
    loser = frame.duplicated(["instrument_id", "day"], keep="first")
    losers, winners = frame[loser], frame[~loser & ~frame["on_day"]]
    table = schema.price_bars
    keys = (table.c.instrument_id == bindparam("i")) & (table.c.interval == "1d") & (table.c.ts == bindparam("t"))
    gone = [{"i": r.instrument_id, "t": int(r.ts)} for r in losers.itertuples()]
    if gone:
        conn.execute(table.delete().where(keys), gone)
    moves = [{"i": r.instrument_id, "t": int(r.ts), "d": int(r.day)} for r in winners.itertuples()]
    if moves:
        conn.execute(update(table).where(keys).values(ts=bindparam("d")), moves)
    notes = []
    if len(moves):
        notes.append(f"{len(moves):,} daily bars moved to their trading day (00:00 UTC)")
    if len(losers):
        per = losers.groupby("instrument_id").size()
        detail = ", ".join(f"{name} {count:,}" for name, count in per.items())
        notes.append(f"{len(losers):,} duplicate daily bars merged into the bar of their trading day "
                     f"(the one written last kept): {detail}")
    return notes


def _fill_known(conn: Connection) -> list[str]:
    table, instruments = schema.price_bars, schema.instruments
    conn.execute(update(table).where(table.c.interval == "1h").values(known=table.c.ts + 3600))
    rules = {}
    for row in conn.execute(select(instruments.c.id, instruments.c.source, instruments.c.ticker)):
        rule = instrument_rule(row.source, row.ticker, None)
        rules[row.id] = rule
        if rule is not None:
            conn.execute(update(instruments).where(instruments.c.id == row.id).values(close_rule=rule.text))
    daily = conn.execute(select(table.c.instrument_id).where(table.c.interval == "1d").distinct()
                         .order_by(table.c.instrument_id)).scalars().all()
    for instrument_id in daily:
        recompute_known(conn, instrument_id, rules.get(instrument_id) or DEFAULT_RULE)
    counted = conn.execute(select(func.count()).select_from(table)).scalar()
    return [f"{counted:,} bars given the time their close became known"] if counted else []


def _flag_again(conn: Connection) -> list[str]:
    table = schema.price_bars
    series = conn.execute(select(table.c.instrument_id, table.c.interval).distinct()).all()
    changed = 0
    keys = (table.c.instrument_id == bindparam("i")) & (table.c.interval == bindparam("v")) & \
        (table.c.ts == bindparam("t"))
    for instrument_id, interval in series:
        rows = conn.execute(select(table.c.ts, table.c.open, table.c.high, table.c.low, table.c.close, table.c.flag)
                            .where(table.c.instrument_id == instrument_id, table.c.interval == interval)
                            .order_by(table.c.ts)).all()
        bars = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "flag"])
        for column in ("open", "high", "low", "close"):
            bars[column] = bars[column].astype("float64")
        flags = flag_bars(bars)
        old = bars["flag"].where(bars["flag"].notna(), None)
        differ = [i for i, (a, b) in enumerate(zip(old.tolist(), flags.tolist(), strict=True)) if a != b]
        values = [{"i": instrument_id, "v": interval, "t": int(bars["ts"].iat[i]), "f": flags.iat[i]} for i in differ]
        if values:
            conn.execute(update(table).where(keys).values(flag=bindparam("f")), values)
        changed += len(values)
    return [f"{changed:,} bars' quality flags computed again (a close far outside its range is now `range`, "
            "kept out of returns with `jump`; `ohlc` is a warning)"] if changed else []


def _decode_entities(conn: Connection) -> list[str]:
    table = schema.headlines
    rows = conn.execute(select(table.c.id, table.c.title, table.c.summary).where(
        table.c.title.contains("&") | table.c.summary.contains("&"))).all()
    changed = []
    for row in rows:
        title, summary = decode_entities(row.title), decode_entities(row.summary or "")
        if (title, summary) != (row.title, row.summary or ""):
            changed.append((row.id, title, summary))
    for start in range(0, len(changed), CHUNK):
        chunk = changed[start:start + CHUNK]
        store_text(conn, chunk)
        insert_ignore(conn, schema.retag_queue, [{"headline_id": i} for i, _, _ in chunk], ["headline_id"])
    return [f"{len(changed):,} headlines had HTML entities in their text (`Trump&#039;s`): decoded; their tags "
            "are computed again by the next refresh or `newsmarks retag`"] if changed else []


def _future_headlines(conn: Connection) -> list[str]:
    table = schema.headlines
    late = table.c.published > table.c.fetched + FUTURE_SLACK_SECONDS
    rows = conn.execute(select(table.c.id, table.c.published, table.c.fetched).where(late)).all()
    if not rows:
        return []
    conn.execute(update(table).where(late).values(published=table.c.fetched, time_inferred=True))
    refresh_touched_days(conn, [r.published for r in rows] + [r.fetched for r in rows])
    return [f"{len(rows):,} headlines dated after they were fetched or imported now carry that moment, "
            "marked inferred"]
