"""The Chart feature: prices against the headlines' times (layout, callbacks, data, figure)."""
