"""The main chart: the view state (or a zoom) -> store -> figure, plus the note above it, the
visible window (for the table and downloads) and the empty state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

import pandas as pd
from dash import Dash, Input, Output, State, callback_context, no_update

from dashboard import ids
from dashboard.analysis.alignment import bad_bars
from dashboard.chart.cache import ChartCache, chart_key
from dashboard.chart.clusters import BLANK_GROUP, MarkPlan, badge_groups, plan_marks, story_groups
from dashboard.chart.data import BAR_PADDING, MAX_POINTS, ChartData, badge_group_counts, load_chart_data, marked_text
from dashboard.chart.downsample import downsample_bars
from dashboard.chart.figures import empty_figure, price_figure_spec
from dashboard.chart.marks import mark_anchor, place_marks
from dashboard.chart.notes import chart_note, instruments_without_data, no_data_annotation, no_data_note
from dashboard.chart.overlays import overlay_parts
from dashboard.chart.selection import ring_patch, selected_marks
from dashboard.context import DashboardContext
from dashboard.header.parts import empty_state
from dashboard.state import FIRST_DAY, LAST_DAY, ViewState, display_zone, time_window, usable_time
from dashboard.window import ChartWindow
from ingest.store import Store
from ingest.stories.importance import KIND_ORDER

UNCHANGED = (no_update, no_update, no_update, no_update)  # chart_view's answer when a redraw is not needed


def zoom_window(relayout: dict | None, zone: str) -> tuple[datetime, datetime] | str | None:
    """The UTC window of a zoom (x values are wall times in `zone`), 'reset' for a double-click
    back to the whole view, None when the relayout is not about the x axis."""
    if not relayout:
        return None
    for axis in ("xaxis", "xaxis2"):  # the price panel and the counts panel share their x axis
        if relayout.get(f"{axis}.autorange"):
            return "reset"
        if f"{axis}.range[0]" in relayout and f"{axis}.range[1]" in relayout:
            low, high = relayout[f"{axis}.range[0]"], relayout[f"{axis}.range[1]"]
            break
        if isinstance(relayout.get(f"{axis}.range"), list) and len(relayout[f"{axis}.range"]) == 2:
            low, high = relayout[f"{axis}.range"]
            break
    else:
        return None
    try:
        start = pd.Timestamp(low).tz_localize(zone).tz_convert("UTC").to_pydatetime()
        end = pd.Timestamp(high).tz_localize(zone).tz_convert("UTC").to_pydatetime()
    except (ValueError, TypeError, OverflowError):
        return None
    # zoomed out beyond the days a view may span: the part within them
    start = usable_time(start) or max(start, datetime.combine(FIRST_DAY, time.min, UTC))
    end = usable_time(end) or min(end, datetime.combine(LAST_DAY, time.max, UTC))
    return (start, end) if start < end else None


def unchanged_since_drawn(store: Store, window: dict | None) -> bool:
    """Whether a chart drawn as `window` says is still what the store holds: no newer data
    version changed a time it shows (from its first bar's padding to its end — or onwards, when
    its end follows the newest data)."""
    drawn = ChartWindow.from_dict(window)
    if drawn.version is None or drawn.start is None:
        return False
    return not store.changed_since(drawn.version, drawn.start - max(BAR_PADDING.values()),
                                   None if drawn.follows_latest else drawn.end)


def chart_answer(ctx: DashboardContext, cache: ChartCache, state_data: dict | None, relayout: dict | None,
                 trigger: str | None, current_window: dict | None, selected: int | None,
                 browser_tz: str | None) -> tuple:
    """What the chart callback answers. Asked again because the store has new data (`trigger` the
    data version), a chart whose window the new data did not touch is left as it is: UNCHANGED.
    Otherwise chart_view's drawing of the view at the store's data version, from `cache` when
    this worker drew it already."""
    if trigger == ids.DATA_VERSION and unchanged_since_drawn(ctx.store, current_window):
        return UNCHANGED
    version = ctx.store.data_version()
    key = chart_key(state_data, relayout, trigger, current_window, selected, browser_tz, version)
    return cache.get_or_draw(key, lambda: chart_view(ctx, state_data, relayout, trigger, current_window, selected,
                                                     browser_tz, version))


def chart_view(ctx: DashboardContext, state_data: dict | None, relayout: dict | None, trigger: str | None,
               current_window: dict | None, selected: int | None, browser_tz: str | None,
               version: int | None = None) -> tuple:
    """(figure — a go.Figure or a plain figure dict, note, window, empty state) for the view, drawn
    from the store (at data `version`, read when not given). A zoom re-queries just that range
    (switching to hourly bars where the store has them); a new view state resets the zoom."""
    store = ctx.store
    version = store.data_version() if version is None else version
    state = ctx.view_state(state_data)
    zone = display_zone(state, browser_tz)
    latest = store.latest_data_time()
    if latest is None:
        return (empty_figure("No data yet"), "", ChartWindow(headlines=0).to_dict(),
                empty_state(store.latest_runs(), ctx.config))
    start, end = time_window(state, latest)
    zoomed = False
    zoom = zoom_window(relayout, zone) if trigger == ids.CHART else None
    if isinstance(zoom, tuple):
        (start, end), zoomed = zoom, True
    elif zoom is None and trigger != ids.STATE and ChartWindow.from_dict(current_window).zoomed:
        (start, end), zoomed = ChartWindow.from_dict(current_window).span, True
    data = load_chart_data(store, state, start, end)
    window = ChartWindow(data.start, data.end, data.interval, zoomed, data.total_headlines, version,
                         follows_latest=not zoomed and state.range != "custom").to_dict()
    if data.bars.empty and data.total_headlines == 0:
        return empty_figure("Nothing in this range: widen the range or clear the filters"), "", window, None
    bad = bad_bars(data.bars)
    good = data.bars[~bad] if bad.any() else data.bars   # bad ticks: crosses, never part of a line
    anchor = mark_anchor(state.instruments, good)
    bars = downsample_bars(good, MAX_POINTS)
    plan = mark_plan(data, state.mark_mode)
    stories = marked_text(store, plan.singles, plan.clusters) if plan else None
    if plan is not None and stories is not None:
        plan = group_badges(store, state, data, plan, stories)
    marks, clusters = place_plan(plan, stories, good, anchor, state.axis)
    labels = {i: ctx.labels[i] for i in state.instruments if i in ctx.labels}
    extra_traces, extra_layout = overlay_parts(bars=good, labels=labels, axis_mode=state.axis, tz=zone,
                                               risk=data.risk, snapshots=data.snapshots,
                                               flagged=data.bars[bad] if bad.any() else None)
    figure = price_figure_spec(bars, marks, data.counts, labels=labels, axis_mode=state.axis, tz=zone,
                               marks_by=state.marks_by, highlight_id=selected, clusters=clusters,
                               selected=selected_marks(ctx, selected, good, anchor, state.axis),
                               stories=stories,
                               interval=data.interval, bucket_seconds=data.bucket_seconds,
                               extra_traces=extra_traces, extra_layout=extra_layout)
    layout = figure["layout"]
    layout["uirevision"] = str(sorted(state.to_dict().items()))
    if data.start is not None and data.end is not None:  # the bars' padding stays off screen
        shown = [pd.Timestamp(t).tz_convert(zone).tz_localize(None).isoformat() for t in (data.start, data.end)]
        for axis in ("xaxis", "xaxis2"):
            layout[axis] = {**layout[axis], "range": shown}
    note = chart_note(data.total_headlines, len(marks), clusters_count(clusters), data.interval, zone,
                      data.day_only, state.mark_mode)
    missing = [no_data_note(labels.get(i, i), data.interval)
               for i in instruments_without_data(state.instruments, data.bars, data.start, data.end)]
    if missing:
        layout["annotations"] = [*layout.get("annotations", []), no_data_annotation(missing)]
        note = f"{note} {'. '.join(missing)}."
    return figure, note, window, None


def view_span(data: ChartData) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The window the marks are bucketed over: the view's, or (a view of everything) from the first
    counted bucket or story to a second after the last; None when there is nothing in it."""
    times = [t for t in (data.counts["bucket"].min() if not data.counts.empty else None,
                         data.headlines["published"].min() if not data.headlines.empty else None) if t is not None]
    ends = [t for t in (data.counts["bucket"].max() if not data.counts.empty else None,
                        data.headlines["published"].max() if not data.headlines.empty else None) if t is not None]
    start = pd.Timestamp(data.start) if data.start is not None else (min(times) if times else None)
    end = pd.Timestamp(data.end) if data.end is not None else (max(ends) + pd.Timedelta(seconds=1) if ends else None)
    if start is None or end is None or not start < end:
        return None
    return start, end


