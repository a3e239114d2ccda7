"""The geopolitical-risk index (ingest.headline_tags.risk_index): exact values against an independent plain-loop
computation with statsmodels' Wilson interval, the rule's properties (a change in the mix of
sources does not move it; minimum headlines), its inputs made from headlines and from a store's
reads (on SQLite and PostgreSQL)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from ingest.headline_tags.gpr import load_lexicon
from ingest.headline_tags.risk_index import (
    COUNT_COLUMNS,
    DAILY_INDEX_COLUMNS,
    INDEX_COLUMNS,
    MIN_BUCKET_HEADLINES,
    MIN_SOURCE_HEADLINES,
    Z_95,
    base_period,
    bucket_risk_index,
    check_known,
    daily_risk_index,
    headline_counts_by_source,
    risk_index,
    split_tags,
    tag_counts_by_source,
    wilson_interval,
)
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline
from ingest.store import HeadlineFilter
from tests.conftest import utc

COMPONENTS = ("any", "threats", "acts")


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def counts_frame(rows) -> pd.DataFrame:
    """COUNT_COLUMNS from (day, source, headlines, any, threats, acts) tuples."""
    frame = pd.DataFrame(rows, columns=COUNT_COLUMNS)
    frame["bucket"] = pd.to_datetime(frame["bucket"], utc=True).dt.as_unit("ns")
    return frame


def reference_index(rows, min_source: int = MIN_SOURCE_HEADLINES, min_bucket: int = MIN_BUCKET_HEADLINES) -> dict:
    """The rule written out with loops: {day: {column: value}} (an independent reading of the
    module docstring, with statsmodels' Wilson interval)."""
    days = sorted({r[0] for r in rows})
    out = {d: {"headlines": sum(r[2] for r in rows if r[0] == d)} for d in days}
    for d in days:
        for i, c in enumerate(COMPONENTS):
            out[d][f"share_{c}"] = sum(r[3 + i] for r in rows if r[0] == d) / out[d]["headlines"]
    kept = [r for r in rows if r[2] >= min_source]
    counted_days = [d for d in days if sum(r[2] for r in kept if r[0] == d) >= min_bucket]
    kept = [r for r in kept if r[0] in counted_days]
    for d in days:
        out[d]["counted"] = sum(r[2] for r in kept if r[0] == d)
        out[d]["sources"] = sum(1 for r in kept if r[0] == d)
    for i, c in enumerate(COMPONENTS):
        base = {}
        for source in {r[1] for r in kept}:
            shares = [r[3 + i] / r[2] for r in kept if r[1] == source]
            base[source] = sum(shares) / len(shares)
        value = {}
        for d in counted_days:
            observed = trials = expected = 0
            for r in kept:
                if r[0] == d and base[r[1]] > 0:
                    observed += r[3 + i]
                    trials += r[2]
                    expected += r[2] * base[r[1]]
            if trials:
                low, high = proportion_confint(observed, trials, alpha=0.05, method="wilson")
                value[d] = (observed / expected, low * trials / expected, high * trials / expected)
        mean = sum(v[0] for v in value.values()) / len(value) if value else math.nan
        for d in days:
            mid, low, high = value.get(d, (math.nan, math.nan, math.nan))
            out[d][f"index_{c}"] = 100 * mid / mean
            out[d][f"index_{c}_low"] = 100 * low / mean
            out[d][f"index_{c}_high"] = 100 * high / mean
    return out


ROWS = [   # day, source, headlines, any, threats, acts
    ("2026-06-01", "a", 40, 8, 3, 6),
    ("2026-06-01", "b", 10, 5, 2, 4),
    ("2026-06-01", "c", 4, 4, 4, 0),        # fewer than 5 headlines: not counted
    ("2026-06-02", "a", 30, 3, 1, 2),
    ("2026-06-02", "b", 12, 2, 0, 2),
    ("2026-06-03", "a", 25, 5, 0, 5),
    ("2026-06-04", "a", 12, 6, 6, 0),       # 12 + 6 counted headlines < 20: no index
    ("2026-06-04", "b", 6, 1, 0, 1),
    ("2026-06-05", "b", 20, 0, 0, 0),
]


def test_index_equals_the_rule_computed_with_loops():
    result = risk_index(counts_frame(ROWS))
    assert list(result.columns) == INDEX_COLUMNS
    expected = reference_index(ROWS)
    days = sorted(expected)
    assert result["bucket"].tolist() == [day(d) for d in days]
    for column in INDEX_COLUMNS[1:]:
        want = np.array([expected[d][column] for d in days], dtype="float64")
        np.testing.assert_allclose(result[column].to_numpy(dtype="float64"), want, rtol=1e-12, atol=0,
                                   equal_nan=True, err_msg=column)
    assert result["headlines"].tolist() == [54, 42, 25, 18, 20]
    assert result["counted"].tolist() == [50, 42, 25, 0, 20]
    assert result["sources"].tolist() == [2, 2, 1, 0, 1]
    assert result["share_any"].tolist() == [17 / 54, 5 / 42, 5 / 25, 7 / 18, 0.0]
    assert result["index_any"].isna().tolist() == [False, False, False, True, False]
    # 100 is the mean of the counted days
    assert result["index_any"].mean() == pytest.approx(100.0, rel=1e-12)
    assert result["index_threats"].mean() == pytest.approx(100.0, rel=1e-12)


def test_one_source_is_its_share_over_its_mean_with_the_wilson_band():
    rows = [("2026-06-01", "a", 20, 2, 2, 0), ("2026-06-02", "a", 20, 4, 0, 4), ("2026-06-03", "a", 40, 12, 0, 12)]
    result = risk_index(counts_frame(rows))
    # shares 0.1, 0.2, 0.3: mean 0.2
    assert result["index_any"].tolist() == pytest.approx([50.0, 100.0, 150.0], rel=1e-15)
    low, high = zip(*(proportion_confint(k, n, method="wilson") for _, _, n, k, _, _ in rows), strict=True)
    np.testing.assert_allclose(result["index_any_low"], np.array(low) / 0.2 * 100, rtol=1e-13)
    np.testing.assert_allclose(result["index_any_high"], np.array(high) / 0.2 * 100, rtol=1e-13)
    # threats only on the first day: 300 there, 0 on the others; acts never on the first day
    assert result["index_threats"].tolist() == pytest.approx([300.0, 0.0, 0.0], rel=1e-15)
    assert result["index_acts"].tolist() == pytest.approx([0.0, 120.0, 180.0], rel=1e-15)
    assert result["index_threats_low"].iloc[1] == 0.0 and result["index_threats_high"].iloc[1] > 0


def test_a_change_in_the_mix_of_sources_does_not_move_it():
    # a business feed tags 10 % of its headlines, a war desk 40 %, every day; the war desk is
    # missing on the second and fourth day and publishes three times as much on the fifth
    rows = [("2026-06-01", "biz", 50, 5, 0, 5), ("2026-06-01", "war", 50, 20, 10, 10),
            ("2026-06-02", "biz", 50, 5, 0, 5),
            ("2026-06-03", "biz", 50, 5, 0, 5), ("2026-06-03", "war", 50, 20, 10, 10),
            ("2026-06-04", "biz", 50, 5, 0, 5),
            ("2026-06-05", "biz", 50, 5, 0, 5), ("2026-06-05", "war", 150, 60, 30, 30)]
    result = risk_index(counts_frame(rows))
    assert result["index_any"].tolist() == pytest.approx([100.0] * 5, rel=1e-12)
    assert result["index_acts"].tolist() == pytest.approx([100.0] * 5, rel=1e-12)
    # the raw share jumps with the mix: 25 %, 10 %, 25 %, 10 %, 32.5 %
    assert result["share_any"].tolist() == pytest.approx([0.25, 0.1, 0.25, 0.1, 0.325], rel=1e-12)
    # threats: only the war desk has any; the business feed carries no information there
    assert result["index_threats"].isna().tolist() == [False, True, False, True, False]
    # the band narrows as sources are added: one source's band is its Wilson interval
    alone = risk_index(counts_frame([r for r in rows if r[1] == "biz"]))
    assert (result["index_any_high"] - result["index_any_low"]).iloc[0] < (
        alone["index_any_high"] - alone["index_any_low"]).iloc[0]
    # a real rise moves it: the business feed tags 30 % on the second day (its mean: 14 %); tagged over
    # expected: 25/27, 15/7, 25/27, 5/7, 65/67
    rows[2] = ("2026-06-02", "biz", 50, 15, 0, 15)
    ratios = (25 / 27, 15 / 7, 25 / 27, 5 / 7, 65 / 67)
    assert risk_index(counts_frame(rows))["index_any"].tolist() == pytest.approx(
        [100 * r / (sum(ratios) / 5) for r in ratios], rel=1e-12)


def test_minimums_are_parameters():
    rows = [("2026-06-01", "a", 3, 1, 1, 0), ("2026-06-01", "b", 3, 0, 0, 0), ("2026-06-02", "a", 3, 2, 0, 2)]
    assert risk_index(counts_frame(rows))["index_any"].isna().all()
    loose = risk_index(counts_frame(rows), min_source=1, min_bucket=1)
    expected = reference_index(rows, min_source=1, min_bucket=1)
    np.testing.assert_allclose(loose["index_any"], [expected[d]["index_any"] for d in sorted(expected)], rtol=1e-12)
    assert loose["sources"].tolist() == [2, 1]
    with pytest.raises(ValueError, match="min_source and min_bucket must be at least 1, got 0 and 20"):
        risk_index(counts_frame(rows), min_source=0)


def test_empty_and_bad_counts():
    empty = risk_index(counts_frame([]))
    assert list(empty.columns) == INDEX_COLUMNS and len(empty) == 0
    assert base_period(empty) is None
    with pytest.raises(ValueError, match=r"counts lacks column\(s\) acts"):
        risk_index(counts_frame(ROWS).drop(columns="acts"))
    for bad in (("2026-06-01", "a", 5, 6, 0, 0), ("2026-06-01", "a", 5, 2, 3, 0), ("2026-06-01", "a", -1, 0, 0, 0)):
        with pytest.raises(ValueError, match=r"counts must satisfy 0 <= threats, acts <= any <= headlines"):
            risk_index(counts_frame([bad]))
    with pytest.raises(ValueError, match="more than one row for a bucket and source"):
        risk_index(counts_frame([ROWS[0], ROWS[0]]))
    naive = counts_frame(ROWS).assign(bucket=pd.Timestamp("2026-06-01"))
    with pytest.raises(ValueError, match=r"counts.bucket must be tz-aware datetimes"):
        risk_index(naive)


def test_wilson_interval_matches_statsmodels():
    k, n = [0, 1, 5, 19, 20, 3], [20, 7, 40, 20, 20, 1000]
    low, high = wilson_interval(k, n)
    want = [proportion_confint(a, b, alpha=0.05, method="wilson") for a, b in zip(k, n, strict=True)]
    np.testing.assert_allclose(low, [w[0] for w in want], rtol=1e-14, atol=1e-17)
    np.testing.assert_allclose(high, [w[1] for w in want], rtol=1e-14, atol=1e-17)
    assert Z_95 == pytest.approx(1.959963984540054, rel=1e-15)
    with pytest.raises(ValueError, match="0 <= successes <= trials and trials > 0"):
        wilson_interval([1], [0])
    with pytest.raises(ValueError, match="0 <= successes <= trials and trials > 0"):
        wilson_interval([3], [2])


def test_base_period():
    result = risk_index(counts_frame(ROWS))
    assert base_period(result) == (day("2026-06-01"), day("2026-06-05"))
    assert base_period(result.iloc[[3]]) is None


# --- the inputs: from headlines, and from a store's reads -----------------------------------------

def headline_frame() -> pd.DataFrame:
    published = pd.to_datetime([
        "2026-06-01T23:30:00Z",
        "2026-06-02T01:30:00+03:00",      # 2026-06-01 22:30 UTC: counts for June 1st
        "2026-06-01T08:00:00Z",
        "2026-06-01T09:00:00Z",
        "2026-06-02T10:00:00Z",
        "2026-06-02T11:00:00Z",
    ], utc=True, format="ISO8601").tz_convert("Europe/Moscow")
    return pd.DataFrame({"published": published, "source": ["a", "a", "b", "a", "b", "b"],
                         "gpr": ["war_threats", "", "terror_acts;war_threats", None, "beginning_of_war", ""]})


def test_counts_by_source_from_headlines():
    result = headline_counts_by_source(headline_frame())
    expected = pd.DataFrame({
        "bucket": pd.to_datetime(["2026-06-01", "2026-06-01", "2026-06-02"]).tz_localize("UTC").as_unit("ns"),
        "source": ["a", "b", "b"], "headlines": [3, 1, 2], "any": [1, 1, 1], "threats": [1, 1, 0],
        "acts": [0, 1, 1]})
    pd.testing.assert_frame_equal(result, expected)
    weekly = headline_counts_by_source(headline_frame(), 7 * 86400)
    assert weekly["bucket"].tolist() == [day("2026-05-28")] * 2       # weeks from the epoch start on Thursdays
    assert weekly["headlines"].tolist() == [3, 3]


def test_split_tags_and_check_known():
    assert split_tags(" war_threats ;terror_acts;; war_threats") == {"war_threats", "terror_acts"}
    for missing in (None, "", " ; ", float("nan"), np.nan, pd.NA, pd.NaT):
        assert split_tags(missing) == set(), missing
    lexicon = load_lexicon()
    check_known({"war_threats", "terror_acts"}, lexicon, "gpr")
    check_known(set(), lexicon, "gpr")
    with pytest.raises(ValueError, match=r"^unknown GPR categories in tags: coup, war \(known: war_threats, "
                                         r"peace_threats, .*, terror_acts\)$"):
        check_known({"war", "war_threats", "coup"}, lexicon, "tags")
    with pytest.raises(ValueError, match=r"^unknown GPR categories in gpr: coup \(known: .*terror_acts\); run "
                                         r"newsmarks retag$"):
        check_known({"coup"}, lexicon, "gpr", "; run newsmarks retag")


def test_counts_by_source_refuse_bad_input():
    frame = headline_frame()
    with pytest.raises(ValueError, match=r"headlines frame lacks column\(s\) source"):
        headline_counts_by_source(frame.drop(columns="source"))
    with pytest.raises(ValueError, match=r"published must be tz-aware datetimes \(got dtype datetime64"):
        headline_counts_by_source(frame.assign(published=pd.Timestamp("2026-06-01")))
    with pytest.raises(ValueError, match=r"^unknown GPR categories in gpr: coup, war \(known: war_threats, "):
        headline_counts_by_source(frame.assign(gpr="war;coup"))
    with pytest.raises(ValueError, match="bucket_seconds must be a positive number of seconds, got 0"):
        headline_counts_by_source(frame, 0)
    empty = headline_counts_by_source(frame.iloc[:0])
    assert list(empty.columns) == COUNT_COLUMNS and len(empty) == 0


def test_counts_from_store_reads_equal_counts_from_headlines():
    frame = headline_frame()
    counts = pd.DataFrame({"bucket": [day("2026-06-01"), day("2026-06-01"), day("2026-06-02")],
                           "source": ["a", "b", "b"], "count": [3, 1, 2]})
    tags = pd.DataFrame({"id": [1, 3, 3, 5], "published": frame["published"].iloc[[0, 2, 2, 4]].to_numpy(),
                         "source": ["a", "b", "b", "b"],
                         "tag": ["war_threats", "terror_acts", "war_threats", "beginning_of_war"]})
    tags["published"] = pd.to_datetime(tags["published"], utc=True)
    pd.testing.assert_frame_equal(tag_counts_by_source(counts, tags, 86400), headline_counts_by_source(frame))
    with pytest.raises(ValueError, match=r"2 tagged headlines of b in bucket 2026-06-02 00:00:00\+00:00 but only 1 "
                                         r"counted: counts and tags differ in filter"):
        tag_counts_by_source(counts.assign(count=[3, 1, 1]), pd.concat([tags, tags.iloc[[3]].assign(id=6)]), 86400)
    with pytest.raises(ValueError, match="unknown GPR categories in tags: banana"):
        tag_counts_by_source(counts, tags.assign(tag="banana"), 86400)
    with pytest.raises(ValueError, match=r"tags lacks column\(s\) source"):
        tag_counts_by_source(counts, tags.drop(columns="source"), 86400)


TITLES = {   # title -> what the headline rules give it
    "Missile strike hits Kyiv apartment block": "escalation_of_war",
    "Ceasefire collapses after three days": "peace_threats",
    "Markets calm as talks resume": "",
}


def test_store_reads_give_the_index_of_the_headlines(store):
    """Two sources over three days: the store's per-source counts and tag rows make the same
    index as the headlines read whole, and the filter applies to both."""
    tag = headline_tagger([])
    items, n = [], 0
    plan = {1: {"wire": (2, 1, 22), "desk": (1, 3, 6)}, 2: {"wire": (1, 0, 24)}, 3: {"wire": (4, 2, 20),
                                                                                     "desk": (0, 0, 3)}}
    for d, sources in plan.items():
        for source, (acts, threats, calm) in sources.items():
            titles = ([*TITLES][0:1] * acts + [*TITLES][1:2] * threats + [*TITLES][2:3] * calm)
            for title in titles:
                n += 1
                items.append(Headline(source=source, guid=str(n), title=title, published=utc(2026, 6, d, n % 24),
                                      fetched=utc(2026, 7, 1)))
    store.write_headlines(items, tag=tag)
    flt = HeadlineFilter(start=utc(2026, 6, 1), end=utc(2026, 6, 3, 23, 59))
    counts = store.source_counts(flt, 86400)
    assert counts.to_dict("list") == {
        "bucket": [day("2026-06-01")] * 2 + [day("2026-06-02")] + [day("2026-06-03")] * 2,
        "source": ["desk", "wire", "wire", "desk", "wire"], "count": [10, 25, 25, 3, 26]}
    tags = store.gpr_tags(flt)
    assert list(tags.columns) == ["id", "published", "source", "tag"]
    assert sorted(set(zip(tags["source"], tags["tag"], strict=True))) == [
        ("desk", "escalation_of_war"), ("desk", "peace_threats"), ("wire", "escalation_of_war"),
        ("wire", "peace_threats")]
    from_store = bucket_risk_index(counts, tags, 86400)
    from_headlines = daily_risk_index(store.headlines(start=flt.start, end=flt.end))
    assert list(from_headlines.columns) == DAILY_INDEX_COLUMNS
    pd.testing.assert_frame_equal(from_store.drop(columns="bucket"), from_headlines.drop(columns="day"))
    assert from_store["bucket"].tolist() == from_headlines["day"].tolist()
    per = tag_counts_by_source(counts, tags, 86400)
    rows = [(str(r.bucket.date()), r.source, r.headlines, r.any, r.threats, r.acts) for r in per.itertuples()]
    expected = reference_index(rows)
    np.testing.assert_allclose(from_store["index_any"], [expected[d]["index_any"] for d in sorted(expected)],
                               rtol=1e-12)
    assert from_store["sources"].tolist() == [2, 1, 1]        # the desk's 3 headlines of June 3rd do not count
    # a search narrows both reads alike
    war = HeadlineFilter(start=flt.start, end=flt.end, query="missile")
    assert store.source_counts(war, 86400)["count"].tolist() == [1, 2, 1, 4]
    assert set(store.gpr_tags(war)["tag"]) == {"escalation_of_war"}
    with pytest.raises(ValueError, match="bucket_seconds must be positive, got 0"):
        store.source_counts(flt, 0)
