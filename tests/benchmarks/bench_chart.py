"""Main-chart benchmark on a large store (a script that prints figures, not a test).

    python tests/benchmarks/bench_chart.py [--store PATH] [--headlines 300000] [--runs 200]
                                           [--repeat 3] [--warmup 12] [--seed 7] [--profile]

Fills (or reuses, when PATH already holds exactly this data) a SQLite store through the store's
own write paths: the five configured instruments with 10 years of daily bars and 2 years of
hourly bars (24x5, weekdays), synthetic geometric random walks started near real levels; and
`--headlines` headlines spread over the same 10 years (denser by day than by night), with real
titles sampled from ../shared/data (world-headlines-rss-2026-05-to-08.csv and
reddit-worldnews-2008-2016.csv; another real title as the summary), ten sources, ~5 % of them a
second feed's copy of a story a few hours later, tagged as the refresh job tags them (topics,
geopolitical-risk categories, sentiment).

Then calls `dashboard.chart.callbacks.chart_view` directly (server time, no HTTP) over varied
views: presets 1D..All, custom ranges, zooms of a few days (hourly bars), keywords, topic, source
and sentiment filters, the pct axis mode. Prints p50/p95/max of the callback time per view kind and
overall, and the figure's JSON size as Dash sends it (`len(to_json_plotly(figure))`). Targets
(issue 15, with the marks clustered): p95 <= 100 ms, figure <= 1 MB. Each of the `--runs` views
is called `--repeat` times (in rounds) and its best time counts, as in bench_feeds.py, so that
load from other processes on a shared machine hits it less; the spread of every call is printed
too. Warm-up calls are not counted. `--profile` adds one more pass under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from plotly.io.json import to_json_plotly

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dashboard import ids  # noqa: E402
from dashboard.chart.callbacks import chart_view  # noqa: E402
from dashboard.context import DashboardContext  # noqa: E402
from dashboard.state import RANGE_PRESETS, ViewState  # noqa: E402
from ingest.config import Config  # noqa: E402
from ingest.headline_tags.stored_tags import headline_tagger  # noqa: E402
from ingest.records import Headline  # noqa: E402
from ingest.store import HeadlineFilter, Store  # noqa: E402

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
END = datetime(2026, 8, 21, 23, 0, tzinfo=UTC)
DAILY_YEARS, HOURLY_YEARS = 10, 2
START = END - timedelta(days=round(365.25 * DAILY_YEARS))
HOURLY_START = END - timedelta(days=round(365.25 * HOURLY_YEARS))
# id -> (start level, daily volatility); the configured instruments' ids
LEVELS = {"usd_rub": (65.0, 0.009), "eur_rub": (72.0, 0.009), "brent": (47.0, 0.02),
          "usd_rub_mkt": (65.3, 0.01), "eur_rub_mkt": (72.4, 0.01)}
SOURCES = {"TASS": 14, "BBC World": 12, "Al Jazeera": 12, "The Moscow Times": 8, "Deutsche Welle": 8,
           "Guardian World": 12, "Reuters World": 14, "France 24": 8, "Euronews": 6, "NHK World": 6}
COPY_SHARE = 0.05
BATCH = 5000
KEYWORDS = ("Syria", "Lavrov OR Kerry", '"oil output"', "sanction*")
KINDS = ("preset", "custom", "zoom", "keyword", "filter", "pct")
SENTIMENTS = ("negative", "neutral", "positive")
TARGET_MS, TARGET_BYTES = 100.0, 1_000_000


# -- filling the store ------------------------------------------------------------------------

def _walk(rng: np.random.Generator, n: int, level: float, vol: float) -> pd.DataFrame:
    """OHLC bars of a geometric random walk (open = previous close)."""
    close = level * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    open_ = np.concatenate([[level], close[:-1]])
    spread = np.abs(rng.normal(0.0, vol / 2, n))
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * (1 + spread),
                         "low": np.minimum(open_, close) * (1 - spread), "close": close})


def make_bars(rng: np.random.Generator, interval: str, level: float, vol: float) -> pd.DataFrame:
    """Weekday bars: one a day at 00:00 UTC for 10 years, or one an hour (24x5) for 2 years."""
    if interval == "1d":
        ts = pd.date_range(START.date(), END.date(), freq="D", tz="UTC")
    else:
        ts = pd.date_range(HOURLY_START, END, freq="h", tz="UTC")
        vol = vol / np.sqrt(24)
    ts = ts[ts.day_of_week < 5]
    frame = _walk(rng, len(ts), level, vol)
    frame.insert(0, "ts", ts.as_unit("s"))
    # when each close became known: the end of its UTC day, or an hour after the bar's start
    frame.insert(1, "known", frame["ts"] + (pd.Timedelta(days=1) if interval == "1d" else pd.Timedelta(hours=1)))
    frame["volume"] = np.nan
    frame["flag"] = None
    return frame


def _clean_reddit(title: str) -> str:
    """Undo the bytes-literal wrapping (b'...' / b"...") of the file's 2008-2010 rows."""
    if len(title) > 3 and title[:2] in ("b'", 'b"') and title[-1] == title[1]:
        title = title[2:-1].replace("\\n", " ").replace("\\'", "'").replace('\\"', '"')
    return " ".join(title.split())