def mark_plan(data: ChartData, mode: str) -> MarkPlan | None:
    """The singles and clusters of a view (dashboard.chart.clusters), None when there is no story."""
    span = view_span(data)
    if span is None or data.total_headlines == 0:
        return None
    return plan_marks(data.headlines, data.mark_counts, *span, mode=mode,
                      counts_bucket=None if data.complete else data.bucket_seconds)


def group_badges(store: Store, state: ViewState, data: ChartData, plan: MarkPlan, stories: pd.DataFrame) -> MarkPlan:
    """The plan with each badge's group (the risk kind, topic or source most of its stories
    belong to) and mix: clusters.badge_groups, from the view's stories counted per group."""
    if plan.clusters.empty:
        return replace(plan, clusters=plan.clusters.assign(group=pd.Series(dtype=object), mix=pd.Series(dtype=object)))
    counted = badge_group_counts(store, state.headline_filter(data.start, data.end), data, plan.bucket_seconds,
                                 state.marks_by)
    singles = stories[stories["id"].isin(plan.singles["id"].tolist())]
    return replace(plan, clusters=badge_groups(plan.clusters, counted,
                                               story_groups(singles, state.marks_by, plan.bucket_seconds),
                                               blank=BLANK_GROUP[state.marks_by], order=KIND_ORDER))


