"""The repair command: delete headlines, price bars or ticker snapshots stored by mistake — a dry
run unless --yes."""

from __future__ import annotations

from datetime import datetime

import click

from ingest.cli.app import CliContext, cli, pass_context
from ingest.records import INTERVALS
from ingest.store.deletion import APPLIES, KINDS, DeleteCounts, DeleteError, DeleteFilter, check
from ingest.utc import utc_day

# DeleteFilter field -> its option
OPTIONS = {"sources": "--source", "instrument_ids": "--instrument", "interval": "--interval", "start": "--start",
           "end": "--end", "inferred_only": "--inferred-only"}
NOUNS = {"headlines": ("headline", "headlines"), "prices": ("price bar", "price bars"),
         "snapshots": ("ticker snapshot", "ticker snapshots")}
INFERRED = {"headlines": "inferred times only", "snapshots": "inferred capture times only"}
TIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _usage_problem(kind: str, flt: DeleteFilter) -> str | None:
    """Why `flt` is not a deletion of `kind` the store does (deletion.check), in the command's
    words: its options instead of the filter's fields."""
    try:
        check(kind, flt)
    except DeleteError as exc:
        options = [OPTIONS[name] for name in exc.fields]
        if exc.reason == "applies":
            kinds = [k for k in KINDS if exc.fields[0] in APPLIES[k]]
            return f"{options[0]} does not apply to {kind} (only to {' and '.join(kinds)})"
        if exc.reason == "empty":
            return f"{options[0]} needs a name, got an empty one"
        if exc.reason == "everything":
            return f"--all deletes every row of {kind}: it cannot be combined with {', '.join(options)}"
        if exc.reason == "none":
            choices = ", ".join(OPTIONS[name] for name in OPTIONS if name in APPLIES[kind])
            return (f"no filter given: choose the {kind} to delete with {choices}, "
                    f"or pass --all to delete every one of them")
        if exc.reason == "order":
            return f"--start {_time(flt.start)} is after --end {_time(flt.end)}"
        return str(exc)
    return None


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(kind: str, flt: DeleteFilter) -> str:
    """The filter in words: 'source page:x, inferred times only', 'all of them'."""
    if flt.everything:
        return "all of them"
    parts = []
    for word, values in (("source", flt.sources), ("instrument", flt.instrument_ids)):
        if values:
            parts.append(f"{word}{'s' if len(values) > 1 else ''} {', '.join(values)}")
    if flt.interval is not None:
        parts.append(f"interval {flt.interval}")
    if flt.start is not None and flt.end is not None:
        parts.append(f"{_time(flt.start)} to {_time(flt.end)}")
    elif flt.start is not None:
        parts.append(f"from {_time(flt.start)}")
    elif flt.end is not None:
        parts.append(f"up to {_time(flt.end)}")
    if flt.inferred_only:
        parts.append(INFERRED[kind])
    return ", ".join(parts)


def _with_them(counts: DeleteCounts) -> str | None:
    """The second line of a headline deletion: the tags and story copies it changes too."""
    items = []
    if counts.tags:
        items.append(_plural(counts.tags, "tag", "tags"))
    if counts.relinked:
        items.append(_plural(counts.relinked, "other copy", "other copies") + " of their stories relinked")
    return f"  with them: {', '.join(items)}" if items else None


@cli.command("delete")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--source", "sources", multiple=True, metavar="S",
              help="Only this source (repeatable): a headline source (a feed's name, gdelt:<domain>, "
                   "page:<site or file>), a snapshot's page (page:<site or file>), a price source (cbr, "
                   "yahoo, import).")
@click.option("--instrument", "instrument_ids", multiple=True, metavar="ID",
              help="Only this instrument (repeatable; prices and snapshots).")
@click.option("--interval", type=click.Choice(INTERVALS), default=None, help="Only this bar interval (prices).")
@click.option("--start", type=click.DateTime(TIME_FORMATS), default=None,
              help="From this UTC date or time (headlines: published; prices: the bar's time; snapshots: captured).")
@click.option("--end", type=click.DateTime(TIME_FORMATS), default=None,
              help="To this UTC date (inclusive: the whole day) or time (inclusive).")
@click.option("--inferred-only", is_flag=True,
              help="Only rows whose time was guessed: headlines with an inferred time, snapshots whose "
                   "capture time is the file's modification time or the date the page shows (not for prices).")
@click.option("--all", "everything", is_flag=True, help="Every row of that kind (needed when no filter is given).")
@click.option("--yes", is_flag=True, help="Delete them; without it nothing changes and the count is printed.")
@pass_context
def delete_command(ctx: CliContext, kind: str, sources: tuple[str, ...], instrument_ids: tuple[str, ...],
                   interval: str | None, start: datetime | None, end: datetime | None, inferred_only: bool,
                   everything: bool, yes: bool) -> None:
    """Delete headlines, prices or snapshots stored by mistake (a dry run unless --yes).

    Without --yes it only counts what would be deleted. With --yes it deletes those rows in one
    transaction, with their tags, search entries and day counts; the remaining copies of a
    story whose first copy is deleted are linked again (the earliest becomes the first copy).
    The filters are ANDed; at least one, or --all, is required. An open dashboard redraws.

    Deleted GDELT headlines (gdelt:<domain>) are not fetched again by a rerun of the same
    backfill-news: the slices it finished stay marked done.

    \b
    Example:
      newsmarks delete headlines --source page:news-page-header-tickers.txt --inferred-only
      newsmarks delete prices --instrument brent --interval 1d --start 2099-01-01 --yes
    """
    flt = DeleteFilter(sources=sources, instrument_ids=instrument_ids, interval=interval,
                       start=utc_day(start), end=utc_day(end, end=True), inferred_only=inferred_only,
                       everything=everything)
    problem = _usage_problem(kind, flt)
    if problem is not None:
        raise click.UsageError(problem)
    singular, plural = NOUNS[kind]
    try:
        counts = ctx.existing_store.delete_rows(kind, flt) if yes else ctx.existing_store.count_deletable(kind, flt)
    except DeleteError as exc:
        raise click.ClickException(str(exc)) from None
    what = describe(kind, flt)
    if not counts.rows:
        click.echo(f"nothing to delete: no {plural} match ({what})")
        return
    rows = _plural(counts.rows, singular, plural)
    if yes:
        click.echo(f"deleted {rows} ({what})")
    else:
        click.echo(f"would delete {rows} ({what}); run again with --yes to delete them")
    extra = _with_them(counts)
    if extra is not None:
        click.echo(extra)
