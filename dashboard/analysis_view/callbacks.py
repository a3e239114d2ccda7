"""The Analysis tab's wiring (thin): the instrument choice follows the view's instruments; the
analyses follow the filters (STATE) and the chart's visible window (WINDOW) but run only while
the tab is shown; "show on chart" links switch back to the Chart tab; the CSV downloads."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from dash import ALL, Dash, Input, Output, State, callback_context, dcc, html, no_update

from dashboard import ids
from dashboard.analysis.event_report import description as event_description
from dashboard.analysis.inputs import (
    HEADLINE_LIMIT,
    AnalysisInputs,
    load_inputs,
    run_event_study,
    run_intensity,
    run_largest_moves,
    run_mean_moves,
    run_risk_index,
)
from dashboard.analysis.settings import INTERVAL_WORDS, settings_from
from dashboard.analysis_view.figures import event_study_figure, lag_figure, message_figure, risk_figure
from dashboard.analysis_view.hindsight import hindsight_frame, hindsight_table, story_hindsight
from dashboard.analysis_view.layout import DOWNLOAD_BUTTONS
from dashboard.analysis_view.methods import methods_text
from dashboard.analysis_view.page_official import page_official, page_official_frame, page_official_table
from dashboard.analysis_view.tables import (
    download_name,
    frame_csv,
    lags_frame,
    moves_table,
    risk_frame,
    stats_table,
    stats_table_rows,
)
from dashboard.context import DashboardContext
from dashboard.state import display_zone
from dashboard.window import ChartWindow

# the controls by option name (settings_from reads the options by these names): grouped callback inputs
CONTROLS = {"instrument": ids.ANALYSIS_INSTRUMENT, "interval": ids.ANALYSIS_INTERVAL,
            "window": ids.ANALYSIS_EVENT_WINDOW, "spacing": ids.ANALYSIS_SPACING, "lag": ids.ANALYSIS_LAG,
            "n": ids.ANALYSIS_TOP_N, "news": ids.ANALYSIS_NEWS, "closed": ids.ANALYSIS_CLOSED,
            "prewhiten": ids.ANALYSIS_PREWHITEN, "model": ids.ANALYSIS_MODEL, "benchmark": ids.ANALYSIS_BENCHMARK,
            "estimation": ids.ANALYSIS_ESTIMATION, "overlap": ids.ANALYSIS_OVERLAP}
OUTPUTS = ((ids.ANALYSIS_MESSAGE, "children"), (ids.ANALYSIS_EVENT_CHART, "figure"), (ids.ANALYSIS_STATS, "children"),
           (ids.ANALYSIS_LAG_CHART, "figure"), (ids.ANALYSIS_MOVES, "children"), (ids.ANALYSIS_RISK_CHART, "figure"),
           (ids.ANALYSIS_HINDSIGHT, "children"))


def instrument_choice(ctx: DashboardContext, state_data: dict | None, current: str | None) -> tuple[list, str | None]:
    """(options, value) of the instrument control: the view's instruments; the current choice
    while it is one of them, else the first."""
    state = ctx.view_state(state_data)
    options = [{"label": ctx.labels.get(i, i), "value": i} for i in state.instruments]
    if current in state.instruments:
        return options, current
    return options, state.instruments[0] if state.instruments else None


def benchmark_choice(ctx: DashboardContext, instrument: str | None, current: str | None) -> tuple[list, str | None]:
    """(options, value) of the event study's benchmark control: every configured instrument but the
    analysed one; the current choice while it is one of them, else none (the market model then
    says to choose one)."""
    options = [{"label": ctx.labels.get(i, i), "value": i} for i in ctx.instrument_ids if i != instrument]
    return options, current if any(o["value"] == current for o in options) else None


def _inputs(ctx: DashboardContext, state_data: dict | None, window: dict | None,
            options: dict | None) -> AnalysisInputs | None:
    """The analysis' data, or None when the view has no instrument. The instrument is the
    chosen one when the view shows it, else the view's first."""
    state = ctx.view_state(state_data)
    settings = settings_from(options)
    if settings.instrument not in state.instruments:
        if not state.instruments:
            return None
        settings = replace(settings, instrument=state.instruments[0])
    start, end = ChartWindow.from_dict(window).span
    label = ctx.labels.get(settings.instrument, settings.instrument)
    return load_inputs(ctx.store, state.headline_filter(start, end), settings, label)


