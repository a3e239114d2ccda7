"""Commands that read files: import-prices, import-headlines and snapshot (saved news pages);
export is in export_commands."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from ingest.cli.app import EXIT_ALL_FAILED, CliContext, cli, pass_context
from ingest.config import ConfigError
from ingest.records import INTERVALS


def _read_csv_or_fail(reader, path: str, **kwargs):
    from ingest.csvio import CsvError
    from ingest.local_files import NotRegularFile, check_regular_file

    try:
        check_regular_file(path)   # a FIFO would hang the import
    except NotRegularFile as exc:
        raise click.ClickException(str(exc)) from None
    except OSError:
        pass   # the reader says why it cannot read the file, as it always has
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
@click.option("--interval", type=click.Choice(INTERVALS), default="1d", show_default=True)
@click.option("--delimiter", type=click.Choice([",", ";", "\t", "|"]), default=None,
              help="Field delimiter (default: detected).")
@click.option("--decimal", type=click.Choice([".", ","]), default=None,
              help="Decimal separator (default: detected).")
@click.option("--skip-bad", is_flag=True, help="Skip bad rows and report them instead of failing.")
@click.option("--close-time", "close_time", metavar="'HH:MM Zone'",
              help="When each daily close became known: 'HH:MM Zone' on the trading day ('24:00 Zone': at "
                   "its end), or 'cbr HH:MM Zone' (the Bank of Russia's: on the day before the rate's date). "
                   "Default: the instrument's close rule (brent, Yahoo's BZ=F: the ICE settlement, 19:30 "
                   "Europe/London) — for EIA's Brent spot, assessed at the London close, pass "
                   "--close-time '16:30 Europe/London'. A file's known_utc column (newsmarks' export) wins.")
@pass_context
def import_prices(ctx: CliContext, file: str, instrument_id: str, interval: str, delimiter: str | None,
                  decimal: str | None, skip_bad: bool, close_time: str | None) -> None:
    """Import price bars from a CSV (a date column and a close, optional OHLCV).

    Daily bars are stored under their trading day: the date written in the file (the local date
    of a time with an offset). Each close is known by the instrument's close rule unless
    --close-time says otherwise. A `flags` column (newsmarks' export) is kept as it is, with its
    review:bad / review:good verdicts; otherwise the bars are flagged afresh.

    All or nothing: a bad row stops the import with its line number and stores nothing,
    unless --skip-bad.

    \b
    Example:
      newsmarks import-prices ../shared/data/brent-daily.csv --instrument brent --close-time '16:30 Europe/London'
    """
    from ingest.close_rules import DEFAULT_RULE, parse_rule
    from ingest.csvio import read_prices_csv

    try:
        ctx.config.instrument(instrument_id)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    rule = None
    if close_time is not None:
        if interval != "1d":
            raise click.ClickException("--close-time is for daily bars: an hourly bar's close is known an hour "
                                       "after its start")
        try:
            rule = parse_rule(close_time)
        except ValueError as exc:
            named = "" if repr(close_time) in str(exc) else f" {close_time!r}"
            raise click.ClickException(f"bad --close-time{named}: {exc}") from None
    store = ctx.store
    store.sync_config(ctx.config)
    default = False
    if rule is None:
        # sync_config stored the rule the instrument's settings give, if any, else kept a learned one
        stored = store.close_rules().get(instrument_id)
        rule, default = (parse_rule(stored), False) if stored else (DEFAULT_RULE, True)
    imported = _read_csv_or_fail(read_prices_csv, file, delimiter=delimiter, decimal=decimal,
                                 skip_bad=skip_bad, instrument=instrument_id,
                                 interval=interval, close_rule=rule)
    _report_skipped(imported.skipped)
    counts, reviewed = store.import_bars(instrument_id, interval, "import", imported.bars, datetime.now(UTC))
    click.echo(f"{file}: {counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged bars "
               f"for {instrument_id} {interval}" + _known_words(imported, default)
               + (f"; {reviewed} review{'s' if reviewed != 1 else ''} applied" if reviewed else "")
               + (f"; {len(imported.skipped)} rows skipped" if imported.skipped else ""))


def _known_words(imported, default: bool) -> str:
    """How the imported daily bars' closes were timed, for the import's line: '; closes known by
    19:30 Europe/London' (nothing for hourly bars: an hour after their start)."""
    rule = imported.close_rule
    if rule is None or imported.bars.empty:
        return ""
    words = f"{rule.clock} the day before each rate's date (the Bank of Russia's rule)" if rule.cbr else rule.clock
    if default:
        words += " (the default: no close rule known for this instrument; see --close-time)"
    if imported.known_given == len(imported.bars):
        return "; closes known as the file's known_utc column says"
    if imported.known_given:
        return f"; closes known as the file's known_utc column says, else by {words}"
    return f"; closes known by {words}"


@cli.command("import-headlines")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", default=None,
              help="Source name for rows without a source cell (the name the dashboard shows, e.g. 'BBC Business'; "
                   "default: import:<file name>).")
