"""Commands that read or write files: import-prices, import-headlines, snapshot (saved news
pages) and export."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ingest.cli.app import EXIT_ALL_FAILED, Context, cli, pass_context, utc_day
from ingest.config import ConfigError


def _read_csv_or_fail(reader, path: str, **kwargs):
    from ingest.csvio import CsvError

    try:
        return reader(path, **kwargs)
    except CsvError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None


def _report_skipped(skipped) -> None:
    for line_number, reason in skipped:
        click.echo(f"skipped line {line_number}: {reason}", err=True)


@cli.command("import-prices")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--instrument", "instrument_id", required=True, help="Configured instrument id.")
@click.option("--interval", type=click.Choice(["1d", "1h"]), default="1d", show_default=True)
@click.option("--delimiter", type=click.Choice([",", ";", "\t", "|"]), default=None,
              help="Field delimiter (default: detected).")
@click.option("--decimal", type=click.Choice([".", ","]), default=None,
              help="Decimal separator (default: detected).")
@click.option("--skip-bad", is_flag=True, help="Skip bad rows and report them instead of failing.")
@pass_context
def import_prices(ctx: Context, file: str, instrument_id: str, interval: str, delimiter: str | None,
                  decimal: str | None, skip_bad: bool) -> None:
    """Import price bars from a CSV (a date column and a close, optional OHLCV).

    All or nothing: a bad row stops the import with its line number and stores nothing,
    unless --skip-bad.

    \b
    Example:
      newsmarks import-prices ../shared/data/brent-daily.csv --instrument brent
    """
    from ingest.csvio import read_prices_csv

    try:
        ctx.config.instrument(instrument_id)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    imported = _read_csv_or_fail(read_prices_csv, file, delimiter=delimiter, decimal=decimal,
                                 skip_bad=skip_bad, instrument=instrument_id,
                                 interval=interval)
    _report_skipped(imported.skipped)
    store = ctx.store
    store.sync_config(ctx.config)
    counts = store.write_bars(instrument_id, interval, "import", imported.bars, datetime.now(UTC))
    click.echo(f"{file}: {counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged bars "
               f"for {instrument_id} {interval}"
               + (f"; {len(imported.skipped)} rows skipped" if imported.skipped else ""))


@cli.command("import-headlines")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", default=None, help="Source name when the file has no source column.")
@click.option("--skip-bad", is_flag=True, help="Skip bad rows and report them instead of failing.")
@pass_context
def import_headlines(ctx: Context, file: str, source: str | None, skip_bad: bool) -> None:
    """Import headlines from a CSV (a time and a title; optional source, link, summary).

    \b
    Example:
      newsmarks import-headlines ../shared/data/world-headlines-rss-2026-05-to-08.csv
    """
    from ingest.csvio import read_headlines_csv
    from ingest.tagging import headline_tagger

    imported = _read_csv_or_fail(read_headlines_csv, file, source=source, skip_bad=skip_bad,
                                 fetched=datetime.now(UTC))
    _report_skipped(imported.skipped)
    counts = ctx.store.write_headlines(imported.headlines, tag=headline_tagger(ctx.config.topics))
    click.echo(f"{file}: {counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged headlines"
               + (f"; {len(imported.skipped)} rows skipped" if imported.skipped else ""))


def _captured_at(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time (e.g. 2018-03-18T00:18:38Z)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@cli.command()
@click.argument("targets", nargs=-1, required=True, metavar="FILE|URL...")
@click.option("--captured-at", callback=_captured_at, metavar="TIME",
              help="When the pages showed their values: ISO 8601, a time without offset is UTC "
                   "(default: a file's modification time, a URL's fetch time).")
@pass_context
def snapshot(ctx: Context, targets: tuple[str, ...], captured_at: datetime | None) -> None:
    """Store the ticker values ($, €, BR) and the headline of saved news pages.

    Reads plain-text and HTML pages, from files or http(s) URLs; one line per page. Exits 1
    when every page failed.

    \b
    Example:
      newsmarks snapshot ../shared/data/pages/news-page-header-tickers.txt --captured-at 2024-05-01T09:30
    """
    from ingest.page_snapshots import snapshot_pages

    outcomes = snapshot_pages(ctx.store, ctx.config, targets, captured_at=captured_at, now=datetime.now(UTC),
                              clock=lambda: datetime.now(UTC))
    for outcome in outcomes:
        click.echo(outcome.line())
    if all(o.status == "error" for o in outcomes):
        click.echo(f"snapshot: every page failed ({len(outcomes)} of {len(outcomes)}); nothing stored",
                   err=True)
        sys.exit(EXIT_ALL_FAILED)


@cli.command()
@click.argument("what", type=click.Choice(["prices", "headlines", "snapshots"]))
@click.option("--instrument", "instrument_ids", multiple=True, help="Instrument id (repeatable).")
@click.option("--interval", type=click.Choice(["1d", "1h"]), default=None)
@click.option("--start", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="From this UTC date or time.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="To this UTC date (inclusive) or time.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="-",
              help="Output file (default: standard output).")
@pass_context
def export(ctx: Context, what: str, instrument_ids: tuple[str, ...], interval: str | None,
           start: datetime | None, end: datetime | None, output: str) -> None:
    """Export prices, headlines or ticker snapshots as CSV (UTF-8; times in UTC).

    Prices: timestamp_utc,instrument,interval,open,high,low,close,volume.
    Headlines: published_utc,source,title,link,summary,time_inferred,topics,guid.
    Snapshots: captured_at_utc,source,mark,instrument_id,value,change,change_pct,captured_from,
    mark_inferred.

    \b
    Example:
      newsmarks export prices --instrument brent --start 2022-01-01 -o brent.csv
    """
    from ingest.csvio import headlines_to_csv, prices_to_csv

    store = ctx.store
    if what == "prices":
        frame = store.bars(list(instrument_ids) or None, interval, utc_day(start), utc_day(end, end=True))
        text = prices_to_csv(frame)
    elif what == "snapshots":
        from ingest.csv_snapshots import snapshots_to_csv

        frame = store.snapshots(utc_day(start), utc_day(end, end=True), list(instrument_ids) or None)
        text = snapshots_to_csv(frame)
    else:
        frame = store.headlines(start=utc_day(start), end=utc_day(end, end=True))
        text = headlines_to_csv(frame)
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8", newline="")
        click.echo(f"{len(frame)} rows written to {output}", err=True)
