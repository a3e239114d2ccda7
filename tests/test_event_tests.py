"""The event study's models and tests (dashboard.analysis.event_models, event_tests) against
independent computations on the same arrays — plain loops over math.log, statsmodels' OLS for each
event's model and for the calendar-time HAC regression, scipy's t-test and ranks — to 1e-9; a
known abnormal return injected at known events is found with its sign and size; without one the
p-values are uniform (rejection rates at 5 % over 400 seeds)."""

from __future__ import annotations

import bisect
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.regression.linear_model import OLS

from dashboard.analysis.event_calendar_test import calendar_time, hac_lags
from dashboard.analysis.event_frame import move_columns
from dashboard.analysis.event_rank_tests import _sorted_rank_sums, rank_sums
from dashboard.analysis.event_study import event_study
from dashboard.analysis.event_tests import TESTS
from tests.test_event_study import headlines_after_bars

W, L = 4, 40


def business_bars(closes, start: str = "2021-01-04", bad=None, instrument: str = "x") -> pd.DataFrame:
    """Daily bars on business days, each known at the end of its UTC day."""
    ts = pd.Series(pd.bdate_range(start, periods=len(closes), tz="UTC"))
    frame = pd.DataFrame({"instrument_id": instrument, "interval": "1d", "ts": ts, "known": ts + pd.Timedelta(days=1),
                          "close": closes})
    return frame.assign(bad=bad) if bad is not None else frame


def market_pair(n: int, seed: int, alpha: float = 0.0004, beta: float = 1.3):
    """An instrument whose returns are alpha + beta M + noise and its benchmark M, on the same days."""
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0, 0.01, n)
    r = alpha + beta * m + rng.normal(0.0, 0.008, n)
    r[0] = m[0] = 0.0
    return 100.0 * np.exp(np.cumsum(r)), 50.0 * np.exp(np.cumsum(m))


def log_returns(closes: list[float]) -> list[float | None]:
    """r[j] = log(c[j] / c[j - 1]) one at a time; None for j = 0."""
    return [None] + [math.log(closes[j] / closes[j - 1]) for j in range(1, len(closes))]


