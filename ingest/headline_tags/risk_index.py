"""Headline-based geopolitical-risk index (pure), built as the paper builds its GPR, GPT and GPA
(Caldara & Iacoviello 2022: the share of articles about geopolitical risk, normalised to 100 over a
base period) with two changes for a store of many feeds and few years:

- The mix of sources does not move it. Each source has its own mean share of tagged headlines
  (any category; a threat one, 1–5; an act one, 6–8) over the counted buckets. A bucket's value is
  its tagged headlines over the number expected from its sources at their own means,
  O / E = Σ tagged / Σ (headlines × the source's mean share) — the average of the sources' ratios
  to their own means, each weighted by the tagged headlines it is expected to bring (indirect
  standardisation). A feed that tags more (a war desk) or fewer (a business feed) headlines than
  the others, coming or going or publishing more, leaves the index where it was; a feed that
  rarely tags cannot swing it with one headline. A source that tagged nothing over the period
  (mean 0) carries no information for that component and is left out of it.
- Base period: the counted buckets of the view. The index is 100 × (O/E) / its mean over them, so
  100 is the view's average day (the paper's base is 1985–2019 = 100; a store holds a few years
  of a changing mix of feeds, so no fixed base period suits every view).

Counted: a source counts in a bucket with at least `min_source` headlines (MIN_SOURCE_HEADLINES),
and a bucket counts when its counted sources hold at least `min_bucket` headlines
(MIN_BUCKET_HEADLINES); other buckets keep their headline count and raw share, with no index.

Band (95 %): the Wilson interval of the bucket's pooled share O / N (N: the headlines of its
sources used), scaled like the index (× N / E, then by the view's mean). With one source it is
exactly that source's Wilson interval over its mean; the sources' means and the view's mean are
taken as known (they average many buckets).

Inputs are per (bucket, source) counts (COUNT_COLUMNS): `headline_counts_by_source` makes them
from a frame of headlines with their `gpr` tags, `tag_counts_by_source` from what a store reads
cheaply (headline counts per bucket and source, and the rows of the few tagged headlines)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from ingest.headline_tags.gpr import Lexicon, load_lexicon

MIN_SOURCE_HEADLINES = 5      # a source's share of fewer headlines than this in a bucket is not used
MIN_BUCKET_HEADLINES = 20     # a bucket with fewer headlines from counted sources has no index
Z_95 = NormalDist().inv_cdf(0.975)
COMPONENTS = ("any", "threats", "acts")
COUNT_COLUMNS = ["bucket", "source", "headlines", "any", "threats", "acts"]
INDEX_COLUMNS = ["bucket", "headlines", "counted", "sources", "share_any", "share_threats", "share_acts",
                 *(f"index_{c}{end}" for c in COMPONENTS for end in ("", "_low", "_high"))]
DAILY_INDEX_COLUMNS = ["day", *INDEX_COLUMNS[1:]]
DAY_SECONDS = 86400


def split_tags(value) -> set[str]:
    """The category ids of a ';'-joined cell of GPR tags (none for '', None or a missing value)."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return set()
    return {part.strip() for part in str(value).split(";") if part.strip()}


def check_known(found: set[str], lexicon: Lexicon, column: str, advice: str = "") -> None:
    """ValueError naming the ids in `found` that are no category of `lexicon` (tags of `column`),
    followed by `advice`."""
    unknown = sorted(found - set(lexicon.threats) - set(lexicon.acts))
    if unknown:
        raise ValueError(f"unknown GPR categories in {column}: {', '.join(unknown)} "
                         f"(known: {', '.join(c.id for c in lexicon.categories)}){advice}")


def _utc_times(values: pd.Series, what: str) -> pd.Series:
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{what} must be tz-aware datetimes (got dtype {values.dtype})")
    return values.dt.tz_convert("UTC").dt.as_unit("ns")


def _check_bucket(bucket_seconds: int) -> pd.Timedelta:
    if not isinstance(bucket_seconds, int | np.integer) or bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be a positive number of seconds, got {bucket_seconds!r}")
    # pandas floors fixed lengths from the epoch, as the store buckets (weeks start on a Thursday)
    return pd.Timedelta(seconds=int(bucket_seconds))


def _require(frame: pd.DataFrame, name: str, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(missing)}")


def _empty_counts() -> pd.DataFrame:
    return pd.DataFrame({"bucket": pd.Series([], dtype="datetime64[ns, UTC]"), "source": pd.Series([], dtype=object),
                         **{c: pd.Series([], dtype="int64") for c in ("headlines", *COMPONENTS)}})


