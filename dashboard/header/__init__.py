"""The header feature: ticker strip, failing sources, last refresh, live updates."""
