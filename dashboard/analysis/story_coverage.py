"""The stories of a set of headlines (one row per story, its first copy) and their coverage: how
many sources had carried each by a move's close (largest_moves' ranking key 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import NAT, headline_moments


def _story_keys(frame: pd.DataFrame) -> np.ndarray:
    """Each row's story: its `story_id` where the frame has one, else its own id."""
    ids = frame["id"]
    keys = ids if "story_id" not in frame.columns else frame["story_id"].where(frame["story_id"].notna(), ids)
    if pd.api.types.is_integer_dtype(ids.dtype) and len(keys):
        return keys.to_numpy(dtype=np.int64)   # a story_id column with NA comes as floats
    return keys.to_numpy(dtype=object)


def story_rows(headlines: pd.DataFrame) -> pd.DataFrame:
    """One row per story of `headlines`: its first copy (the row whose id is the story's, else
    its earliest row, then the first given), with columns key and moment (aligned, int64 ns)."""
    frame = headlines.reset_index(drop=True)
    frame = frame.assign(key=_story_keys(frame), moment=headline_moments(frame, "headlines"))
    frame = frame[frame["moment"] != NAT]
    is_first = (frame["id"].to_numpy(dtype=object) == frame["key"].to_numpy(dtype=object))
    order = np.lexsort((np.arange(len(frame)), frame["moment"].to_numpy(), ~is_first))
    return frame.iloc[order].drop_duplicates("key").sort_index()


def carriers(headlines: pd.DataFrame, copies: pd.DataFrame | None, keys: np.ndarray) -> pd.DataFrame:
    """Per story of `keys` and source, the first moment the source carried it (from the copies in
    `headlines` and in `copies`): columns key (the story, as an object), source, first (int64 ns)."""
    frames = [pd.DataFrame({"key": _story_keys(headlines).astype(object),
                            "source": headlines["source"].to_numpy(dtype=object),
                            "first": headline_moments(headlines, "headlines")})]
    if copies is not None and len(copies):
        frames.append(pd.DataFrame({"key": copies["story_id"].to_numpy(dtype=object),
                                    "source": copies["source"].to_numpy(dtype=object),
                                    "first": headline_moments(copies, "copies")}))
    every = pd.concat(frames, ignore_index=True)
    every = every[every["key"].isin(keys) & (every["first"] != NAT) & every["source"].notna()]
    every = every.assign(source=every["source"].astype(str))
    return every.groupby(["key", "source"], as_index=False, sort=False)["first"].min()


def source_coverage(keys: np.ndarray, ends: np.ndarray, carriers: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """For each (story, window end) pair: the number of distinct sources that had carried the
    story before the end, and their names (';'-joined, by when each first carried it, then name)."""
    codes, _ = pd.factorize(np.concatenate([keys.astype(object), carriers["key"].to_numpy(dtype=object)]))
    pairs = pd.DataFrame({"pair": np.arange(len(keys)), "code": codes[:len(keys)], "end": ends})
    joined = pairs.merge(carriers.assign(code=codes[len(keys):]), on="code", how="inner")
    joined = joined[joined["first"] < joined["end"]].sort_values(["pair", "first", "source"], kind="stable")
    pair, source = joined["pair"].to_numpy(), joined["source"].tolist()
    counts = np.bincount(pair, minlength=len(keys)).astype(np.int64)
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    return counts, [";".join(source[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
