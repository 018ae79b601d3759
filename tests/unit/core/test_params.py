from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from boxoffice.core.params import Params, load_params
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


def _raw() -> dict:
    raw: dict = yaml.safe_load((ROOT / "params.yaml").read_text())
    return raw


def test_single_source_form_is_one_declared_source() -> None:
    from boxoffice.core.data_params import DataParams

    data = DataParams.model_validate({"source": "films.csv", "format": "csv", "sha256": "ab"})
    assert [(s.name, s.uri, s.format, s.sha256) for s in data.sources] == [
        ("main", "films.csv", "csv", "ab")
    ]


def test_rule_naming_an_unknown_source_is_refused() -> None:
    raw = _raw()
    raw["validation"]["rules"][0]["sources"] = ["imdb"]
    with pytest.raises(ValueError, match="unknown sources"):
        Params.model_validate(raw)


def test_source_cannot_lack_a_required_column() -> None:
    raw = _raw()
    raw["data"]["sources"][1]["lacks"].append("Production Budget")
    with pytest.raises(ValueError, match="cannot lack required"):
        Params.model_validate(raw)


def test_match_naming_an_undeclared_source_is_refused() -> None:
    raw = _raw()
    raw["data"]["match"]["precedence"].append("imdb")
    with pytest.raises(ValueError, match="not declared"):
        Params.model_validate(raw)
