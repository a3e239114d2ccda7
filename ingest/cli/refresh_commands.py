"""Commands that fetch: refresh, backfill, backfill-news (GDELT history), schedule, and status."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

import click

from ingest.cli.app import EXIT_ALL_FAILED, EXIT_SKIPPED, CliContext, cli, pass_context
from ingest.sources import UNIT_GROUPS


def _run(ctx: CliContext, job: str, groups: tuple[str, ...], since: date | None, wait: float | None) -> None:
    from ingest.runners.jobs import run_job

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
    failed = sum(o.failed for o in report.outcomes)
    click.echo(f"{job}: {len(report.outcomes)} sources, {failed} failed, {report.counts.new} new rows")
    if report.all_failed:
        click.echo(f"{job}: every source failed (is the network reachable?)", err=True)
        sys.exit(EXIT_ALL_FAILED)


_GROUPS = click.Choice(["all", "prices", "feeds", "pages"])


def _groups(choice: str) -> tuple[str, ...]:
    return UNIT_GROUPS if choice == "all" else (choice,)


@cli.command()
@click.option("--only", type=_GROUPS, default="all", show_default=True, help="Which sources.")
@click.option("--wait", type=float, default=None, metavar="SECONDS",
              help="How long to wait for another refresh to finish (default: [refresh] lock_wait).")
@pass_context
def refresh(ctx: CliContext, only: str, wait: float | None) -> None:
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
def backfill(ctx: CliContext, since: datetime | None, only: str, wait: float | None) -> None:
    """Fetch each source as far back as it allows (a feed: what it holds now).

    \b
    Example:
      newsmarks backfill --since 2016-01-01
    """
    _run(ctx, "backfill", _groups(only), since.date() if since else None, wait)


EXIT_INTERRUPTED = 130  # 128 + SIGINT


@cli.command("backfill-news")
@click.option("--query", required=True, help='GDELT query: words, "phrases", OR, sourcelang:english ...')
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), required=True,
              help="From this UTC date or time (GDELT's archive starts 2017-01-01).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="To this UTC date (inclusive) or time (default: an hour ago; GDELT is still indexing "
                   "the last hour).")
@pass_context
def backfill_news_command(ctx: CliContext, query: str, since: datetime, until: datetime | None) -> None:
    """Fill the store with headline history from GDELT (one request every [sources.gdelt]
    min_interval seconds, 5 by default: a year takes about half an hour at least).

    Resumable: a rerun continues where an interrupted one stopped and stores nothing twice.
    Exits 1 on error, 130 when interrupted, 75 when another backfill-news runs on the store.

    \b
    Example:
      newsmarks backfill-news --query '"oil price" sanctions' --since 2022-02-01 --until 2022-03-31
    """
    from datetime import timedelta

    from ingest.runners.news_backfill import ProgressBar, backfill_news

    start = since.replace(tzinfo=UTC)
    end = None if until is None else until.replace(tzinfo=UTC)  # None: up to what GDELT has settled
    if end is not None and not (until.hour or until.minute or until.second):
        end += timedelta(days=1)  # a date includes its day
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = backfill_news(ctx.store, ctx.config, query, start, end, progress=bar)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.status == "skipped":
        click.echo(f"backfill-news skipped: {report.error}", err=True)
        sys.exit(EXIT_SKIPPED)
    counts, done = report.counts, report.already_done.total_seconds() / 3600
    click.echo(f"backfill-news {query!r} {report.range.label}: {report.slices_stored} slices stored "
               f"in {report.requests} requests"
               + (f" ({done:g} h already done)" if done else "")
               + f"; {counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged headlines")
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if report.status == "interrupted":
        click.echo(f"backfill-news {report.error}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if report.status == "error":
        raise click.ClickException(report.error)


@cli.command()
@pass_context
def schedule(ctx: CliContext) -> None:
    """Refresh prices and feeds on their configured intervals until Ctrl-C / SIGTERM.

    The first refresh of each runs at once. Run this once per store.

    \b
    Example:
      newsmarks schedule
    """
    from ingest.runners.scheduler import run_forever

    run_forever(ctx.store, ctx.config)


@cli.command()
@pass_context
def status(ctx: CliContext) -> None:
    """Per source: the last run, its result and error, the newest data point and row counts.

    \b
    Example:
      newsmarks status
    """
    from ingest.runners.status import status_lines

    for line in status_lines(ctx.existing_store, ctx.config):
        click.echo(line)
