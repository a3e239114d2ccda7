"""Plotly traces as plain dicts (what the chart callback sends, built without plotly's validation),
and the scatter kind for a number of points: WebGL (scattergl) above GL_THRESHOLD points."""

from __future__ import annotations

GL_THRESHOLD = 15_000


def trace(kind: str, **properties) -> dict:
    """A trace as a plain dict (`kind`: scatter, scattergl, bar)."""
    return {"type": kind, **properties}


def scatter_kind(n_points: int) -> str:
    """"scattergl" above GL_THRESHOLD points, else "scatter"."""
    return "scattergl" if n_points > GL_THRESHOLD else "scatter"
