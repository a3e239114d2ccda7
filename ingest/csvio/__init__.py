"""CSV import and export of prices and headlines: the public API the CLI and the dashboard use.

The work is done in the package's small modules:
- csv_prices: `read_prices_csv` (with csv_price_columns, csv_price_cells); csv_price_export: `prices_to_csv`
- csv_snapshots: the page snapshots' CSV
- csv_headlines: `read_headlines_csv`, `headlines_to_csv`
- csv_safety: `CsvError`, `neutralise_cell` / `restore_cell` (formula guard and its exact
  inverse), `write_csv`, `safe_link`

Conventions: files are UTF-8 (BOM allowed; UTF-16 with BOM too); naive times are UTC; a date
alone is 00:00 UTC; errors name the file and the 1-based line as a text editor shows it (header
lines counted). Exports use the csv module with minimal quoting and `\\n` line ends, times as
ISO 8601 UTC (`2022-03-01T00:00:00Z`), floats written to read back exactly, and text cells that
start with `=`, `+`, `-`, `@`, tab or CR prefixed with `'`.
"""

from __future__ import annotations

from ingest.csvio.csv_headlines import HeadlineImport, headlines_to_csv, read_headlines_csv, stable_guid
from ingest.csvio.csv_price_export import prices_to_csv
from ingest.csvio.csv_prices import PriceImport, read_prices_csv
from ingest.csvio.csv_safety import CsvError, neutralise_cell, restore_cell, safe_link, write_csv

__all__ = [
    "CsvError",
    "HeadlineImport",
    "PriceImport",
    "headlines_to_csv",
    "neutralise_cell",
    "prices_to_csv",
    "read_headlines_csv",
    "read_prices_csv",
    "restore_cell",
    "safe_link",
    "stable_guid",
    "write_csv",
]
