"""What the Analysis tab computes for one view: the controls (validated), the frames read from the
store, and each analysis run on them — a problem (no events, non-positive prices, too few bars)
comes back as a message to show, never as a traceback.

Which data: the instrument's bars of the chosen interval and the view's headlines (every filter of
the view, as `dashboard.chart_data.headline_filter` makes it; first copies of stories) in the
chart's visible window [start, end]:
- the event study takes the window's headlines, and bars from `padding()` before to after
  the window, so that events near its edges have their W bars on both sides; its one-bar sd and
  its placebo draws use those padded bars too;
- intensity against volatility and the largest moves take the window's bars, plus the last bar
  before it (whose close starts the window's first move);
- the largest moves look for headlines up to `DEFAULT_WINDOW[interval]` before a move's close,
  so headlines are read from that long before the window;
- the daily geopolitical-risk index counts the window's headlines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from dashboard.analysis.event_study import EventStudyResult, event_study
from dashboard.analysis.intensity import IntensityResult, intensity_vs_volatility
from dashboard.analysis.largest_moves import DEFAULT_WINDOW, largest_moves
from dashboard.analysis_view.controls import INTERVAL_WORDS, Controls
from dashboard.chart_data import headline_filter
from dashboard.moves import DEFAULT_HORIZONS, INTERVAL_LENGTH, mean_move, move_column, moves_after, why_column
from dashboard.state import ViewState
from ingest.risk_index import daily_risk_index
from ingest.store import Store

HEADLINE_LIMIT = 200_000
EDGE_SLACK = timedelta(days=10)   # weekends and holidays, on top of 2W bars on each side


def padding(controls: Controls) -> timedelta:
    """How far before and after the window the event study reads bars: 2W bars plus EDGE_SLACK."""
    return INTERVAL_LENGTH[controls.interval] * 2 * controls.window + EDGE_SLACK


@dataclass(frozen=True)
class AnalysisInputs:
    """The frames of one analysis (UTC). bars: the instrument's bars, padded (see the module
    docstring); headlines: the view's headlines from the largest moves' look-back before the
    window to its end, oldest first; truncated: HEADLINE_LIMIT was reached."""

    state: ViewState
    controls: Controls
    label: str
    start: datetime | None
    end: datetime | None
    bars: pd.DataFrame
    headlines: pd.DataFrame
    truncated: bool

    @property
    def window_headlines(self) -> pd.DataFrame:
        """The headlines inside the window."""
        if self.start is None:
            return self.headlines
        return self.headlines[self.headlines["published"] >= self.start].reset_index(drop=True)

    @property
    def window_bars(self) -> pd.DataFrame:
        """The bars inside the window, with the last bar before it."""
        bars = self.bars[self.bars["close"].notna()]
        if self.end is not None:
            bars = bars[bars["ts"] <= self.end]
        if self.start is not None:
            first = int((bars["ts"] < self.start).sum())
            bars = bars.iloc[max(first - 1, 0):]
        return bars.reset_index(drop=True)


def load_inputs(store: Store, state: ViewState, start: datetime | None, end: datetime | None,
                controls: Controls, label: str) -> AnalysisInputs:
    """Read one analysis' bars and headlines from the store."""
    pad = padding(controls)
    bars = store.bars([controls.instrument] if controls.instrument else [], controls.interval,
                      start - pad if start is not None else None, end + pad if end is not None else None)
    look_back = DEFAULT_WINDOW[controls.interval]
    flt = headline_filter(state, start - look_back if start is not None else None, end)
    headlines = store.headlines_matching(flt, limit=HEADLINE_LIMIT)
    return AnalysisInputs(state, controls, label, start, end, bars, headlines, len(headlines) >= HEADLINE_LIMIT)


def _bars_word(inputs: AnalysisInputs) -> str:
    return f"{INTERVAL_WORDS[inputs.controls.interval]} bars of {inputs.label}"


