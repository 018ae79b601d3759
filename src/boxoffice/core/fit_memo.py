"""Tree fits remembered by what they were fitted on, within a scope.

The recipe fits the same trees on the same rows many times: the search's rolling-origin fold
of a year is also the calibration's fit of that year, and the backtest's folds share most of
their searches' folds (the fold of 2015 scores candidates for every later start year). A fit
is a pure function of its settings and its data (seeded, no early stopping), so inside a scope
each one is done once and handed back to every later caller: the same trees, the same bytes.

A scope is in memory (one recipe run) or a directory that processes share (the evaluate
stage's backtest folds). Outside a scope nothing is remembered. A store that fails (a full
disk) is skipped: the memo saves time, it is never needed for a result.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

Fit = Callable[[Any, Any, np.ndarray], Any]


def fit_key(trees: Any, matrix: np.ndarray, y: np.ndarray) -> str:
    """What decides a fit: the library's version, the estimator's class and settings, and
    the exact rows and targets (dtype, shape and bytes)."""
    digest = hashlib.sha256()
    settings = sorted(trees.get_params(deep=False).items())
    digest.update(f"{sklearn.__version__}|{type(trees).__qualname__}|{settings!r}".encode())
    for array in (matrix, y):
        data = np.ascontiguousarray(array)
        digest.update(f"|{data.dtype.str}{data.shape}|".encode())
        digest.update(data.tobytes())
    return digest.hexdigest()


class FitMemo:
    """Fitted estimators by :func:`fit_key`: held in memory, or in ``directory`` when
    processes share the memo (each fit written once, under a temporary name then renamed)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._held: dict[str, Any] = {}
        self.fitted = 0
        self.reused = 0

    def fit(self, trees: Any, matrix: np.ndarray, y: np.ndarray, fit: Fit) -> Any:
        key = fit_key(trees, matrix, y)
        where = self.directory
        found = self._held.get(key) if where is None else _load(where / f"{key}.joblib")
        if found is not None:
            self.reused += 1
            return found
        found = fit(trees, matrix, y)
        self.fitted += 1
        if where is None:
            self._held[key] = found
        else:
            _store(where / f"{key}.joblib", found)
        return found


def _load(path: Path) -> Any:
    # Written by a memo of this run, in a directory the run created for it.
    return joblib.load(path) if path.exists() else None


def _store(path: Path, fitted: Any) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(handle)
    try:
        joblib.dump(fitted, tmp)
        Path(tmp).replace(path)  # readers see a whole file or none
    except OSError as exc:  # a full disk: the next caller fits again, nothing is lost
        Path(tmp).unlink(missing_ok=True)
        print(f"[fit-memo] not kept ({exc}); fitting again when asked", file=sys.stderr)


_active: FitMemo | None = None
SWITCH = "BOXOFFICE_FIT_MEMO"


def enabled() -> bool:
    """Off with ``BOXOFFICE_FIT_MEMO=0`` (worker processes inherit it): the baseline that
    bench/pipeline.py measures, and a way to rule the memo out when a fit looks wrong."""
    return os.environ.get(SWITCH, "1") != "0"


@contextlib.contextmanager
def remembered_fits(directory: Path | None = None) -> Iterator[FitMemo]:
    """Remember fits until the block ends. Inside another scope, that scope is used (the
    outer one reaches farther: a stage's shared directory outlives each recipe run)."""
    global _active
    if _active is not None:
        yield _active
        return
    if not enabled():  # a memo that is not active: every fit is done
        yield FitMemo(directory)
        return
    _active = FitMemo(directory)
    try:
        yield _active
    finally:
        _active = None


@contextlib.contextmanager
def shared_fits() -> Iterator[FitMemo]:
    """Remember fits in a temporary directory that worker processes join (see ``join``);
    the directory and every fit in it are gone when the block ends."""
    with (
        tempfile.TemporaryDirectory(prefix="boxoffice-fits-") as tmp,
        remembered_fits(Path(tmp)) as memo,
    ):
        yield memo


def join(directory: Path | None) -> None:
    """A worker process's start: share its parent's directory memo for the process's life."""
    global _active
    _active = FitMemo(directory) if directory is not None else None


def shared_directory() -> Path | None:
    """The active memo's directory, for worker processes to join (None: nothing to share)."""
    return _active.directory if _active is not None else None


def fit_once(trees: Any, matrix: np.ndarray, y: np.ndarray, fit: Fit) -> Any:
    """``fit(trees, matrix, y)``, or the same fit done earlier in the active scope."""
    if _active is None:
        return fit(trees, matrix, y)
    return _active.fit(trees, matrix, y, fit)
