"""`python -m ingest` is the `newsmarks` command."""

from ingest.cli import main

main()
