"""The newsmarks dashboard (Dash) and the analyses it shows.

`create_app()` (dashboard.factory) builds the Dash app; nothing touches the store until the first
request. Importing this package loads neither Dash nor plotly — `dashboard.analysis`, the
analyses as a library, is usable without them — so `create_app` is imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dashboard.factory import create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from dashboard.factory import create_app
        return create_app
    raise AttributeError(f"module 'dashboard' has no attribute {name!r}")


__all__ = ["create_app"]
