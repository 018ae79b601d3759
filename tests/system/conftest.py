"""Fixtures the system tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import unseen_project


@pytest.fixture(scope="session")
def unseen_trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project trained without some films, built once; tests take copies of it."""
    return unseen_project.build(tmp_path_factory.mktemp("unseen") / "work")