def reference(r: list, m: list | None, bars: list[int], window: int, length: int, h: int) -> dict:
    """Every statistic of the events on `bars`, one event and one return at a time: each event's
    model by statsmodels' OLS over its estimation window, ARs and CARs by loops, the tests by
    their textbook formulas with scipy's t-test, ranks and distributions."""
    market = m is not None
    params, resid_sd, est_m = [], [], []
    for i in bars:
        span = range(i - window - length, i - window)
        y = np.array([r[j] for j in span])
        x = np.column_stack([np.ones(length)] + ([np.array([m[j] for j in span])] if market else []))
        fit = OLS(y, x).fit()
        params.append((float(fit.params[0]), float(fit.params[1]) if market else 0.0))
        resid_sd.append(math.sqrt(float(fit.ssr) / (length - x.shape[1])))
        est_m.append([m[j] for j in span] if market else None)

    def ar(e: int, j: int) -> float:
        a, b = params[e]
        return r[j] - a - (b * m[j] if market else 0.0)

    n = len(bars)
    car = [[sum(ar(e, i + j) for j in range(1, k + 1)) if k > 0 else -sum(ar(e, i + j) for j in range(k + 1, 1))
            for k in range(-window, window + 1)] for e, i in enumerate(bars)]
    car_h = np.array([row[window + h] for row in car])
    scar = []
    for e, i in enumerate(bars):
        v = h + h * h / length
        if market:
            mean_m = sum(est_m[e]) / length
            sxx = sum((x - mean_m) ** 2 for x in est_m[e])
            v += (sum(m[i + j] for j in range(1, h + 1)) - h * mean_m) ** 2 / sxx
        scar.append(car_h[e] / (resid_sd[e] * math.sqrt(v)))
    scar = np.array(scar)
    d = 2 if market else 1
    patell_z = scar.sum() / math.sqrt(n * (length - d) / (length - d - 2))
    bmp = stats.ttest_1samp(scar, 0.0)
    # each CAR(h) as weights on returns (+1 after the event, minus the model's loadings on its
    # estimation window), scaled to unit variance; r: their mean pairwise inner product
    weights = []
    for e, i in enumerate(bars):
        w = {j: 1.0 for j in range(i + 1, i + h + 1)}
        if market:
            mean_m = sum(est_m[e]) / length
            sxx = sum((x - mean_m) ** 2 for x in est_m[e])
            post_m = sum(m[i + j] for j in range(1, h + 1))
        for t, j in enumerate(range(i - window - length, i - window)):
            load = h / length + ((est_m[e][t] - mean_m) * (post_m - h * mean_m) / sxx if market else 0.0)
            w[j] = w.get(j, 0.0) - load
        norm = math.sqrt(sum(v * v for v in w.values()))
        weights.append({j: v / norm for j, v in w.items()})
    rbar = sum(sum(v * b.get(j, 0.0) for j, v in a.items())
               for x, a in enumerate(weights) for y, b in enumerate(weights) if x != y) / (n * (n - 1))
    kp_t = bmp.statistic * math.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
    offsets = [*range(-window - length, -window), *range(-window + 1, window + 1)]
    ranks = np.array([stats.rankdata([ar(e, i + o) for o in offsets]) for e, i in enumerate(bars)])
    u_bar = (ranks / (len(offsets) + 1)).mean(axis=0) - 0.5
    s_u = math.sqrt(float(np.mean(u_bar**2)))
    post = [offsets.index(k) for k in range(1, h + 1)]
    corrado_z = sum(u_bar[c] for c in post) / (math.sqrt(h) * s_u)
    share = sum(sum(ar(e, i + o) > 0 for o in range(-window - length, -window)) / length
                for e, i in enumerate(bars)) / n
    w = sum(c > 0 for c in car_h)
    sign_z = (w - n * share) / math.sqrt(n * share * (1 - share))
    return {"params": params, "sd": resid_sd, "car": np.array(car), "scar": scar,
            "t": tuple(stats.ttest_1samp(car_h, 0.0)), "patell": (patell_z, 2 * stats.norm.sf(abs(patell_z))),
            "bmp": (bmp.statistic, bmp.pvalue), "kp": (kp_t, 2 * stats.t.sf(abs(kp_t), n - 1)), "rbar": rbar,
            "corrado": (corrado_z, 2 * stats.norm.sf(abs(corrado_z))),
            "sign": (sign_z, 2 * stats.norm.sf(abs(sign_z)))}


def reference_calendar(r: list, m: list | None, valid: list[bool], bars: list[int], window: int, length: int,
                       h: int, model: str) -> tuple[float, float, float]:
    """statsmodels' OLS with HAC errors on the calendar-time design built one return at a time; the
    p from t with (runs of event bars - 1) degrees of freedom."""
    first = min(bars) - window + (1 if model == "raw" else -length)
    rows = [j for j in range(first, max(bars) + window + 1) if valid[j]]
    inside = [float(any(i < j <= i + h for i in bars)) for j in rows]
    x = [[*([] if model == "raw" else [1.0]), *([m[j]] if model == "market" else []), d]
         for j, d in zip(rows, inside, strict=True)]
    lags = math.floor(4 * (len(rows) / 100) ** (2 / 9))
    fit = OLS(np.array([r[j] for j in rows]), np.array(x)).fit(cov_type="HAC",
                                                              cov_kwds={"maxlags": lags, "use_correction": True})
    runs = sum(1 for a, b in zip([0.0, *inside], inside, strict=False) if b and not a)
    t = float(fit.tvalues[-1])
    return float(fit.params[-1]), t, float(2 * stats.t.sf(abs(t), runs - 1))


