from __future__ import annotations

from pathlib import Path
from typing import Any

from boxoffice.core.layout import Layout
from boxoffice.serving.config import Settings

FILM: dict[str, Any] = {
    "production_budget": 150_000_000,
    "release_date": "2009-12-18",
    "mpaa_rating": "PG-13",
    "major_genre": "Action",
    "director": "James Cameron",
}


def log_record(request_id: str, ts: str = "2026-11-25T10:00:00+00:00") -> dict[str, Any]:
    """A prediction log record as the spool stores it (``ts`` as ISO text)."""
    return {
        "request_id": request_id,
        "ts": ts,
        "model_version": "v",
        "profile": "pre_release",
        "route": "prediction",
        "inputs": "{}",
        "worldwide_gross": 1.0,
        "low": 0.5,
        "high": 2.0,
        "level": 0.8,
        "latency_ms": 0.1,
    }


def make_settings(trained: Layout, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "model_uri": str(trained.export_dir),
        # Served only when that profile was trained (the `retrospective` fixture does it).
        "retrospective_model_uri": str(Layout(trained.root, "retrospective").export_dir),
        "lake_uri": str(tmp_path / "lake"),
        "spool_dir": str(tmp_path / "spool"),
        "model_cache_dir": str(tmp_path / "model-cache"),
        "replica": "test",
        "ship_every_seconds": 0.2,
        "ship_every_records": 50,
    } | overrides
    return Settings(**values)