def place_plan(plan: MarkPlan | None, stories: pd.DataFrame | None, bars: pd.DataFrame, anchor: str | None,
               axis_mode: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(the single marks — their stored rows from `stories`, in the plan's order — with a ``y``:
    the anchor's price known at the mark's time, as place_marks gives it; the clusters, which sit
    in their own lane)."""
    if plan is None or stories is None:
        empty = pd.DataFrame({"id": pd.Series(dtype="int64"), "published": pd.Series(dtype="datetime64[s, UTC]")})
        return place_marks(empty, bars, anchor, axis_mode), None
    clusters = plan.clusters
    position = {story: row for row, story in enumerate(stories["id"].tolist())}
    singles = stories.iloc[[position[story] for story in plan.singles["id"].tolist()]].reset_index(drop=True)
    return place_marks(singles, bars, anchor, axis_mode), clusters


def clusters_count(clusters: pd.DataFrame | None) -> int:
    """How many stories the badges hold."""
    return 0 if clusters is None or clusters.empty else int(clusters["count"].sum())


def register(app: Dash, ctx: DashboardContext, cache: ChartCache | None = None) -> ChartCache:
    """Wire the chart, its answers kept in `cache` (a new one by default); returns the cache."""
    cache = cache if cache is not None else ChartCache()

    @app.callback(
        Output(ids.CHART, "figure"), Output(ids.CHART_NOTE, "children"), Output(ids.WINDOW, "data"),
        Output(ids.EMPTY_STATE, "children"),
        Input(ids.STATE, "data"), Input(ids.CHART, "relayoutData"), Input(ids.DATA_VERSION, "data"),
        Input(ids.SELECTED_HEADLINE, "data"), Input(ids.BROWSER_TZ, "data"),
        State(ids.WINDOW, "data"),
    )
    def _chart(state_data, relayout, _version, selected, browser_tz, window):
        fired = list(callback_context.triggered_prop_ids.values())   # the component ids that fired
        with ctx.consistent_read() as view:
            # selecting a story (a mark, a table row, a story in a badge's list) on a drawn chart moves
            # the ring alone: a Patch of the chart's first trace, nothing else redrawn
            if fired == [ids.SELECTED_HEADLINE] and ChartWindow.from_dict(window).version is not None:
                return ring_patch(view, selected, state_data, window, browser_tz), no_update, no_update, no_update
            # plotly's first-draw relayout ({'autosize': True}) is answered in full, not with no_update:
            # when it comes while the first drawing is in flight, dash-renderer drops that call's
            # outputs as outdated, and this answer is all the page gets (the table ignores the
            # repeated window: table.callbacks.table_remount)
            # new data fired it only when nothing else did at the same time
            trigger = next((i for i in fired if i != ids.DATA_VERSION), fired[0] if fired else None)
            return chart_answer(view, cache, state_data, relayout, trigger, window, selected, browser_tz)

    return cache