def check(result, expected: dict, used: list[int], r, m, valid, window: int, length: int, model: str) -> None:
    assert np.allclose(result.events[move_columns(window, "car")].to_numpy(), expected["car"], rtol=1e-9, atol=1e-12)
    assert np.allclose(result.events["est_alpha"], [a for a, _ in expected["params"]], rtol=1e-9, atol=1e-13)
    if model == "market":
        assert np.allclose(result.events["est_beta"], [b for _, b in expected["params"]], rtol=1e-9)
    assert np.allclose(result.events["est_sd"], expected["sd"], rtol=1e-9)
    h = window
    for name in ("t", "patell", "bmp", "kp", "corrado", "sign"):
        statistic, p = result.test(name, h)
        assert statistic == pytest.approx(expected[name][0], rel=1e-9), name
        assert p == pytest.approx(expected[name][1], rel=1e-9), name
    row = result.tests[(result.tests["test"] == "kp") & (result.tests["horizon"] == h)]
    assert row["detail"].iloc[0] == pytest.approx(expected["rbar"], rel=1e-9, abs=1e-15)
    coefficient, z, p = reference_calendar(r, m, valid, used, window, length, h, model)
    row = result.tests[(result.tests["test"] == "calendar") & (result.tests["horizon"] == h)].iloc[0]
    assert (row["detail"], row["statistic"], row["p"]) == pytest.approx((coefficient, z, p), rel=1e-9)
    assert result.move_w == pytest.approx(float(np.mean(expected["car"][:, -1])), rel=1e-9, abs=1e-15)


def used_bars(result, bars: pd.DataFrame) -> list[int]:
    """The positions in `bars` (sorted, one per day) of the used events' bars."""
    return [int(np.flatnonzero(bars["ts"] == t)[0]) for t in result.events["bar_time"]]


# -- each statistic against an independent computation -------------------------------------------------

@pytest.mark.parametrize(("spacing", "ties"), [(None, True), (0, True), (3, False)])
def test_mean_model_statistics_equal_the_independent_computation(spacing, ties):
    """Merged episodes or overlapping windows kept; returns tied (two zero returns) or all distinct."""
    rng = np.random.default_rng(4)
    closes = (100.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, 220)))).tolist()
    if ties:
        closes[130] = closes[129]
        closes[150] = closes[149]
    events = [60, 63, 70, 71, 90, 104, 130, 151, 160, 190, 200]
    bars = business_bars(closes)
    overlap = {"overlap": "merge"} if spacing is None else {"overlap": "spacing", "spacing": spacing}
    result = event_study(headlines_after_bars(bars, events), bars, "1d", window=W, placebo_draws=0, model="mean",
                         estimation=L, **overlap)
    used = used_bars(result, bars)
    assert used == {None: [60, 70, 90, 104, 130, 151, 160, 190, 200], 0: events,
                    3: [60, 63, 70, 90, 104, 130, 151, 160, 190, 200]}[spacing]
    r = log_returns(closes)
    expected = reference(r, None, used, W, L, W)
    check(result, expected, used, r, None, [j > 0 for j in range(len(closes))], W, L, "mean")
    one = reference(r, None, used, W, L, 1)
    for name in ("t", "bmp", "corrado", "sign"):
        assert result.test(name, 1) == pytest.approx(one[name], rel=1e-9)
    # events share returns: overlapping windows (spacing) and windows inside others' estimation windows
    assert expected["rbar"] < 0 if spacing is None else expected["rbar"] != 0


def test_market_model_statistics_equal_the_independent_computation():
    closes, bench = market_pair(260, seed=7)
    closes[120], bench[120] = closes[119], bench[119]      # no move in either: an AR of -alpha
    events = [55, 80, 84, 120, 150, 151, 200, 230]
    bars, benchmark = business_bars(closes.tolist()), business_bars(bench.tolist(), instrument="b")
    result = event_study(headlines_after_bars(bars, events), bars, "1d", window=W, spacing=0, placebo_draws=0,
                         model="market", estimation=L, overlap="spacing", benchmark=benchmark)
    assert used_bars(result, bars) == events
    r, m = log_returns(closes.tolist()), log_returns(bench.tolist())
    expected = reference(r, m, events, W, L, W)
    check(result, expected, events, r, m, [j > 0 for j in range(len(closes))], W, L, "market")
    assert np.allclose(result.events["est_beta"], 1.3, atol=0.5)      # the simulated slope (se 0.13)


