"""Plotly traces as plain dicts (what the chart callback sends, built without plotly's validation).
Only the trace types of plotly.js's basic bundle, which is the one the page loads
(assets/plotly-basic-*.min.js: scatter, bar, pie — a third of the full bundle, parsed in a third of
the time on a first load): a line is downsampled to at most a few thousand points before it is
drawn, so no WebGL trace is needed."""

from __future__ import annotations

TRACE_TYPES = ("scatter", "bar", "pie")   # what plotly.js's basic bundle draws


def trace(kind: str, **properties) -> dict:
    """A trace as a plain dict (`kind`: one of TRACE_TYPES)."""
    if kind not in TRACE_TYPES:
        raise ValueError(f"the page's plotly.js bundle draws {', '.join(TRACE_TYPES)}, not {kind!r}")
    return {"type": kind, **properties}
