"""The whole pipeline on the sample with a small search, plus what each stage wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from boxoffice.core.artifact import IntegrityError, ModelNotFoundError
from boxoffice.core.layout import Layout
from boxoffice.core.model import frame_columns
from boxoffice.core.params import Params
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.pipeline.export import PARITY_RTOL

pytestmark = pytest.mark.slow


def test_pipeline_writes_every_declared_output(trained: Layout) -> None:
    for path in (
        trained.snapshot_meta,
        trained.clean,
        trained.quarantine,
        trained.train,
        trained.holdout,
        trained.holdout_meta,
        trained.model,
        trained.search,
        trained.profile_reports / "metrics.json",
        trained.profile_reports / "report.md",
        trained.backtest,
        trained.reports / "data_quality.md",
        trained.plots / "predictions.csv",
        trained.plots / "importance.csv",
    ):
        assert path.exists(), path


def test_metrics_have_every_promised_key(trained: Layout) -> None:
    metrics = json.loads((trained.profile_reports / "metrics.json").read_text())
    for part in ("backtest", "holdout"):
        for key in ("r2", "r2_log", "mae_log", "mdape", "coverage", "interval_width_log"):
            assert np.isfinite(metrics[part][key]), (part, key)
        assert 0 < metrics[part]["coverage"] <= 1
    assert set(metrics["backtest_coverage_by_budget"]) == {"lt_10m", "10m_100m", "ge_100m"}


def test_backtest_tests_each_year_on_films_released_before_it(trained: Layout) -> None:
    backtest = json.loads(trained.backtest.read_text())
    assert backtest["backtest"] == "rolling_origin"
    assert backtest["test_years"] == [2017, 2018]  # the small profile's last 2 years
    assert [row["year"] for row in backtest["per_year"]] == backtest["test_years"]
    assert 0 < backtest["required_only"]["coverage"] <= 1


def test_backtest_measures_coverage_per_budget_fields_sent_and_horizon(
    trained: Layout,
) -> None:
    cells = json.loads(trained.backtest.read_text())["coverage_cells"]
    assert set(cells["budget"]) == {"lt_10m", "10m_100m", "ge_100m"}
    assert "required only" in cells["fields_sent"]
    assert list(cells["horizon"]) == ["1-3 years", "4-6 years", "7-10 years"]
    for group in ("budget", "fields_sent", "horizon"):
        for c in cells[group].values():
            if c["n"]:
                low, high = c["wilson90"]
                assert low <= c["coverage"] <= high
    assert cells["horizon"]["7-10 years"]["n"] > 0  # an older fit reached ten years out
    signature = json.loads((trained.export_dir / "signature.json").read_text())
    far = signature["interval"]["horizons"][-1]
    assert far["name"] == "7-10" and far["films"] == cells["horizon"]["7-10 years"]["n"]


def test_report_embeds_metrics_and_existing_plots(trained: Layout) -> None:
    report = (trained.profile_reports / "report.md").read_text()
    assert "Rolling-origin backtest" in report and "Data quality" in report
    images = [
        line.split("(")[1].rstrip(")") for line in report.splitlines() if line.startswith("![")
    ]
    assert len(images) == 3
    for name in images:
        assert (trained.profile_reports / name).stat().st_size > 1000


def test_holdout_manifest_matches_holdout_rows(trained: Layout) -> None:
    manifest = json.loads(trained.holdout_meta.read_text())
    holdout = pd.read_parquet(trained.holdout)
    assert manifest["row_ids"] == sorted(holdout["row_id"])
    train = pd.read_parquet(trained.train)
    assert not set(train["row_id"]) & set(holdout["row_id"])


def test_onnx_agrees_with_fitted_model_on_whole_holdout(trained: Layout) -> None:
    model = joblib.load(trained.model)
    holdout = pd.read_parquet(trained.holdout)
    X = holdout[list(model.feature_names_in_)]
    expected = np.exp(model.predict(X))
    got = OnnxPredictor.load(trained.export_dir).predict(frame_columns(X), n_rows=len(X)).value
    assert len(got) == len(holdout) > 100
    np.testing.assert_allclose(got, expected, rtol=PARITY_RTOL)


def test_tampered_artifact_is_refused(trained: Layout, tmp_path: Path) -> None:
    copy = tmp_path / "export"
    shutil.copytree(trained.export_dir, copy)
    data = bytearray((copy / "model.onnx").read_bytes())
    data[-1] ^= 0xFF
    (copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"model\.onnx"):
        OnnxPredictor.load(copy)


def test_missing_artifact_is_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        OnnxPredictor.load(tmp_path)


def test_quarantine_names_rules_for_every_row(trained: Layout) -> None:
    quarantine = pd.read_parquet(trained.quarantine)
    assert len(quarantine) > 0
    assert quarantine["broken_rules"].str.len().gt(0).all()


def test_broken_data_fails_the_pipeline_and_leaves_the_model_untouched(
    trained: Layout, tmp_path: Path, project_params: Params
) -> None:
    import json as _json

    from boxoffice.core.params import DataParams
    from boxoffice.pipeline import ingest, validate
    from boxoffice.pipeline.common import StageError

    layout = Layout(tmp_path)
    # The model this project serves: the failed run must leave this one, in this layout, as is.
    shutil.copytree(trained.export_dir, layout.export_dir)
    before = (layout.export_dir / "checksums.json").read_bytes()
    broken = tmp_path / "broken.json"
    records = _json.loads((trained.root / "data" / "sample" / "movies.json").read_text())
    broken.write_text(
        _json.dumps([{k: v for k, v in r.items() if k != "Worldwide Gross"} for r in records])
    )
    data = DataParams(source=str(broken))
    ingest.ingest(data, layout)
    with pytest.raises(StageError, match=r"required_columns.*Worldwide Gross"):
        validate.run(project_params.model_copy(update={"data": data}), layout)
    assert (layout.export_dir / "checksums.json").read_bytes() == before
    assert not layout.clean.exists()  # nothing downstream of the broken file was written


def test_signature_ships_the_comps_table_under_two_megabytes(trained: Layout) -> None:
    path = trained.export_dir / "signature.json"
    assert path.stat().st_size < 2_000_000
    comps = json.loads(path.read_text())["comps"]
    train_rows = len(pd.read_parquet(trained.train))
    assert len(comps["titles"]) == len(comps["vectors"]) == train_rows
    assert all(title for title in comps["titles"])
    checksums = json.loads((trained.export_dir / "checksums.json").read_text())
    assert "signature.json" in checksums  # the comps are under the checksums