def test_raw_model_has_the_tests_without_an_estimation_window_only():
    rng = np.random.default_rng(8)
    closes = (100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 120)))).tolist()
    bars = business_bars(closes)
    events = [10, 12, 40, 41, 80, 100]
    result = event_study(headlines_after_bars(bars, events), bars, "1d", window=3, placebo_draws=0)
    r = log_returns(closes)
    paths = np.array([[math.log(closes[i + 3] / closes[i])] for i in events])
    assert result.test("t", 3) == pytest.approx(tuple(stats.ttest_1samp(paths[:, 0], 0.0)), rel=1e-9)
    for name in ("patell", "bmp", "corrado", "sign"):
        assert all(math.isnan(v) for v in result.test(name, 3))
    # Kolari-Pynnönen's factor on the cross-sectional t, r from the windows' shared returns
    shared = [len(set(range(a + 1, a + 4)) & set(range(b + 1, b + 4))) / 3 for a in events for b in events if a != b]
    rbar = sum(shared) / len(shared)
    t = stats.ttest_1samp(paths[:, 0], 0.0).statistic * math.sqrt((1 - rbar) / (1 + 5 * rbar))
    assert result.test("kp", 3) == pytest.approx((t, 2 * stats.t.sf(abs(t), 5)), rel=1e-9)
    coefficient, z, p = reference_calendar(r, None, [j > 0 for j in range(120)], events, 3, 0, 3, "raw")
    row = result.tests[(result.tests["test"] == "calendar") & (result.tests["horizon"] == 3)].iloc[0]
    assert (row["detail"], row["statistic"], row["p"]) == pytest.approx((coefficient, z, p), rel=1e-9)


def test_hac_lag_rule_and_rank_sums():
    assert [hac_lags(n) for n in (50, 100, 263, 500, 50_000)] == [
        math.floor(4 * (n / 100) ** (2 / 9)) for n in (50, 100, 263, 500, 50_000)] == [3, 4, 4, 5, 15]
    rng = np.random.default_rng(2)
    block = rng.normal(size=(400, 37))
    block[3, :9] = 0.0                                   # exact ties
    block[7, 5] = np.nextafter(block[7, 11], 1.0)        # values one ulp apart
    block[9, 2] = -0.0
    block[9, 3] = 0.0
    assert np.array_equal(rank_sums(block), stats.rankdata(block, axis=1).sum(axis=0))
    # integer keys packed with their column in the lowest bits, as the mean model ranks its returns
    bits = (21 - 1).bit_length()
    integers = rng.integers(0, 9, size=(300, 21))
    packed = (integers << bits) | np.arange(21)
    assert np.array_equal(_sorted_rank_sums(packed, bits, 21), stats.rankdata(integers, axis=1).sum(axis=0))
    distinct = np.argsort(rng.random((300, 21)), axis=1)          # no key repeats within a row
    packed = (distinct << bits) | np.arange(21)
    assert np.array_equal(_sorted_rank_sums(packed, bits, 21, ties=False), stats.rankdata(distinct, axis=1).sum(axis=0))


def test_calendar_time_t_equals_the_textbook_newey_west_sandwich():
    """calendar_time's HAC t against Newey & West's (1987) sandwich written out: b = (X'X)^-1 X'y,
    g_t = x_t u_t, S = sum_t g_t g_t' + sum_{l=1..L} (1 - l / (L + 1)) sum_t (g_t g_{t-l}' +
    g_{t-l} g_t'), V = (X'X)^-1 S (X'X)^-1 T / (T - K), L = floor(4 (T / 100)^(2/9)); one
    observation and one lag at a time, on a fixed design with four runs of event bars."""
    rng = np.random.default_rng(21)
    n_obs = 150
    inside = np.zeros(n_obs)
    for first, last in ((20, 21), (23, 25), (70, 72), (120, 122)):      # four runs of event bars
        inside[first:last + 1] = 1.0
    m = rng.normal(0.0, 0.01, n_obs)
    y = 0.0003 + 0.9 * m + 0.004 * inside + rng.normal(0.0, 0.008, n_obs)
    x = np.column_stack([np.ones(n_obs), m, inside])
    k = x.shape[1]
    lags = math.floor(4 * (n_obs / 100) ** (2 / 9))
    xtx_inv = np.linalg.inv(sum(np.outer(x[t], x[t]) for t in range(n_obs)))
    b = xtx_inv @ sum(x[t] * y[t] for t in range(n_obs))
    g = [x[t] * (y[t] - float(x[t] @ b)) for t in range(n_obs)]
    s = sum(np.outer(g[t], g[t]) for t in range(n_obs))
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        for t in range(lag, n_obs):
            s = s + weight * (np.outer(g[t], g[t - lag]) + np.outer(g[t - lag], g[t]))
    v = xtx_inv @ s @ xtx_inv * n_obs / (n_obs - k)
    t_stat = b[-1] / math.sqrt(v[-1, -1])
    coefficient, t, p, observations, used_lags = calendar_time(y, x)
    assert (observations, used_lags) == (n_obs, lags) == (150, 4)
    assert (coefficient, t) == pytest.approx((b[-1], t_stat), rel=1e-9)
    assert p == pytest.approx(2 * stats.t.sf(abs(t_stat), 4 - 1), rel=1e-9)