def run_event_study(inputs: AnalysisInputs) -> tuple[EventStudyResult | None, str | None]:
    """(result, message): the event study with the controls' seeded placebo draws; no result and a
    message for too few bars or bad prices; the result and a message when no event could be used.
    The Analysis tab and `newsmarks study` both call this on load_inputs' frames: the same view
    gives the same figures in both."""
    c = inputs.controls
    available = int(inputs.bars["close"].notna().sum())
    needed = 2 * c.window + 1
    if available == 0:
        return None, f"Event study: no {_bars_word(inputs)} in the store around this view."
    if available < needed:
        hint = "Widen the range or lower W" + (", or use daily bars." if c.interval == "1h" else ".")
        return None, (f"Event study: only {available} {_bars_word(inputs)} around this view; it needs at "
                      f"least {needed} (2W + 1). {hint}")
    try:
        result = event_study(inputs.window_headlines, inputs.bars, c.interval, c.window, c.spacing,
                             c.placebo_draws, c.seed)
    except ValueError as exc:
        return None, f"Event study of {inputs.label}: {exc}."
    if result.n_events == 0:
        return result, no_events_message(result)
    return result, None


def no_events_message(result: EventStudyResult) -> str:
    """Why an event study has no events, with the counts."""
    if result.n_headlines == 0:
        return "Event study: no headline matches the filters in this view, so there are no events."
    return (f"Event study: no events. Of {result.n_headlines:,} headlines, {result.n_headlines_before_data:,} came "
            f"before the first bar; {result.n_dropped_edges:,} events lack {result.window} bars on both sides "
            f"and {result.n_dropped_spacing:,} were dropped for spacing.")


def run_intensity(inputs: AnalysisInputs) -> tuple[IntensityResult | None, str | None]:
    """(result, message): headline counts (or their risk share) against absolute returns per bar
    interval."""
    c = inputs.controls
    bars = inputs.window_bars
    if len(bars) < 2:
        return None, f"Intensity: {len(bars)} {_bars_word(inputs)} in this view, too few for a return."
    try:
        return intensity_vs_volatility(inputs.window_headlines, bars, c.interval, c.lag, interval=c.interval,
                                       news=c.news), None
    except ValueError as exc:
        return None, f"Intensity of {inputs.label}: {exc}."


def run_largest_moves(inputs: AnalysisInputs) -> tuple[pd.DataFrame | None, str | None]:
    """(rows, message): the N largest moves in the window with the headlines before each, scored
    by the search box's terms and the chosen topics."""
    c = inputs.controls
    state = inputs.state
    try:
        moves = largest_moves(inputs.window_bars, inputs.headlines, c.interval, c.n,
                              terms=[state.query] if state.query else [], topics=list(state.topics))
    except ValueError as exc:
        return None, f"Largest moves of {inputs.label}: {exc}."
    if moves.empty:
        return None, f"Largest moves: no move of the {_bars_word(inputs)} in this view."
    return moves, None


def run_mean_moves(inputs: AnalysisInputs) -> pd.DataFrame | None:
    """The mean move of the instrument after the window's headlines over each calendar horizon
    (dashboard.moves.moves_after on the analysis' bars: from the price known when the headline
    came out to the price known the horizon later): columns horizon, mean (%; NaN without any
    move), used, empty (headlines without a move — no close known in time, a flagged bar… — left
    out of the mean, never counted as 0), why (the reasons with their counts, '; '-joined). None
    without headlines or bars."""
    headlines, bars = inputs.window_headlines, inputs.bars
    if headlines.empty or bars.empty:
        return None
    columns = [c for c in ("id", "published", "day_precision") if c in headlines.columns]
    moves = moves_after(headlines[columns], bars, reasons=True)
    instrument = str(bars["instrument_id"].iloc[0])
    rows = []
    for horizon in DEFAULT_HORIZONS:
        mean, used, empty = mean_move(moves[move_column(instrument, horizon)])
        reasons = moves[why_column(instrument, horizon)].dropna().value_counts()
        rows.append({"horizon": horizon, "mean": mean, "used": used, "empty": empty,
                     "why": "; ".join(f"{why} {count:,}" for why, count in reasons.items())})
    return pd.DataFrame(rows)


def run_risk_index(inputs: AnalysisInputs) -> tuple[pd.DataFrame | None, str | None]:
    """(index, message): the daily geopolitical-risk index of the window's headlines."""
    headlines = inputs.window_headlines
    if headlines.empty:
        return None, "Geopolitical risk: no headline in this view."
    try:
        return daily_risk_index(headlines), None
    except ValueError as exc:
        return None, f"Geopolitical risk: {exc}."
