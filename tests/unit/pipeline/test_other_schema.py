"""Another data set, other column names and features: only params change, no code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from boxoffice.core.layout import Layout
from boxoffice.core.params import load_params
from boxoffice.core.predictor import OnnxPredictor
from tests.conftest import run_all

pytestmark = pytest.mark.slow

PARAMS: dict[str, Any] = {
    "data": {"source": "films.csv", "format": "csv"},
    "schema": {
        "id_columns": ["film_name"],
        "target": {"column": "global_revenue", "field": "revenue"},
        "exclude": ["domestic_revenue"],
        "features": [
            {
                "column": "budget_usd",
                "field": "budget",
                "kind": "numeric",
                "required": True,
                "monotone": "increasing",
            },
            {
                "column": "opening_date",
                "field": "opening",
                "kind": "date",
                "parts": ["year", "quarter"],
            },
            {"column": "screens", "field": "screens", "kind": "numeric"},
            {"column": "studio", "field": "studio", "kind": "categorical"},
        ],
    },
    "validation": {
        "min_rows": 50,
        "rules": [
            {"name": "revenue_positive", "column": "global_revenue", "check": "range", "min": 1},
            {
                "name": "studio_known",
                "column": "studio",
                "check": "allowed",
                "values": ["North", "South", "East"],
            },
        ],
    },
    "split": {"holdout_fraction": 0.25, "seed": 7},
    "train": {
        "cv_folds": 1,
        "calibration_years": 2,
        "search": {"max_candidates": 1, "space": {"max_iter": [40]}},
    },
    "evaluate": {"permutation_repeats": 1},
}


def _films(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    budget = rng.uniform(1e5, 1e8, n)
    studio = rng.choice(["North", "South", "East", "Moon"], n, p=[0.4, 0.3, 0.28, 0.02])
    revenue = budget * rng.lognormal(0.5, 0.4, n) * np.where(studio == "North", 2.0, 1.0)
    return pd.DataFrame(
        {
            "film_name": [f"film {i}" for i in range(n)],
            "opening_date": pd.date_range("2001-01-05", periods=n, freq="W").strftime("%Y-%m-%d"),
            "budget_usd": budget.round(),
            "screens": rng.integers(100, 4000, n),
            "studio": studio,
            "global_revenue": revenue.round(),
            "domestic_revenue": (revenue * 0.4).round(),
        }
    )


def test_pipeline_runs_on_other_columns_by_params_alone(tmp_path: Path) -> None:
    _films().to_csv(tmp_path / "films.csv", index=False)
    raw = json.loads(json.dumps(PARAMS))
    raw["data"]["source"] = str(tmp_path / "films.csv")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    layout = Layout(tmp_path)
    run_all(load_params(tmp_path / "params.yaml"), layout)

    signature = json.loads((layout.export_dir / "signature.json").read_text())
    assert [i["field"] for i in signature["inputs"]] == ["budget", "opening", "screens", "studio"]
    assert signature["target"] == "revenue"
    quality = json.loads((layout.reports / "data_quality.json").read_text())
    assert quality["rules"]["studio_known"] > 0
    out = OnnxPredictor.load(layout.export_dir).predict(
        {"budget": [5e7], "opening": ["2004-06-01"], "studio": ["North"]}
    )
    assert np.isfinite(out.value).all() and out.low[0] < out.value[0] < out.high[0]
