from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boxoffice.core.features import (
    EPOCH_YEAR,
    SMALL_BATCH,
    Encoder,
    calendar_parts,
    date_parts,
    fit_categories,
    to_days,
)
from boxoffice.core.signature import InputField, Interval, Signature


def _signature(categories: list[str] | None = None) -> Signature:
    return Signature(
        target="gross",
        inputs=[
            InputField(field="budget", kind="numeric", required=True),
            InputField(field="released", kind="date", parts=["year", "month", "day_of_week"]),
            InputField(field="genre", kind="categorical", categories=categories or ["b", "a"]),
        ],
        interval=Interval(level=0.8, low=-1.0, high=1.0),
    )


def test_date_parts_match_pandas() -> None:
    iso = ["2009-12-18", "1998-06-12", "2000-02-29", None]
    year, month, dow, doy, quarter = date_parts(
        to_days(iso), ["year", "month", "day_of_week", "day_of_year", "quarter"]
    )
    expected = pd.to_datetime(pd.Series(iso))
    np.testing.assert_array_equal(year[:3], expected.dt.year[:3])
    np.testing.assert_array_equal(month[:3], expected.dt.month[:3])
    np.testing.assert_array_equal(dow[:3], expected.dt.day_of_week[:3])
    np.testing.assert_array_equal(doy[:3], expected.dt.day_of_year[:3])
    np.testing.assert_array_equal(quarter[:3], expected.dt.quarter[:3])
    assert np.isnan([year[3], month[3], dow[3]]).all()


def test_encode_three_rows_columns_in_signature_order() -> None:
    matrix = Encoder(_signature())(
        {
            "budget": [1e6, None, 3.0],
            "released": ["2001-01-01", None, "2001-03-05"],
            "genre": ["a", "b", None],
        },
    )
    assert matrix.dtype == np.float32
    assert matrix.shape == (3, 5)
    assert _signature().model_columns() == [
        "budget",
        "released_year",
        "released_month",
        "released_day_of_week",
        "genre",
    ]
    np.testing.assert_array_equal(matrix[:, 4], [1.0, 0.0, np.nan])
    assert np.isnan(matrix[1, 0]) and np.isnan(matrix[1, 1])


def test_encode_unseen_category_is_missing() -> None:
    matrix = Encoder(_signature())({"genre": ["never-seen"]}, n_rows=1)
    assert np.isnan(matrix[0, 4])


def test_encode_absent_field_is_all_missing() -> None:
    matrix = Encoder(_signature())({"budget": [5.0, 6.0]})
    assert np.isnan(matrix[:, 1:]).all()
    np.testing.assert_array_equal(matrix[:, 0], [5.0, 6.0])


def test_encode_numeric_array_fast_path_equals_list_path() -> None:
    as_list = Encoder(_signature())({"budget": [1.5, 2.5]})
    as_array = Encoder(_signature())({"budget": np.array([1.5, 2.5])})
    np.testing.assert_array_equal(as_list, as_array)


def test_fit_categories_orders_by_smoothed_mean_and_drops_rare() -> None:
    values = ["hi", "hi", "lo", "lo", "rare", None]
    y = np.array([10.0, 12.0, 1.0, 2.0, 100.0, 50.0])
    assert fit_categories(values, y, smoothing=0.0, min_count=2) == ["lo", "hi"]


def test_fit_categories_all_missing_is_empty() -> None:
    assert fit_categories([None, None], np.array([1.0, 2.0]), smoothing=1, min_count=1) == []


def test_encode_bad_date_raises_value_error() -> None:
    with pytest.raises(ValueError):
        Encoder(_signature())({"released": ["not a date"]})


def test_nan_and_na_count_as_missing_everywhere() -> None:
    matrix = Encoder(_signature())(
        {"budget": [float("nan")], "released": [pd.NaT], "genre": [pd.NA]},
    )
    assert np.isnan(matrix).all()
    assert fit_categories([float("nan"), "a"], np.array([1.0, 2.0]), smoothing=0, min_count=1) == [
        "a"
    ]


def test_date_parts_in_any_order_and_subset_match_the_full_set() -> None:
    days = to_days(["2009-12-18", None, "2000-02-29"])
    every = dict(
        zip(
            ["year", "month", "day_of_week", "day_of_year", "quarter"],
            date_parts(days, ["year", "month", "day_of_week", "day_of_year", "quarter"]),
            strict=True,
        )
    )
    for parts in (["quarter"], ["day_of_year", "year"], ["month", "quarter"]):
        for name, got in zip(parts, date_parts(days, parts), strict=True):
            np.testing.assert_array_equal(got, every[name])


def test_sent_counts_the_optional_fields_each_row_carries() -> None:
    encoder = Encoder(_signature())  # released and genre are optional
    columns = {"budget": [1.0, 2.0, 3.0], "released": ["2001-01-01", None, "2002-02-02"]}
    columns |= {"genre": [None, float("nan"), "a"]}
    np.testing.assert_array_equal(encoder.sent(columns, 3), [1, 0, 2])
    assert encoder.sent({"budget": [1.0]}, 1).tolist() == [0]


PARTS = ["year", "month", "day_of_week", "day_of_year", "quarter"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(), st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
        ),
        min_size=1,
        max_size=SMALL_BATCH,
    ),
    st.booleans(),
)
def test_a_requests_few_dates_give_the_numbers_of_the_numpy_path(
    dates: list[dt.date | None], as_text: bool
) -> None:
    values = [d.isoformat() if as_text and d else d for d in dates]
    fast = calendar_parts(values, PARTS)
    slow = date_parts(to_days(values), PARTS)
    for name, got, want in zip(PARTS, fast, slow, strict=True):
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_dates_datetime_cannot_read_go_the_numpy_way() -> None:
    # numpy reads a month as its first day; datetime.date.fromisoformat refuses it.
    year, month = calendar_parts(["2009-12"], ["year", "month"])
    assert (year.tolist(), month.tolist()) == ([2009.0], [12.0])


def test_year_is_the_epoch_year_plus_numpy_years() -> None:
    days = to_days(["1970-06-01", "2009-12-31"])
    assert list(date_parts(days, ["year"])[0]) == [EPOCH_YEAR, 2009.0]
    assert days.astype("datetime64[Y]").astype(int)[1] + EPOCH_YEAR == 2009


def test_all_lists_every_name_the_package_imports_from_features() -> None:
    import ast

    from boxoffice.core import features
    from tests.conftest import ROOT

    imported: set[str] = set()
    for path in (ROOT / "src" / "boxoffice").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "boxoffice.core.features":
                imported |= {alias.name for alias in node.names}
    assert imported <= set(features.__all__), sorted(imported - set(features.__all__))
