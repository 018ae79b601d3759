"""How a server finds its request schema before any model is there."""

from __future__ import annotations

from pathlib import Path

import yaml

from boxoffice.serving.config import Settings
from boxoffice.serving.model_state import FolderSource, RegistrySource
from boxoffice.serving.profiles import served_profiles
from boxoffice.serving.startup import model_source, optional_signature, serving_signature
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


def test_model_source_is_the_registry_alias_or_the_folder(tmp_path: Path) -> None:
    folder = Settings(model_uri=str(tmp_path / "model"), params_path=str(tmp_path / "none.yaml"))
    profile = served_profiles(folder)[0]
    assert isinstance(model_source(folder, profile), FolderSource)
    registry = folder.model_copy(
        update={"registry_uri": str(tmp_path / "registry"), "model_cache_dir": str(tmp_path / "c")}
    )
    source = model_source(registry, profile)
    assert isinstance(source, RegistrySource) and source.alias == profile.alias


def test_an_absent_optional_profile_is_not_served(tmp_path: Path) -> None:
    settings = Settings(model_uri=str(tmp_path / "absent"), params_path=str(tmp_path / "no.yaml"))
    profile = served_profiles(settings)[0]
    assert optional_signature(model_source(settings, profile), profile) is None
