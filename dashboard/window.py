"""The chart's visible window as the WINDOW store holds it (a JSON dict in the browser) and as the
callbacks read it (`ChartWindow`): one type, one parser, instead of dict keys read in each
callback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from dashboard.state import usable_time
from ingest.records import INTERVALS


@dataclass(frozen=True)
class ChartWindow:
    """The visible window (UTC; None: nothing drawn), its bar interval, whether it is a zoom, how
    many headlines it holds (so that the table need not count them again: None when unknown), the
    store's data version it was drawn from, and whether its end is the newest data (a preset
    range) rather than a fixed time."""

    start: datetime | None = None
    end: datetime | None = None
    interval: str = "1d"
    zoomed: bool = False
    headlines: int | None = None
    version: int | None = None
    follows_latest: bool = False

    @property
    def span(self) -> tuple[datetime | None, datetime | None]:
        """(start, end)."""
        return self.start, self.end

    def to_dict(self) -> dict:
        """The WINDOW store value."""
        return {"start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None, "interval": self.interval,
                "zoomed": self.zoomed, "headlines": self.headlines, "version": self.version,
                "follows_latest": self.follows_latest}

    @classmethod
    def from_dict(cls, data: dict | None) -> ChartWindow:
        """A WINDOW store value read back; missing keys (a value drawn by an older newsmarks, or
        none yet) take their defaults, a start or end that is not an ISO time (or one outside
        the days a view may span, dashboard.state.FIRST_DAY..LAST_DAY) is None."""
        if not data:
            return cls()

        def moment(value) -> datetime | None:
            try:
                return usable_time(datetime.fromisoformat(value).astimezone(UTC)) if value else None
            except (TypeError, ValueError, OverflowError):
                return None

        headlines, version = data.get("headlines"), data.get("version")
        return cls(start=moment(data.get("start")), end=moment(data.get("end")),
                   interval=data.get("interval") if data.get("interval") in INTERVALS else "1d",
                   zoomed=bool(data.get("zoomed")), headlines=headlines if isinstance(headlines, int) else None,
                   version=version if isinstance(version, int) else None,
                   follows_latest=bool(data.get("follows_latest")))
