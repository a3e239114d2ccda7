"""The `newsmarks` command line (also `python -m ingest`): thin commands over jobs, store and
CSV functions. Every failure is one plain line, never a traceback."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

import click

from ingest.config import Config, ConfigError, load_config
from ingest.store import SchemaError, Store

EXIT_ALL_FAILED = 1
EXIT_SKIPPED = 75  # EX_TEMPFAIL: another refresh held the lock


class Context:
    """Lazily loaded config and store shared by the commands."""

    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: Config | None = None
        self._store: Store | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            url = self.config.store.url
            try:
                self._store = Store.open(url)
            except SchemaError as exc:
                raise click.ClickException(str(exc)) from None
            except Exception as exc:  # driver errors differ per database; say which store failed
                raise click.ClickException(f"cannot open the store {url}: {exc}") from None
        return self._store


pass_context = click.make_pass_decorator(Context)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z",
                        stream=sys.stderr)
    # yfinance logs what newsmarks reports itself, per source
    quiet = {"yfinance": logging.CRITICAL, "urllib3": logging.WARNING, "apscheduler": logging.WARNING,
             "peewee": logging.WARNING, "werkzeug": logging.WARNING}
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else level)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="FILE", envvar="NEWSMARKS_CONFIG",
              help="Config file (TOML). Default: $NEWSMARKS_CONFIG, else ./newsmarks.toml, else built-in.")
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """newsmarks: rouble rates, Brent and the geopolitical headlines beside them.

    \b
    Example:
      newsmarks refresh && newsmarks status
    """
    _setup_logging(verbose)
    ctx.obj = Context(config_path)


def _run(ctx: Context, job: str, groups: tuple[str, ...], since: date | None, wait: float | None) -> None:
    from ingest.jobs import run_job

    store, config = ctx.store, ctx.config
    progress = None
    if job == "backfill" and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(desc="backfill", unit="source", file=sys.stderr)

    def show(outcome) -> None:
        if progress is not None:
            progress.update(1)
            progress.write(outcome.line())
        else:
            click.echo(outcome.line())

    report = run_job(store, config, job, groups=groups, since=since, lock_wait=wait, on_outcome=show)
    if progress is not None:
        progress.close()
    if report.skipped:
        click.echo(f"{job} skipped: {report.skipped}", err=True)
        sys.exit(EXIT_SKIPPED)
    failed = sum(o.status == "error" for o in report.outcomes)
    click.echo(f"{job}: {len(report.outcomes)} sources, {failed} failed, {report.counts.new} new rows")
    if report.all_failed:
        click.echo(f"{job}: every source failed (is the network reachable?)", err=True)
        sys.exit(EXIT_ALL_FAILED)


_GROUPS = click.Choice(["all", "prices", "feeds"])


def _groups(choice: str) -> tuple[str, ...]:
    return ("prices", "feeds") if choice == "all" else (choice,)


@cli.command()
@click.option("--only", type=_GROUPS, default="all", show_default=True, help="Which sources.")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait for another refresh to finish (default: [refresh] lock_wait).")
@pass_context
def refresh(ctx: Context, only: str, wait: float | None) -> None:
    """Fetch every source once, incrementally; one line per source.

    Exits 1 only when every source failed, 75 when another refresh held the lock.

    \b
    Example:
      newsmarks refresh --only feeds
    """
    _run(ctx, "refresh", _groups(only), None, wait)


@cli.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Start date (default: [refresh] backfill_since).")
@click.option("--only", type=_GROUPS, default="all", show_default=True, help="Which sources.")
@click.option("--wait", type=float, default=None, metavar="SECONDS", help="Lock wait, as for refresh.")
@pass_context
def backfill(ctx: Context, since: datetime | None, only: str, wait: float | None) -> None:
    """Fetch each source as far back as it allows (a feed: what it holds now).

    \b
    Example:
      newsmarks backfill --since 2016-01-01
    """
    _run(ctx, "backfill", _groups(only), since.date() if since else None, wait)


@cli.command()
@pass_context
def schedule(ctx: Context) -> None:
    """Refresh prices and feeds on their configured intervals until Ctrl-C / SIGTERM.

    The first refresh of each runs at once. Run this once per store.

    \b
    Example:
      newsmarks schedule
    """
    from ingest.scheduler import run_forever

    run_forever(ctx.store, ctx.config)


@cli.command()
@pass_context
def status(ctx: Context) -> None:
    """Per source: the last run, its result and error, the newest data point and row counts.

    \b
    Example:
      newsmarks status
    """
    from ingest.status import status_lines

    for line in status_lines(ctx.store, ctx.config):
        click.echo(line)


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


@cli.command()
@pass_context
def retag(ctx: Context) -> None:
    """Recompute every stored headline's tags: topics, geopolitical-risk categories, sentiment.

    Run it after changing [[topics]] in the config or the lexicon.

    \b
    Example:
      newsmarks retag
    """
    from ingest.tagging import headline_tagger

    store = ctx.store
    total = store.count_headlines()
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=total, desc="retag", unit="headline", file=sys.stderr)
    done = store.retag(headline_tagger(ctx.config.topics), progress=progress.update if progress else None)
    if progress is not None:
        progress.close()
    click.echo(f"retagged {done} headlines")


@cli.command()
@click.option("--query", "query", default=None, help='Search-box query: Syria, "oil output", sanction*.')
@click.option("--topic", "topics", multiple=True, help="Topic (repeatable).")
@click.option("--source", "sources", multiple=True, help="Headline source (repeatable).")
@click.option("--instrument", "instrument_id", default="brent", show_default=True)
@click.option("--interval", type=click.Choice(["1d", "1h"]), default="1d", show_default=True)
@click.option("--window", type=click.IntRange(1, 500), default=10, show_default=True, help="W: bars each side.")
@click.option("--spacing", type=click.IntRange(0), default=0, show_default=True,
              help="S: drop an event less than S bars after the previous one.")
@click.option("--placebo-draws", type=click.IntRange(0, 10000), default=200, show_default=True)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="From this UTC date.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="To this UTC date (inclusive).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write one row per event to this CSV file.")
@pass_context
def study(ctx: Context, query: str | None, topics: tuple[str, ...], sources: tuple[str, ...], instrument_id: str,
          interval: str, window: int, spacing: int, placebo_draws: int, start: datetime | None,
          end: datetime | None, output: str | None) -> None:
    """Event study: what the instrument did around the matching headlines.

    Prints N, the mean move at +1 and +W bars (log returns) with t and p, and the placebo p.

    \b
    Example:
      newsmarks study --query "sanction*" --instrument brent --window 5 -o events.csv
    """
    from dashboard.analysis.event_report import events_csv, summary_lines
    from dashboard.analysis.event_study import event_study

    try:
        ctx.config.instrument(instrument_id)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    store = ctx.store
    headlines = store.headlines(start=_day(start), end=_day(end, end=True), query=query, topics=topics,
                                sources=sources, stories_only=True)
    bars = store.bars([instrument_id], interval)
    if bars.empty:
        raise click.ClickException(f"no {interval} bars of {instrument_id} in the store "
                                   "(run newsmarks refresh, or import-prices)")
    try:
        result = event_study(headlines, bars, interval, window=window, spacing=spacing,
                             placebo_draws=placebo_draws)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    label = " ".join(filter(None, [f"query {query!r}" if query else "all headlines",
                                   f"topics {', '.join(topics)}" if topics else "",
                                   f"sources {', '.join(sources)}" if sources else "", f"on {instrument_id}"]))
    for line in summary_lines(result, label):
        click.echo(line)
    if output:
        Path(output).write_text(events_csv(result), encoding="utf-8", newline="")
        click.echo(f"{result.n_events} events written to {output}", err=True)


def _day(value: datetime | None, end: bool = False) -> datetime | None:
    if value is None:
        return None
    if value.hour or value.minute or value.second:
        return value.replace(tzinfo=UTC)
    return datetime.combine(value.date(), time.max if end else time.min, UTC)


@cli.command()
@click.argument("what", type=click.Choice(["prices", "headlines"]))
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
    """Export prices or headlines as CSV (UTF-8; times in UTC).

    Prices: timestamp_utc,instrument,interval,open,high,low,close,volume.
    Headlines: published_utc,source,title,link,summary,time_inferred,topics,guid.

    \b
    Example:
      newsmarks export prices --instrument brent --start 2022-01-01 -o brent.csv
    """
    from ingest.csvio import headlines_to_csv, prices_to_csv

    store = ctx.store
    if what == "prices":
        frame = store.bars(list(instrument_ids) or None, interval, _day(start), _day(end, end=True))
        text = prices_to_csv(frame)
    else:
        frame = store.headlines(start=_day(start), end=_day(end, end=True))
        text = headlines_to_csv(frame)
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8", newline="")
        click.echo(f"{len(frame)} rows written to {output}", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the dashboard to the network).")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-refresh", is_flag=True, help="Do not run the scheduled refresh in this process.")
@click.option("--debug", is_flag=True, help="Dash debug mode (tracebacks in the browser): never in production.")
@pass_context
def serve(ctx: Context, host: str, port: int, no_refresh: bool, debug: bool) -> None:
    """Serve the dashboard, with the scheduled refresh running beside it.

    For a team, use `gunicorn app:server` and one `newsmarks schedule` instead.

    \b
    Example:
      newsmarks serve --port 8050
    """
    import threading

    from dashboard import create_app

    store, config = ctx.store, ctx.config
    app = create_app(config, store)
    stop = threading.Event()
    scheduler = None
    if not no_refresh:
        from ingest.scheduler import make_scheduler

        scheduler = make_scheduler(store, config, blocking=False, stop=stop)
        scheduler.start()
    click.echo(f"newsmarks dashboard on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    try:
        app.run(host=host, port=port, debug=debug, use_reloader=False)
    finally:
        if scheduler is not None:
            stop.set()
            scheduler.shutdown(wait=True)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli(args=argv, prog_name="newsmarks")
