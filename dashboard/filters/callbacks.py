"""URL <-> filters <-> view state, in one callback (so Dash allows the cycle): opening a link
sets the filters; changing a filter rewrites the link without reloading the page."""

from __future__ import annotations

from dash import Dash, Input, Output, callback_context, no_update

from dashboard import ids
from dashboard.context import DashboardContext
from dashboard.state import ViewState, parse_state, state_to_search

FILTERS = [
    (ids.INSTRUMENTS, "value"), (ids.SEARCH, "value"), (ids.TOPICS, "value"), (ids.SOURCES, "value"),
    (ids.RANGE_PRESET, "value"), (ids.DATE_RANGE, "start_date"), (ids.DATE_RANGE, "end_date"),
    (ids.TIMEZONE, "value"), (ids.AXIS_MODE, "value"), (ids.MARKS_BY, "value"), (ids.SENTIMENT, "value"),
    (ids.OVERLAYS, "value"),
]


def filters_of(state: ViewState) -> list:
    """The filter components' values for a state, in FILTERS order."""
    custom = state.range == "custom"
    return [list(state.instruments), state.query, list(state.topics), list(state.sources), state.range,
            state.start.isoformat() if custom and state.start else None,
            state.end.isoformat() if custom and state.end else None,
            state.tz, state.axis, state.marks_by, list(state.sentiment), list(state.overlays)]


def state_from_filters(trigger: str | None, values: list, known: list[str], defaults: list[str]) -> ViewState:
    """The state the filters describe; picking dates makes the range custom, picking a preset
    drops the dates. Validated exactly like a URL."""
    instruments, query, topics, sources, preset, start, end, tz, axis, marks_by, sentiment, overlays = values
    if trigger == ids.DATE_RANGE and start and end:
        preset = "custom"
    if preset != "custom":
        start = end = None
    raw = ViewState(instruments=tuple(instruments or ()), query=query or "", topics=tuple(topics or ()),
                    sources=tuple(sources or ()), range=preset or "3M", tz=tz or "UTC",
                    axis=axis or "separate", marks_by=marks_by or "source", sentiment=tuple(sentiment or ()),
                    overlays=tuple(overlays or ()))
    search = state_to_search(raw)
    if preset == "custom" and start and end:
        search += f"&start={str(start)[:10]}&end={str(end)[:10]}"
    return parse_state(search, known, defaults)


def sync(trigger: str | None, search: str | None, values: list, known: list[str],
         defaults: list[str]) -> tuple:
    """(state dict, URL search, filter values): from the URL on load or when the URL changes,
    else from the filters."""
    if trigger in (None, ids.URL):
        state = parse_state(search, known, defaults)
        canonical = state_to_search(state)  # a malformed link is rewritten to what is shown
        return (state.to_dict(), canonical if search and canonical != search else no_update, *filters_of(state))
    state = state_from_filters(trigger, values, known, defaults)
    new_search = state_to_search(state)
    outputs = [no_update] * len(FILTERS)
    if trigger == ids.DATE_RANGE and state.range == "custom":
        outputs[4] = "custom"
    if trigger == ids.RANGE_PRESET and state.range != "custom":
        outputs[5] = outputs[6] = None
    return (state.to_dict(), new_search if new_search != search else no_update, *outputs)


def register(app: Dash, ctx: DashboardContext) -> None:
    """Wire the URL/filter synchronisation."""

    @app.callback(
        Output(ids.STATE, "data"), Output(ids.URL, "search"),
        *[Output(cid, prop) for cid, prop in FILTERS],
        Input(ids.URL, "search"), *[Input(cid, prop) for cid, prop in FILTERS],
    )
    def _sync(search, *values):
        trigger = callback_context.triggered_id if callback_context.triggered else None
        return sync(trigger, search, list(values), ctx.instrument_ids, ctx.default_instruments)
