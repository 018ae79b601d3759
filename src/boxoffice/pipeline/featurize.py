"""Stage 3, featurize: name columns by field, normalise dates, split off a frozen holdout.

Date parts (year, month, ...) are derived by the shared encoder in ``boxoffice.core.features`` so
that serving derives them the same way; this stage hands it ISO dates.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from boxoffice.core.io import write_bytes_atomic
from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, SchemaSpec, SplitParams
from boxoffice.pipeline.common import ROW_ID, log, run_stage, write_json


def to_fields(clean: pd.DataFrame, schema: SchemaSpec) -> pd.DataFrame:
    """Rename raw columns to model fields; dates become ISO strings, categories strings."""
    out = pd.DataFrame({ROW_ID: clean[ROW_ID].astype(str)})
    for spec in schema.features:
        col = clean[spec.column]
        if spec.kind == "date":
            dates = pd.to_datetime(col)
            iso = dates.dt.strftime("%Y-%m-%d").astype(object)
            out[spec.field] = iso.where(dates.notna(), None)
        elif spec.kind == "categorical":
            out[spec.field] = col.astype(object).where(col.notna(), None)
        else:
            out[spec.field] = col.astype("float64")
    out[schema.target.field] = clean[schema.target.column].astype("float64")
    return out


def in_holdout(row_ids: pd.Series, split: SplitParams) -> np.ndarray:
    """Membership by a seeded hash of the row id: stable as rows are added or reordered."""

    def bucket(row_id: str) -> float:
        digest = hashlib.sha256(f"{split.seed}:{row_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    return np.array([bucket(r) < split.holdout_fraction for r in row_ids], dtype=bool)


def holdout_manifest(holdout: pd.DataFrame, split: SplitParams) -> dict[str, Any]:
    ids = sorted(holdout[ROW_ID].astype(str))
    return {
        "rows": len(ids),
        "fraction": split.holdout_fraction,
        "seed": split.seed,
        "sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
        "row_ids": ids,
    }


def split_frame(frame: pd.DataFrame, split: SplitParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    mask = in_holdout(frame[ROW_ID], split)
    train = frame[~mask].sort_values(ROW_ID).reset_index(drop=True)
    holdout = frame[mask].sort_values(ROW_ID).reset_index(drop=True)
    return train, holdout


def run(params: Params, layout: Layout) -> None:
    frame = to_fields(pd.read_parquet(layout.clean), params.feature_schema)
    train, holdout = split_frame(frame, params.split)
    layout.features_dir.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(layout.train, train.to_parquet(index=False))
    write_bytes_atomic(layout.holdout, holdout.to_parquet(index=False))
    write_json(layout.holdout_meta, holdout_manifest(holdout, params.split))
    log("featurize", f"{len(train)} training rows, {len(holdout)} frozen holdout rows")


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("featurize", run, argv)


if __name__ == "__main__":
    sys.exit(main())