# -- which events a model can use ----------------------------------------------------------------------

def test_events_without_a_clean_estimation_window_are_skipped_and_counted():
    rng = np.random.default_rng(3)
    closes = (100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 200)))).tolist()
    bad = [j == 100 for j in range(200)]
    bars = business_bars(closes, bad=bad)
    # 30: history starts before the data (needs bar 30 - 4 - 40 - 1 >= 0); 98: the bad bar in its
    # window; 120, 140: the bad bar in their estimation windows (bars 75..115, 95..135); 160 clean;
    # 146 is the first clean one after it (bars 101 .. 141)
    events = [30, 98, 120, 140, 146, 160, 196]
    result = event_study(headlines_after_bars(bars, events), bars, "1d", window=W, placebo_draws=0, model="mean",
                         estimation=L, overlap="spacing")
    assert (result.n_dropped_edges, result.n_dropped_flagged) == (1, 1)
    assert result.n_skipped == {"benchmark": 0, "history": 1, "history_flagged": 2, "flat": 0}
    assert used_bars(result, bars) == [146, 160]
    raw = event_study(headlines_after_bars(bars, events), bars, "1d", window=W, placebo_draws=0)
    assert raw.n_events == 5 and raw.n_skipped["history"] == 0         # no model, no history needed
    flat = business_bars([100.0] * 60 + closes[:60])
    result = event_study(headlines_after_bars(flat, [50, 105]), flat, "1d", window=W, placebo_draws=0,
                         model="mean", estimation=L, overlap="spacing")
    assert result.n_skipped["flat"] == 1 and result.n_events == 1


def test_the_benchmark_is_matched_by_when_its_closes_became_known():
    # the instrument: business days, known at 19:30 UTC; the benchmark: a rate dated D known at
    # 14:00 UTC on D - 1 (a Bank of Russia rate), Tuesday to Saturday, one of them flagged bad
    rng = np.random.default_rng(5)
    days = pd.Series(pd.bdate_range("2024-01-01", periods=120, tz="UTC"))
    bars = pd.DataFrame({"ts": days, "known": days + pd.Timedelta(hours=19, minutes=30),
                         "close": 80.0 * np.exp(np.cumsum(rng.normal(0, 0.01, 120)))})
    dated = pd.Series(pd.date_range("2024-01-02", periods=170, freq="D", tz="UTC"))
    dated = dated[dated.dt.day_of_week.isin([1, 2, 3, 4, 5])].reset_index(drop=True)   # Tuesday .. Saturday
    bench = pd.DataFrame({"ts": dated, "close": 90.0 * np.exp(np.cumsum(rng.normal(0, 0.01, len(dated))))})
    bench["known"] = bench["ts"] - pd.Timedelta(hours=10)
    bench["bad"] = [j == 70 for j in range(len(bench))]
    from dashboard.analysis.alignment import known_bars
    from dashboard.analysis.event_models import match_benchmark

    price, ok = match_benchmark(known_bars(bars), known_bars(bench))
    known = list(bench["known"])
    expected_price, expected_ok, last = [], [], None
    for j, t in enumerate(bars["known"]):
        at = bisect.bisect_right(known, t) - 1
        expected_price.append(math.nan if at < 0 or bench["bad"][at] else math.log(bench["close"][at]))
        expected_ok.append(j > 0 and last is not None and last >= 0 and at >= 0
                           and not bench["bad"][last:at + 1].any())
        last = at
    assert np.allclose(price, expected_price, rtol=1e-15, equal_nan=True)
    assert ok.tolist() == expected_ok and not all(expected_ok[1:])
    # an event whose window holds the flagged benchmark bar is skipped for the benchmark
    flagged = int(np.flatnonzero(~np.array(expected_ok))[1])
    result = event_study(headlines_after_bars(bars, [flagged, 100, 115]), bars, "1d", window=2, placebo_draws=0,
                         model="market", estimation=30, overlap="spacing", benchmark=bench)
    # 100: the flagged benchmark bar in its estimation window (the returns 68 .. 97)
    assert result.n_skipped == {"benchmark": 1, "history": 0, "history_flagged": 1, "flat": 0}
    assert used_bars(result, bars) == [115]


