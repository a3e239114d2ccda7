"""Entry point. `python app.py [--host] [--port] [--no-refresh] [--debug]` serves the dashboard
on http://127.0.0.1:8050 with the scheduled refresh beside it (same as `newsmarks serve`).
`gunicorn app:server` serves it for a team; run `newsmarks schedule` once, as its own process."""

import sys

if __name__ == "__main__":
    from dashboard.commands import main

    main(["serve", *sys.argv[1:]])
else:
    from dashboard import create_app
    from ingest.config import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:
        sys.exit(f"newsmarks: {exc}")
    server = app.server
