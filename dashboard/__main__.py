"""`python -m dashboard` is the `newsmarks` command (with `serve` and `study`)."""

from dashboard.commands import main

main()
