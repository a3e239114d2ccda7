"""The open tab and the selected story in the URL's fragment (pure): `#analysis`, `#story=123`,
`#analysis&story=123`; nothing for the Chart tab with no story selected. The fragment, not the
query: the query is the view state the chart is drawn from, and switching tabs or selecting a
story must not redraw it. Anything malformed falls back to the Chart tab and no story."""

from __future__ import annotations

from urllib.parse import parse_qs

from dashboard import ids

TABS = {"chart": ids.ANALYSIS_TAB_CHART, "analysis": ids.ANALYSIS_TAB_ANALYSIS}
TAB_NAMES = {tab_id: name for name, tab_id in TABS.items()}
MAX_STORY = 2**63 - 1


def parse_hash(fragment: str | None) -> tuple[str, int | None]:
    """(tab id, story id or None) of a URL fragment ('#analysis&story=12')."""
    text = (fragment or "").lstrip("#")
    words = [w for w in text.split("&") if w and "=" not in w]
    values = parse_qs("&".join(w for w in text.split("&") if "=" in w))
    tab = TABS["analysis"] if "analysis" in words else TABS["chart"]
    story = values.get("story", [""])[-1]
    return tab, int(story) if story.isdigit() and 0 < int(story) <= MAX_STORY else None


def hash_of(tab: str | None, story: int | None) -> str:
    """The fragment of a tab id and a story id ('' for the Chart tab and no story)."""
    parts = ["analysis"] if TAB_NAMES.get(tab) == "analysis" else []
    if isinstance(story, int) and not isinstance(story, bool) and story > 0:
        parts.append(f"story={story}")
    return "#" + "&".join(parts) if parts else ""
