"""Where each stage reads and writes, relative to the project root (mirrors ``dvc.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from boxoffice.core.params import DEFAULT_PROFILE


@dataclass(frozen=True)
class Layout:
    """Paths of one project; model and report paths are per profile (``models/<profile>``)."""

    root: Path
    profile: str = DEFAULT_PROFILE

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
    def profile_reports(self) -> Path:
        return self.reports / self.profile

    @property
    def timings(self) -> Path:
        return self.reports / "timings.json"

    @property
    def plots(self) -> Path:
        return self.profile_reports / "plots"

    @property
    def backtest(self) -> Path:
        return self.profile_reports / "backtest.json"

    @property
    def models(self) -> Path:
        return self.root / "models" / self.profile

    @property
    def model(self) -> Path:
        return self.models / "model.joblib"

    @property
    def search(self) -> Path:
        return self.models / "search.json"

    @property
    def export_dir(self) -> Path:
        return self.models / "export"

    @property
    def model_card(self) -> Path:
        return self.root / "docs" / "model-card.md"

    def raw_snapshot(self, source: str, fmt: str) -> Path:
        return self.raw_dir / f"{source}.{fmt}"
