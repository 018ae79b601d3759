"""The data lake: storage (fsspec), the prediction log, queries (DuckDB)."""
