"""docs/architecture.md names every module of each package in that package's row, and names
no module that is not there: the map matches the house."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "boxoffice"
DOC = (ROOT / "docs" / "architecture.md").read_text()
LAYERS = ["core", "lake", "pipeline", "lifecycle", "serving", "cli"]


def _row(layer: str) -> str:
    match = re.search(rf"^\| `{layer}/` \| (.*?) \| [^|]* \|$", DOC, re.M)
    assert match, f"docs/architecture.md has no row for {layer}/"
    return match.group(1)


def _modules(layer: str) -> set[str]:
    found = {p.stem for p in (PACKAGE / layer).rglob("*.py") if p.stem != "__init__"}
    folders = {p.name for p in (PACKAGE / layer).iterdir() if p.is_dir() and "__" not in p.name}
    return found | folders


@pytest.mark.parametrize("layer", LAYERS)
def test_the_map_names_every_module_of_its_package(layer: str) -> None:
    named = set(re.findall(r"`(\w+)/?`", _row(layer)))
    assert sorted(_modules(layer) - named) == []


@pytest.mark.parametrize("layer", LAYERS)
def test_the_map_names_no_module_that_is_gone(layer: str) -> None:
    # Backticked names that look like modules (lower case) and are not in the package.
    named = {n for n in re.findall(r"`([a-z_]+)/?`", _row(layer)) if not n.startswith("_")}
    symbols = {"fail"}  # names of functions the row mentions beside the modules
    symbols |= {"log_record", "spool_line", "read_spool_lines", "by_date"}
    assert sorted(named - _modules(layer) - symbols) == []
