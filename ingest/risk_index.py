"""Headline-based geopolitical-risk indexes (pure): per time bucket, the share of headlines
carrying any Caldara–Iacoviello category (ingest.gpr), with a threat category (1–5) and with an
act category (6–8) — the paper's GPR, GPT and GPA, counted over headlines instead of articles."""

from __future__ import annotations

import pandas as pd

from ingest.gpr import Lexicon, load_lexicon

INDEX_COLUMNS = ["day", "headlines", "share_any", "share_threats", "share_acts"]
BUCKET_INDEX_COLUMNS = ["bucket", "headlines", "share_any", "share_threats", "share_acts"]


def _split_tags(value) -> set[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return set()
    return {part.strip() for part in str(value).split(";") if part.strip()}


def _check_known(found: set[str], lexicon: Lexicon, column: str) -> None:
    unknown = sorted(found - set(lexicon.threats) - set(lexicon.acts))
    if unknown:
        raise ValueError(f"unknown GPR categories in {column}: {', '.join(unknown)} "
                         f"(known: {', '.join(c.id for c in lexicon.categories)})")


def _utc_times(values: pd.Series, what: str) -> pd.Series:
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{what} must be tz-aware datetimes (got dtype {values.dtype})")
    return values.dt.tz_convert("UTC").dt.as_unit("ns")


def daily_risk_index(frame: pd.DataFrame, lexicon: Lexicon | None = None) -> pd.DataFrame:
    """Per UTC day: the number of headlines and the shares tagged with any GPR category, with a
    threat category and with an act category.

    `frame` has `published` (tz-aware) and `gpr` (';'-joined category ids, '' or missing for
    none). Days without headlines are absent. Returns columns INDEX_COLUMNS, `day` a UTC midnight."""
    missing = [c for c in ("published", "gpr") if c not in frame.columns]
    if missing:
        raise ValueError(f"daily_risk_index needs columns published and gpr; missing: {', '.join(missing)}")
    published = _utc_times(frame["published"], "published")
    lexicon = lexicon if lexicon is not None else load_lexicon()
    threats, acts = set(lexicon.threats), set(lexicon.acts)
    tags = [_split_tags(value) for value in frame["gpr"]]
    _check_known({t for found in tags for t in found}, lexicon, "gpr")
    flags = pd.DataFrame({
        "day": published.dt.floor("D"),
        "any": [bool(found) for found in tags],
        "threats": [not threats.isdisjoint(found) for found in tags],
        "acts": [not acts.isdisjoint(found) for found in tags],
    }, index=frame.index)
    grouped = flags.groupby("day", sort=True)
    out = pd.DataFrame({
        "headlines": grouped.size().astype("int64"),
        "share_any": grouped["any"].mean().astype("float64"),
        "share_threats": grouped["threats"].mean().astype("float64"),
        "share_acts": grouped["acts"].mean().astype("float64"),
    }).reset_index()
    return out[INDEX_COLUMNS]


def bucket_risk_index(counts: pd.DataFrame, tags: pd.DataFrame, bucket_seconds: int,
                      lexicon: Lexicon | None = None) -> pd.DataFrame:
    """The same shares per bucket of `bucket_seconds` (from the epoch, UTC), from what a store
    reads cheaply: `counts` (columns bucket, count: the matching headlines per bucket, at this
    bucket size) and `tags` (columns id, published, tag: one row per tagged headline and GPR
    category). Buckets without headlines are absent. Returns BUCKET_INDEX_COLUMNS.

    ValueError when a tagged headline falls in a bucket `counts` has fewer headlines in than
    tagged ones (the two were not read with the same filter)."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    for name, frame, columns in (("counts", counts, ("bucket", "count")), ("tags", tags, ("id", "published", "tag"))):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} lacks column(s) {', '.join(missing)}")
    lexicon = lexicon if lexicon is not None else load_lexicon()
    _check_known(set(tags["tag"]), lexicon, "tags")
    out = pd.DataFrame({"bucket": _utc_times(counts["bucket"], "counts.bucket"),
                        "headlines": counts["count"].astype("int64")})
    if len(tags):
        per = pd.DataFrame({
            # pandas floors fixed lengths from the epoch, as the store buckets (weeks start on a Thursday)
            "bucket": _utc_times(tags["published"], "tags.published").dt.floor(pd.Timedelta(seconds=bucket_seconds)),
            "id": tags["id"].to_numpy(),
            "threat": tags["tag"].isin(set(lexicon.threats)).to_numpy(),
            "act": tags["tag"].isin(set(lexicon.acts)).to_numpy(),
        })
        flags = per.groupby(["bucket", "id"], sort=False)[["threat", "act"]].any()
        tagged = flags.groupby(level="bucket").agg(any=("threat", "size"), threats=("threat", "sum"),
                                                   acts=("act", "sum"))
    else:
        tagged = pd.DataFrame({"any": [], "threats": [], "acts": []},
                              index=pd.DatetimeIndex([], tz="UTC", name="bucket").as_unit("ns"))
    merged = out.merge(tagged, how="left", left_on="bucket", right_index=True).fillna(
        {"any": 0, "threats": 0, "acts": 0})
    over = merged[merged["any"] > merged["headlines"]]
    if len(over):
        raise ValueError(f"{int(over['any'].iloc[0])} tagged headlines in bucket {over['bucket'].iloc[0]} "
                         f"but only {int(over['headlines'].iloc[0])} counted: counts and tags differ in filter")
    merged = merged[merged["headlines"] > 0]
    result = pd.DataFrame({
        "bucket": merged["bucket"].to_numpy(),
        "headlines": merged["headlines"].to_numpy(dtype="int64"),
        "share_any": (merged["any"] / merged["headlines"]).to_numpy(dtype="float64"),
        "share_threats": (merged["threats"] / merged["headlines"]).to_numpy(dtype="float64"),
        "share_acts": (merged["acts"] / merged["headlines"]).to_numpy(dtype="float64"),
    })
    return result.sort_values("bucket", kind="stable").reset_index(drop=True)[BUCKET_INDEX_COLUMNS]
