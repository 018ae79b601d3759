"""Drift: flags a real shift, stays quiet on samples of the training distribution."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.layout import Layout
from boxoffice.core.params import DriftParams, Params
from boxoffice.lake.prediction_log import Lake
from boxoffice.lake.reports import latest_report
from boxoffice.lifecycle.drift import drift_report, markdown
from boxoffice.serving.main import create_app
from tests.conftest import ROOT
from tests.support.serving import FILM, make_settings

pytestmark = pytest.mark.slow


def _columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    return {c: frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame}


@pytest.fixture(scope="module")
def frames(trained: Layout) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(trained.train), pd.read_parquet(trained.holdout)


def test_shift_in_budget_and_genre_is_flagged(
    frames: tuple[pd.DataFrame, pd.DataFrame], project_params: Params
) -> None:
    train, holdout = frames
    specs = list(project_params.feature_schema.features)
    current = holdout.sample(200, random_state=1).copy()
    current["production_budget"] *= 3
    current.loc[current.sample(frac=0.7, random_state=2).index, "major_genre"] = "Musical"
    report = drift_report(specs, _columns(train), _columns(current), project_params.drift)
    drifted = {f.feature for f in report.features if f.drifted}
    assert {"production_budget", "major_genre"} <= drifted
    assert report.retrain


# Repeats code other tests cover; tracing its many iterations only costs time (pytest-cov no_cover).
@pytest.mark.no_cover
def test_at_most_five_false_alarms_in_100_same_distribution_samples(
    frames: tuple[pd.DataFrame, pd.DataFrame], project_params: Params
) -> None:
    train, holdout = frames
    specs = list(project_params.feature_schema.features)
    reference = _columns(train)
    pool = pd.concat([train, holdout])
    alarms = sum(
        drift_report(
            specs, reference, _columns(pool.sample(200, random_state=seed)), project_params.drift
        ).retrain
        for seed in range(100)
    )
    assert alarms <= 5


def test_large_samples_use_distances(
    frames: tuple[pd.DataFrame, pd.DataFrame], project_params: Params
) -> None:
    train, _ = frames
    specs = list(project_params.feature_schema.features)
    params = DriftParams(large_sample=100)
    # 1,500 films: the second source lacks six of the fields, so a third of the rows carry
    # them; a distance on 150 values flags sampling noise (500 rows did, on the merged data).
    report = drift_report(
        specs, _columns(train), _columns(train.sample(1500, random_state=0)), params
    )
    methods = {f.method for f in report.features}
    assert methods <= {"wasserstein", "jensen_shannon"} and not report.retrain


def test_cli_writes_markdown_html_and_plots(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path)
    rng = random.Random(0)
    with TestClient(create_app(settings)) as client:
        for _ in range(60):  # one kind of film, far from the training mix: drift
            film = FILM | {"production_budget": rng.uniform(2e8, 3e8)}
            client.post("/v1/prediction", json=film)
    out = tmp_path / "drift"
    result = CliRunner().invoke(
        app,
        [
            "monitor",
            "drift",
            "--lake",
            settings.lake_uri,
            "--params",
            str(ROOT / "params.yaml"),
            "--reference",
            str(trained.train),
            "--out",
            str(out),
            "--since",
            "2000-01-01",
        ],
    )
    assert result.exit_code == 7, result.output  # its own code: an error is 1
    assert "retrain recommended" in result.output
    assert "production_budget" in (out / "drift.md").read_text()
    assert (out / "drift.html").read_text().startswith("<html>")
    assert (out / "drift_production_budget.png").stat().st_size > 1000
    assert "| p-value | distance |" in (out / "drift.md").read_text()
    # Published to the lake, where every replica's page reads the same latest report.
    published = latest_report(Lake(settings.lake_uri), "drift")
    assert published is not None
    assert published["retrain"] is True and published["verdict"] == "retrain recommended"
    assert published["since"] == "2000-01-01"
    budget = next(f for f in published["features"] if f["feature"] == "production_budget")
    assert budget["drifted"] is True
    with TestClient(create_app(settings)) as client:
        shown = client.get("/v1/reports/latest").json()
    assert shown["drift"]["created_at"] == published["created_at"]


def _monitor(lake: str, trained: Layout, out: Path, *extra: str) -> Any:
    args = ["monitor", "drift", "--lake", lake, "--params", str(ROOT / "params.yaml")]
    args += ["--reference", str(trained.train), "--out", str(out), *extra]
    return CliRunner().invoke(app, args)


def test_too_few_logged_requests_is_its_own_outcome(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path)
    with TestClient(create_app(settings)) as client:
        for _ in range(3):  # far below drift.min_rows
            client.post("/v1/prediction", json=FILM | {"production_budget": 2.5e8})
    result = _monitor(settings.lake_uri, trained, tmp_path / "drift")
    assert result.exit_code == 4, result.output  # not 0 ("no retrain needed")
    assert "too little data: 0 of 9 features had the 30 logged values" in result.output
    assert "drifted:" not in result.output
    assert "too little data" in (tmp_path / "drift" / "drift.md").read_text()
    (tmp_path / "empty-lake").mkdir()
    empty = _monitor(str(tmp_path / "empty-lake"), trained, tmp_path / "drift2")
    assert empty.exit_code == 4 and "0 of 9 features" in empty.output


def test_a_drift_run_that_cannot_start_is_an_error_not_a_verdict(
    trained: Layout, tmp_path: Path
) -> None:
    settings = make_settings(trained, tmp_path)
    with TestClient(create_app(settings)) as client:  # a lake with a logged request
        client.post("/v1/prediction", json=FILM)
    mistyped = _monitor(str(tmp_path / "lakes"), trained, tmp_path / "d")
    assert mistyped.exit_code == 1 and "no lake at" in mistyped.output
    assert not (tmp_path / "lakes").exists()  # not created: a typo is not a new lake
    future = _monitor(settings.lake_uri, trained, tmp_path / "d", "--since", "2999-01-01")
    assert future.exit_code == 1 and "after today" in future.output
    assert latest_report(Lake(settings.lake_uri), "drift") is None  # nothing published
    args = ["monitor", "drift", "--lake", settings.lake_uri, "--out", str(tmp_path / "d")]
    no_params = CliRunner().invoke(app, [*args, "--params", str(tmp_path / "params.yaml")])
    assert no_params.exit_code == 1 and isinstance(no_params.exception, SystemExit)  # no trace
    assert "cannot read --params" in no_params.output and "no such file" in no_params.output
    (tmp_path / "bad.yaml").write_text("drift: [\n")
    bad = CliRunner().invoke(app, [*args, "--params", str(tmp_path / "bad.yaml")])
    assert bad.exit_code == 1 and "not valid YAML" in bad.output
    no_ref = _monitor(settings.lake_uri, trained, tmp_path / "d", "--reference", "none.parquet")
    assert no_ref.exit_code == 1 and "cannot read --reference none.parquet" in no_ref.output
    (tmp_path / "a-file").write_text("x")
    no_out = _monitor(settings.lake_uri, trained, tmp_path / "a-file")
    assert no_out.exit_code == 1 and isinstance(no_out.exception, SystemExit), no_out.output
    assert "cannot write the report to --out" in no_out.output


def test_a_reference_that_is_not_the_training_data_is_named_in_words(tmp_path: Path) -> None:
    """Arrow's own message named its internal columns ("No match for FieldRef.Name(...) in
    __fragment_index: int32 ...")."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from boxoffice.core.params import FeatureSpec
    from boxoffice.lifecycle.drift_io import reference_columns

    specs = [FeatureSpec(column="Budget", field="production_budget", kind="numeric")]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"^a folder with no Parquet file$"):
        reference_columns(tmp_path / "empty", specs)
    pq.write_table(pa.table({"title": ["Avatar"]}), tmp_path / "other.parquet")
    with pytest.raises(ValueError, match=r"^no column production_budget: not the training"):
        reference_columns(tmp_path / "other.parquet", specs)
    (tmp_path / "parts").mkdir()
    pq.write_table(pa.table({"production_budget": [1.0e6]}), tmp_path / "parts" / "0.parquet")
    assert reference_columns(tmp_path / "parts", specs) == {"production_budget": [1.0e6]}


