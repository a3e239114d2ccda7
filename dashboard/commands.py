"""The dashboard's commands — `serve`, `study` and `intensity` — and the full `newsmarks` command: the ingest
commands (ingest.cli) plus these. They live here because ingest/ never imports dashboard/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click

from dashboard.analysis.choices import CLOSED_RULES, INTERVALS, MODELS, NEWS_MEASURES
from ingest.cli import CliContext, cli, pass_context
from ingest.config import ConfigError
from ingest.utc import utc_day


def _view_options(function):
    """The options naming a view, shared by `study` and `intensity` (as the Analysis tab reads it)."""
    options = [
        click.option("--query", "query", default=None, help='Search-box query: Syria, "oil output", sanction*.'),
        click.option("--topic", "topics", multiple=True, help="Topic (repeatable)."),
        click.option("--source", "sources", multiple=True, help="Headline source (repeatable)."),
        click.option("--instrument", "instrument_id", default="brent", show_default=True),
        click.option("--interval", type=click.Choice(INTERVALS), default="1d", show_default=True),
        click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="The view's first UTC day (the headlines, and the bars around them)."),
        click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="The view's last UTC day (inclusive)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _inputs(ctx: CliContext, query: str | None, topics: tuple[str, ...], sources: tuple[str, ...],
            instrument_id: str, start: datetime | None, end: datetime | None, settings):
    """The view's frames, read as the Analysis tab and scripts read them (dashboard.analysis.api)."""
    from dashboard.analysis.api import analysis_inputs
    from ingest.store import HeadlineFilter

    try:
        instrument = ctx.config.instrument(instrument_id)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    headline_filter = HeadlineFilter(start=utc_day(start), end=utc_day(end, end=True), query=query or None,
                                     sources=tuple(sources), topics=tuple(topics), stories_only=True)
    return analysis_inputs(ctx.existing_store, headline_filter, settings, instrument.label)


def _report(result, message: str, lines: Callable, output: str | None, csv_text: Callable, written: Callable) -> None:
    """Print an analysis of the view (its `lines`), and write its CSV to `output` if asked;
    ClickException with `message` when the view gave none."""
    if result is None:
        raise click.ClickException(message)
    for line in lines(result):
        click.echo(line)
    if output:
        Path(output).write_text(csv_text(result), encoding="utf-8", newline="")
        click.echo(f"{written(result)} written to {output}", err=True)


def _label(query: str | None, topics, sources, instrument_id: str) -> str:
    return " ".join(filter(None, [f"query {query!r}" if query else "all headlines",
                                  f"topics {', '.join(topics)}" if topics else "",
                                  f"sources {', '.join(sources)}" if sources else "", f"on {instrument_id}"]))


@click.command()
@_view_options
@click.option("--window", type=click.IntRange(1, 500), default=10, show_default=True, help="W: bars each side.")
@click.option("--model", type=click.Choice(MODELS), default="mean", show_default=True,
              help="Normal-return model: raw (none: abnormal = raw returns), mean (the constant mean of each "
                   "event's estimation window), market (OLS on --benchmark over it).")
@click.option("--benchmark", "benchmark_id", default=None,
              help="The market model's benchmark: another instrument, its price on each bar the last close known "
                   "by the time that bar's close was.")
@click.option("--estimation", type=click.IntRange(10, 2000), default=120, show_default=True,
              help="L: bars of each event's estimation window, ending W + 1 bars before its bar (mean, market).")
@click.option("--spacing", type=click.IntRange(0), default=None,
              help="S: keep overlapping events, dropping one less than S bars after the previous one (0: keep "
                   "all). Default: events less than 2W + 1 bars after an episode's first event are merged into it.")
@click.option("--placebo-draws", type=click.IntRange(0, 10000), default=200, show_default=True,
              help="Shifts of the event calendar within the period (all of them when there are fewer).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the placebo draws.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write one row per event to this CSV file (moves, CARs and ARs).")
@pass_context
def study(ctx: CliContext, query: str | None, topics: tuple[str, ...], sources: tuple[str, ...], instrument_id: str,
          interval: str, start: datetime | None, end: datetime | None, window: int, model: str,
          benchmark_id: str | None, estimation: int, spacing: int | None, placebo_draws: int, seed: int,
          output: str | None) -> None:
    """Event study: what the instrument did around the matching headlines, against a normal-return
    model.

    Prints the model, N (events, or episodes of overlapping ones), the events left out and why,
    the CAAR at +1 and +W bars (log returns) with the cross-sectional t, the placebo's p-values
    (the event calendar shifted within the period), then each test's statistic and p: Patell, BMP,
    BMP adjusted for cross-correlation (Kolari-Pynnönen), Corrado rank, generalised sign and
    calendar-time HAC. --model raw --spacing 0 is the study without a model, as it was. The view
    (filters, instrument, interval, --start/--end) is read exactly as the Analysis tab reads it —
    headlines of the period, bars from 2W bars, the estimation window and ten days before it to
    2W bars and ten days after — so the same view gives the same figures in both.

    \b
    Example:
      newsmarks study --query Hormuz --instrument brent --window 3 --start 2026-05-12 --end 2026-08-18
      newsmarks study --query sanction* --instrument usd_rub --model market --benchmark brent -o events.csv
      newsmarks study --query "sanction*" --model raw --spacing 0
    """
    from dashboard.analysis.event_report import events_csv, summary_lines
    from dashboard.analysis.inputs import run_event_study
    from dashboard.analysis.settings import Settings

    if model == "market":
        if benchmark_id is None:
            raise click.ClickException("--model market needs --benchmark ID (another instrument)")
        try:
            ctx.config.instrument(benchmark_id)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
    elif benchmark_id is not None:
        raise click.ClickException("--benchmark is for --model market")
    settings = Settings(instrument=instrument_id, interval=interval, window=window, spacing=spacing or 0,
                        placebo_draws=placebo_draws, seed=seed, model=model, estimation=estimation,
                        overlap="merge" if spacing is None else "spacing", benchmark=benchmark_id)
    inputs = _inputs(ctx, query, topics, sources, instrument_id, start, end, settings)
    if inputs.bars["close"].notna().sum() == 0:
        raise click.ClickException(f"no {interval} bars of {instrument_id} in the store "
                                   "(run newsmarks refresh, or import-prices)")
    result, message = run_event_study(inputs)
    _report(result, message, lambda r: summary_lines(r, _label(query, topics, sources, instrument_id)),
            output, events_csv, lambda r: f"{r.n_events} events")


