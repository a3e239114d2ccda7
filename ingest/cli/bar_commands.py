"""The command that records a user's verdict on one price bar: flag-bar (--bad, --good, --auto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from ingest.cli.app import CliContext, cli, pass_context
from ingest.records import INTERVALS

VERDICTS = {"bad": "bad", "good": "good", "auto": None}
NEAREST_WITHIN = timedelta(days=14)


def bar_time(text: str, interval: str) -> datetime:
    """The bar a TIME argument names: a daily bar by its trading day (a date, or 00:00 of it), an
    hourly bar by its start (ISO 8601; without an offset, UTC). ValueError saying what is expected."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a date or time (expected {_expected(interval)})") from None
    if interval == "1d":   # the date as written, as import-prices reads a daily bar's time
        if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
            raise ValueError(f"{text!r} is not a trading day: a daily bar is named by its date, e.g. 2016-01-06")
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if (moment.minute, moment.second, moment.microsecond) != (0, 0, 0):
        raise ValueError(f"{text!r} is not the start of an hour: an hourly bar is named by its start, "
                         "e.g. 2022-03-01T09:00 (UTC)")
    return moment


def _expected(interval: str) -> str:
    return "a trading day such as 2016-01-06" if interval == "1d" else "an ISO time such as 2022-03-01T09:00 (UTC)"


def _when(moment, interval: str) -> str:
    return f"{moment:%Y-%m-%d}" if interval == "1d" else f"{moment:%Y-%m-%dT%H:%M}Z"


def _close(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 1e5 else f"{value:.6g}"


@cli.command("flag-bar")
@click.argument("time", metavar="TIME")
@click.option("--instrument", "instrument_id", required=True, help="Instrument id.")
@click.option("--interval", type=click.Choice(INTERVALS), default="1d", show_default=True)
@click.option("--bad", "verdict", flag_value="bad", help="Keep the bar out of every return.")
@click.option("--good", "verdict", flag_value="good", help="Use the bar whatever its flags say.")
@click.option("--auto", "verdict", flag_value="auto", help="Let the bar's flags decide again (jump, range: bad).")
@pass_context
def flag_bar(ctx: CliContext, time: str, instrument_id: str, interval: str, verdict: str | None) -> None:
    """Flag or unflag one price bar: your verdict overrides its automatic flags.

    TIME is a daily bar's trading day (2016-01-06), or an hourly bar's start in UTC
    (2022-03-01T09:00). A bar flagged jump or range is kept out of every return; ohlc is a
    warning only. Prints the bar and its verdict; exits 1 when there is no such bar. An open
    dashboard redraws.

    \b
    Example:
      newsmarks flag-bar --instrument usd_rub_mkt 2016-01-06 --good
    """
    from ingest.bar_quality import flags_text, is_bad

    if verdict is None:
        raise click.UsageError("say what to do with the bar: --bad, --good or --auto")
    try:
        moment = bar_time(time, interval)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    store = ctx.existing_store   # a verdict is on a stored bar: no store, no bar
    found = store.bars([instrument_id], interval, moment, moment)
    if found.empty:
        raise click.ClickException(f"no {interval} bar of {instrument_id} at {_when(moment, interval)}"
                                   + _nearest(store, instrument_id, interval, moment))
    row = found.iloc[0]
    flag = row["flag"] if isinstance(row["flag"], str) else None
    review = VERDICTS[verdict]
    if not store.set_bar_review(instrument_id, interval, moment, review):
        raise click.ClickException(f"no {interval} bar of {instrument_id} at {_when(moment, interval)} "
                                   "(deleted meanwhile)")
    if review is not None:
        outcome = f"review:{review}"
    else:
        outcome = "its flags decide: " + ("kept out of returns" if is_bad(flag) else "used in returns")
    click.echo(f"{instrument_id} {interval} {_when(moment, interval)}: close {_close(float(row['close']))}, "
               f"flags {flags_text(flag, None) or 'none'} → {outcome}")


def _nearest(store, instrument_id: str, interval: str, moment: datetime) -> str:
    """' (nearest: 2016-01-08, 2016-01-11)', the stored bars on either side within two weeks,
    or why there are none."""
    around = store.bars([instrument_id], interval, moment - NEAREST_WITHIN, moment + NEAREST_WITHIN)
    if around.empty:
        if store.last_bar_time(instrument_id, interval) is None:
            return f" (the store has no {interval} bars of {instrument_id})"
        return " (none within two weeks)"
    before = around[around["ts"] < moment]["ts"]
    after = around[around["ts"] > moment]["ts"]
    near = ([before.iloc[-1]] if len(before) else []) + ([after.iloc[0]] if len(after) else [])
    return f" (nearest: {', '.join(_when(t, interval) for t in near)})"
