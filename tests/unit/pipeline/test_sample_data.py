"""Expectations on the packaged sample: what it is, and what validation makes of it."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pandas as pd
import pytest

from boxoffice.core.params import Params
from boxoffice.pipeline.validate import ValidationResult, validate_frame
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "sample" / "movies.json"
FIELDS = [
    "Title",
    "US Gross",
    "Worldwide Gross",
    "US DVD Sales",
    "Production Budget",
    "Release Date",
    "MPAA Rating",
    "Running Time min",
    "Distributor",
    "Source",
    "Major Genre",
    "Creative Type",
    "Director",
    "Rotten Tomatoes Rating",
    "IMDB Rating",
    "IMDB Votes",
]


@pytest.fixture(scope="module")
def validated(project_params: Params) -> ValidationResult:
    frame = pd.DataFrame.from_records(json.loads(SAMPLE.read_text())).astype(object)
    return validate_frame(
        frame, schema=project_params.feature_schema, rules=project_params.validation, source="vega"
    )


def test_sample_is_the_pinned_upstream_file(project_params: Params) -> None:
    vega = next(s for s in project_params.data.sources if s.name == "vega")
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == vega.sha256
    # datapackage.json's sha1 is git's blob hash of the file.
    blob = subprocess.run(
        ["git", "hash-object", str(SAMPLE)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert blob == "e38178f99454568c5160fc759184a1a1471cc558"
    assert blob in (ROOT / "data" / "sample" / "PROVENANCE.md").read_text()


def test_sample_has_every_documented_field() -> None:
    records = json.loads(SAMPLE.read_text())
    assert len(records) == 3201
    assert set(FIELDS) == {key for record in records for key in record}


def test_sample_errors_are_caught_by_the_documented_rules(validated: ValidationResult) -> None:
    rules = validated.report["rules"]
    expected = {
        "target_present": 7,
        "target_positive": 47,
        "release_date_not_future": 24,
        "title_present": 1,
        "budget_present": 1,
        "mpaa_rating_known": 2,
        "film_unique": 0,
    }
    assert {k: rules[k] for k in expected} == expected


def test_clean_sample_meets_every_rule(validated: ValidationResult) -> None:
    clean = validated.clean
    assert len(clean) > 3000
    assert (clean["Worldwide Gross"] > 0).all()
    assert (clean["Release Date"] <= pd.Timestamp("2010-12-31")).all()
    assert not clean.duplicated(["Title", "Release Date"]).any()
    assert clean["row_id"].is_unique
    assert set(clean["MPAA Rating"].dropna()) <= {"G", "PG", "PG-13", "R", "NC-17", "Not Rated"}


def test_leaking_columns_never_reach_features(project_params: Params) -> None:
    columns = {f.column for f in project_params.feature_schema.features}
    assert not columns & {"US Gross", "US DVD Sales", "Worldwide Gross"}