# -- power and size -----------------------------------------------------------------------------------

def test_an_injected_abnormal_return_is_found_with_its_sign_and_size():
    rng = np.random.default_rng(11)
    steps = rng.normal(-0.0015, 0.01, 900)          # a drift, as Brent's in 2026
    events = np.sort(rng.choice(np.arange(150, 880), size=40, replace=False))
    events = events[np.append(True, np.diff(events) > 2 * W)]          # apart: no episode merges them
    steps[events + 1] += 0.02                        # +2 % the bar after each event
    closes = 100.0 * np.exp(np.cumsum(steps))
    bars = business_bars(closes.tolist())
    result = event_study(headlines_after_bars(bars, events), bars, "1d", window=W, placebo_draws=200, seed=1,
                         model="mean", estimation=120, overlap="merge")
    assert result.n_events == len(events) and result.n_merged == 0
    se = 0.01 / math.sqrt(len(events))
    assert abs(result.move_1 - 0.02) < 3 * se
    for name in TESTS:
        statistic, p = result.test(name, 1)
        assert statistic > 0 and p < 0.01, name
    assert result.placebo_p_caar < 0.05
    # the same data without the injected return: nothing at +1
    quiet = steps.copy()
    quiet[events + 1] -= 0.02
    bars = business_bars((100.0 * np.exp(np.cumsum(quiet))).tolist())
    none = event_study(headlines_after_bars(bars, events), bars, "1d", window=W, placebo_draws=0, model="mean",
                       estimation=120, overlap="merge")
    assert abs(none.move_1) < 3 * se


@pytest.mark.slow   # Monte-Carlo
def test_without_an_effect_every_test_rejects_at_about_its_level():
    """400 random walks of 320 bars with 10-20 random events each (merged into episodes), the
    constant-mean model over 120 bars: each test's rejection rate at 5 % lies in [0.02, 0.09] at
    +1 and +W, and so do the placebo's."""
    p_values = {(name, h): [] for name in TESTS for h in (1, W)} | {("placebo", W): [], ("placebo_caar", W): []}
    for seed in range(400):
        rng = np.random.default_rng(seed)
        closes = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, 320)))
        bars = business_bars(closes.tolist())
        events = np.sort(rng.choice(np.arange(130, 315), size=rng.integers(10, 21), replace=False))
        result = event_study(headlines_after_bars(bars, events), bars, "1d", window=W, placebo_draws=99,
                             seed=seed, model="mean", estimation=120, overlap="merge")
        for name in TESTS:
            for h in (1, W):
                p_values[(name, h)].append(result.test(name, h)[1])
        p_values[("placebo", W)].append(result.placebo_p)
        p_values[("placebo_caar", W)].append(result.placebo_p_caar)
    rates = {key: float(np.mean(np.array(ps) <= 0.05)) for key, ps in p_values.items()}
    assert all(0.02 <= rate <= 0.09 for rate in rates.values()), rates
