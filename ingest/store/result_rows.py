"""Query results as DataFrames straight from the database driver's rows: the one way reads of
plain-typed columns (prices, headlines, counts) skip SQLAlchemy's per-row processing."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Result


def result_frame(result: Result, columns: list[str] | None = None) -> pd.DataFrame:
    """A query result of plain-typed columns (integers, floats, text; booleans come as 0/1 from
    SQLite: convert them) as a DataFrame (columns: the result's own names unless given), built
    from the driver's rows (see driver_rows): pandas builds a frame from SQLAlchemy Row objects
    much more slowly, and iterating the result costs more than the one fetch."""
    names = list(result.keys()) if columns is None else columns
    return pd.DataFrame(driver_rows(result), columns=names)


def driver_rows(result: Result) -> list[tuple]:
    """All rows of a result as the database driver gives them (plain tuples, in one fetch),
    skipping SQLAlchemy's per-row processing: only for columns of plain types (integers, floats,
    text), whose values need none. Faster than iterating the result."""
    try:
        return result.cursor.fetchall()
    finally:
        result.close()
