"""Where each stage reads and writes, relative to the project root (mirrors ``dvc.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def raw_dir(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def snapshot_meta(self) -> Path:
        return self.raw_dir / "snapshot.json"

    @property
    def clean(self) -> Path:
        return self.root / "data" / "clean" / "clean.parquet"

    @property
    def quarantine(self) -> Path:
        return self.root / "data" / "clean" / "quarantine.parquet"

    @property
    def features_dir(self) -> Path:
        return self.root / "data" / "features"

    @property
    def train(self) -> Path:
        return self.features_dir / "train.parquet"

    @property
    def holdout(self) -> Path:
        return self.features_dir / "holdout.parquet"

    @property
    def holdout_meta(self) -> Path:
        return self.features_dir / "holdout.json"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def plots(self) -> Path:
        return self.reports / "plots"

    @property
    def model(self) -> Path:
        return self.root / "models" / "model.joblib"

    @property
    def search(self) -> Path:
        return self.root / "models" / "search.json"

    @property
    def export_dir(self) -> Path:
        return self.root / "models" / "export"

    def raw_snapshot(self, fmt: str) -> Path:
        return self.raw_dir / f"source.{fmt}"
