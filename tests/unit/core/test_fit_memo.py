"""Tree fits remembered within a scope: the same settings on the same rows are fitted once,
anything else is fitted again, and nothing is remembered outside a scope."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from boxoffice.core import fit_memo
from boxoffice.core.fit_memo import FitMemo, fit_key, fit_once, remembered_fits


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(200, 3)).astype(np.float32)
    return matrix, matrix[:, 0] * 2.0 + rng.normal(0, 0.1, 200)


def _trees(**settings: Any) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(max_iter=10, random_state=0, **settings)


class Counting:
    """A fit function that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, trees: Any, matrix: np.ndarray, y: np.ndarray) -> Any:
        self.calls += 1
        return trees.fit(matrix, y)


def test_the_key_follows_settings_rows_targets_and_dtype() -> None:
    matrix, y = _data()
    key = fit_key(_trees(), matrix, y)
    assert key == fit_key(_trees(), matrix.copy(), y.copy())
    assert key != fit_key(_trees(learning_rate=0.2), matrix, y)
    assert key != fit_key(_trees(), matrix[:-1], y[:-1])
    assert key != fit_key(_trees(), matrix, y + 1e-9)
    assert key != fit_key(_trees(), matrix.astype(np.float64), y)
    assert key != fit_key(_trees(), matrix[:, [1, 0, 2]], y)


def test_a_fit_is_done_once_in_a_scope_and_again_outside_it() -> None:
    matrix, y = _data()
    fit = Counting()
    with remembered_fits() as memo:
        first = fit_once(_trees(), matrix, y, fit)
        again = fit_once(_trees(), matrix, y, fit)
        other = fit_once(_trees(max_leaf_nodes=7), matrix, y, fit)
    assert again is first and other is not first
    assert (fit.calls, memo.fitted, memo.reused) == (2, 2, 1)
    fit_once(_trees(), matrix, y, fit)  # no scope: fitted again, nothing kept
    assert fit.calls == 3 and fit_memo.shared_directory() is None


def test_an_inner_scope_uses_the_outer_one(tmp_path: Path) -> None:
    with remembered_fits(tmp_path) as outer, remembered_fits() as inner:
        assert inner is outer and fit_memo.shared_directory() == tmp_path


def test_a_directory_memo_is_shared_by_memos_that_join_it(tmp_path: Path) -> None:
    """What a worker process does: another memo on the same directory reads the fit."""
    matrix, y = _data()
    fit = Counting()
    fitted = FitMemo(tmp_path).fit(_trees(), matrix, y, fit)
    fit_memo.join(tmp_path)
    try:
        found = fit_once(_trees(), matrix, y, fit)
    finally:
        fit_memo.join(None)
    assert fit.calls == 1 and found is not fitted
    assert np.array_equal(found.predict(matrix), fitted.predict(matrix))
    assert [p.suffix for p in tmp_path.iterdir()] == [".joblib"]


def test_a_store_that_fails_loses_nothing_and_leaves_no_part_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full_disk(*_: Any, **__: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    matrix, y = _data()
    fit = Counting()
    memo = FitMemo(tmp_path)
    monkeypatch.setattr(fit_memo.joblib, "dump", full_disk)
    fitted = memo.fit(_trees(), matrix, y, fit)
    memo.fit(_trees(), matrix, y, fit)
    assert fit.calls == 2 and fitted.n_iter_ == 10  # fitted again: no result depends on the memo
    assert list(tmp_path.iterdir()) == []
    assert "No space left on device" in capsys.readouterr().err


def test_the_switch_turns_every_scope_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fit_memo.SWITCH, "0")
    matrix, y = _data()
    fit = Counting()
    with remembered_fits(tmp_path):
        fit_once(_trees(), matrix, y, fit)
        fit_once(_trees(), matrix, y, fit)
        assert fit_memo.shared_directory() is None  # workers get nothing to join
    assert fit.calls == 2 and list(tmp_path.iterdir()) == []


def test_shared_fits_live_in_a_directory_that_is_gone_after_the_block() -> None:
    matrix, y = _data()
    with fit_memo.shared_fits() as memo:
        assert memo.directory is not None and fit_memo.shared_directory() == memo.directory
        fit_once(_trees(), matrix, y, Counting())
        assert len(list(memo.directory.glob("*.joblib"))) == 1
    assert not memo.directory.exists() and fit_memo.shared_directory() is None
