"""The methods page (docs/methods.md): how each number of the dashboard is made, shown in a panel
of the Analysis tab. Read when asked for, never at import."""

from __future__ import annotations

from pathlib import Path

METHODS_FILE = Path(__file__).resolve().parents[2] / "docs" / "methods.md"


def methods_text(path: Path = METHODS_FILE) -> str:
    """The methods page as Markdown; a line saying where it lives when this copy lacks it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return (f"The methods page is not part of this installation: it is `docs/methods.md` of the "
                f"newsmarks source tree (looked for {path}).")
