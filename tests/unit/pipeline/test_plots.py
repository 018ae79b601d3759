"""DVC's plots read in dollars: the CSVs hold dollars and the templates draw log dollar axes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import vl_convert as vlc
import yaml
from dvc_render.vega import VegaRenderer

from boxoffice.pipeline.plots import write_plot_data
from tests.conftest import ROOT

TEMPLATES = ROOT / ".dvc" / "plots"


def _plot_specs() -> dict[str, dict[str, str]]:
    """The evaluate stage's CSV plots as dvc.yaml declares them."""
    stage = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["evaluate"]["do"]
    return {
        next(iter(entry)).rsplit("/", 1)[-1]: next(iter(entry.values()))
        for entry in stage["plots"]
        if isinstance(entry, dict) and next(iter(entry)).endswith(".csv")
    }


def test_plot_data_is_written_in_whole_dollars(tmp_path: Path) -> None:
    actual, forecast = np.log([2.5e6, 8.0e8]), np.log([5.0e6, 4.0e8])
    importance = pd.DataFrame({"feature": ["production_budget"], "importance": [0.5]})
    write_plot_data(tmp_path, actual, forecast, importance)
    predictions = pd.read_csv(tmp_path / "predictions.csv")
    assert predictions.to_dict("list") == {
        "actual_usd": [2_500_000, 800_000_000],
        "forecast_usd": [5_000_000, 400_000_000],
    }
    residuals = pd.read_csv(tmp_path / "residuals.csv")
    assert residuals["actual_over_forecast"].tolist() == [0.5, 2.0]
    assert not any(c.endswith("_log") for c in [*predictions.columns, *residuals.columns])


def test_every_csv_plot_of_dvc_yaml_draws_the_columns_the_stage_writes(tmp_path: Path) -> None:
    importance = pd.DataFrame({"feature": ["production_budget"], "importance": [0.5]})
    write_plot_data(tmp_path, np.log([2e6, 9e8]), np.log([3e6, 5e8]), importance)
    for name, props in _plot_specs().items():
        columns = pd.read_csv(tmp_path / name).columns
        assert {props["x"], props["y"]} <= set(columns), name


def _render(
    rows: list[dict[str, float]], name: str, props: dict[str, str]
) -> tuple[dict, list[str]]:
    """The filled Vega-Lite spec as ``dvc plots show`` builds it, and its SVG's text labels."""
    options = {k: v for k, v in props.items() if k != "cache"} | {"template_dir": str(TEMPLATES)}
    spec = VegaRenderer(rows, name, **options).get_filled_template()
    return spec, re.findall(r">([^<]+)</text>", vlc.vegalite_to_svg(spec))


def test_dollar_plots_render_log_axes_labelled_in_dollars(tmp_path: Path) -> None:
    importance = pd.DataFrame({"feature": ["production_budget"], "importance": [0.5]})
    write_plot_data(tmp_path, np.log([2e5, 3e7, 2.9e9]), np.log([1e6, 5e7, 1.1e9]), importance)
    dollar_plots = {n: p for n, p in _plot_specs().items() if p["x"].endswith("_usd")}
    assert set(dollar_plots) == {"predictions.csv", "residuals.csv"}
    for name, props in dollar_plots.items():
        assert (TEMPLATES / f"{props['template']}.json").exists(), props["template"]
        spec, labels = _render(pd.read_csv(tmp_path / name).to_dict("records"), name, props)
        assert spec["layer"][0]["encoding"]["x"]["scale"] == {"type": "log"}, name
        assert {"$1M", "$100M", "$1B"} <= set(labels), (name, labels)
        assert not any("e+" in label for label in labels), labels  # no raw exponents
    rows = pd.read_csv(tmp_path / "residuals.csv").to_dict("records")
    _, labels = _render(rows, "residuals.csv", dollar_plots["residuals.csv"])
    assert "×1" in labels  # noqa: RUF001 (a multiplier)
