"""Ticker strips: the row of rates and oil prices a news page prints in its header (pure).

`find_strip(lines)` finds the first run of ticker lines in a page's text lines and reads its
items. Tolerated: marks written as `$`/`USD`/`доллар`, `€`/`EUR`/`евро`, `BR`/`Brent`/`Брент`/
`Нефть` (any case; other currency signs and upper-case codes such as `CNY`, `MOEX` are kept as
written), `.` or `,` as decimal separator (`1,234.56`, `1 234,56` too), `+`, `-`, U+2212 minus,
en/em dash as signs, `%` for a change in percent, an arrow (↑ ↓ ▲ ▼ …) giving the direction
(and the sign of an unsigned change next to it), items in any order, several per line or one
per line, a label such as `Курс ЦБ на 17.03:`.

A missing mark is inferred from its position only for the one known layout (the saved page
news-page-header-tickers.txt): three bullet lines at the very top, `$`, `€`, `BR` in that
order, changes absolute, absolute, percent, at least one mark present and every present mark
in its place. Anything else that cannot be read is left out and reported in `problems`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ingest.pages.tokens import BRENT, BULLETS, EUR, USD, AsOf, Number, tokenize

KNOWN_LAYOUT = (USD, EUR, BRENT)
_LAYOUT_CHANGES = ("abs", "abs", "pct")


@dataclass(frozen=True)
class TickerItem:
    """One strip item. `change` is absolute, `change_pct` in percent; `direction` (+1, 0, -1) is
    the sign of the change, or what an arrow showed when there is no signed number.
    `value_text` is the value as shown, with `.` as decimal separator; `text` the item as read."""

    mark: str
    value: float
    value_text: str
    change: float | None = None
    change_pct: float | None = None
    direction: int | None = None
    mark_inferred: bool = False
    text: str = ""


@dataclass(frozen=True)
class Strip:
    """What `find_strip` read: items in page order, problems (items left out, and why), the
    label's date, and the indexes of the lines that belong to the strip."""

    items: tuple[TickerItem, ...] = ()
    problems: tuple[str, ...] = ()
    as_of: AsOf | None = None
    lines: frozenset[int] = frozenset()


# -- items ---------------------------------------------------------------------------------------

@dataclass
class _Draft:
    mark: str | None
    line: int
    value: Number | None = None
    change: Number | None = None
    pct: Number | None = None
    arrow: int | None = None
    raw: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.raw)


class _Reader:
    """Groups a run's tokens into items: a mark, a bullet or an unsigned number after a complete
    item starts a new one; line ends do not (a design may split an item over several lines)."""

    def __init__(self) -> None:
        self.drafts: list[_Draft] = []
        self.problems: list[str] = []
        self.as_of: AsOf | None = None
        self.current: _Draft | None = None

    def close(self) -> None:
        draft, self.current = self.current, None
        if draft is None:
            return
        if draft.value is None:
            self.problems.append(f"ticker item {draft.text!r} has no value: left out")
        else:
            self.drafts.append(draft)

    def start(self, line: int, mark: str | None, raw: str | None) -> _Draft:
        self.close()
        self.current = _Draft(mark, line, raw=[raw] if raw else [])
        return self.current

    def feed(self, token: tuple, line: int) -> None:
        kind, draft = token[0], self.current
        if kind == "boundary":
            self.close()
        elif kind == "label":
            self.close()
            self.as_of = token[1]
        elif kind == "mark":
            self.start(line, token[1], token[2])
        elif kind == "arrow":
            if draft is None or draft.value is None or draft.arrow not in (None, token[1]):
                target = draft.text + " " if draft is not None else ""
                self.problems.append(f"ticker item {target + token[2]!r}: an arrow out of place: left out")
                self.current = None
                return
            draft.arrow = token[1]
            draft.raw.append(token[2])
        else:
            self._number(token[1], line)

    def _number(self, number: Number, line: int) -> None:
        draft = self.current
        if draft is None or draft.value is None:
            draft = draft or self.start(line, None, None)
            draft.raw.append(number.raw)
            if number.sign is not None or number.pct:
                self.problems.append(f"ticker item {draft.text!r} has a change but no value: left out")
                self.current = None
                return
            draft.value = number
            return
        if number.pct and draft.pct is None:
            draft.pct = number
        elif (number.sign is not None or draft.arrow is not None) and not number.pct \
                and draft.change is None and draft.pct is None:
            draft.change = number
        elif number.sign is None and not number.pct:
            draft = self.start(line, None, None)
            draft.value = number
        else:
            draft.raw.append(number.raw)
            self.problems.append(f"ticker item {draft.text!r}: more changes than one item shows: left out")
            self.current = None
            return
        draft.raw.append(number.raw)


def _resolve(draft: _Draft, problems: list[str]) -> TickerItem:
    """A finished draft as an item: unsigned changes take the arrow's sign; disagreements and
    changes without any sign are left out (and reported)."""
    changes = {}
    for name, number in (("change", draft.change), ("change_pct", draft.pct)):
        if number is None:
            continue
        sign = number.sign if number.sign is not None else draft.arrow
        if sign is None:
            problems.append(f"ticker item {draft.text!r}: change {number.raw!r} has no sign: left out")
        elif draft.arrow is not None and number.magnitude and sign != draft.arrow:
            problems.append(f"ticker item {draft.text!r}: the sign and the arrow disagree: change left out")
        else:
            changes[name] = sign * number.magnitude
    signed = changes.get("change", changes.get("change_pct"))
    direction = draft.arrow if signed is None else (signed > 0) - (signed < 0)
    return TickerItem(mark=draft.mark or "", value=draft.value.magnitude, value_text=draft.value.text,
                      change=changes.get("change"), change_pct=changes.get("change_pct"),
                      direction=direction, text=draft.text)


