"""Atomic writes on a local disk: whole files, no temporary left, create-only refuses."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pytest

from boxoffice.core.io import create_only, is_local, put_atomic, write_text_atomic


def test_put_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    fs = fsspec.filesystem("file")
    target = tmp_path / "a.json"
    put_atomic(fs, str(target), b"one")
    put_atomic(fs, str(target), b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_create_only_refuses_a_second_writer(tmp_path: Path) -> None:
    fs = fsspec.filesystem("file")
    target = tmp_path / "alias.json"
    create_only(fs, str(target), b"first")
    with pytest.raises(FileExistsError):
        create_only(fs, str(target), b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["alias.json"]


def test_write_text_atomic_makes_the_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "deep" / "card.md"
    write_text_atomic(target, "# card\n")
    assert target.read_text() == "# card\n"


def test_is_local_tells_a_disk_from_an_object_store() -> None:
    assert is_local(fsspec.filesystem("file"))
    assert not is_local(fsspec.filesystem("memory"))
