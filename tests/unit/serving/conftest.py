"""Fixtures of the in-process API tests: settings on the trained model, and a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from boxoffice.core.layout import Layout
from boxoffice.serving.config import Settings
from boxoffice.serving.main import create_app
from tests.support.serving import make_settings


@pytest.fixture
def settings(trained: Layout, tmp_path: Path) -> Settings:
    return make_settings(trained, tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