def analysis_view(ctx: DashboardContext, state_data: dict | None, window: dict | None, options: dict | None,
                  browser_tz: str | None = None) -> tuple:
    """(message, event-study figure, statistics table, lag figure, largest-moves table, risk
    figure, stories with hindsight) for the view. `options`: the controls' values by CONTROLS name. Problems (no
    instrument, no events, non-positive prices, too few bars) are shown as notes."""
    inputs = _inputs(ctx, state_data, window, options)
    if inputs is None:
        blank = message_figure("Choose an instrument in the filters")
        return "Choose an instrument in the filters to analyse it.", blank, None, blank, None, blank, None
    state = ctx.view_state(state_data)
    zone = display_zone(state, browser_tz)
    c = inputs.settings
    result, event_note = run_event_study(inputs)
    intensity, intensity_note = run_intensity(inputs)
    moves, moves_note = run_largest_moves(inputs)
    risk, risk_note = run_risk_index(inputs)
    notes = [f"{inputs.label}, {INTERVAL_WORDS[c.interval]} bars; {len(inputs.window_headlines):,} headlines "
             f"in view; times in {zone}."]
    if inputs.truncated:
        notes.append(f"Only the first {HEADLINE_LIMIT:,} headlines of this view are analysed.")
    if result is not None and result.n_events:
        notes.append(event_description(result))        # the model, overlap rule, tests and placebo used
    notes += [note for note in (event_note, intensity_note, moves_note, risk_note) if note]
    means = run_mean_moves(inputs)
    notes += [f"Mean move {m.horizon} after the headlines left out {m.empty:,} without a move ({m.why})."
              for m in ([] if means is None else means.itertuples()) if m.empty]
    rows = stats_table_rows(result, intensity, means)
    return (
        [html.Div(note) for note in notes],
        event_study_figure(result, zone, title=inputs.label) if result is not None and result.n_events
        else message_figure("No event study: see the note above"),
        stats_table(rows) if rows else html.Div("No statistics: see the note above", className="nm-note"),
        lag_figure(intensity, title=inputs.label) if intensity is not None
        else message_figure("No lags: see the note above"),
        moves_table(moves, state, c.interval, zone) if moves is not None
        else html.Div(moves_note, className="nm-note"),
        risk_figure(risk) if risk is not None else message_figure("No risk index: see the note above"),
        hindsight_table(*story_hindsight(ctx, inputs.headline_filter, c.instrument), inputs.label, zone),
    )


def analysis_outputs(ctx: DashboardContext, active_tab: str | None, state_data: dict | None, window: dict | None,
                     options: dict | None, browser_tz: str | None = None) -> tuple:
    """`analysis_view` while the Analysis tab is shown; no_update for every output otherwise
    (the placebo draws must not slow the chart)."""
    if active_tab != ids.ANALYSIS_TAB_ANALYSIS:
        return (no_update,) * len(OUTPUTS)
    return analysis_view(ctx, state_data, window, options, browser_tz)


def pages_view(ctx: DashboardContext, active_tab: str | None, state_data: dict | None, window: dict | None,
               browser_tz: str | None = None):
    """The "Page against official" table for the view's instruments in the chart's window, while
    the Analysis tab is shown (no_update otherwise)."""
    if active_tab != ids.ANALYSIS_TAB_ANALYSIS:
        return no_update
    state = ctx.view_state(state_data)
    start, end = ChartWindow.from_dict(window).span
    frame = page_official(ctx, state.instruments, start, end)
    return page_official_table(frame, ctx.labels, display_zone(state, browser_tz))


def show_on_chart(triggered_id: dict | None, clicks: list | None):
    """The tab to show after a "show on chart" link fired (`callback_context.triggered_id`, and
    every link's n_clicks): the Chart tab when a link was clicked, no_update when the links were
    only (re)drawn (a new link's n_clicks is None)."""
    return ids.ANALYSIS_TAB_CHART if triggered_id is not None and any(clicks or []) else no_update