def test_since_in_another_format_names_the_expected_one(trained: Layout, tmp_path: Path) -> None:
    result = _monitor(str(tmp_path / "lake"), trained, tmp_path / "d", "--since", "11/01/2026")
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output


def test_report_columns_say_what_they_hold(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    from boxoffice.core.params import FeatureSpec
    from boxoffice.lifecycle.drift import markdown

    train, holdout = frames
    specs = [
        FeatureSpec(column="b", field="production_budget", kind="numeric"),
        FeatureSpec(column="g", field="major_genre", kind="categorical"),
    ]
    report = drift_report(specs, _columns(train), _columns(holdout), DriftParams())
    for feature in report.features:
        assert (feature.p_value is None) != (feature.distance is None)
    assert "| statistic |" not in markdown(report, [])


def test_a_share_of_the_few_testable_features_is_no_verdict(
    frames: tuple[pd.DataFrame, pd.DataFrame], project_params: Params
) -> None:
    """Requests sending only the required fields and two more: 4 of the 9 features can be
    tested, all 4 shifted. That once read "100% of features drifted: retrain recommended"."""
    train, holdout = frames
    specs = list(project_params.feature_schema.features)
    current = holdout.sample(200, random_state=3).copy()
    current["production_budget"] *= 5
    current["release_date"] = pd.Timestamp("2026-06-01")
    sent = {"production_budget", "release_date", "mpaa_rating", "major_genre"}
    for column in current.columns:
        if column not in sent:
            current[column] = None
    current["mpaa_rating"], current["major_genre"] = "NC-17", "Musical"
    report = drift_report(specs, _columns(train), _columns(current), project_params.drift)
    assert len(report.tested) == 4 and report.share == 1.0
    assert not report.enough_data and not report.retrain
    assert report.verdict.startswith(f"too little data: 4 of {len(specs)} features")
    assert "untested" in markdown(report, [])


def test_the_markdown_and_the_page_render_one_table(
    frames: tuple[pd.DataFrame, pd.DataFrame], project_params: Params
) -> None:
    """The HTML page once had its own table: an untested feature read "ok" with a threshold
    there, "untested" in the markdown, and the page had no sample sizes."""
    import re

    from boxoffice.lifecycle.drift import TABLE_HEADER, html_page, table_rows

    train, holdout = frames
    specs = list(project_params.feature_schema.features)
    current = holdout.sample(200, random_state=3).copy()
    current["imdb_rating"] = None  # untested: nothing sent
    report = drift_report(specs, _columns(train), _columns(current), project_params.drift)
    rows = table_rows(report)
    assert any(row[5] == "untested" for row in rows)
    page = html_page(report, [])
    cells = [re.findall(r"<t[dh]>(.*?)</t[dh]>", r) for r in re.findall(r"<tr>(.*?)</tr>", page)]
    assert cells == [list(TABLE_HEADER), *[list(row) for row in rows]]
    text = markdown(report, [])
    assert all(f"| {' | '.join(row)} |" in text for row in rows)
