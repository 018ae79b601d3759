"""The films the speed benchmarks send: real films of the data, as a caller would send them.

One film sent a thousand times walks the same path through every tree, so the model's nodes
stay in the CPU's caches and its branches are always predicted: ONNX Runtime then looks four
times faster than on real traffic (bench/results/profile.md times both). The benchmarks send
these films in turn instead, each request a different film.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from boxoffice.core.request_model import film_model
from boxoffice.core.signature import Signature

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ROOT / "data" / "features"


def splits_of(features: Path) -> tuple[Path, Path]:
    """The featurize stage's two splits in ``features`` (``--features`` of the benchmarks:
    a fresh clone has no ``data/features`` until ``dvc repro`` made it)."""
    return (features / "train.parquet", features / "holdout.parquet")


SPLITS = splits_of(FEATURES)
SEED = 2024


def _request(row: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """A data row in request form: only the route's fields, a missing value left out."""
    out: dict[str, Any] = {}
    for field in fields:
        value = row.get(field)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        out[field] = int(value) if isinstance(value, float) and value.is_integer() else value
    return out


def request_films(
    model_dir: Path, n: int, splits: tuple[Path, ...] = SPLITS, seed: int = SEED
) -> list[dict[str, Any]]:
    """``n`` different films of the validated data, the fields the model's route takes.

    Every film is validated by the route's own request model, so a film the API would refuse
    (a field it does not take, a date out of its range) fails here, not as a 422 under load.
    """
    signature = Signature.model_validate_json((Path(model_dir) / "signature.json").read_bytes())
    fields = [item.field for item in signature.inputs]
    frame = pd.concat([pd.read_parquet(path) for path in splits], ignore_index=True)
    if len(frame) < n:
        raise ValueError(f"the data has {len(frame)} films, fewer than the {n} asked for")
    chosen = frame.sample(n=n, random_state=seed)
    films = [_request(row, fields) for row in chosen.to_dict(orient="records")]
    model = film_model(signature)
    for film in films:
        model.model_validate(film)
    return films
