"""The Analysis tab's "Stories with hindsight": the view's most important stories scored again with
the move that followed each (dashboard.analysis.story_hindsight), as a table labelled as hindsight.
Reads the stories and bars, then calls the pure scoring; the table is built from values."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.analysis.alignment import bad_bars
from dashboard.analysis.moves import move_column, moves_after
from dashboard.analysis.story_hindsight import HINDSIGHT_RULE, daily_sigma, hindsight_scores
from dashboard.chart.clusters import MAX_BADGES
from dashboard.context import DashboardContext
from ingest.records import HeadlineFilter
from ingest.stories.importance import KIND_NAMES

STORIES = 200      # the view's most important stories scored again
SHOWN = 15         # rows of the table
CAPTION = ("Hindsight: uses the move that followed each story, which was not known when it broke — "
           "never used on the chart. " + HINDSIGHT_RULE + ".")


def story_hindsight(ctx: DashboardContext, flt: HeadlineFilter, instrument: str) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                           float]:
    """(the scores, highest first; the stories scored, with their text; the daily sigma in %) of
    the view's STORIES most important stories for `instrument`."""
    stories = ctx.store.ranked_stories(flt, STORIES, slices=MAX_BADGES)   # spread like the chart's candidates
    daily = ctx.store.closes([instrument], "1d", flt.start, flt.end)
    daily = daily[~bad_bars(daily)] if not daily.empty else daily
    try:
        sigma = daily_sigma(daily.sort_values("ts")["close"]) if len(daily) else float("nan")
    except ValueError:   # a close that is not positive: no returns to measure the moves by
        sigma = float("nan")
    if stories.empty:
        return hindsight_scores(stories, pd.Series(dtype="float64"), sigma), stories, sigma
    moves = moves_after(stories[["id", "published", "day_precision"]],
                        ctx.bars_around([instrument], stories["published"]))
    column = move_column(instrument, "1d")
    after = moves[column] if column in moves.columns else pd.Series(float("nan"), index=moves.index)
    return hindsight_scores(stories, after, sigma), stories, sigma


def hindsight_table(scores: pd.DataFrame, stories: pd.DataFrame, sigma: float, label: str, tz: str) -> html.Div:
    """The SHOWN highest hindsight scores: time, story, its importance then, the move over the next
    day, how many standard deviations that is, the hindsight score — captioned as hindsight."""
    caption = html.Div(CAPTION, className="nm-note mb-1")
    if scores.empty:
        why = ("no daily returns to measure the moves by in this view (fewer than three daily closes, or a "
               "close that is not positive)" if not pd.notna(sigma) or sigma <= 0
               else "no story in view had a close become known in the day after it")
        return html.Div([caption, html.Div(f"No story scored: {why}.", className="nm-note")])
    text = stories.set_index("id")
    head = html.Thead(html.Tr([html.Th(h) for h in (f"Time ({tz})", "Story", "Kind", "Importance then",
                                                    f"{label} move 1d after %", "Std devs", "Hindsight")]))
    rows = []
    for row in scores.head(SHOWN).itertuples():
        story = text.loc[row.id]
        rows.append(html.Tr([
            html.Td(f"{pd.Timestamp(row.published).tz_convert(tz):%Y-%m-%d %H:%M}"),
            html.Td(str(story["title"])), html.Td(KIND_NAMES.get(story["story_kind"], KIND_NAMES["none"])),
            html.Td(f"{int(row.importance)}", className="text-end"),
            html.Td(f"{row.move:+.2f}", className="text-end"), html.Td(f"{row.sigmas:.1f}", className="text-end"),
            html.Td(f"{int(row.hindsight)}", className="text-end")]))
    foot = html.Div(f"σ of {label}'s daily returns in the view: {sigma:.2f} %; {len(scores):,} of the view's "
                    f"{len(stories):,} most important stories had a move over the next day.", className="nm-note")
    return html.Div([caption, html.Table([head, html.Tbody(rows)], className="table table-sm mb-0"), foot])


def hindsight_frame(scores: pd.DataFrame, stories: pd.DataFrame, sigma: float) -> pd.DataFrame:
    """Every scored story (not only the SHOWN of the table), highest first, as the CSV gives it:
    published, title, source, kind, importance (then), move_1d_pct, sigmas, hindsight, and the
    daily sigma (%) the moves were measured by — the hindsight columns named as such."""
    text = stories.set_index("id")
    chosen = text.loc[scores["id"].tolist()] if len(scores) else text.iloc[0:0]
    return pd.DataFrame({
        "published": scores["published"].reset_index(drop=True),
        "title": chosen["title"].astype(object).reset_index(drop=True),
        "source": chosen["source"].astype(object).reset_index(drop=True),
        "kind": [KIND_NAMES.get(k, KIND_NAMES["none"]) for k in chosen["story_kind"].tolist()],
        "importance_then": scores["importance"].astype("int64").reset_index(drop=True),
        "hindsight_move_1d_pct": scores["move"].astype("float64").reset_index(drop=True),
        "hindsight_sigmas": scores["sigmas"].astype("float64").reset_index(drop=True),
        "hindsight": scores["hindsight"].astype("int64").reset_index(drop=True),
        "daily_sigma_pct": pd.Series([sigma] * len(scores), dtype="float64"),
    })
