"""The analyses of one view — what the Analysis tab, `newsmarks study` / `newsmarks intensity` and
scripts (dashboard.analysis) all call: the frames read from the store for a headline filter and
the analysis settings, and each analysis run on them — a problem (no events, non-positive prices,
too few bars) comes back as a message to show, never as a traceback.

Which data: the instrument's bars of the chosen interval and the headlines of the filter (the
first copy of each story) in its window [start, end] (the chart's visible window in the tab):
- the event study takes the window's headlines, and bars from `padding()` before to after
  the window, so that events near its edges have their W bars on both sides and, for the mean
  and market models, their estimation windows of L bars before those (an event whose history the
  bars read do not hold is skipped and counted, never estimated on fewer bars); the market
  model's benchmark bars are read over the same span; its one-bar sd uses the padded bars too;
  its placebo shifts the event calendar within the window's bars only;
- intensity against volatility and the largest moves take the window's bars, plus the last bar
  before it (whose close starts the window's first move); intensity also takes the store's count
  of all headlines per UTC day over the window's days (`coverage`: which days had any collection)
  and the span its headlines were read over (the window, or up to the last headline read when
  HEADLINE_LIMIT cut them short);
- the largest moves look for headlines up to `DEFAULT_WINDOW[interval]` before a move's close,
  so headlines are read from that long before the window; and, for the stories in the windows of
  the N largest moves, every stored copy from any source (`story_copies`: their coverage);
- the daily geopolitical-risk index counts the window's headlines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import cached_property

import pandas as pd

from dashboard.analysis.event_report import left_out_words
from dashboard.analysis.event_study import EventStudyResult, event_study
from dashboard.analysis.intensity import IntensityResult, intensity_vs_volatility
from dashboard.analysis.largest_moves import largest_moves
from dashboard.analysis.move_windows import DEFAULT_WINDOW, window_headline_ids
from dashboard.analysis.moves import DEFAULT_HORIZONS, INTERVAL_LENGTH, mean_move, move_column, moves_after, why_column
from dashboard.analysis.settings import INTERVAL_WORDS, Settings
from ingest.headline_tags.risk_index import daily_risk_index
from ingest.store import HeadlineFilter, Store

HEADLINE_LIMIT = 200_000
EDGE_SLACK = timedelta(days=10)   # weekends and holidays, on top of 2W bars on each side
TRADING_SPAN = 1.5                # calendar time per bar of history: 7/5 for weekdays, 24/23 for futures' hours


def padding(settings: Settings) -> tuple[timedelta, timedelta]:
    """How far (before, after) the window the event study reads bars: 2W bars plus EDGE_SLACK
    after; before, as much for the raw model, and for the mean and market models also the L + 1
    bars of each event's estimation window (W + L + 1 bars before the event bar), each counted as
    TRADING_SPAN intervals (weekends, a futures market's daily break)."""
    length = INTERVAL_LENGTH[settings.interval]
    after = length * 2 * settings.window + EDGE_SLACK
    if settings.model == "raw":
        return after, after
    return after + length * TRADING_SPAN * (settings.estimation + 1), after


@dataclass(frozen=True)
class AnalysisInputs:
    """The frames of one analysis (UTC). bars: the instrument's bars, padded (see the module
    docstring); headlines: the view's headlines from the largest moves' look-back before the
    window to its end, oldest first; truncated: HEADLINE_LIMIT was reached. Read from `store` when
    first asked for, by the one analysis that needs each (so use them while that store can still
    be read, inside the consistent read the inputs were loaded in): coverage, all stored headlines (any
    source, no filter) per UTC day over the window's whole days (days without any left out), for
    intensity's collection gaps; story_copies, every copy of the stories in the largest moves'
    windows (Store.story_copies). Each is None without a store, and story_copies also when there
    is none to read."""

    headline_filter: HeadlineFilter   # the window's: its start and end are the window
    settings: Settings
    label: str
    start: datetime | None
    end: datetime | None
    bars: pd.DataFrame
    headlines: pd.DataFrame
    truncated: bool
    benchmark_bars: pd.DataFrame | None = None   # the event study's market model: the benchmark's, padded
    store: Store | None = field(default=None, repr=False, compare=False)   # where coverage and copies are read

    @cached_property
    def coverage(self) -> pd.Series | None:
        """headline_coverage of the window, read on first use (intensity's)."""
        return headline_coverage(self.store, self.start, self.end) if self.store is not None else None

    @cached_property
    def story_copies(self) -> pd.DataFrame | None:
        """read_story_copies of these inputs, read on first use (the largest moves')."""
        return read_story_copies(self.store, self) if self.store is not None else None

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


def load_inputs(store: Store, headline_filter: HeadlineFilter, settings: Settings, label: str) -> AnalysisInputs:
    """Read one analysis' bars and headlines from the store: the headlines of `headline_filter`
    (first copies of stories, whatever its stories_only says) in the window from its start to its
    end, and the bars around them (its coverage and story copies are read when an analysis first
    asks for them: see AnalysisInputs)."""
    start, end = headline_filter.start, headline_filter.end
    before, after = padding(settings)
    first, last = start - before if start is not None else None, end + after if end is not None else None
    bars = store.bars([settings.instrument] if settings.instrument else [], settings.interval, first, last)
    benchmark = (store.bars([settings.benchmark], settings.interval, first, last)
                 if settings.model == "market" and settings.benchmark else None)
    look_back = DEFAULT_WINDOW[settings.interval]
    stories = replace(headline_filter, stories_only=True)
    look_back_filter = replace(stories, start=start - look_back if start is not None else None)
    headlines = store.headlines(look_back_filter, limit=HEADLINE_LIMIT)
    return AnalysisInputs(stories, settings, label, start, end, bars, headlines,
                          len(headlines) >= HEADLINE_LIMIT,
                          benchmark_bars=benchmark, store=store)


def read_story_copies(store: Store, inputs: AnalysisInputs) -> pd.DataFrame | None:
    """Every stored copy, from any source, of the stories in the windows of the largest moves
    (Store.story_copies): their coverage. None when there is none to read or the moves cannot be
    computed (run_largest_moves says why)."""
    try:
        ids = window_headline_ids(inputs.window_bars, inputs.headlines, inputs.settings.interval, inputs.settings.n)
    except ValueError:
        return None
    return store.story_copies(ids) if ids else None


def headline_coverage(store: Store, start: datetime | None, end: datetime | None) -> pd.Series:
    """All stored headlines per UTC day (any source, no filter: the headline_days table) over the
    whole days from `start`'s to `end`'s, indexed by day; days without any headline left out."""
    first = datetime.combine(start.astimezone(UTC).date(), time.min, UTC) if start is not None else None
    last = datetime.combine(end.astimezone(UTC).date(), time(23, 59, 59), UTC) if end is not None else None
    counts = store.headline_counts(HeadlineFilter(start=first, end=last), 86_400)
    return pd.Series(counts["count"].to_numpy(), index=pd.DatetimeIndex(counts["bucket"]), name="headlines")


def _bars_word(inputs: AnalysisInputs) -> str:
    return f"{INTERVAL_WORDS[inputs.settings.interval]} bars of {inputs.label}"


def run_event_study(inputs: AnalysisInputs) -> tuple[EventStudyResult | None, str | None]:
    """(result, message): the event study with the settings' model, overlap rule and seeded
    placebo (the calendar shifted within the window); no result and a message for too few bars, bad
    prices or a market model without a benchmark; the result and a message when no event could be
    used. The Analysis tab and `newsmarks study` both call this on load_inputs' frames: the same
    view gives the same figures in both."""
    c = inputs.settings
    if c.model == "market":
        if not c.benchmark or c.benchmark == c.instrument:
            return None, "Event study: the market model needs a benchmark, another instrument: choose one."
        if inputs.benchmark_bars is None or not inputs.benchmark_bars["close"].notna().any():
            return None, (f"Event study: no {INTERVAL_WORDS[c.interval]} bars of the benchmark {c.benchmark} in the "
                          "store around this view.")
    available = int(inputs.bars["close"].notna().sum())
    needed = 2 * c.window + 1
    if available == 0:
        return None, f"Event study: no {_bars_word(inputs)} in the store around this view."
    if available < needed:
        hint = "Widen the range or lower W" + (", or use daily bars." if c.interval == "1h" else ".")
        return None, (f"Event study: only {available} {_bars_word(inputs)} around this view; it needs at "
                      f"least {needed} (2W + 1). {hint}")
    try:
        result = event_study(inputs.window_headlines, inputs.bars, c.interval, c.window,
                             c.spacing if c.overlap == "spacing" else 0, c.placebo_draws, c.seed, model=c.model,
                             estimation=c.estimation, overlap=c.overlap,
                             benchmark=inputs.benchmark_bars if c.model == "market" else None,
                             benchmark_label=c.benchmark, period=(inputs.start, inputs.end))
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
            f"before the first bar; events left out: {left_out_words(result)}.")