def load_titles() -> list[str]:
    """Every real headline title of the two dated headline files."""
    world = pd.read_csv(DATA / "world-headlines-rss-2026-05-to-08.csv", usecols=["title"])["title"]
    reddit = pd.read_csv(DATA / "reddit-worldnews-2008-2016.csv", usecols=["News"])["News"]
    titles = [" ".join(str(t).split()) for t in world.dropna()] + [_clean_reddit(str(t)) for t in reddit.dropna()]
    return [t for t in titles if t]


def make_headlines(rng: random.Random, count: int, titles: list[str]) -> list[Headline]:
    """`count` headlines over the 10 years, in time order; ~5 % repeat a recent story in another feed."""
    span = int((END - START).total_seconds())
    hour_weights = [0.4 if h < 6 else 1.2 if 8 <= h <= 18 else 0.8 for h in range(24)]
    days = sorted(rng.randrange(span // 86400) for _ in range(count))
    hours = rng.choices(range(24), hour_weights, k=count)
    moments = sorted(START + timedelta(days=d, hours=h, seconds=rng.randrange(3600))
                     for d, h in zip(days, hours, strict=True))
    names, weights = list(SOURCES), list(SOURCES.values())
    items: list[Headline] = []
    for index, moment in enumerate(moments):
        source = rng.choices(names, weights)[0]
        if items and rng.random() < COPY_SHARE:
            original = items[max(0, len(items) - rng.randint(1, 20))]
            title, summary = original.title, original.summary
            source = rng.choice([n for n in names if n != original.source])
        else:
            title, summary = rng.choice(titles), rng.choice(titles)
        slug = source.lower().replace(" ", "-")
        items.append(Headline(source=source, guid=f"bench-{index}", title=title, summary=summary,
                              link=f"https://news.example/{slug}/{index}", published=moment,
                              fetched=moment + timedelta(minutes=rng.randint(1, 30))))
    return items


def store_has_data(store: Store, headlines: int, instruments: list[str]) -> bool:
    """True when the store holds exactly the data this script writes (every headline tagged with
    a sentiment, as the refresh job tags them)."""
    extents = store.bar_extents()
    return (store.counts()["headlines"] == headlines and len(extents) == 2 * len(instruments)
            and set(extents["instrument_id"]) == set(instruments)
            and store.count_headlines(HeadlineFilter(sentiments=SENTIMENTS)) == headlines)


def fill(store: Store, config: Config, headlines: int, seed: int) -> dict[str, float]:
    """Write bars and headlines through the store's write paths; returns the seconds of each part."""
    timings: dict[str, float] = {}
    store.sync_config(config)
    nprng = np.random.default_rng(seed)
    started = time.perf_counter()
    for instrument in config.instruments:
        level, vol = LEVELS.get(instrument.id, (100.0, 0.01))
        for interval in ("1d", "1h"):
            store.write_bars(instrument.id, interval, instrument.source,
                             make_bars(nprng, interval, level, vol), END + timedelta(days=2))  # every close final
    timings["bars"] = time.perf_counter() - started
    started = time.perf_counter()
    items = make_headlines(random.Random(seed), headlines, load_titles())
    timings["generate headlines"] = time.perf_counter() - started
    tagger = headline_tagger(config.topics)  # as the refresh job tags: topics, risk categories, sentiment
    started = time.perf_counter()
    for offset in range(0, len(items), BATCH):
        store.write_headlines(items[offset:offset + BATCH], tag=tagger)
        if (offset // BATCH) % 10 == 9:
            print(f"  {offset + BATCH:,} headlines written ({time.perf_counter() - started:.0f} s)", flush=True)
    timings["headlines"] = time.perf_counter() - started
    return timings


# -- views ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    kind: str
    state: dict
    relayout: dict | None
    trigger: str
    browser_tz: str | None


def state_dict(state: ViewState, known: list[str], defaults: list[str]) -> dict:
    """`state.to_dict()` (what the chart callback gets), checked to round-trip through
    `ViewState.from_dict`, so that the view measured is the one meant."""
    data = state.to_dict()
    back = ViewState.from_dict(data, known, defaults)
    if back != state:
        raise RuntimeError(f"view state does not round-trip: {state} -> {back}")
    return data


class ViewMaker:
    """Random but reproducible views of each kind."""

    def __init__(self, rng: random.Random, config: Config, ctx: DashboardContext):
        self.rng, self.ctx = rng, ctx
        ids_ = ctx.instrument_ids
        self.instrument_sets = [tuple(ctx.default_instruments), tuple(ids_), ("brent",), ("usd_rub", "brent")]
        self.topics = [t.name for t in config.topics]

    def _range(self, state: ViewState) -> ViewState:
        rng = self.rng
        if rng.random() < 0.65:
            return replace(state, range=rng.choice(list(RANGE_PRESETS)))
        return self._custom(state)

    def _custom(self, state: ViewState) -> ViewState:
        rng = self.rng
        span = int(np.exp(rng.uniform(np.log(2), np.log(365 * DAILY_YEARS - 5))))
        first = START.date() + timedelta(days=rng.randrange((END.date() - START.date()).days - span))
        return replace(state, range="custom", start=first, end=first + timedelta(days=span))

    def _base(self) -> ViewState:
        rng = self.rng
        return ViewState(instruments=rng.choice(self.instrument_sets), tz=rng.choice(["UTC", "Europe/Moscow"]),
                         marks_by=rng.choice(["risk", "risk", "topic", "source"]),
                         mark_mode="all" if rng.random() < 0.1 else "top")

    def make(self, kind: str) -> View:
        rng, state, relayout, trigger = self.rng, self._base(), None, ids.STATE
        if kind == "preset":
            state = replace(state, range=rng.choice(list(RANGE_PRESETS)))
        elif kind == "custom":
            state = self._custom(state)
        elif kind == "zoom":
            state = replace(state, range=rng.choice(["3M", "1Y", "All"]))
            days = rng.uniform(1, 10)
            first = HOURLY_START + timedelta(days=rng.uniform(0, (END - HOURLY_START).days - days))
            low, high = (pd.Timestamp(t).tz_convert(state.tz).tz_localize(None)
                         for t in (first, first + timedelta(days=days)))
            relayout = {"xaxis.range[0]": str(low), "xaxis.range[1]": str(high)}
            trigger = ids.CHART
        elif kind == "keyword":
            state = self._range(replace(state, query=rng.choice(KEYWORDS)))
        elif kind == "filter":
            topics = tuple(rng.sample(self.topics, rng.randint(1, 2))) if rng.random() < 0.6 else ()
            sources = tuple(rng.sample(list(SOURCES), rng.randint(1, 3))) if not topics or rng.random() < 0.4 else ()
            sentiment = (rng.choice(SENTIMENTS),) if rng.random() < 0.35 else ()
            query = rng.choice(KEYWORDS) if rng.random() < 0.2 else ""
            state = self._range(replace(state, topics=topics, sources=sources, sentiment=sentiment, query=query))
        elif kind == "pct":
            state = self._range(replace(state, axis="pct"))
        else:
            raise ValueError(f"unknown view kind {kind!r}")
        return View(kind, state_dict(state, self.ctx.instrument_ids, self.ctx.default_instruments),
                    relayout, trigger, "Europe/Berlin")


@dataclass(frozen=True)
class Timing:
    ms: float         # chart_view, wall clock
    cpu: float        # chart_view, CPU time of this process
    size: int         # len(to_json_plotly(figure))
    encode_ms: float  # to_json_plotly(figure) (Dash serialises the figure after the callback)
    note: str


def call(ctx: DashboardContext, view: View) -> Timing:
    """Time one chart_view call of a view, in one read snapshot as the callback makes it (but never
    answered from the callback's cache of recent answers: every call draws)."""
    started, cpu = time.perf_counter(), time.process_time()
    with ctx.consistent_read() as snapshot:
        figure, note, _window, _empty = chart_view(snapshot, view.state, view.relayout, view.trigger, None, None,
                                                   view.browser_tz)
    elapsed, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    started = time.perf_counter()
    size = len(to_json_plotly(figure))   # as Dash serialises it
    return Timing(elapsed, cpu, size, (time.perf_counter() - started) * 1000, note)


# -- report -----------------------------------------------------------------------------------

def _row(name: str, timings: list[Timing]) -> str:
    ms, cpu, sizes = ([getattr(t, k) for t in timings] for k in ("ms", "cpu", "size"))
    return (f"{name:<9} {len(ms):>4} {np.percentile(ms, 50):>8.1f} {np.percentile(ms, 95):>8.1f} {max(ms):>8.1f} "
            f"{np.percentile(cpu, 50):>8.1f} {np.percentile(cpu, 95):>8.1f} "
            f"{np.percentile(sizes, 50) / 1e3:>8.0f} {max(sizes) / 1e3:>8.0f}")


def _store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def subplots_ms(calls: int = 20) -> float:
    """The median time of plotly's make_subplots with the chart's panels, after one warm-up call."""
    import time

    from plotly.subplots import make_subplots

    from dashboard.chart.figures import SUBPLOTS
    make_subplots(**SUBPLOTS)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        make_subplots(**SUBPLOTS)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=None,
                        help="SQLite file (default: <tmp>/newsmarks-bench-chart-<headlines>.db, reused)")
    parser.add_argument("--headlines", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="calls per view; the best counts")
    parser.add_argument("--warmup", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="one more pass under cProfile; print the top")
    args = parser.parse_args(argv)
    path = args.store or Path(tempfile.gettempdir()) / f"newsmarks-bench-chart-{args.headlines}.db"
    config = Config()
    instrument_ids = [i.id for i in config.instruments]

    print(f"machine: {platform.platform()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    existed = path.exists()
    store = Store.open(f"sqlite:///{path}")
    if existed:
        if not store_has_data(store, args.headlines, instrument_ids):
            print(f"{path} exists but does not hold this benchmark's data ({args.headlines:,} headlines, bars of "
                  f"{len(instrument_ids)} instruments); remove it or pick another --store", file=sys.stderr)
            return 2
        print(f"store: reusing {path}")
    else:
        print(f"store: filling {path} (bars: synthetic random walks; headline titles: real, sampled)")
        timings = fill(store, config, args.headlines, args.seed)
        print("fill: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
              + f"; total {sum(timings.values()):.1f} s")
    counts = store.counts()
    print(f"store: {counts['price_bars']:,} bars, {counts['headlines']:,} headlines, "
          f"{_store_bytes(path) / 1e6:.0f} MB on disk")

    ctx = DashboardContext(config, store)
    maker = ViewMaker(random.Random(args.seed), config, ctx)
    views = [maker.make(KINDS[i % len(KINDS)]) for i in range(args.warmup + args.runs)]
    for view in views[:args.warmup]:
        call(ctx, view)
    timed = views[args.warmup:]
    every: list[list[Timing]] = [[] for _ in timed]
    for _ in range(args.repeat):
        for runs, view in zip(every, timed, strict=True):
            runs.append(call(ctx, view))
    best = [min(runs, key=lambda t: t.ms) for runs in every]
    clustered = sum("in clusters" in t.note for t in best)

    print(f"\nchart_view over {args.runs} views, each the best of {args.repeat} calls ({args.warmup} warm-up "
          f"calls not counted); {clustered} views with stories in cluster badges")
    print(f"{'':<14} {'server time (wall)':^26} {'CPU':^17} {'figure JSON':^17}")
    print(f"{'kind':<9} {'runs':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p50 kB':>8} {'max kB':>8}")
    for kind in KINDS:
        of_kind = [t for t, view in zip(best, timed, strict=True) if view.kind == kind]
        if of_kind:
            print(_row(kind, of_kind))
    for by in ("risk", "topic", "source"):
        of_mode = [t for t, view in zip(best, timed, strict=True) if view.state.get("marks_by") == by]
        if of_mode:
            print(_row(f"by {by}", of_mode))
    print(_row("overall", best))
    print(_row("every", [t for runs in every for t in runs]) + "   <- all calls, not only the best")
    encode = [t.encode_ms for t in best]
    print(f"to_json_plotly(figure) after the callback: p50 {np.percentile(encode, 50):.1f} ms, "
          f"p95 {np.percentile(encode, 95):.1f} ms (not in the times above)")
    print(f"make_subplots(**SUBPLOTS), which the chart's layout writes out instead: {subplots_ms():.1f} ms a call "
          "(median of 20; above the 5 ms a chart may spend on its layout)")
    all_ms, all_sizes = [t.ms for t in best], [t.size for t in best]
    p95, biggest = float(np.percentile(all_ms, 95)), max(all_sizes)
    print(f"\ntarget p95 <= {TARGET_MS:.0f} ms: {'met' if p95 <= TARGET_MS else 'MISSED'} ({p95:.1f} ms); "
          f"figure <= {TARGET_BYTES / 1e6:.1f} MB: {'met' if biggest <= TARGET_BYTES else 'MISSED'} "
          f"({biggest / 1e6:.2f} MB)")
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())} (wall times include waiting "
          "for a core when other processes share the machine; CPU times less so)")
    print("slowest views:")
    for timing, view in sorted(zip(best, timed, strict=True), key=lambda item: -item[0].ms)[:5]:
        state = {k: v for k, v in view.state.items() if v}
        print(f"  {timing.ms:7.1f} ms  {view.kind:<8} {state} {view.relayout or ''}\n             {timing.note[:90]}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for view in timed:
            call(ctx, view)
        profiler.disable()
        print("\nprofile (one more pass, cumulative time):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
