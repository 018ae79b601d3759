from __future__ import annotations

import pandas as pd

from boxoffice.core.params import Params, SplitParams
from boxoffice.pipeline.featurize import holdout_manifest, in_holdout, split_frame, to_fields


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"row_id": [f"id{i:05d}" for i in range(n)], "x": range(n)})


def test_holdout_is_deterministic_and_close_to_fraction() -> None:
    split = SplitParams(holdout_fraction=0.2, seed=1)
    frame = _frame(5000)
    mask = in_holdout(frame["row_id"], split)
    assert (mask == in_holdout(frame["row_id"], split)).all()
    assert 0.18 < mask.mean() < 0.22


def test_holdout_membership_survives_new_rows_and_reordering() -> None:
    split = SplitParams(holdout_fraction=0.2, seed=1)
    _, before = split_frame(_frame(1000), split)
    _, after = split_frame(_frame(1500).sample(frac=1, random_state=3), split)
    assert set(before["row_id"]) <= set(after["row_id"])
    assert set(after["row_id"]) - set(before["row_id"]) == {
        r for r in after["row_id"] if int(r[2:]) >= 1000
    }


def test_holdout_seed_changes_membership() -> None:
    ids = _frame(1000)["row_id"]
    a = in_holdout(ids, SplitParams(holdout_fraction=0.2, seed=1))
    b = in_holdout(ids, SplitParams(holdout_fraction=0.2, seed=2))
    assert (a != b).any()


def test_holdout_manifest_hash_ignores_order() -> None:
    split = SplitParams(holdout_fraction=0.5, seed=0)
    frame = _frame(10)
    a = holdout_manifest(frame, split)
    b = holdout_manifest(frame.iloc[::-1], split)
    assert a["sha256"] == b["sha256"] and a["rows"] == 10


def test_to_fields_three_rows(project_params: Params) -> None:
    schema = project_params.feature_schema
    clean = pd.DataFrame(
        {
            "row_id": ["a", "b", "c"],
            **{f.column: [None, None, None] for f in schema.features},
            "Worldwide Gross": [1.0, 2.0, 3.0],
        }
    )
    clean["Release Date"] = pd.to_datetime(["2009-12-18", None, "1998-06-12"])
    clean["Production Budget"] = [1.0, 2.0, 3.0]
    out = to_fields(clean, schema)
    assert list(out["release_date"]) == ["2009-12-18", None, "1998-06-12"]
    assert list(out.columns) == ["row_id", *(f.field for f in schema.features), "worldwide_gross"]
