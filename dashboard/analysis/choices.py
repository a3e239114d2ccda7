"""The analyses' named choices, in one place for the analyses that check them, the Analysis
tab's controls and the command line's options (cheap to read at start-up: ingest.records only)."""

from ingest.records import INTERVALS as RECORD_INTERVALS

MODELS = ("raw", "mean", "market")   # the event study's normal-return models (event_models)
OVERLAPS = ("merge", "spacing")      # overlapping events: merged into episodes, or the spacing rule S
NEWS_MEASURES = ("count", "risk")    # intensity's news side: headlines per bucket, or their risk share
CLOSED_RULES = ("next", "exclude")   # closed-period headlines: counted in the next trading period, or left out
INTERVALS = RECORD_INTERVALS         # the bars an analysis reads: every interval the store holds
