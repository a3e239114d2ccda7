"""The command that tags titles from the command line: tag (the geopolitical-risk categories the
headline rules give, as CSV; no store needed)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import click

from ingest.cli.app import cli
from ingest.csvio.csv_safety import neutralise_cell, write_csv
from ingest.headline_tags.lexicon_files import LexiconError

HEADER = ["title", "categories", "kind"]


def tag_rows(titles: Iterable[str]) -> Iterator[list[str]]:
    """[title, categories (';'-joined, paper's order; '' when none), kind] per title, the text
    cells neutralised against spreadsheet formulas (ingest.csvio.csv_safety)."""
    from ingest.headline_tags.gpr_headlines import HeadlineGprTagger, kind_of_categories

    tagger = HeadlineGprTagger()
    for title in titles:
        found = tagger.categories_of(title)
        yield [neutralise_cell(title), neutralise_cell(";".join(found)), kind_of_categories(found, tagger.lexicon)]


def _lines(stream) -> Iterator[str]:
    for line in stream:
        text = line.rstrip("\r\n").lstrip("\ufeff")
        if text.strip():
            yield text


@cli.command("tag")
@click.argument("titles", nargs=-1, metavar="[TITLE]...")
@click.option("--file", "path", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              help="Titles to tag, one per line (UTF-8; blank lines skipped; - is standard input).")
def tag(titles: tuple[str, ...], path: str | None) -> None:
    """Tag titles with the geopolitical-risk categories of the headline rules, as CSV.

    Each TITLE argument, then each line of --file FILE, is tagged; with neither, each line of
    standard input. Prints a header and one row per title: title, categories (the Caldara–Iacoviello
    categories, ';'-separated, empty when none) and kind (threat: categories 1–5, act: 6–8, both, or
    none). Titles with commas or quotes are quoted; a cell a spreadsheet would run as a formula gets
    a leading '.

    \b
    Example:
      newsmarks tag "Russia launches massive missile strike on Kyiv" "Oil prices rise"
      newsmarks tag --file titles.txt > tags.csv
    """
    sources: list[Iterable[str]] = [titles]
    if path is None and not titles:
        path = "-"
    if path is not None:
        try:
            stream = click.open_file(path, "r", encoding="utf-8-sig", errors="strict")
            with stream:
                sources.append(list(_lines(stream)))
        except OSError as exc:
            raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        rows = list(tag_rows(title for source in sources for title in source))
    except LexiconError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(write_csv(HEADER, rows), nl=False)
