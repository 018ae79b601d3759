from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, load_params
from boxoffice.pipeline import ingest, validate
from boxoffice.pipeline.common import StageError
from boxoffice.pipeline.validate import RULES_COLUMN, report_markdown, validate_frame
from tests.conftest import write_project


def _film(**overrides: Any) -> dict[str, Any]:
    row = {
        "Title": "Avatar",
        "US Gross": 7.6e8,
        "Worldwide Gross": 2.7e9,
        "US DVD Sales": None,
        "Production Budget": 2.37e8,
        "Release Date": "Dec 18 2009",
        "MPAA Rating": "PG-13",
        "Running Time min": 162,
        "Distributor": "20th Century Fox",
        "Source": "Original Screenplay",
        "Major Genre": "Action",
        "Creative Type": "Science Fiction",
        "Director": "James Cameron",
        "Rotten Tomatoes Rating": 83,
        "IMDB Rating": 8.3,
        "IMDB Votes": 261439,
    }
    row.update(overrides)
    return row


def _frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows)).astype(object)


def _good(n: int) -> list[dict[str, Any]]:
    return [_film(Title=f"Film {i}") for i in range(n)]


def _run(params: Params, frame: pd.DataFrame, min_rows: int = 1) -> Any:
    rules = params.validation.model_copy(update={"min_rows": min_rows})
    return validate_frame(frame, schema=params.feature_schema, rules=rules, source="vega")


def test_validate_three_rows_quarantines_with_rule_names(project_params: Params) -> None:
    frame = _frame(
        _film(),
        _film(Title="Zero", **{"Worldwide Gross": 0}),
        _film(Title="Future", **{"Release Date": "Dec 31 2046", "MPAA Rating": "Open"}),
    )
    result = _run(project_params, frame)
    assert list(result.clean["Title"]) == ["Avatar"]
    rules = dict(zip(result.quarantine["Title"], result.quarantine[RULES_COLUMN], strict=True))
    assert rules["Zero"] == "target_positive"
    assert set(rules["Future"].split(";")) == {"release_date_not_future", "mpaa_rating_known"}
    assert result.report["rules"]["target_positive"] == 1
    assert "target_positive" in report_markdown(result.report)


def test_validate_duplicate_film_keeps_first(project_params: Params) -> None:
    result = _run(project_params, _frame(_film(), _film(), _film(Title="Other")))
    assert len(result.clean) == 2
    assert list(result.quarantine[RULES_COLUMN]) == ["film_unique"]


def test_validate_row_with_unparseable_cell_is_quarantined(project_params: Params) -> None:
    frame = _frame(*_good(30), _film(Title="Odd", **{"IMDB Votes": "many"}))
    result = _run(project_params, frame)
    assert list(result.quarantine[RULES_COLUMN]) == ["type_numeric:IMDB Votes"]


@pytest.mark.parametrize(
    ("frame", "rule", "column"),
    [
        (
            _frame(*_good(3)).drop(columns=["Production Budget"]),
            "required_columns",
            "Production Budget",
        ),
        (
            _frame(*[_film(Title=f"F{i}", **{"Running Time min": "long"}) for i in range(5)]),
            "parseable",
            "Running Time min",
        ),
        (
            _frame(*[_film(Title=f"F{i}", **{"Release Date": "someday"}) for i in range(5)]),
            "parseable",
            "Release Date",
        ),
        (
            _frame(*[_film(Title=f"F{i}", **{"Worldwide Gross": None}) for i in range(5)]),
            "target_not_all_null",
            "Worldwide Gross",
        ),
        (pd.DataFrame(), "not_empty", ""),
    ],
    ids=["missing-column", "numeric-text", "bad-dates", "all-null-target", "empty"],
)
def test_validate_broken_file_fails_naming_rule_and_column(
    project_params: Params, frame: pd.DataFrame, rule: str, column: str
) -> None:
    with pytest.raises(StageError, match=rule) as info:
        _run(project_params, frame)
    assert column in str(info.value)


def test_validate_too_few_clean_rows_fails(project_params: Params) -> None:
    with pytest.raises(StageError, match="min_rows"):
        _run(project_params, _frame(*_good(3)), min_rows=10)


def test_validate_row_ids_are_stable_and_distinct(project_params: Params) -> None:
    a = _run(project_params, _frame(*_good(4))).clean["row_id"]
    b = _run(project_params, _frame(*reversed(_good(4)))).clean["row_id"]
    assert a.is_unique
    assert sorted(a) == sorted(b)


def test_rule_scoped_to_a_source_leaves_others_alone(project_params: Params) -> None:
    frame = _frame(_film(), _film(Title="New Year", **{"Release Date": "Jan 01 2005"}))
    vega = _run(project_params, frame)  # the 1 January rule is the_numbers' only
    assert len(vega.clean) == 2
    rules = project_params.validation.model_copy(update={"min_rows": 1})
    numbers = validate_frame(
        frame, schema=project_params.feature_schema, rules=rules, source="the_numbers"
    )
    assert numbers.quarantine[RULES_COLUMN].tolist() == ["release_date_placeholder"]


def test_blank_rule_empties_the_cell_and_keeps_the_row(project_params: Params) -> None:
    frame = _frame(_film(), _film(Title="Cut", Distributor="Anchor Bay Entertai…"))
    result = _run(project_params, frame)
    assert len(result.clean) == 2
    cut = result.clean.set_index("Title").loc["Cut"]
    assert pd.isna(cut["Distributor"])
    assert result.report["sources"]["vega"]["cells_blanked"] == {"distributor_cut": 1}


def test_two_sources_merge_and_report_matches(project_raw: dict[str, Any], tmp_path: Path) -> None:
    params = load_params(write_project(tmp_path, project_raw))
    ingest.ingest(params.data, Layout(tmp_path))
    result = validate.run(params, Layout(tmp_path))
    report = result.report
    pair = report["match"]["vega~the_numbers"]
    assert pair["matched"] > 1500
    assert result.clean["sources"].value_counts()["vega+the_numbers"] == pair["matched"]
    assert report["rows_clean"] == len(result.clean) < report["rows_in"]
    assert result.clean["Release Date"].max() > pd.Timestamp("2018-01-01")
    assert result.clean["row_id"].is_unique
    distributor = pair["agreement"]["Distributor"]
    assert distributor["mapped"]["share"] > distributor["as_read"]["share"]
    assert set(result.quarantine["data_source"]) == {"vega", "the_numbers"}
    assert report["sources"]["the_numbers"]["rules"]["film_unique"] == 1
    text = (tmp_path / "reports" / "data_quality.md").read_text()
    assert "Matched films: vega and the_numbers" in text
