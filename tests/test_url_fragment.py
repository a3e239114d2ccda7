"""The open tab and the selected story in the URL's fragment (dashboard.filters.url_hash and the
callback that keeps them in step)."""

from __future__ import annotations

import pytest
from dash import no_update

from dashboard import ids
from dashboard.filters.callbacks import sync_fragment
from dashboard.filters.url_hash import hash_of, parse_hash

CHART, ANALYSIS = ids.ANALYSIS_TAB_CHART, ids.ANALYSIS_TAB_ANALYSIS


@pytest.mark.parametrize(("fragment", "expected"), [
    ("", (CHART, None)), (None, (CHART, None)), ("#", (CHART, None)),
    ("#analysis", (ANALYSIS, None)), ("#story=12", (CHART, 12)), ("#analysis&story=12", (ANALYSIS, 12)),
    ("#story=12&analysis", (ANALYSIS, 12)),
    ("#story=-3", (CHART, None)), ("#story=abc", (CHART, None)), ("#story=0", (CHART, None)),
    ("#story=" + "9" * 30, (CHART, None)), ("#bogus&story=5", (CHART, 5)), ("#%00<script>", (CHART, None)),
])
def test_a_fragment_names_a_tab_and_a_story_or_falls_back(fragment, expected):
    assert parse_hash(fragment) == expected


def test_the_fragment_of_a_tab_and_a_story():
    assert hash_of(CHART, None) == ""
    assert hash_of(ANALYSIS, None) == "#analysis"
    assert hash_of(CHART, 7) == "#story=7"
    assert hash_of(ANALYSIS, 7) == "#analysis&story=7"
    assert hash_of("nonsense", True) == ""
    for tab in (CHART, ANALYSIS):
        for story in (None, 1, 123456):
            assert parse_hash(hash_of(tab, story)) == (tab, story)


def test_opening_a_link_restores_the_tab_and_the_story_and_changes_write_the_link():
    # on load: the tab and the selection from the link, whose detail opens; the link is already canonical
    assert sync_fragment(None, "#analysis&story=12", CHART, None) == (ANALYSIS, 12, no_update, 12)
    # a malformed link is rewritten to what is shown
    assert sync_fragment(ids.URL, "#story=x&analysis", CHART, None) == (ANALYSIS, no_update, "#analysis", no_update)
    # a link without a fragment leaves the defaults as they are
    assert sync_fragment(None, "", CHART, None) == (no_update, no_update, no_update, no_update)
    # switching tab or selecting a story writes the fragment, nothing else
    assert sync_fragment(ids.ANALYSIS_TABS, "", ANALYSIS, None) == (no_update, no_update, "#analysis", no_update)
    assert sync_fragment(ids.SELECTED_HEADLINE, "#analysis", ANALYSIS, 40) == (no_update, no_update,
                                                                               "#analysis&story=40", no_update)
    assert sync_fragment(ids.ANALYSIS_TABS, "#analysis&story=40", CHART, 40) == (no_update, no_update, "#story=40",
                                                                                 no_update)
    assert sync_fragment(ids.SELECTED_HEADLINE, "#story=40", CHART, 40) == (no_update, no_update, no_update,
                                                                            no_update)
    # the fragment the page wrote for its own selection comes back: the story is selected already, its
    # detail not opened again; another story typed into the link opens its own
    assert sync_fragment(ids.URL, "#story=40", CHART, 40) == (no_update, no_update, no_update, no_update)
    assert sync_fragment(ids.URL, "#story=41", CHART, 40) == (no_update, 41, no_update, 41)
