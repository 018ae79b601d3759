from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from boxoffice.core.params import load_params
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("key", "edges"),
    [("interval_bands", [10_000_000]), ("interval_buckets", [0, 4, 1]), ("interval_bands", [])],
)
def test_interval_edges_must_be_ascending_lower_bounds_from_zero(
    tmp_path: Path, key: str, edges: list[float]
) -> None:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["train"][key] = edges
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValidationError, match=f"train.{key} must be ascending"):
        load_params(path)
