"""Each source onto the schema: names, markers, lacked columns, values and dates."""

from __future__ import annotations

import pandas as pd

from boxoffice.core.data_params import SourceParams
from boxoffice.core.params import Params
from boxoffice.pipeline.sources import to_schema


def _numbers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "movie": ["Coco", "Heat"],
            "release_date": ["11/22/2017", "not a date"],
            "worldwide_gross": ["8e+08", "187436818"],
            "distributor": ["Walt Disney", "NA"],
            "genre": ["Adventure", "Drama"],
        },
        dtype=object,
    )


def _source() -> SourceParams:
    return SourceParams(
        name="numbers",
        uri="x.csv",
        format="csv",
        columns={"movie": "Title", "release_date": "Release Date", "genre": "Major Genre"},
        lacks=["Director"],
        missing_markers=["NA"],
        dates={"Release Date": "%m/%d/%Y"},
        values={"distributor": {"Walt Disney": "Walt Disney Pictures"}},
    )


def test_to_schema_renames_marks_missing_and_fills_lacked_columns(
    project_params: Params,
) -> None:
    out, counts = to_schema(_numbers(), _source(), project_params.feature_schema)
    assert {"Title", "Release Date", "Major Genre", "Director"} <= set(out.columns)
    assert out["Director"].isna().all()
    assert pd.isna(out.loc[1, "distributor"])
    assert counts["missing_marker"] == 1


def test_to_schema_maps_values_and_counts_them(project_params: Params) -> None:
    out, counts = to_schema(_numbers(), _source(), project_params.feature_schema)
    assert out.loc[0, "distributor"] == "Walt Disney Pictures"
    assert counts["mapped:distributor"] == 1
    raw, _ = to_schema(_numbers(), _source(), project_params.feature_schema, map_values=False)
    assert raw.loc[0, "distributor"] == "Walt Disney"


def test_to_schema_dates_become_iso_and_bad_ones_stay_as_read(project_params: Params) -> None:
    out, _ = to_schema(_numbers(), _source(), project_params.feature_schema)
    assert out["Release Date"].tolist() == ["2017-11-22", "not a date"]
