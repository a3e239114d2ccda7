"""The one rule for stored titles and summaries (ingest.headline_text): plain text, capped, flagged."""

from __future__ import annotations

import pytest

from ingest.headline_text import RAW_CAP, SUMMARY_CAP, TITLE_CAP, HeadlineText, capped, headline_text


def test_the_caps_are_the_documented_ones():
    assert (TITLE_CAP, SUMMARY_CAP, RAW_CAP) == (500, 5_000, 1_000_000)


@pytest.mark.parametrize("text, cap, expected", [
    ("Oil prices rise", 15, ("Oil prices rise", False)),          # exactly the cap: kept
    ("Oil prices rise", 14, ("Oil prices…", True)),              # cut inside a word: back to the space
    ("Oil prices rise", 11, ("Oil prices…", True)),              # the cut falls on the space itself
    ("Oilpricesrise", 6, ("Oilpr…", True)),                      # no space near: at the cap
    ("Oil, prices rise", 6, ("Oil,…", True)),                    # trailing spaces off
])
def test_capped(text, cap, expected):
    assert capped(text, cap) == expected
    assert len(capped(text, cap)[0]) <= cap


def test_a_long_title_is_cut_at_a_word_and_flagged():
    title = " ".join(["Sanctions"] * 100)          # 999 characters; a space at 499 (10 * 49 + 9)
    got = headline_text(title, "A summary")
    assert got.title == " ".join(["Sanctions"] * 50) + "…"
    assert (len(got.title), got.summary, got.truncated) == (TITLE_CAP, "A summary", True)
    got = headline_text("Sanctions" + " Sanctions" * 99 + "x")   # ends inside a word: the same cut
    assert got.title == " ".join(["Sanctions"] * 50) + "…"


def test_a_long_summary_is_cut_and_flagged_and_a_short_text_is_not():
    got = headline_text("Oil up", "word " * 2000)
    assert (got.title, len(got.summary), got.summary[-6:], got.truncated) == ("Oil up", SUMMARY_CAP, " word…", True)
    assert headline_text("Oil up", "Brent rose") == HeadlineText("Oil up", "Brent rose", False)


def test_a_15_mb_title_costs_what_a_1_mb_one_does_and_is_flagged():
    title = "<b>Oil</b> " * (15 * 1024 * 1024 // 11)
    got = headline_text(title)
    assert got == HeadlineText(" ".join(["Oil"] * 125) + "…", "", True)
    # markup that leaves little text: read up to RAW_CAP, flagged since the rest was not read
    got = headline_text("<i></i>" * (RAW_CAP // 7 + 1) + "Lost")
    assert got == HeadlineText("", "", True)


def test_markup_entities_and_controls_go_before_the_cap_counts():
    assert headline_text("&lt;img src=x onerror=alert(1)&gt;Rouble\u202e falls",
                         "<xmp><script>x</script></xmp>Brent &amp; WTI") == HeadlineText(
        "Rouble falls", "Brent & WTI", False)
    assert headline_text(None, None) == HeadlineText("", "", False)


def test_cleaning_stored_text_again_changes_nothing():
    first = headline_text("x " * 400, "<p>y</p>" * 2000)
    assert headline_text(first.title, first.summary) == HeadlineText(first.title, first.summary, False)
