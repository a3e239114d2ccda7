"""When a bar's close became known (pure): the close rules of instruments, and the trading day a
daily bar belongs to.

A daily bar is stored under its trading day (`ts` = that date at 00:00 UTC, whatever zone or
clock the source stamped it with) and carries `known`: the UTC moment its close became known.
An hourly bar is stored at the start of its hour (UTC) and its close is known one hour later.

The close rule of an instrument says when a daily close became known, as text:
- `"HH:MM Zone"`, e.g. `"19:30 Europe/London"`: at that wall-clock time in that IANA zone on the
  bar's trading day (`"24:00 Zone"`: at the end of that day). Daylight saving is applied per date.
- `"cbr HH:MM Zone"`, e.g. `"cbr 17:00 Europe/Moscow"`: the Bank of Russia's rule. A rate
  carrying date D is set on the business day before D and takes effect on the next calendar day
  (so the day it was set is always D - 1: a Saturday's rate is set on Friday, a Tuesday's on
  Monday, the first rate after the New Year holidays on the last day before its date). It is
  known at HH:MM on D - 1.

Which rule an instrument follows (`instrument_rule`), first that applies:
1. its `close_time` setting;
2. the Bank of Russia instruments (`source = "cbr"`): `cbr <[sources.cbr] published> Europe/Moscow`;
3. built-in rules of Yahoo symbols whose close newsmarks knows (BUILTIN_RULES, FX pairs);
4. for other Yahoo symbols: the end of the regular trading period in Yahoo's chart metadata
   (`meta_rule`), learned when the bars are fetched;
5. otherwise the end of the UTC day (DEFAULT_RULE): never earlier than any close in a zone
   east of UTC-0 can have been, and what newsmarks assumed before it knew better.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
CBR_ZONE = "Europe/Moscow"
CBR_PUBLISHED = "17:00"
_RULE = re.compile(r"^\s*(cbr\s+)?(\d{1,2}):(\d{2})\s+(\S+)\s*$", re.IGNORECASE)

# Yahoo symbols whose daily close newsmarks knows. BZ=F (NYMEX Brent last-day financial futures)
# settles to the ICE Brent futures settlement, fixed at 19:28-19:30 London time; Yahoo's daily
# close of BZ=F is that settlement (2020-04-21: 19.33, the June contract's settlement).
BUILTIN_RULES: dict[str, str] = {"BZ=F": "19:30 Europe/London"}
# Yahoo's currency pairs (symbols ending in "=X") trade in a day that is the London calendar day:
# their chart metadata gives the regular period as 00:00-23:59 Europe/London, and the daily close
# is the last quote of that day.
FX_RULE = "24:00 Europe/London"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as Europe/London)") from None


@dataclass(frozen=True)
class CloseRule:
    """When the daily close of a trading day became known: at `minutes` after midnight (0 to
    1440) in `zone` on the trading day (`cbr`: on the day before it)."""

    minutes: int
    zone: str
    cbr: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.minutes <= 1440:
            raise ValueError(f"a close time must lie between 00:00 and 24:00, got minute {self.minutes}")
        _zone(self.zone)

    @property
    def clock(self) -> str:
        """The wall-clock time and its zone, without `cbr`: `19:30 Europe/London`, `24:00 UTC`."""
        return f"{self.minutes // 60:02d}:{self.minutes % 60:02d} {self.zone}"

    @property
    def text(self) -> str:
        """The rule as written in the config: `19:30 Europe/London`, `cbr 17:00 Europe/Moscow`."""
        return f"cbr {self.clock}" if self.cbr else self.clock

    def describe(self) -> str:
        """A sentence for people: what the rule means."""
        if self.cbr:
            return (f"the Bank of Russia's rate dated D is known at {self.clock} on D - 1 (the business "
                    "day it was set; it takes effect the next calendar day)")
        if self.minutes == 1440:
            return f"the close of trading day D is known at the end of D in {self.zone}"
        return f"the close of trading day D is known at {self.clock} on D"

    def known(self, days: pd.Series) -> pd.Series:
        """When the closes of these trading days became known (UTC). `days`: tz-aware trading
        days at 00:00 UTC (a daily bar's `ts`). A wall-clock time that does not exist on a date
        (the hour skipped when clocks go forward) is taken as the first moment after it; one that
        happens twice (clocks going back), as the later one."""
        _require_days(days)
        wall = days.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("s") + \
            pd.Timedelta(minutes=self.minutes) - (DAY if self.cbr else pd.Timedelta(0))
        local = wall.dt.tz_localize(self.zone, ambiguous=np.zeros(len(wall), dtype=bool),
                                    nonexistent="shift_forward")
        return local.dt.tz_convert("UTC")


DEFAULT_RULE = CloseRule(1440, "UTC")


def parse_rule(text: str) -> CloseRule:
    """A close rule from its text (`HH:MM Zone`, `24:00 Zone`, `cbr HH:MM Zone`); ValueError
    saying what is expected."""
    match = _RULE.match(str(text))
    if not match:
        raise ValueError(f"expected a close time such as '19:30 Europe/London' or 'cbr 17:00 Europe/Moscow', "
                         f"got {text!r}")
    cbr, hours, minutes, zone = match.groups()
    hours, minutes = int(hours), int(minutes)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{hours:02d}:{minutes:02d} is not a time of day (00:00 to 24:00) in {text!r}")
    return CloseRule(hours * 60 + minutes, zone, cbr=bool(cbr))


def cbr_rule(published: str = CBR_PUBLISHED) -> CloseRule:
    """The Bank of Russia's rule with its publication time `HH:MM` (Moscow time)."""
    return parse_rule(f"cbr {published} {CBR_ZONE}")


def builtin_rule(ticker: str) -> CloseRule | None:
    """The built-in rule of a Yahoo symbol, if newsmarks knows its close."""
    if ticker in BUILTIN_RULES:
        return parse_rule(BUILTIN_RULES[ticker])
    if ticker.upper().endswith("=X"):
        return parse_rule(FX_RULE)
    return None


def instrument_rule(source: str, ticker: str, close_time: str | None, cbr_published: str = CBR_PUBLISHED
                    ) -> CloseRule | None:
    """The rule an instrument follows by its settings (steps 1 to 3 of the module docstring);
    None when it is to be learned from Yahoo's metadata (or else DEFAULT_RULE)."""
    if close_time:
        return parse_rule(close_time)
    if source == "cbr":
        return cbr_rule(cbr_published)
    if source == "yahoo":
        return builtin_rule(ticker)
    return None


def meta_rule(meta: dict | None) -> CloseRule | None:
    """The close rule Yahoo's chart metadata implies: the end of `currentTradingPeriod.regular`
    as a wall-clock time in `exchangeTimezoneName` (23:59 is read as the end of the day: Yahoo
    gives the last minute of a whole-day period). None when the metadata lacks them."""
    try:
        end = int(meta["currentTradingPeriod"]["regular"]["end"])
        zone = str(meta["exchangeTimezoneName"])
        local = datetime.fromtimestamp(end, UTC).astimezone(_zone(zone))
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
    minutes = local.hour * 60 + local.minute
    if minutes == 0 or minutes >= 23 * 60 + 59:
        minutes = 1440
    return CloseRule(minutes, zone)


def hourly_known(ts: pd.Series) -> pd.Series:
    """When hourly bars' closes became known: one hour after each bar's start."""
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"bar times must be tz-aware, got dtype {ts.dtype}")
    return ts.dt.tz_convert("UTC") + HOUR