@click.command()
@_view_options
@click.option("--lag", type=click.IntRange(0, 60), default=10, show_default=True,
              help="L: cross-correlations at lags -L .. +L buckets.")
@click.option("--news", type=click.Choice(NEWS_MEASURES), default="count", show_default=True,
              help="The news side: headlines per bucket, or their geopolitical-risk share.")
@click.option("--closed", type=click.Choice(CLOSED_RULES), default="next", show_default=True,
              help="Headlines that arrived while the market was closed (weekends, holidays): counted in the "
                   "next trading period, or left out.")
@click.option("--prewhiten", is_flag=True,
              help="Correlate the lags of each series' AR residuals (order by AIC, at most 10).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the cross-correlation by lag, with each lag's bands, to this CSV file.")
@pass_context
def intensity(ctx: CliContext, query: str | None, topics: tuple[str, ...], sources: tuple[str, ...],
              instrument_id: str, interval: str, start: datetime | None, end: datetime | None, lag: int,
              news: str, closed: str, prewhiten: bool, output: str | None) -> None:
    """News intensity against volatility on a trading calendar: headlines (or their risk share)
    per trading period against the absolute return.

    Prints what the calendar did with headlines from closed periods, what was left out and why
    (flagged bars; days without collection: no headline at all in the store, or under 10% of the
    median day's; periods reaching outside the view), the news coefficient with weekday dummies
    (and hour of day, hourly) with its Newey-West HAC t and p, the partial r given the weekday,
    the raw Pearson and Spearman r, and r by lag with each lag's pointwise and Sidak family band.
    The view is read exactly as the Analysis tab reads it: the same view gives the same figures.

    \b
    Example:
      newsmarks intensity --topic Energy --instrument brent --start 2026-05-12 --end 2026-08-18
    """
    from dashboard.analysis.inputs import run_intensity
    from dashboard.analysis.intensity_report import intensity_lines, lags_csv
    from dashboard.analysis.settings import Settings

    settings = Settings(instrument=instrument_id, interval=interval, lag=lag, news=news, closed=closed,
                        prewhiten=prewhiten)
    inputs = _inputs(ctx, query, topics, sources, instrument_id, start, end, settings)
    result, message = run_intensity(inputs)
    _report(result, message, lambda r: intensity_lines(r, _label(query, topics, sources, instrument_id)),
            output, lags_csv, lambda r: f"{len(r.lags)} lags")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the dashboard to the network).")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-refresh", is_flag=True, help="Do not run the scheduled refresh in this process.")
@click.option("--debug", is_flag=True, help="Dash debug mode (tracebacks in the browser): never in production.")
@pass_context
def serve(ctx: CliContext, host: str, port: int, no_refresh: bool, debug: bool) -> None:
    """Serve the dashboard, with the scheduled refresh running beside it.

    For a team, use `gunicorn app:server` and one `newsmarks schedule` instead.

    \b
    Example:
      newsmarks serve --port 8050
    """
    import threading

    from dashboard import create_app
    from dashboard.serving import ServeError, listening_socket, serve_on

    config = ctx.config
    try:   # before anything else: a port in use is one line, with no store opened and no refresh
        sock = listening_socket(host, port)
    except ServeError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        store = ctx.store
        app = create_app(config, store)
    except BaseException:
        sock.close()
        raise
    stop = threading.Event()
    scheduler = None
    if not no_refresh:
        from ingest.runners.scheduler import make_scheduler

        scheduler = make_scheduler(store, config, blocking=False, stop=stop)
        scheduler.start()
    click.echo(f"newsmarks dashboard on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    try:
        serve_on(app, sock, debug=debug)
    finally:
        if scheduler is not None:
            stop.set()
            scheduler.shutdown(wait=True)


def newsmarks_cli() -> click.Group:
    """The full `newsmarks` group: the ingest commands and the dashboard's."""
    for command in (serve, study, intensity):
        cli.add_command(command)
    return cli


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (`newsmarks`, `python -m dashboard`, `python app.py`)."""
    newsmarks_cli()(args=argv, prog_name="newsmarks")