# -- the strip -------------------------------------------------------------------------------------

def _classify(line: str) -> tuple[str, list[tuple] | None]:
    """'blank', 'ticker' (ticker text with a mark, change, arrow or label, or after a bullet),
    'numbers' (bare numbers only), 'junk' (a bullet line that cannot be read) or 'other'."""
    stripped = line.strip()
    if not stripped:
        return "blank", None
    tokens = tokenize(stripped)
    bullet = stripped[0] in BULLETS
    if tokens is None:
        return ("junk" if bullet else "other"), None
    telling = any(t[0] in ("mark", "arrow", "label") or (t[0] == "num" and (t[1].sign or t[1].pct))
                  for t in tokens)
    return ("ticker" if telling or bullet else "numbers"), tokens


def find_strip(lines: Sequence[str], *, infer_layout: bool = True) -> Strip:
    """The first ticker strip in `lines` (a page's text lines, top to bottom): a run of ticker
    lines (bullet lines that cannot be read included, bare-number lines when next to a ticker
    line, blank lines when a ticker line follows) holding at least one item with a mark or a
    change. `infer_layout`: allow the known layout's position rule (text pages only).
    An empty Strip when there is none."""
    classes = [_classify(line) for line in lines]
    first_text = next((i for i, (kind, _) in enumerate(classes) if kind != "blank"), None)
    start = 0
    while start < len(lines):
        while start < len(lines) and classes[start][0] not in ("ticker", "junk"):
            start += 1
        run = _run(classes, start)
        if not run:
            break
        strip = _read_run(lines, classes, run, infer_layout and run[0] == first_text)
        if strip is not None:
            return strip
        start = run[-1] + 1
    return Strip()


def _run(classes: list[tuple[str, list | None]], start: int) -> list[int]:
    """Indexes of the non-blank lines of the run starting at `start`."""
    run: list[int] = []
    index = start
    while index < len(classes):
        kind = classes[index][0]
        if kind in ("ticker", "junk"):
            run.append(index)
        elif kind == "numbers" and _next_to_ticker(classes, index):
            run.append(index)
        elif kind == "blank":  # the run goes on only when a ticker line follows the blanks
            following = index
            while following < len(classes) and classes[following][0] == "blank":
                following += 1
            if following == len(classes) or classes[following][0] not in ("ticker", "junk"):
                break
            index = following
            continue
        else:
            break
        index += 1
    return run


def _next_to_ticker(classes, index: int) -> bool:
    before = classes[index - 1][0] if index > 0 else None
    after = classes[index + 1][0] if index + 1 < len(classes) else None
    return "ticker" in (before, after)


def _read_run(lines: Sequence[str], classes, run: list[int], at_top: bool) -> Strip | None:
    reader = _Reader()
    for index in run:
        kind, tokens = classes[index]
        if kind == "junk":
            reader.close()
            reader.problems.append(f"cannot read ticker item {lines[index].strip()!r}: left out")
            continue
        for token in tokens:
            reader.feed(token, index)
    reader.close()
    problems = list(reader.problems)
    items = [_resolve(d, problems) for d in reader.drafts]
    if not any(d.mark or i.direction is not None for d, i in zip(reader.drafts, items, strict=True)):
        return None
    if at_top and _known_layout(lines, run, reader.drafts, items):
        items = [item if item.mark else _inferred(item, KNOWN_LAYOUT[k]) for k, item in enumerate(items)]
    kept: list[TickerItem] = []
    for item in items:
        if not item.mark:
            problems.append(f"ticker item {item.text!r} has no mark: left out (a position tells the mark "
                            "only in the known layout: three bullet lines $, €, BR at the top)")
        elif any(k.mark == item.mark for k in kept):
            problems.append(f"ticker item {item.text!r}: a second {item.mark} in the strip: left out")
        else:
            kept.append(item)
    return Strip(tuple(kept), tuple(problems), reader.as_of, frozenset(range(run[0], run[-1] + 1)))


def _known_layout(lines: Sequence[str], run: list[int], drafts: list[_Draft], items: list[TickerItem]) -> bool:
    """Whether the run is the known layout: three bullet lines, one item each, changes absolute,
    absolute, percent, at least one mark present and every present mark in its place."""
    if len(run) != 3 or len(drafts) != 3 or [d.line for d in drafts] != run:
        return False
    if not all(lines[i].strip()[0] in BULLETS for i in run):
        return False
    for position, item in enumerate(items):
        if item.mark not in ("", KNOWN_LAYOUT[position]):
            return False
        kind = "pct" if item.change_pct is not None and item.change is None else \
            "abs" if item.change is not None and item.change_pct is None else None
        if kind != _LAYOUT_CHANGES[position]:
            return False
    return any(item.mark for item in items)


def _inferred(item: TickerItem, mark: str) -> TickerItem:
    return replace(item, mark=mark, mark_inferred=True)
