"""Commands on the store as a whole: retag and migrate-store."""

from __future__ import annotations

import sys

import click

from ingest.cli.app import CliContext, cli, open_store, pass_context
from ingest.store.engine import url_without_password


@cli.command()
@pass_context
def retag(ctx: CliContext) -> None:
    """Recompute every stored headline's tags: topics, geopolitical-risk categories, sentiment.

    Run it after changing [[topics]] in the config or the lexicon. Stored titles and summaries are
    first made what newsmarks stores today (plain text: markup and control characters removed,
    HTML entities decoded; cut to the length caps) — headlines loaded around newsmarks or before
    the rule — so that tags and search see the words; the headlines a migration queued for
    retagging are done with the rest.

    \b
    Example:
      newsmarks retag
    """
    from ingest.headline_tags.stored_tags import headline_tagger

    store = ctx.store
    total = store.count_headlines()
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=total, desc="retag", unit="headline", file=sys.stderr)
    decoded: list[int] = []
    done = store.retag(headline_tagger(ctx.config.topics), progress=progress.update if progress else None,
                       decoded=decoded.append)
    if progress is not None:
        progress.close()
    fixed = sum(decoded)
    click.echo(f"retagged {done} headlines"
               + (f"; text cleaned in {fixed} of them (markup, entities, control characters, length)"
                  if fixed else ""))


@cli.command("relink-stories")
@pass_context
def relink_stories(ctx: CliContext) -> None:
    """Link every stored headline to its story again, by today's story rule.

    A story is one news event told by several feeds: headlines published within two days of each
    other whose titles share their content words (docs/data.md). A refresh does this by itself
    once after an upgrade that changed the rule; this command does it now.

    \b
    Example:
      newsmarks relink-stories
    """
    changed = ctx.store.relink_stories(force=True)
    click.echo(f"linked the stories again: {changed} headlines changed story")


@cli.command("migrate-store")
@click.option("--from", "source_url", default=None, metavar="URL",
              help="The store to copy (default: the configured [store] url).")
@click.option("--to", "target_url", required=True, metavar="URL",
              help="An empty store to copy into, e.g. postgresql+psycopg://user@host/newsmarks.")
@pass_context
def migrate_store(ctx: CliContext, source_url: str | None, target_url: str) -> None:
    """Copy a whole store into another (e.g. SQLite -> PostgreSQL), verified by counts.

    Resumable: run it again after an interruption and it continues where it stopped. The
    target must be empty or a partial copy of the same store. Point [store] url at the target
    afterwards.

    \b
    Example:
      newsmarks migrate-store --from sqlite:///newsmarks.db --to postgresql+psycopg://localhost/newsmarks
    """
    from ingest.store import CopyError

    source_url = source_url or ctx.config.store.url
    if url_without_password(source_url) == url_without_password(target_url):
        raise click.ClickException("--from and --to name the same store")
    source, target = open_store(source_url, "source", create=False), open_store(target_url, "target")
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="copy", unit="row", file=sys.stderr)

    def progress(table: str, rows: int) -> None:
        if bar is not None:
            bar.set_postfix_str(table)
            bar.update(rows)

    try:
        results = source.copy_into(target, url_without_password(source_url), progress)
    except CopyError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
        source.close()
        target.close()
    for r in results:
        click.echo(f"{r.table}: {r.target_rows:,} rows ({r.copied:,} copied now)")
    click.echo(f"verified: every table has the same number of rows in {url_without_password(target_url)}")
