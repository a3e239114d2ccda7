"""Instruments and their close rules in the store: the configured ones synced, a rule a source
learned remembered, and the known times of daily bars computed again whenever a rule changes."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, bindparam, select, update

from ingest.store import schema
from ingest.store.dialect import upsert
from ingest.utc import epoch_series, series_to_epoch


def sync_instruments(conn: Connection, instruments, rules: dict[str, object]) -> list[str]:
    """Store the configured instruments (added or changed; removed ones keep their data) with
    their close rules (`rules`: id -> ingest.close_rules.CloseRule, or None where the rule is
    learned from the source: the stored one is kept). Where an instrument's rule changed, the
    known times of its daily bars are computed again; returns those instruments' ids."""
    table = schema.instruments
    stored = dict(conn.execute(select(table.c.id, table.c.close_rule)).all())
    rows, changed = [], []
    for i in instruments:
        rule = rules.get(i.id)
        text = rule.text if rule is not None else stored.get(i.id)
        rows.append(dict(id=i.id, label=i.label, mark=i.mark, source=i.source, ticker=i.ticker,
                         change_kind=i.change, close_rule=text))
        if rule is not None and i.id in stored and stored[i.id] != text:
            changed.append((i.id, rule))
    upsert(conn, table, rows, ["id"])
    for instrument_id, rule in changed:
        recompute_known(conn, instrument_id, rule)
    return [instrument_id for instrument_id, _ in changed]


def learn_close_rule(conn: Connection, instrument_id: str, rule) -> bool:
    """Remember a close rule a source learned for an instrument (Yahoo's metadata) when it
    differs from the stored one, computing its daily bars' known times again; whether it did."""
    table = schema.instruments
    stored = conn.execute(select(table.c.close_rule).where(table.c.id == instrument_id)).first()
    if stored is None or stored[0] == rule.text:
        return False
    conn.execute(update(table).where(table.c.id == instrument_id).values(close_rule=rule.text))
    recompute_known(conn, instrument_id, rule)
    return True


def close_rules(conn: Connection) -> dict[str, str | None]:
    """The stored close rule (text) of every instrument."""
    table = schema.instruments
    return dict(conn.execute(select(table.c.id, table.c.close_rule)).all())


def recompute_known(conn: Connection, instrument_id: str, rule) -> int:
    """Set the known times of an instrument's daily bars by `rule`; returns how many bars."""
    table = schema.price_bars
    seconds = [row[0] for row in conn.execute(select(table.c.ts).where(
        table.c.instrument_id == instrument_id, table.c.interval == "1d"))]
    if not seconds:
        return 0
    known = series_to_epoch(rule.known(epoch_series(pd.Series(seconds, dtype="int64"))))
    keys = (table.c.instrument_id == instrument_id) & (table.c.interval == "1d") & (table.c.ts == bindparam("t"))
    values = [{"t": int(t), "k": int(k)} for t, k in zip(seconds, known, strict=True)]
    conn.execute(update(table).where(keys).values(known=bindparam("k")), values)
    return len(values)