def analysis_download(ctx: DashboardContext, kind: str, state_data: dict | None, window: dict | None,
                      options: dict | None, browser_tz: str | None = None):
    """dcc.Download data of one table as CSV (kind: events, stats, lags, moves, risk, hindsight, pages),
    recomputed from the same inputs as the page (the placebo is seeded, so the numbers are the same);
    no_update when that table could not be computed."""
    if kind == "pages":   # the view's instruments in the chart's window, whatever the analysed one
        state = ctx.view_state(state_data)
        start, end = ChartWindow.from_dict(window).span
        frame = page_official_frame(page_official(ctx, state.instruments, start, end))
        name = download_name(kind, "-".join(state.instruments) or "none", start, end)
        return dcc.send_bytes(frame_csv(frame, display_zone(state, browser_tz)), name)
    inputs = _inputs(ctx, state_data, window, options)
    if inputs is None:
        return no_update
    frame: pd.DataFrame | None = None
    if kind in ("events", "stats"):
        result = run_event_study(inputs)[0]
        if kind == "events":
            frame = result.events if result is not None else None
        else:
            rows = stats_table_rows(result, run_intensity(inputs)[0], run_mean_moves(inputs))
            frame = pd.DataFrame({"statistic": pd.Series([r["statistic"] for r in rows], dtype=object),
                                  "value": pd.Series([r["value"] for r in rows], dtype="float64")})
    elif kind == "lags":
        intensity = run_intensity(inputs)[0]
        frame = lags_frame(intensity) if intensity is not None else None
    elif kind == "moves":
        frame = run_largest_moves(inputs)[0]
    elif kind == "risk":
        risk = run_risk_index(inputs)[0]
        frame = risk_frame(risk) if risk is not None else None
    elif kind == "hindsight":
        frame = hindsight_frame(*story_hindsight(ctx, inputs.headline_filter, inputs.settings.instrument))
    if frame is None:
        return no_update
    zone = display_zone(ctx.view_state(state_data), browser_tz)
    name = download_name(kind, inputs.settings.instrument, inputs.start, inputs.end)
    return dcc.send_bytes(frame_csv(frame, zone), name)


def register(app: Dash, ctx: DashboardContext) -> None:
    """Wire the Analysis tab."""

    @app.callback(Output(ids.ANALYSIS_INSTRUMENT, "options"), Output(ids.ANALYSIS_INSTRUMENT, "value"),
                  Input(ids.STATE, "data"), State(ids.ANALYSIS_INSTRUMENT, "value"))
    def _instrument(state_data, current):
        return instrument_choice(ctx, state_data, current)

    @app.callback(Output(ids.ANALYSIS_BENCHMARK, "options"), Output(ids.ANALYSIS_BENCHMARK, "value"),
                  Input(ids.ANALYSIS_INSTRUMENT, "value"), State(ids.ANALYSIS_BENCHMARK, "value"))
    def _benchmark(instrument, current):
        return benchmark_choice(ctx, instrument, current)

    @app.callback(output=[Output(cid, prop) for cid, prop in OUTPUTS],
                  inputs={"active_tab": Input(ids.ANALYSIS_TABS, "active_tab"), "state_data": Input(ids.STATE, "data"),
                          "window": Input(ids.WINDOW, "data"),
                          # new data: the study reads bars and headlines beyond the window, so it is run
                          # again even when the chart, whose window the data missed, is not redrawn
                          "version": Input(ids.DATA_VERSION, "data"),
                          "options": {name: Input(cid, "value") for name, cid in CONTROLS.items()},
                          "browser_tz": Input(ids.BROWSER_TZ, "data")})
    def _analysis(active_tab, state_data, window, version, options, browser_tz):
        with ctx.consistent_read() as view:
            return analysis_outputs(view, active_tab, state_data, window, options, browser_tz)

    @app.callback(Output(ids.ANALYSIS_PAGES, "children"),
                  Input(ids.ANALYSIS_TABS, "active_tab"), Input(ids.STATE, "data"), Input(ids.WINDOW, "data"),
                  Input(ids.DATA_VERSION, "data"), Input(ids.BROWSER_TZ, "data"))
    def _pages(active_tab, state_data, window, _version, browser_tz):
        with ctx.consistent_read() as view:
            return pages_view(view, active_tab, state_data, window, browser_tz)

    @app.callback(Output(ids.METHODS_PANEL, "is_open"), Output(ids.METHODS_BODY, "children"),
                  Input(ids.METHODS_BUTTON, "n_clicks"), prevent_initial_call=True)
    def _methods(_clicks):
        return True, methods_text()

    @app.callback(Output(ids.ANALYSIS_TABS, "active_tab"),
                  Input({"type": ids.ANALYSIS_SHOW_ON_CHART, "index": ALL}, "n_clicks"), prevent_initial_call=True)
    def _show(clicks):
        return show_on_chart(callback_context.triggered_id, clicks)

    @app.callback(output=Output(ids.ANALYSIS_DOWNLOAD, "data"),
                  inputs={"clicks": [Input(b, "n_clicks") for b in DOWNLOAD_BUTTONS]},
                  state={"state_data": State(ids.STATE, "data"), "window": State(ids.WINDOW, "data"),
                         "options": {name: State(cid, "value") for name, cid in CONTROLS.items()},
                         "browser_tz": State(ids.BROWSER_TZ, "data")},
                  prevent_initial_call=True)
    def _download(clicks, state_data, window, options, browser_tz):
        kind = DOWNLOAD_BUTTONS.get(callback_context.triggered_id, (None,))[0]
        if kind is None:
            return no_update
        with ctx.consistent_read() as view:
            return analysis_download(view, kind, state_data, window, options, browser_tz)
