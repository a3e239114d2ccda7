"""The `newsmarks` command group and what its commands share: the lazily opened config and
store, logging, exit codes, and date options read as UTC."""

from __future__ import annotations

import logging
import sys

import click

from ingest.config import Config, ConfigError, load_config
from ingest.store import SchemaError, Store, StoreMissing
from ingest.store.engine import url_without_password

EXIT_ALL_FAILED = 1
EXIT_SKIPPED = 75  # EX_TEMPFAIL: another refresh held the lock


class CliContext:
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
        """The configured store, created when it does not exist yet (for commands that write)."""
        if self._store is None:
            self._store = open_store(self.config.store.url)
        return self._store

    @property
    def existing_store(self) -> Store:
        """The configured store for a command that only reads: one line and exit 1 when it does
        not exist, and nothing created."""
        if self._store is None:
            self._store = open_store(self.config.store.url, create=False)
        return self._store


def open_store(url: str, role: str | None = None, create: bool = True) -> Store:
    """Store.open, with any failure as one line naming the store (`role`: e.g. 'source' when a
    command opens more than one) and never its password; with `create` False, a store that does
    not exist is such a failure (StoreMissing) and nothing is created."""
    try:
        return Store.open(url, create=create)
    except (SchemaError, StoreMissing) as exc:
        raise click.ClickException(f"{role} store: {exc}" if role else str(exc)) from None
    except Exception as exc:  # driver errors differ per database; say which store failed
        which = f"the {role} store" if role else "the store"
        raise click.ClickException(f"cannot open {which} {url_without_password(url)}: {exc}") from None


pass_context = click.make_pass_decorator(CliContext)


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
@click.version_option(package_name="newsmarks", prog_name="newsmarks", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """newsmarks: rouble rates, Brent and the geopolitical headlines beside them.

    \b
    Example:
      newsmarks refresh && newsmarks status
    """
    _setup_logging(verbose)
    ctx.obj = CliContext(config_path)
