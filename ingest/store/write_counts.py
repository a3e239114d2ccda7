"""What a write did: `WriteCounts`, returned by every write of the store (bars, headlines,
snapshots, deletions), and what the data version is bumped with."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WriteCounts:
    """What a write did: rows added, rows whose values changed, rows already stored as given;
    and the times (UTC epoch seconds) the added and changed rows lie between, `first` to `last`
    — None when rows changed but the writer could not say where: then anywhere, as far as an
    open chart is concerned (see runs.changed_since)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    first: int | None = field(default=None, compare=False)
    last: int | None = field(default=None, compare=False)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)

    def __add__(self, other: WriteCounts) -> WriteCounts:
        spans = [c for c in (self, other) if c.changed]
        first = last = None
        if spans and all(c.first is not None and c.last is not None for c in spans):
            first, last = min(c.first for c in spans), max(c.last for c in spans)
        return WriteCounts(self.new + other.new, self.updated + other.updated,
                           self.unchanged + other.unchanged, first, last)


NO_ROWS = WriteCounts()