def trading_days(stamps: pd.DatetimeIndex | pd.Series) -> pd.Series:
    """The trading day of daily bars stamped in their exchange's own zone (yfinance's tz-aware
    index, an offset written in a file): each stamp's local date, at 00:00 UTC."""
    index = pd.DatetimeIndex(stamps)
    if index.tz is None:
        raise ValueError("daily bar stamps must carry their zone to give their trading day")
    dates = index.tz_localize(None).normalize().as_unit("s")
    return pd.Series(dates.tz_localize("UTC"), index=getattr(stamps, "index", None))


def nearest_midnight(ts: pd.Series) -> pd.Series:
    """The UTC midnight nearest to each stamp: the trading day of a daily bar stored at the
    midnight of a zone within twelve hours of UTC (how newsmarks stored Yahoo's daily bars before
    it kept trading days: RUB=X at 23:00 UTC in British summer time, BZ=F at 04:00 or 05:00)."""
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"bar times must be tz-aware, got dtype {ts.dtype}")
    return (ts.dt.tz_convert("UTC") + pd.Timedelta(hours=12)).dt.floor("D")


def _require_days(days: pd.Series) -> None:
    if not isinstance(days.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"trading days must be tz-aware (00:00 UTC), got dtype {days.dtype}")
    utc = days.dt.tz_convert("UTC")
    stray = utc.notna() & (utc != utc.dt.floor("D"))
    if stray.any():
        raise ValueError(f"a daily bar's time must be its trading day at 00:00 UTC, got {utc[stray].iloc[0]}")
