"""Ticker text, token by token (pure): marks, numbers, arrows, bullets and the rates-date label.

`tokenize(line)` splits one line into tokens, or says it is not ticker text. Marks: `$`, `USD`,
`доллар` → `$`; `€`, `EUR`, `евро` → `€`; `BR`, `Brent`, `Брент`, `Нефть`, `Нефть Brent` → `BR`
(any case); other currency signs and upper-case codes (`CNY`, `MOEX`) as written. Numbers: `.` or
`,` as decimal separator (`1,234.56`, `1.234,56`, `1 234,56` too); signs `+`, `-`, U+2212 minus,
en, em and figure dash; `%` for percent. HTML entities are decoded first.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

USD, EUR, BRENT = "$", "€", "BR"
AHEAD_DAYS = 3

MARK_ALIASES: dict[str, str] = {
    "$": USD, "us$": USD, "usd": USD, "dollar": USD, "us dollar": USD, "доллар": USD,
    "доллар сша": USD, "долл.": USD, "долл": USD,
    "€": EUR, "eur": EUR, "euro": EUR, "евро": EUR,
    "br": BRENT, "brent": BRENT, "brent oil": BRENT, "brent crude": BRENT, "брент": BRENT,
    "нефть": BRENT, "нефть brent": BRENT, "нефть брент": BRENT,
}
_OTHER_SIGNS = "£¥₽₸₴₺₹"
BULLETS = "•·▪◦‣"
UP, DOWN = "↑⬆↗▲△▴", "↓⬇↘▼▽▾"
_SIGNS = "+-\u2212\u2013\u2012\u2014"  # plus, hyphen-minus, minus, en dash, figure dash, em dash


def _alias_pattern(alias: str) -> str:
    text = r"\s+".join(re.escape(part) for part in alias.split())
    return text + r"(?![^\W\d_])" if alias[-1].isalpha() else text


_ALIAS = re.compile("|".join(_alias_pattern(a) for a in sorted(MARK_ALIASES, key=len, reverse=True)),
                    re.IGNORECASE)
_CODE = re.compile(rf"(?<![^\W\d_])[A-ZА-ЯЁ]{{2,6}}(?![^\W\d_])|[{_OTHER_SIGNS}]")
_NUMBER = re.compile(
    rf"(?P<sign>[{re.escape(_SIGNS)}])?"
    r"(?P<digits>\d{1,3}(?:,\d{3})+\.\d+|\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+[.,]\d+"
    r"|\d{1,3}(?:[\u00a0\u202f\u2009]\d{3})+|\d+(?:[.,]\d+)?)(?![.,]?\d)"
    r"(?:[ \u00a0]?(?P<pct>%))?")
_LABEL = re.compile(
    r"(?:курсы?(?:\s+валют)?\s+цб(?:\s+рф)?\s+на|cbr\s+rates?\s+(?:on|for)|(?:rates?\s+)?as\s+of)\s+"
    r"(?P<day>\d{1,2})[./](?P<month>\d{1,2})(?:[./](?P<year>\d{4}|\d{2}))?(?!\d)\s*:?", re.IGNORECASE)
_SEPARATOR = re.compile(r"(?:[\s,;:()/]|[-\u2013\u2014](?=\s|$))+")
_BOUNDARY = re.compile(rf"[{BULLETS}|]")


def canonical_mark(text: str) -> str | None:
    """The canonical mark ($, €, BR) of a mark as written; other currency signs and upper-case
    codes as written; None when `text` is not a mark."""
    text = " ".join(text.split())
    canonical = MARK_ALIASES.get(text.lower())
    if canonical is not None:
        return canonical
    return text if _CODE.fullmatch(text) else None


@dataclass(frozen=True)
class AsOf:
    """The date a strip's label gives its rates for ("Курс ЦБ на 17.03"); the year when written."""

    day: int
    month: int
    year: int | None = None

    @property
    def text(self) -> str:
        """The label's date as written, normalised: `17.03`, `17.03.2018`."""
        return f"{self.day:02d}.{self.month:02d}" + (f".{self.year}" if self.year is not None else "")

    def resolve(self, moment: datetime | None) -> date | None:
        """The date meant, for a page shown at `moment`: the written year, else the latest such
        date at most AHEAD_DAYS after the moment's date (a rate is announced the day before it
        applies, and a page's clock may run ahead of UTC). None when the year is not written and
        no moment is known (`moment` None: never guess a year from a time that was itself
        inferred, such as a file's modification time)."""
        if self.year is not None:
            return date(self.year, self.month, self.day)
        if moment is None:
            return None
        latest = moment.date() + timedelta(days=AHEAD_DAYS)
        for year in range(latest.year, latest.year - 9, -1):  # 29.02 needs a leap year
            try:
                candidate = date(year, self.month, self.day)
            except ValueError:
                continue
            if candidate <= latest:
                return candidate
        raise ValueError(f"no date {self.day:02d}.{self.month:02d} near {moment:%Y-%m-%d}")


@dataclass(frozen=True)
class Number:
    sign: int | None
    text: str  # digits with `.` as decimal separator
    pct: bool
    raw: str

    @property
    def magnitude(self) -> float:
        return float(self.text)


def _number(match: re.Match) -> Number:
    digits = re.sub(r"[ \u00a0\u202f\u2009]", "", match["digits"])
    if "," in digits and "." in digits:  # the later one is the decimal separator
        digits = digits.replace(",", "") if digits.rindex(".") > digits.rindex(",") \
            else digits.replace(".", "").replace(",", ".")
    else:
        digits = digits.replace(",", ".")
    sign = None if match["sign"] is None else (1 if match["sign"] == "+" else -1)
    return Number(sign, digits, match["pct"] is not None, match.group(0))


def tokenize(line: str) -> list[tuple] | None:
    """The tokens of one line: ("mark", canonical, raw), ("num", Number), ("arrow", ±1, raw),
    ("label", AsOf, raw), ("boundary",); None when some of the line is not ticker text."""
    text = html.unescape(line)
    tokens: list[tuple] = []
    pos = 0
    while pos < len(text):
        if (m := _SEPARATOR.match(text, pos)) and m.end() > pos:
            pos = m.end()
            continue
        if _BOUNDARY.match(text, pos):
            tokens.append(("boundary",))
            pos += 1
        elif text[pos] in UP or text[pos] in DOWN:
            tokens.append(("arrow", 1 if text[pos] in UP else -1, text[pos]))
            pos += 1
        elif (m := _LABEL.match(text, pos)) and _valid_label(m):
            year = int(m["year"]) if m["year"] else None
            if year is not None and year < 100:
                year += 2000
            tokens.append(("label", AsOf(int(m["day"]), int(m["month"]), year), m.group(0)))
            pos = m.end()
        elif m := _NUMBER.match(text, pos):
            tokens.append(("num", _number(m)))
            pos = m.end()
        elif (m := _ALIAS.match(text, pos)) or (m := _CODE.match(text, pos)):
            tokens.append(("mark", canonical_mark(m.group(0)), m.group(0)))
            pos = m.end()
        else:
            return None
    return tokens


def _valid_label(match: re.Match) -> bool:
    """Whether the label's day and month (and year, when written) make a date."""
    year = int(match["year"]) if match["year"] else 2000  # a leap year: 29.02 is a date
    try:
        date(year + 2000 if year < 100 else year, int(match["month"]), int(match["day"]))
    except ValueError:
        return False
    return True