@click.option("--skip-bad", is_flag=True, help="Skip bad rows and report them instead of failing.")
@pass_context
def import_headlines(ctx: CliContext, file: str, source: str | None, skip_bad: bool) -> None:
    """Import headlines from a CSV (a time and a title; optional source, link, summary).

    HTML entities in titles and summaries are decoded (Trump&#039;s -> Trump's). A date without
    a time (2008-06-08) is stored as that day (00:00 UTC, day precision); a time more than 10
    minutes after the import is replaced by the import time, marked inferred, and counted.

    \b
    Example:
      newsmarks import-headlines ../shared/data/world-headlines-rss-2026-05-to-08.csv
    """
    from ingest.csvio import read_headlines_csv
    from ingest.headline_tags.stored_tags import headline_tagger

    imported = _read_csv_or_fail(read_headlines_csv, file, source=source, skip_bad=skip_bad,
                                 fetched=datetime.now(UTC))
    _report_skipped(imported.skipped)
    counts = ctx.store.write_headlines(imported.headlines, tag=headline_tagger(ctx.config.topics))
    future = imported.future
    click.echo(f"{file}: {counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged headlines"
               + (f"; {len(imported.skipped)} rows skipped" if imported.skipped else "")
               + (f"; {future} {'time' if future == 1 else 'times'} in the future replaced by the import time"
                  if future else ""))
    if imported.unnamed:   # the dashboard shows the source by name: say how to give it one users know
        click.echo(f"{imported.unnamed} rows had no source: stored as {imported.fallback_source!r}; "
                   f"name it with --source, e.g. newsmarks import-headlines {file} --source 'BBC Business'")


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
                   "(default: a URL's fetch time; for a file the page's own publication time, else "
                   "the file's modification time — both inferred).")
@pass_context
def snapshot(ctx: CliContext, targets: tuple[str, ...], captured_at: datetime | None) -> None:
    """Store the ticker values ($, €, BR) and the headline of saved news pages.

    Reads plain-text and HTML pages, from files or http(s) URLs; one line per page. Exits 1
    when every page failed.

    The snapshots' captured time: --captured-at, else a URL's fetch time, else the page's own
    publication time (article:published_time, datePublished, the article's <time>; in a text
    page a full date-and-time line by the headline), else the file's modification time. The
    last two are inferred, and the line says so; a strip date without a year (Курс ЦБ на 17.03)
    then stays without one ("year unknown").

    The headline's time: the page's own publication time when it shows one (a date alone is
    kept as that day), else the captured time, marked inferred.

    \b
    Example:
      newsmarks snapshot ../shared/data/pages/news-page-header-tickers.txt --captured-at 2024-05-01T09:30
    """
    from ingest.runners.page_snapshots import snapshot_pages

    outcomes = snapshot_pages(ctx.store, ctx.config, targets, captured_at=captured_at, now=datetime.now(UTC),
                              clock=lambda: datetime.now(UTC))
    for outcome in outcomes:
        click.echo(outcome.line())
    if all(o.status == "error" for o in outcomes):
        click.echo(f"snapshot: every page failed ({len(outcomes)} of {len(outcomes)}); nothing stored",
                   err=True)
        sys.exit(EXIT_ALL_FAILED)
