"""How a server finds its request schema before any model is there."""

from __future__ import annotations

from pathlib import Path

import yaml

from boxoffice.serving.config import Settings
from boxoffice.serving.main import serving_signature
from boxoffice.serving.profiles import served_profiles
from tests.conftest import ROOT


def test_fallback_signature_takes_the_configured_interval_level(tmp_path: Path) -> None:
    # It once said 0.8 whatever params.yaml's train.interval_level said.
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["train"]["interval_level"] = 0.9
    params_path = tmp_path / "params.yaml"
    params_path.write_text(yaml.safe_dump(raw))
    settings = Settings(model_uri=str(tmp_path / "absent"), params_path=str(params_path))
    default = served_profiles(settings)[0]
    assert serving_signature(settings, default).interval.level == 0.9
