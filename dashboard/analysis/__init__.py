"""Measurements of what the news does to prices (pure functions over DataFrames and arrays)."""
