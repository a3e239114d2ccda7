"""A worker's memory of the charts it drew lately. The same view of the same data — the store's
data version — asked again is answered without reading the store or building the figure again:
a team's open pages on the default view all redraw it after every refresh, and each worker then
draws it once. Bounded (CHART_CACHE_SIZE answers, at most a few hundred kB each) and safe across
a worker's threads."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from cachetools import LRUCache, cached

from dashboard import ids
from dashboard.window import ChartWindow

CHART_CACHE_SIZE = 32


def chart_key(state_data: dict | None, relayout: dict | None, trigger: str | None, window: dict | None,
              selected: int | None, browser_tz: str | None, version: int) -> str:
    """What a chart answer depends on (see dashboard.chart.callbacks.chart_view), as text: the view
    state, what fired it (a new state resets a zoom), the zoom when the chart's own relayout fired
    it, the zoomed window it may keep otherwise, the highlighted headline, the browser's zone and
    the data version."""
    fired = trigger if trigger in (ids.STATE, ids.CHART) else "other"
    zoom = relayout if trigger == ids.CHART else None
    drawn = ChartWindow.from_dict(window)
    kept = ({"start": window.get("start"), "end": window.get("end")} if drawn.zoomed and trigger != ids.STATE
            else None)
    return json.dumps([state_data, fired, zoom, kept, selected, browser_tz, version], sort_keys=True, default=str)


class ChartCache:
    """Answers by chart_key, least recently used dropped first; counts hits and misses. The
    memoising is cachetools' own (a draw runs outside the lock: two threads may draw one key)."""

    def __init__(self, size: int = CHART_CACHE_SIZE):
        if size < 1:
            raise ValueError(f"a chart cache holds at least one answer, not {size}")
        memo = cached(LRUCache(maxsize=size), key=lambda key, _draw: key, lock=threading.Lock(), info=True)
        self._draw = memo(lambda _key, draw: draw())

    def get_or_draw(self, key: str, draw: Callable[[], tuple]) -> tuple:
        """The answer kept for `key`, else draw() (kept for next time)."""
        return self._draw(key, draw)

    @property
    def hits(self) -> int:
        return self._draw.cache_info().hits

    @property
    def misses(self) -> int:
        return self._draw.cache_info().misses