def run_intensity(inputs: AnalysisInputs) -> tuple[IntensityResult | None, str | None]:
    """(result, message): headline counts (or their risk share) against absolute returns per bar
    interval, on the trading calendar, with the window's collection gaps (`coverage`) and the span
    its headlines were read over: the window (to the second before the last headline read when
    HEADLINE_LIMIT cut them short)."""
    c = inputs.settings
    bars = inputs.window_bars
    if len(bars) < 2:
        return None, f"Intensity: {len(bars)} {_bars_word(inputs)} in this view, too few for a return."
    until = inputs.end
    if inputs.truncated and len(inputs.headlines):
        until = inputs.headlines["published"].max() - pd.Timedelta(seconds=1)
    try:
        return intensity_vs_volatility(inputs.window_headlines, bars, c.interval, c.lag, interval=c.interval,
                                       news=c.news, closed=c.closed, coverage=inputs.coverage, since=inputs.start,
                                       until=until, prewhiten=c.prewhiten), None
    except ValueError as exc:
        return None, f"Intensity of {inputs.label}: {exc}."


def run_largest_moves(inputs: AnalysisInputs) -> tuple[pd.DataFrame | None, str | None]:
    """(rows, message): the N largest moves in the window with the stories before each, ranked
    (dashboard.analysis.largest_moves.RANKING_RULE) by geopolitical-risk kind, the search box's
    terms and the chosen topics, coverage (inputs.story_copies) and closeness to the close."""
    c = inputs.settings
    flt = inputs.headline_filter
    try:
        moves = largest_moves(inputs.window_bars, inputs.headlines, c.interval, c.n,
                              terms=[flt.query] if flt.query else [], topics=list(flt.topics),
                              copies=inputs.story_copies)
    except ValueError as exc:
        return None, f"Largest moves of {inputs.label}: {exc}."
    if moves.empty:
        return None, f"Largest moves: no move of the {_bars_word(inputs)} in this view."
    return moves, None


def run_mean_moves(inputs: AnalysisInputs) -> pd.DataFrame | None:
    """The mean move of the instrument after the window's headlines over each calendar horizon
    (dashboard.analysis.moves.moves_after on the analysis' bars: from the price known when the headline
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
    """(index, message): the daily geopolitical-risk index of the window's headlines
    (ingest.headline_tags.risk_index.daily_risk_index). Days with too few headlines for an index keep their
    counts and raw shares (the figure says how many, the CSV has them)."""
    headlines = inputs.window_headlines
    if headlines.empty:
        return None, "Geopolitical risk: no headline in this view."
    try:
        return daily_risk_index(headlines), None
    except ValueError as exc:
        return None, f"Geopolitical risk: {exc}."
