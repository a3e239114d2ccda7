"""The dashboard's commands — `serve` and `study` — and the full `newsmarks` command: the ingest
commands (ingest.cli) plus these. They live here because ingest/ never imports dashboard/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ingest.cli import Context, cli, pass_context
from ingest.cli.app import utc_day
from ingest.config import ConfigError


@click.command()
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
    headlines = store.headlines(start=utc_day(start), end=utc_day(end, end=True), query=query, topics=topics,
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

@click.command()
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

def newsmarks_cli() -> click.Group:
    """The full `newsmarks` group: the ingest commands and the dashboard's."""
    for command in (serve, study):
        cli.add_command(command)
    return cli


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (`newsmarks`, `python -m dashboard`, `python app.py`)."""
    newsmarks_cli()(args=argv, prog_name="newsmarks")
