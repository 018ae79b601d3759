"""Alias moves are a compare-and-set on the local folder, S3 (moto's server) and GCS (the
emulator, taught GCS's 412): of two promotions that read the same production, one wins and
the other is told production changed; the history never holds a version that never served."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest

from boxoffice.core.digest import sha256_bytes
from boxoffice.core.signature import Interval, Signature
from boxoffice.lifecycle.registry import AliasChangedError, Registry

SIGNATURE = Signature(target="y", inputs=[], interval=Interval(level=0.8, low=-1.0, high=1.0))


def _artifact(dest: Path, seed: int) -> Path:
    dest.mkdir(parents=True)
    blobs = {
        "model.onnx": f"model {seed}".encode(),
        "signature.json": SIGNATURE.model_dump_json().encode(),
    }
    for name, data in blobs.items():
        (dest / name).write_bytes(data)
    checksums = {n: sha256_bytes(b) for n, b in blobs.items()}
    (dest / "checksums.json").write_text(str(checksums).replace("'", '"'))
    return dest


@pytest.fixture(params=["local", "s3_lake", "gcs_lake"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Registry:
    if request.param == "local":
        return Registry(str(tmp_path / "registry"))
    root = request.getfixturevalue(request.param)
    return Registry(f"{root}/registry-{uuid.uuid4().hex[:8]}")  # a fresh one per test


def _versions(registry: Registry, tmp_path: Path, n: int) -> list[str]:
    return [registry.register(_artifact(tmp_path / f"a{i}", i)) for i in range(n)]


def test_of_two_promotions_from_the_same_production_one_wins(
    registry: Registry, tmp_path: Path
) -> None:
    a, b, c = _versions(registry, tmp_path, 3)
    registry.set_alias("production", a, "first")
    seen = registry.state("production")  # both promoters gated against a
    registry.set_alias("production", b, "winner", expect=seen)
    with pytest.raises(AliasChangedError, match=f"it was {a} and is now {b}"):
        registry.set_alias("production", c, "loser", expect=seen)
    assert [m.version for m in registry.history("production")] == [a, b]
    assert registry.resolve("production") == b
    assert registry.rollback().version == a  # back to what served, never to the loser


def test_a_rollback_loses_to_a_promotion_that_landed_first(
    registry: Registry, tmp_path: Path
) -> None:
    a, b, c = _versions(registry, tmp_path, 3)
    for version in (a, b):
        registry.set_alias("production", version, "setup")
    stale = registry.state("production")
    registry.set_alias("production", c, "promotion", expect=stale)
    with pytest.raises(AliasChangedError):
        registry.set_alias(
            "production", a, "rollback as read before", kind="rollback", expect=stale
        )
    assert registry.resolve("production") == c


def test_racing_compare_and_sets_have_exactly_one_winner(
    registry: Registry, tmp_path: Path
) -> None:
    versions = _versions(registry, tmp_path, 5)
    seen = registry.state("production")  # unset: every racer expects a first move
    won: list[str] = []
    lost: list[str] = []

    def race(version: str) -> None:
        try:
            registry.set_alias("production", version, "race", expect=seen)
            won.append(version)
        except AliasChangedError:
            lost.append(version)

    threads = [threading.Thread(target=race, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == 4
    assert [m.version for m in registry.history("production")] == won


def test_moves_without_an_expectation_are_all_kept(registry: Registry, tmp_path: Path) -> None:
    versions = _versions(registry, tmp_path, 4)
    threads = [
        threading.Thread(target=registry.set_alias, args=("candidate", v, "race")) for v in versions
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(m.version for m in registry.history("candidate")) == sorted(versions)
