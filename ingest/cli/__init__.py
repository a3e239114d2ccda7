"""The `newsmarks` command line without the dashboard's commands (`python -m ingest`): thin
commands over jobs, store and CSV functions; every failure is one plain line, never a traceback.
The full `newsmarks` command, with `serve` and `study`, is dashboard.commands.main."""

from ingest.cli import (  # noqa: F401  (they register their commands)
    bar_commands,
    delete_commands,
    export_commands,
    file_commands,
    refresh_commands,
    store_commands,
    tag_commands,
)
from ingest.cli.app import EXIT_ALL_FAILED, EXIT_SKIPPED, CliContext, cli, pass_context

__all__ = ["cli", "main", "CliContext", "pass_context", "EXIT_ALL_FAILED", "EXIT_SKIPPED"]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli(args=argv, prog_name="newsmarks")
