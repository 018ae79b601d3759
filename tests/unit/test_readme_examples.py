"""The README's examples show what they claim. Its what-if example once sent fewer fields
than the film it varied, so the "$50M less" film came out above the full Avatar forecast."""

from __future__ import annotations

import json
import re

from boxoffice.core.params import load_params
from tests.conftest import ROOT


def _bodies() -> list[dict[str, object]]:
    text = (ROOT / "README.md").read_text()
    return [json.loads(m) for m in re.findall(r"-d '(\{.*?\})'", text, flags=re.S)]


def test_the_what_if_films_differ_from_the_film_only_in_what_they_vary() -> None:
    bodies = _bodies()
    film = next(b for b in bodies if "films" not in b and "director" in b)
    batch = next(b for b in bodies if "films" in b)
    for variant in batch["films"]:  # type: ignore[union-attr]
        changed = {k for k in film.keys() | variant.keys() if film.get(k) != variant.get(k)}
        assert changed <= {"production_budget", "release_date"}, changed


def test_the_drift_threshold_is_explained_with_the_served_feature_count() -> None:
    params = load_params(ROOT / "params.yaml")
    n = len(params.profile_features(params.serve_profile))
    assert f"profile's {n} features" in (ROOT / "README.md").read_text()
