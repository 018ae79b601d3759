"""A number we publish is a number we measured: the README's headline row for boxoffice is
the model card's (written by `dvc repro` from the pipeline's own backtest), and its baseline
rows are the benchmark's, on the same test years."""

from __future__ import annotations

import json
import re

from tests.conftest import ROOT

METRICS = ("mae_log", "r2_log", "r2", "mdape", "coverage", "interval_score")
CARD_NAMES = {
    "mae_log": "MAE (log)",
    "r2_log": "R² (log)",
    "mdape": "MdAPE",
    "coverage": "80% interval coverage",
    "interval_score": "interval score",
}


def _readme_row(model: str) -> dict[str, float | None]:
    text = (ROOT / "README.md").read_text()
    header = next(line for line in text.splitlines() if line.startswith("| pre-release forecast"))
    row = next(line for line in text.splitlines() if line.startswith(f"| {model} "))
    names = [c.strip() for c in header.strip("|").split("|")][1:]
    cells = [c.strip().strip("*") for c in row.strip("|").split("|")][1:]
    assert len(names) == len(cells) == len(METRICS)
    return {
        key: None if cell == "—" else float(cell.split()[0])
        for key, cell in zip(METRICS, cells, strict=True)
    }


def _card_figures(profile: str = "pre_release") -> dict[str, float]:
    card = (ROOT / "docs" / "model-card.md").read_text()
    section = card.split(f"### `{profile}`")[1].split("### `")[0]
    out = {}
    for key, name in CARD_NAMES.items():
        match = re.search(re.escape(name) + r" (-?[0-9.]+) ±", section)
        assert match, name
        out[key] = float(match.group(1))
    return out


def test_readme_boxoffice_row_is_the_model_cards() -> None:
    readme, card = _readme_row("**boxoffice**"), _card_figures()
    assert {k: readme[k] for k in card} == card


def test_benchmark_measured_the_cards_test_years_and_figures() -> None:
    """The benchmark runs the pipeline's recipe on featurize's rows: its boxoffice row is the
    card's, on the same years and films."""
    bench = json.loads((ROOT / "bench" / "results" / "model_quality.json").read_text())
    backtest = json.loads((ROOT / "reports" / "pre_release" / "backtest.json").read_text())
    assert bench["test_years"] == backtest["test_years"]
    assert bench["rows"] == sum(
        json.loads((ROOT / "reports" / "data_quality.json").read_text())[k] for k in ("rows_clean",)
    )
    for profile, block in bench["profiles"].items():  # every profile the benchmark measured
        ours, card = block["models"]["boxoffice"], _card_figures(profile)
        assert {k: round(ours[k]["mean"], 3) for k in card} == card, profile
    assert "retrospective" in bench["profiles"]


def test_readme_baselines_are_the_benchmarks() -> None:
    bench = json.loads((ROOT / "bench" / "results" / "model_quality.json").read_text())
    models = bench["profiles"]["pre_release"]["models"]
    labels = {
        "budget_loglinear": "log gross on log budget",
        "seed_recipe": "the course's recipe (impute + GradientBoosting)",
        "automl": "FLAML AutoML, 60 s per fit",
        "quantile_gbm": "quantile regression (gradient-boosted trees)",
        "mapie_cqr": "conformalized quantile regression (MAPIE)",
    }
    for name, label in labels.items():
        row = _readme_row(label)
        for key in METRICS:
            value = row[key]
            if key not in models[name]:
                assert value is None, (name, key)  # no interval: no coverage, no score
                continue
            assert value is not None and abs(value - models[name][key]["mean"]) < 0.0006, (
                name,
                key,
            )


def _min_s(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s"


def test_the_pipelines_published_time_is_the_benchmarks() -> None:
    """README and performance notes quote `bench/results/pipeline.json`, and that run left the
    tree clean (the same models byte for byte)."""
    result = json.loads((ROOT / "bench" / "results" / "pipeline.json").read_text())
    shipped = result["runs"]["shipped"]
    assert shipped["same_bytes"] and result["runs"]["baseline"]["same_bytes"]
    readme = (ROOT / "README.md").read_text()
    assert f"`dvc repro --force`, every stage, takes {_min_s(shipped['wall_s'])}" in readme
    notes = (ROOT / "docs" / "performance.md").read_text()
    assert f"**{shipped['wall_s']:.1f} s ({_min_s(shipped['wall_s'])})**" in notes
