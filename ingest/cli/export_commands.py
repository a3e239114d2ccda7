"""`newsmarks export`: prices, headlines or ticker snapshots as CSV, the same bytes to a file or to
standard output."""

from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import click

from ingest.cli.app import CliContext, cli, pass_context
from ingest.records import INTERVALS
from ingest.utc import utc_day


def unknown_instruments(asked: tuple[str, ...], known: list[str]) -> str | None:
    """The error for the ids in `asked` that are not in `known` (naming them and the known ones),
    or None when every one is known."""
    unknown = [i for i in dict.fromkeys(asked) if i not in known]
    if not unknown:
        return None
    names = ", ".join(repr(i) for i in unknown)
    return (f"unknown instrument{'s' if len(unknown) > 1 else ''} {names} "
            f"(known: {', '.join(known) or 'none'})")


def csv_bytes(text: str, excel: bool) -> bytes:
    """The bytes of an export: UTF-8, with a byte-order mark for Excel (which then reads Cyrillic);
    line ends as the CSV text has them (`\\n`), whatever the platform or terminal."""
    data = text.encode("utf-8")
    return codecs.BOM_UTF8 + data if excel else data


@cli.command()
@click.argument("what", type=click.Choice(["prices", "headlines", "snapshots"]))
@click.option("--instrument", "instrument_ids", multiple=True,
              help="Instrument id (repeatable; prices and snapshots).")
@click.option("--interval", type=click.Choice(INTERVALS), default=None)
@click.option("--start", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="From this UTC date or time.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="To this UTC date (inclusive) or time.")
@click.option("--excel", is_flag=True, help="Start with a UTF-8 byte-order mark, so that Excel shows Cyrillic.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="-",
              help="Output file (default: standard output; the same bytes either way).")
@pass_context
def export(ctx: CliContext, what: str, instrument_ids: tuple[str, ...], interval: str | None,
           start: datetime | None, end: datetime | None, excel: bool, output: str) -> None:
    """Export prices, headlines or ticker snapshots as CSV (UTF-8; times in UTC).

    Prices: timestamp_utc,instrument,interval,known_utc,open,high,low,close,volume,flags (a daily
    bar's time is its trading day; known_utc when its close became known, empty while
    provisional; flags such as ohlc,jump,review:good). import-prices reads it back as it was.
    Headlines: published_utc,source,title,link,summary,time_inferred,topics,guid.
    Snapshots: captured_at_utc,source,mark,instrument_id,value,change,change_pct,captured_from,
    mark_inferred.

    Lines end in \\n; standard output gets exactly the bytes -o writes. --excel adds a UTF-8
    byte-order mark, which Excel needs to show Cyrillic.

    \b
    Example:
      newsmarks export prices --instrument brent --start 2022-01-01 -o brent.csv
      newsmarks export headlines --excel -o headlines.csv
    """
    from ingest.csvio import headlines_to_csv, prices_to_csv

    if instrument_ids and what == "headlines":
        raise click.ClickException("--instrument is for prices and snapshots; headlines have no instrument")
    store = ctx.existing_store
    known = [i.id for i in ctx.config.instruments]
    if any(i not in known for i in instrument_ids):   # perhaps one the config no longer names
        stored = set(store.close_rules()) | set(store.bar_extents()["instrument_id"])
        problem = unknown_instruments(instrument_ids, known + sorted(stored - set(known)))
        if problem:
            raise click.ClickException(problem)
    if what == "prices":
        frame = store.bars(list(instrument_ids) or None, interval, utc_day(start), utc_day(end, end=True))
        text = prices_to_csv(frame)
    elif what == "snapshots":
        from ingest.csvio.csv_snapshots import snapshots_to_csv

        frame = store.snapshots(utc_day(start), utc_day(end, end=True), list(instrument_ids) or None)
        text = snapshots_to_csv(frame)
    else:
        frame = store.headlines(start=utc_day(start), end=utc_day(end, end=True))
        text = headlines_to_csv(frame)
    data = csv_bytes(text, excel)
    if output == "-":
        click.echo(data, nl=False)   # bytes: written to the binary stream as they are
    else:
        Path(output).write_bytes(data)
        click.echo(f"{len(frame)} rows written to {output}", err=True)
