from __future__ import annotations

from pathlib import Path

import fsspec
import pytest

from boxoffice.core.digest import sha256_bytes
from boxoffice.core.layout import Layout
from boxoffice.core.params import DataParams
from boxoffice.lake.storage import HashMismatchError, SourceUnavailableError
from boxoffice.pipeline import ingest

DATA = b'[{"a": 1}]'


def test_ingest_local_file_writes_snapshot_and_meta(tmp_path: Path) -> None:
    src = tmp_path / "src.json"
    src.write_bytes(DATA)
    meta = ingest.ingest(
        DataParams(source=str(src), sha256=sha256_bytes(DATA)), Layout(tmp_path / "p")
    )
    (one,) = meta["sources"]
    assert one["verified"] is True
    assert (tmp_path / "p" / one["path"]).read_bytes() == DATA


def test_ingest_reads_any_fsspec_protocol(tmp_path: Path) -> None:
    with fsspec.open("memory://bucket/movies.json", "wb") as fh:
        fh.write(DATA)
    meta = ingest.ingest(DataParams(source="memory://bucket/movies.json"), Layout(tmp_path))
    assert meta["sources"][0]["sha256"] == sha256_bytes(DATA)
    assert meta["sources"][0]["verified"] is False


def test_ingest_hash_mismatch_names_rule(tmp_path: Path) -> None:
    src = tmp_path / "src.json"
    src.write_bytes(DATA)
    with pytest.raises(HashMismatchError, match="source_hash"):
        ingest.ingest(DataParams(source=str(src), sha256="0" * 64), Layout(tmp_path))
    assert not (tmp_path / "data" / "raw").exists()


def test_ingest_missing_source_is_clear(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError, match="cannot read"):
        ingest.ingest(DataParams(source=str(tmp_path / "nope.json")), Layout(tmp_path))


def test_ingest_empty_source_refused() -> None:
    with pytest.raises(HashMismatchError, match="not_empty"):
        ingest.snapshot(data=b"", source="x", expected_sha256=None)


def test_main_exit_code_one_on_failure(tmp_path: Path, project_raw: dict) -> None:
    import yaml

    raw = dict(project_raw)
    raw["data"] = {"source": str(tmp_path / "missing.json"), "format": "json"}
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw))
    assert ingest.main(["--params", str(params), "--root", str(tmp_path)]) == 1


def test_ingest_two_sources_writes_both_or_neither(tmp_path: Path) -> None:
    good, bad = tmp_path / "a.json", tmp_path / "b.csv"
    good.write_bytes(DATA)
    bad.write_bytes(b"x,y\n1,2\n")
    sources = [
        {"name": "a", "uri": str(good), "sha256": sha256_bytes(DATA)},
        {"name": "b", "uri": str(bad), "format": "csv", "sha256": "0" * 64},
    ]
    with pytest.raises(HashMismatchError, match=r"source_hash.*b\.csv"):
        ingest.ingest(DataParams(sources=sources), Layout(tmp_path / "p"))
    assert not (tmp_path / "p" / "data" / "raw").exists()  # the good one is not written either
    sources[1]["sha256"] = sha256_bytes(bad.read_bytes())
    meta = ingest.ingest(DataParams(sources=sources), Layout(tmp_path / "p"))
    assert [s["name"] for s in meta["sources"]] == ["a", "b"]
    assert (tmp_path / "p" / "data" / "raw" / "b.csv").exists()


def test_relative_source_paths_are_read_under_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "films.json").write_bytes(DATA)
    meta = ingest.ingest(DataParams(source="data/films.json"), Layout(tmp_path))
    assert meta["sources"][0]["sha256"] == sha256_bytes(DATA)
