"""`python -m ingest`: the `newsmarks` commands that need no dashboard (all but `serve` and
`study`; the full command is `newsmarks` or `python -m dashboard`)."""

from ingest.cli import main

main()