def headline_counts_by_source(frame: pd.DataFrame, bucket_seconds: int = DAY_SECONDS,
                              lexicon: Lexicon | None = None) -> pd.DataFrame:
    """Per bucket (of `bucket_seconds` from the epoch, UTC) and source: the headlines, and those
    with any category, a threat one and an act one. `frame` has published (tz-aware), source and
    gpr (';'-joined category ids, '' or missing for none). Returns COUNT_COLUMNS, sorted."""
    _require(frame, "headlines frame", ("published", "source", "gpr"))
    size = _check_bucket(bucket_seconds)
    if frame.empty:
        return _empty_counts()
    lexicon = lexicon if lexicon is not None else load_lexicon()
    threats, acts = set(lexicon.threats), set(lexicon.acts)
    tags = [split_tags(value) for value in frame["gpr"]]
    check_known({t for found in tags for t in found}, lexicon, "gpr")
    flags = pd.DataFrame({
        "bucket": _utc_times(frame["published"], "published").dt.floor(size),
        "source": frame["source"].astype(str).to_numpy(),
        "headlines": 1,
        "any": [int(bool(found)) for found in tags],
        "threats": [int(not threats.isdisjoint(found)) for found in tags],
        "acts": [int(not acts.isdisjoint(found)) for found in tags],
    })
    out = flags.groupby(["bucket", "source"], sort=True)[["headlines", *COMPONENTS]].sum().reset_index()
    return out.astype({c: "int64" for c in ("headlines", *COMPONENTS)})[COUNT_COLUMNS]


def tag_counts_by_source(counts: pd.DataFrame, tags: pd.DataFrame, bucket_seconds: int,
                         lexicon: Lexicon | None = None) -> pd.DataFrame:
    """COUNT_COLUMNS from a store's reads: `counts` (bucket, source, count: the matching headlines
    per bucket of `bucket_seconds` and source) and `tags` (id, published, source, tag: one row per
    tagged headline and category). ValueError when the two disagree (a tagged headline in a bucket
    and source with fewer counted headlines: not read with the same filter)."""
    _require(counts, "counts", ("bucket", "source", "count"))
    _require(tags, "tags", ("id", "published", "source", "tag"))
    size = _check_bucket(bucket_seconds)
    lexicon = lexicon if lexicon is not None else load_lexicon()
    check_known(set(tags["tag"]), lexicon, "tags")
    out = pd.DataFrame({"bucket": _utc_times(counts["bucket"], "counts.bucket"),
                        "source": counts["source"].astype(str).to_numpy(),
                        "headlines": counts["count"].astype("int64").to_numpy()})
    if len(tags):
        per = pd.DataFrame({
            "bucket": _utc_times(tags["published"], "tags.published").dt.floor(size),
            "source": tags["source"].astype(str).to_numpy(),
            "id": tags["id"].to_numpy(),
            "threats": tags["tag"].isin(set(lexicon.threats)).to_numpy(),
            "acts": tags["tag"].isin(set(lexicon.acts)).to_numpy(),
        })
        flags = per.groupby(["bucket", "source", "id"], sort=False)[["threats", "acts"]].any()
        tagged = flags.groupby(level=["bucket", "source"]).agg(any=("threats", "size"), threats=("threats", "sum"),
                                                               acts=("acts", "sum")).reset_index()
        out = out.merge(tagged, how="outer", on=["bucket", "source"])
    else:
        out = out.assign(any=0, threats=0, acts=0)
    out = out.fillna({c: 0 for c in ("headlines", *COMPONENTS)})
    over = out[out["any"] > out["headlines"]]
    if len(over):
        first = over.iloc[0]
        raise ValueError(f"{int(first['any'])} tagged headlines of {first['source']} in bucket {first['bucket']} "
                         f"but only {int(first['headlines'])} counted: counts and tags differ in filter")
    out = out[out["headlines"] > 0].astype({c: "int64" for c in ("headlines", *COMPONENTS)})
    return out.sort_values(["bucket", "source"], kind="stable").reset_index(drop=True)[COUNT_COLUMNS]


