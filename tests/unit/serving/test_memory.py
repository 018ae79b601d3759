"""The worker gives freed heap back: after its models load, after a reload, after a shipment.

Without it glibc keeps the pages that loading and the Parquet writer freed, and they count in
the worker's RSS for its whole life (bench/results/serving.md measures the difference)."""

from __future__ import annotations

import ctypes.util
import platform
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from boxoffice.core.artifact import read_verified
from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from boxoffice.serving import memory
from boxoffice.serving.main import create_app
from boxoffice.serving.model_state import ModelHolder
from boxoffice.serving.shipper import Shipper
from boxoffice.serving.spool import Spool, SpoolDir
from tests.support.serving import log_record, make_settings


@pytest.fixture
def trims(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Where release_freed_heap was called from, in order."""
    calls: list[str] = []
    for module in ("main", "model_state", "shipper"):

        def record(where: str = module) -> bool:
            calls.append(where)
            return True

        monkeypatch.setattr(f"boxoffice.serving.{module}.release_freed_heap", record)
    yield calls


def test_glibc_trims_and_other_c_libraries_are_left_alone() -> None:
    assert memory.release_freed_heap() is (platform.libc_ver()[0] == "glibc")


def test_without_malloc_trim_nothing_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    memory._trim.cache_clear()
    try:
        assert memory.release_freed_heap() is False
    finally:
        memory._trim.cache_clear()  # the next caller finds the real library again


def test_the_heap_is_trimmed_once_the_models_are_loaded(
    trained: Layout, tmp_path: Path, trims: list[str]
) -> None:
    with TestClient(create_app(make_settings(trained, tmp_path))) as client:
        assert client.get("/health/ready").status_code == 200
        assert trims[:1] == ["main"]


class _Renamed:
    """The same exported files under a new name at each look: every check is a new version."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.looks = 0

    def wanted(self) -> str:
        self.looks += 1
        return f"v{self.looks}"

    def directory(self, version: str) -> Path:
        return self.path


def test_a_reload_trims_the_heap_and_the_first_load_leaves_it_to_the_start(
    trained: Layout, trims: list[str]
) -> None:
    _, signature, _ = read_verified(trained.export_dir)
    holder = ModelHolder(_Renamed(trained.export_dir), signature, retry_s=60, poll_s=60)
    assert holder.check() and trims == []  # the lifespan trims once every profile is loaded
    assert holder.check() and trims == ["model_state"]


def test_each_shipped_segment_trims_the_heap(tmp_path: Path, trims: list[str]) -> None:
    owned = SpoolDir.try_claim(tmp_path / "spool" / "w1")
    assert owned is not None
    spool = Spool(owned, seal_records=2, seal_seconds=60, max_records=100)
    for i in range(4):
        spool.append_batch([log_record(f"r{i}")])
    Shipper(spool, Lake(str(tmp_path / "lake")), tmp_path / "spool").stop()
    assert spool.pending == 0 and trims == ["shipper", "shipper"]
