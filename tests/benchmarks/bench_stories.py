"""Story matching measured (a script that prints figures, not a test).

    python tests/benchmarks/bench_stories.py

1. Precision and recall of the story rule (ingest.store.story_links.STORY_RULE: ingest.stories) on
   tests/benchmarks/data/story-pairs.csv: 807 pairs of headlines from two different feeds on the
   same day, from ../shared/data/world-headlines-rss-2026-05-to-08.csv (each pair names its two
   0-based rows; no text is copied). The pairs were drawn from six days, most from titles sharing
   words (so the rule is tested where it could err) and some at random. Each was labelled "same
   story" or not by reading both titles (language-model readers, one news event = one story; a
   reaction or follow-up is another story), with a confidence. The rule's thresholds were chosen
   on the 454 `choose` pairs; the 353 `check` pairs were not used to choose them. 100 pairs were
   labelled twice (`second_reading`): the readers' agreement is printed as Cohen's kappa.
   Recall is measured among such pairs: two titles of one story that share fewer than two content
   words are rarely in the sample, so it overstates the recall over all pairs of a day.
   The stories are those the store makes: every headline of the world file (88,751) linked at
   once, as by `newsmarks relink-stories`; a pair is "grouped" when both rows are in one story
   (a chain of matches can join two titles the rule alone would not, and the bound on a story's
   span can part two it would). The time that takes, and the stories' sizes, are printed too.
"""

from __future__ import annotations

import argparse
import csv
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from statsmodels.stats.inter_rater import cohens_kappa

from ingest.csvio import read_headlines_csv
from ingest.store.headline_writes import TITLE_NORM_CHARS, normalise_title
from ingest.store.story_links import STORY_RULE, rule_text
from ingest.stories.grouping import StoryRow, link_stories
from ingest.stories.matching import same_story
from ingest.stories.titles import content_words

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data"
PAIRS = HERE / "data" / "story-pairs.csv"


def titles_of(name: str) -> list[str]:
    with open(SHARED / name, encoding="utf-8", newline="") as f:
        return [row["title"] for row in csv.DictReader(f)]


def pair_rule(titles: list[str]):
    """Whether the rule says a pair of rows tells one story, the two titles alone."""
    def said(pair: dict) -> bool:
        a = content_words(normalise_title(titles[int(pair["row_a"])]))
        b = content_words(normalise_title(titles[int(pair["row_b"])]))
        return same_story(a, b, STORY_RULE)
    return said


def scores(pairs: list[dict], says) -> tuple[float, float, int]:
    """(precision, recall, pairs) of `says` (pair -> bool) on `pairs`."""
    tp = fp = fn = 0
    for pair in pairs:
        said, truth = says(pair), pair["same"] == "1"
        tp += said and truth
        fp += said and not truth
        fn += truth and not said
    return tp / max(1, tp + fp), tp / max(1, tp + fn), len(pairs)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    pairs = list(csv.DictReader(open(PAIRS, encoding="utf-8", newline="")))
    titles = titles_of(pairs[0]["file"])
    print(f"story rule: {rule_text(STORY_RULE)}")
    imported = read_headlines_csv(SHARED / pairs[0]["file"], fetched=datetime(2026, 9, 1, tzinfo=UTC)).headlines
    rows = [StoryRow(i, int(h.published.timestamp()), normalise_title(h.title)[:TITLE_NORM_CHARS])
            for i, h in enumerate(imported)]
    started = time.perf_counter()
    links = link_stories(rows, rows, STORY_RULE)
    took = time.perf_counter() - started
    story = {r.id: links.get(r.id, r.id) for r in rows}
    grouped = lambda pair: story[int(pair["row_a"])] == story[int(pair["row_b"])]   # noqa: E731
    print(f"{'pairs':36s} {'n':>4s}   {'the rule on two titles':>22s}   {'the stories stored':>22s}")
    print(f"{'':36s} {'':4s}   {'precision':>11s} {'recall':>10s}   {'precision':>11s} {'recall':>10s}")
    for name, chosen in (("choose (thresholds chosen here)", [p for p in pairs if p["use"] == "choose"]),
                         ("check (never used to choose)", [p for p in pairs if p["use"] == "check"]),
                         ("check, high-confidence labels", [p for p in pairs if p["use"] == "check"
                                                            and p["confidence"] == "high"])):
        precision, recall, n = scores(chosen, pair_rule(titles))
        g_precision, g_recall, _ = scores(chosen, grouped)
        print(f"{name:36s} {n:4d}   {precision:11.3f} {recall:10.3f}   {g_precision:11.3f} {g_recall:10.3f}")
    twice = [p for p in pairs if p["second_reading"]]
    table = np.zeros((2, 2))
    for p in twice:
        table[int(p["same"]), int(p["second_reading"])] += 1
    agree = int(table[0, 0] + table[1, 1])
    print(f"labelled twice: {len(twice)} pairs, {agree} agree, Cohen's kappa {cohens_kappa(table).kappa:.3f}")
    sizes = np.bincount(np.unique(np.array(list(story.values())), return_counts=True)[1])
    print(f"linked {len(rows):,} headlines in {took:.1f} s: {len(rows) - len(links):,} stories "
          f"({len(links):,} headlines joined an earlier one's story); stories by size: "
          + ", ".join(f"{size}: {count:,}" for size, count in enumerate(sizes) if count and size <= 6)
          + f"; the largest {len(sizes) - 1}")


if __name__ == "__main__":
    main()