def wilson_interval(successes, trials, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of a binomial share (arrays): (low, high). trials must be > 0.
    Written out rather than statsmodels' proportion_confint(method="wilson") (the test's
    reference): that takes alpha, not the z the bands share, leaves rounding errors at k = 0 and
    k = n, and importing statsmodels on the chart's risk path would slow a worker's first chart
    (docs/performance.md)."""
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("wilson_interval needs 0 <= successes <= trials and trials > 0")
    q = k / n
    crit2 = z ** 2
    denom = 1 + crit2 / n
    center = (q + crit2 / (2 * n)) / denom
    dist = z * np.sqrt(q * (1.0 - q) / n + crit2 / (4.0 * n ** 2)) / denom
    # the bounds at 0 and n are exactly 0 and 1 (the formula leaves a rounding error there)
    return np.where(k == 0, 0.0, center - dist), np.where(k == n, 1.0, center + dist)


def risk_index(counts: pd.DataFrame, *, min_source: int = MIN_SOURCE_HEADLINES,
               min_bucket: int = MIN_BUCKET_HEADLINES, z: float = Z_95) -> pd.DataFrame:
    """The index per bucket from per (bucket, source) counts (COUNT_COLUMNS; see the module
    docstring for the rule). Returns INDEX_COLUMNS, one row per bucket with headlines, oldest first:
    headlines (all), counted (those of the sources counted in a counted bucket, else 0), sources
    (how many counted), share_* (the raw share of all the bucket's headlines), index_* with its
    band _low/_high (NaN for a bucket not counted, or a component no counted source ever had)."""
    _require(counts, "counts", COUNT_COLUMNS)
    if min_source < 1 or min_bucket < 1:
        raise ValueError(f"min_source and min_bucket must be at least 1, got {min_source} and {min_bucket}")
    data = counts[COUNT_COLUMNS].copy()
    data["bucket"] = _utc_times(data["bucket"], "counts.bucket")
    numbers = data[["headlines", *COMPONENTS]]
    if len(data) and ((numbers < 0).any().any() or (data[list(COMPONENTS)].gt(data["headlines"], axis=0)).any().any()
                      or (data["threats"] > data["any"]).any() or (data["acts"] > data["any"]).any()):
        raise ValueError("counts must satisfy 0 <= threats, acts <= any <= headlines")
    if data.duplicated(["bucket", "source"]).any():
        raise ValueError("counts has more than one row for a bucket and source")
    data = data[data["headlines"] > 0]
    whole = data.groupby("bucket", sort=True)[["headlines", *COMPONENTS]].sum()
    out = pd.DataFrame({"bucket": whole.index, "headlines": whole["headlines"].to_numpy(dtype="int64")})
    for c in COMPONENTS:
        out[f"share_{c}"] = (whole[c] / whole["headlines"]).to_numpy(dtype="float64")
    kept = data[data["headlines"] >= min_source]
    per_bucket = kept.groupby("bucket")["headlines"].sum()
    counted_buckets = per_bucket.index[per_bucket >= min_bucket]
    kept = kept[kept["bucket"].isin(counted_buckets)]
    out["counted"] = out["bucket"].map(kept.groupby("bucket")["headlines"].sum()).fillna(0).astype("int64")
    out["sources"] = out["bucket"].map(kept.groupby("bucket").size()).fillna(0).astype("int64")
    for c in COMPONENTS:
        base = (kept[c] / kept["headlines"]).groupby(kept["source"]).transform("mean")
        used = kept[(base > 0).to_numpy()]
        sums = pd.DataFrame({"bucket": used["bucket"].to_numpy(), "observed": used[c].to_numpy(),
                             "trials": used["headlines"].to_numpy(),
                             "expected": (used["headlines"] * base[base > 0]).to_numpy()}).groupby("bucket").sum()
        ratio = sums["observed"] / sums["expected"]
        scale = 100.0 / ratio.mean() if len(ratio) else float("nan")
        low, high = wilson_interval(sums["observed"], sums["trials"], z) if len(sums) else ([], [])
        per_trial = sums["trials"] / sums["expected"] * scale
        for end, values in (("", ratio * scale), ("_low", low * per_trial), ("_high", high * per_trial)):
            out[f"index_{c}{end}"] = out["bucket"].map(pd.Series(values, index=sums.index)).astype("float64")
    return out[INDEX_COLUMNS].reset_index(drop=True)


def daily_risk_index(frame: pd.DataFrame, *, min_source: int = MIN_SOURCE_HEADLINES,
                     min_bucket: int = MIN_BUCKET_HEADLINES, lexicon: Lexicon | None = None) -> pd.DataFrame:
    """The index per UTC day of a frame of headlines (published, source, gpr): DAILY_INDEX_COLUMNS
    (`day` a UTC midnight); days without headlines are absent."""
    counts = headline_counts_by_source(frame, DAY_SECONDS, lexicon)
    return risk_index(counts, min_source=min_source, min_bucket=min_bucket).rename(columns={"bucket": "day"})


def bucket_risk_index(counts: pd.DataFrame, tags: pd.DataFrame, bucket_seconds: int, *,
                      min_source: int = MIN_SOURCE_HEADLINES, min_bucket: int = MIN_BUCKET_HEADLINES,
                      lexicon: Lexicon | None = None) -> pd.DataFrame:
    """The index per bucket from a store's reads (see tag_counts_by_source): INDEX_COLUMNS."""
    per_source = tag_counts_by_source(counts, tags, bucket_seconds, lexicon)
    return risk_index(per_source, min_source=min_source, min_bucket=min_bucket)


def base_period(index: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(first, last) bucket with an index — the period whose mean is 100 — or None."""
    column = "day" if "day" in index.columns else "bucket"
    counted = index.loc[index["index_any"].notna(), column] if len(index) else index[column]
    if counted.empty:
        return None
    return counted.iloc[0], counted.iloc[-1]
