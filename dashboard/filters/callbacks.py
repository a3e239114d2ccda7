"""URL <-> filters <-> view state, in one callback (so Dash allows the cycle): opening a link
sets the filters; changing a filter rewrites the link without reloading the page."""

from __future__ import annotations

from dash import Dash, Input, Output, State, callback_context, no_update

from dashboard import ids
from dashboard.context import DashboardContext
from dashboard.filters.url_hash import hash_of, parse_hash
from dashboard.state import Defaults, ViewState, parse_state, state_to_search

# each filter by name: its component and property (the callback's inputs and outputs, grouped)
FILTERS = {
    "instruments": (ids.INSTRUMENTS, "value"), "query": (ids.SEARCH, "value"), "topics": (ids.TOPICS, "value"),
    "sources": (ids.SOURCES, "value"), "range": (ids.RANGE_PRESET, "value"),
    "start": (ids.DATE_RANGE, "start_date"), "end": (ids.DATE_RANGE, "end_date"), "tz": (ids.TIMEZONE, "value"),
    "axis": (ids.AXIS_MODE, "value"), "marks_by": (ids.MARKS_BY, "value"),
    "mark_mode": (ids.MARK_MODE, "value"), "sentiment": (ids.SENTIMENT, "value"),
    "overlays": (ids.OVERLAYS, "value"),
}


def filters_of(state: ViewState) -> dict:
    """The filter components' values for a state, by FILTERS name."""
    custom = state.range == "custom"
    return {"instruments": list(state.instruments), "query": state.query, "topics": list(state.topics),
            "sources": list(state.sources), "range": state.range,
            "start": state.start.isoformat() if custom and state.start else None,
            "end": state.end.isoformat() if custom and state.end else None,
            "tz": state.tz, "axis": state.axis, "marks_by": state.marks_by,
            "mark_mode": state.mark_mode, "sentiment": list(state.sentiment),
            "overlays": list(state.overlays)}


def state_from_filters(trigger: str | None, values: dict, known: list[str], defaults: Defaults) -> ViewState:
    """The state the filters (`values` by FILTERS name) describe; picking dates makes the range
    custom, picking a preset drops the dates. Validated exactly like a URL."""
    preset, start, end = values["range"], values["start"], values["end"]
    if trigger == ids.DATE_RANGE and start and end:
        preset = "custom"
    if preset != "custom":
        start = end = None
    raw = ViewState(instruments=tuple(values["instruments"] or ()), query=values["query"] or "",
                    topics=tuple(values["topics"] or ()), sources=tuple(values["sources"] or ()),
                    range=preset or "3M", tz=values["tz"] or "UTC", axis=values["axis"] or "separate",
                    marks_by=values["marks_by"] or "risk",
                    mark_mode=values["mark_mode"] or "top", sentiment=tuple(values["sentiment"] or ()),
                    overlays=tuple(values["overlays"] or ()))
    search = state_to_search(raw)
    if preset == "custom" and start and end:
        search += f"&start={str(start)[:10]}&end={str(end)[:10]}"
    return parse_state(search, known, defaults)


def sync(trigger: str | None, search: str | None, values: dict, known: list[str],
         defaults: Defaults) -> tuple[dict, str, dict]:
    """(state dict, URL search, filter values by FILTERS name): from the URL on load or when the
    URL changes (`values` unused then), else from the filters."""
    if trigger in (None, ids.URL):
        state = parse_state(search, known, defaults)
        canonical = state_to_search(state)  # a malformed link is rewritten to what is shown
        return state.to_dict(), canonical if search and canonical != search else no_update, filters_of(state)
    state = state_from_filters(trigger, values, known, defaults)
    new_search = state_to_search(state)
    outputs = dict.fromkeys(FILTERS, no_update)
    if trigger == ids.DATE_RANGE and state.range == "custom":
        outputs["range"] = "custom"
    if trigger == ids.RANGE_PRESET and state.range != "custom":
        outputs["start"] = outputs["end"] = None
    return state.to_dict(), new_search if new_search != search else no_update, outputs


def register(app: Dash, ctx: DashboardContext) -> None:
    """Wire the URL/filter synchronisation."""

    @app.callback(
        output={"state": Output(ids.STATE, "data"), "search": Output(ids.URL, "search"),
                "filters": {name: Output(cid, prop) for name, (cid, prop) in FILTERS.items()}},
        inputs={"search": Input(ids.URL, "search"),
                "filters": {name: Input(cid, prop) for name, (cid, prop) in FILTERS.items()}},
    )
    def _sync(search, filters):
        trigger = callback_context.triggered_id if callback_context.triggered else None
        state, new_search, outputs = sync(trigger, search, filters, ctx.instrument_ids,
                                          lambda: ctx.default_instruments)   # read only when the link names none
        return {"state": state, "search": new_search, "filters": outputs}

    @app.callback(Output(ids.MORE_FILTERS, "is_open"), Input(ids.MORE_FILTERS_BUTTON, "n_clicks"),
                  State(ids.MORE_FILTERS, "is_open"), prevent_initial_call=True)
    def _more(_clicks, is_open):
        return not is_open

    # the tab and the selected story, in the URL's fragment (dashboard.filters.url_hash)
    @app.callback(Output(ids.ANALYSIS_TABS, "active_tab", allow_duplicate=True),
                  Output(ids.SELECTED_HEADLINE, "data", allow_duplicate=True), Output(ids.URL, "hash"),
                  Output(ids.LINKED_STORY, "data"),
                  Input(ids.URL, "hash"), Input(ids.ANALYSIS_TABS, "active_tab"), Input(ids.SELECTED_HEADLINE, "data"),
                  prevent_initial_call="initial_duplicate")
    def _fragment(fragment, active_tab, selected):
        trigger = callback_context.triggered_id if callback_context.triggered else None
        return sync_fragment(trigger, fragment, active_tab, selected)


def sync_fragment(trigger: str | None, fragment: str | None, active_tab: str | None,
                  selected: int | None) -> tuple:
    """(active tab, selected story, URL fragment, linked story): from the fragment on load or when
    it changes (a malformed one rewritten to what is shown), else the fragment from the tab and the
    selection. The linked story is a story the fragment names that was not selected yet — a link
    opened or typed, not a fragment the page wrote for its selection — whose detail then opens."""
    if trigger in (None, ids.URL):
        tab, story = parse_hash(fragment)
        canonical = hash_of(tab, story)
        new_story = story is not None and story != selected
        return (tab if tab != active_tab else no_update, story if story != selected else no_update,
                canonical if (fragment or "") not in (canonical, "#" + canonical.lstrip("#")) else no_update,
                story if new_story else no_update)
    wanted = hash_of(active_tab, selected)
    return no_update, no_update, wanted if wanted != (fragment or "") else no_update, no_update
