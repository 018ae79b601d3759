"""The single encoding path from raw feature values to the model's float32 matrix.

Training, evaluation, export and serving all encode through :class:`Encoder`, so
preprocessing cannot drift between them. Only numpy is used: serving builds no DataFrame per
request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from boxoffice.core.history import history_columns, look_up
from boxoffice.core.missing import is_missing
from boxoffice.core.signature import InputField, Signature

FloatMatrix = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]
Columns = Mapping[str, Sequence[Any] | npt.NDArray[Any]]

__all__ = [
    "EPOCH_YEAR",
    "Columns",
    "Encoder",
    "FloatMatrix",
    "calendar_parts",
    "date_parts",
    "fit_categories",
    "is_missing",
    "row_count",
    "to_days",
]

# numpy counts datetime64[Y] from 1970: ``days.astype("datetime64[Y]").astype(int)`` is the
# calendar year minus this.
EPOCH_YEAR = 1970


def row_count(columns: Columns, n_rows: int | None = None) -> int:
    """``n_rows`` when the caller knows it, else the length of the first column (0 for none)."""
    if n_rows is not None:
        return n_rows
    return len(next(iter(columns.values()))) if columns else 0


def _to_float(values: Sequence[Any] | npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(np.float64)
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):
        out[i] = np.nan if is_missing(value) else float(value)
    return out


def to_days(values: Sequence[Any] | npt.NDArray[Any]) -> npt.NDArray[np.datetime64]:
    """ISO dates (strings, ``date`` objects or datetime64; None for missing) as datetime64[D]."""
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[D]")
    return np.array(
        ["NaT" if is_missing(v) else str(v)[:10] for v in values], dtype="datetime64[D]"
    )


def date_parts(days: npt.NDArray[np.datetime64], parts: Sequence[str]) -> list[npt.NDArray[Any]]:
    """Calendar parts of datetime64[D] values; NaT becomes NaN."""
    missing = np.isnat(days)
    safe = np.where(missing, np.datetime64("1970-01-01"), days)

    def month() -> npt.NDArray[np.int64]:
        return safe.astype("datetime64[M]").astype(np.int64) % 12 + 1

    # Only the parts asked for: serving computes these on every request.
    table: dict[str, Callable[[], npt.NDArray[Any]]] = {
        "year": lambda: safe.astype("datetime64[Y]").astype(np.int64) + EPOCH_YEAR,
        "month": month,
        # 1970-01-01 was a Thursday; shift so Monday is 0 as in pandas.
        "day_of_week": lambda: (safe.astype(np.int64) + 3) % 7,
        "day_of_year": lambda: (safe - safe.astype("datetime64[Y]")).astype(np.int64) + 1,
        "quarter": lambda: (month() - 1) // 3 + 1,
    }
    return [np.where(missing, np.nan, table[p]().astype(np.float64)) for p in parts]


# Up to this many values, calendar parts are computed with ``datetime`` instead of numpy:
# each numpy call on a tiny array costs microseconds whatever its size, and date parsing was
# 8% of a loaded worker's CPU (bench/results/profile_under_load.md).
SMALL_BATCH = 8
_PART = {
    "year": lambda d: d.year,
    "month": lambda d: d.month,
    "day_of_week": lambda d: d.weekday(),  # Monday is 0, as date_parts
    "day_of_year": lambda d: d.timetuple().tm_yday,
    "quarter": lambda d: (d.month - 1) // 3 + 1,
}


def calendar_parts(
    values: Sequence[Any] | npt.NDArray[Any], parts: Sequence[str]
) -> list[npt.NDArray[Any]]:
    """Calendar parts of ISO dates (see :func:`to_days`), NaN for missing ones: the same
    numbers as ``date_parts(to_days(values), parts)``, for a request's few values without
    numpy's per-call cost."""
    if isinstance(values, np.ndarray) or len(values) > SMALL_BATCH:
        return date_parts(to_days(values), parts)
    try:
        days = [None if is_missing(v) else dt.date.fromisoformat(str(v)[:10]) for v in values]
    except ValueError:  # what numpy reads and datetime does not ("2009-12"): numpy decides
        return date_parts(to_days(values), parts)
    return [np.array([np.nan if d is None else float(_PART[p](d)) for d in days]) for p in parts]


def _codes(
    values: Sequence[Any] | npt.NDArray[Any], lookup: Mapping[str, float]
) -> npt.NDArray[Any]:
    # Unseen and rare categories encode as missing; the trees learned where missing goes.
    return np.array([np.nan if is_missing(v) else lookup.get(str(v), np.nan) for v in values])


class Encoder:
    """A signature's encoding with its look-ups built once (serving reuses it).

    Matrix columns: each input's model columns in order, then two per history field. A
    numeric ``dollars`` field is deflated to the signature's base year by the release year.
    """

    def __init__(self, signature: Signature) -> None:
        self.signature = signature
        self.inputs = signature.inputs
        self.lookups = {
            item.field: {c: float(i) for i, c in enumerate(item.categories or [])}
            for item in signature.inputs
            if item.kind == "categorical"
        }
        self.width = len(signature.model_columns())
        self.date_field = signature.date_field()
        self.optional = [item.field for item in signature.inputs if not item.required]
        self.groups = self._groups()
        last = signature.last_film
        self.last_year = float(last[:4]) if last else None
        # Each optional field's own first matrix column, and whether the reduced trees take it.
        self._own = np.array([self.groups[name][0] for name in self.optional], dtype=np.intp)
        # A signature pickled (inside model.joblib) before reduced trees has no such field.
        self.reduced: list[str] | None = getattr(signature, "reduced", None)
        self._pattern = np.array([name in (self.reduced or ()) for name in self.optional], bool)

    def known(self, matrix: FloatMatrix) -> npt.NDArray[np.bool_]:
        """Per row and optional field (in ``optional``'s order), whether the matrix carries a
        value: an unknown category encodes as missing, so it does not."""
        return np.asarray(~np.isnan(matrix[:, self._own]), dtype=bool)

    def reduced_rows(self, matrix: FloatMatrix) -> npt.NDArray[np.bool_]:
        """Rows for the reduced trees: every optional field they take is known, and no other
        optional field is."""
        if self.reduced is None:
            return np.zeros(len(matrix), dtype=bool)
        return np.asarray((self.known(matrix) == self._pattern).all(axis=1), dtype=bool)

    def hold_unreduced(self, matrix: FloatMatrix) -> FloatMatrix:
        """A copy whose columns of the optional fields the reduced trees do not take hold
        one constant, so no tree of theirs splits on them (all-missing columns cannot be
        binned). Training only: at prediction, those columns of a routed row are missing."""
        out = matrix.copy()
        for name, taken in zip(self.optional, self._pattern, strict=True):
            if not taken:
                out[:, self.groups[name]] = 0.0
        return out

    def _groups(self) -> dict[str, list[int]]:
        """Matrix columns fed by each input field (a history field feeds its own too)."""
        groups: dict[str, list[int]] = {}
        col = 0
        for item in self.inputs:
            width = len(item.model_columns())
            groups[item.field] = list(range(col, col + width))
            col += width
        for table in self.signature.history:
            groups[table.field] = [*groups.get(table.field, []), col, col + 1]
            col += 2
        return groups

    def years(self, columns: Columns, n_rows: int) -> npt.NDArray[np.float64]:
        values = columns.get(self.date_field) if self.date_field else None
        if values is None:
            return np.full(n_rows, np.nan)
        return calendar_parts(values, ["year"])[0]

    def log_deflator(self, columns: Columns, n_rows: int) -> npt.NDArray[np.float64]:
        """Per row, ``log(constant / nominal)`` dollars (zero without a dollars spec)."""
        dollars = self.signature.dollars
        if dollars is None:
            return np.zeros(n_rows)
        return dollars.log_factor(self.years(columns, n_rows))

    def band(
        self, columns: Columns, n_rows: int, log_deflator: FloatArray | None = None
    ) -> npt.NDArray[np.float64] | None:
        """Constant-dollar value of the interval's band field (None when it has none)."""
        name = self.signature.interval.band_field
        if name is None:
            return None
        values = columns.get(name)
        if values is None:
            return np.full(n_rows, np.nan)
        if log_deflator is None:
            log_deflator = self.log_deflator(columns, n_rows)
        return _to_float(values) * np.exp(log_deflator)

    def interval_offsets(
        self, columns: Columns, n_rows: int, log_deflator: FloatArray | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per-row (low, high) log offsets: by the fields each row sent, its band and its
        horizon (release year after the last training film's)."""
        return self.signature.interval.offsets(
            self.sent(columns, n_rows),
            self.band(columns, n_rows, log_deflator),
            self.horizon(columns, n_rows),
        )

    def horizon(self, columns: Columns, n_rows: int) -> npt.NDArray[np.float64] | None:
        """Years from the last training film's year to each row's release year (NaN when
        unknown); None when the interval has no horizon bands."""
        if self.last_year is None or len(self.signature.interval.horizons) < 2:
            return None
        return self.years(columns, n_rows) - self.last_year

    def field(self, item: InputField, values: Sequence[Any] | npt.NDArray[Any]) -> list[Any]:
        if item.kind == "numeric":
            return [_to_float(values)]
        if item.kind == "date":
            return calendar_parts(values, item.parts)
        return [_codes(values, self.lookups[item.field])]

    def sent(self, columns: Columns, n_rows: int) -> npt.NDArray[np.int64]:
        """How many optional fields each row carries (picks its interval bucket)."""
        # Plain ints, one array at the end: a numpy array per field costs more than the
        # counting itself for the one-row requests the API mostly gets.
        count = [0] * n_rows
        for name in self.optional:
            values = columns.get(name)
            if values is not None:
                for i, value in enumerate(values):
                    count[i] += not is_missing(value)
        return np.array(count, dtype=np.int64)

    def __call__(
        self,
        columns: Columns,
        n_rows: int | None = None,
        log_deflator: FloatArray | None = None,
    ) -> FloatMatrix:
        """Encode column-oriented raw values (keyed by field) into the float32 matrix.

        A field absent from ``columns`` is treated as all-missing. History columns are taken
        from ``columns`` when given (as-of values in training), else looked up. A caller that
        has the rows' ``log_deflator`` already passes it (the predictor needs it too).
        """
        n_rows = row_count(columns, n_rows)
        # float32 in training too, so the trees' thresholds see what ONNX Runtime sees.
        matrix = np.empty((n_rows, self.width), dtype=np.float32)
        deflate = None if log_deflator is None else np.exp(log_deflator)
        col = 0
        for item in self.inputs:
            values = columns.get(item.field)
            if values is None:
                values = [None] * n_rows
            for block in self.field(item, values):
                if item.dollars:
                    if deflate is None:
                        deflate = np.exp(self.log_deflator(columns, n_rows))
                    block = block * deflate
                matrix[:, col] = block
                col += 1
        for table in self.signature.history:
            names = history_columns(table.field)
            if names[0] in columns:
                blocks = [_to_float(columns[name]) for name in names]
            else:
                keys = columns.get(table.field)
                blocks = list(look_up([None] * n_rows if keys is None else keys, table.table))
            for block in blocks:
                matrix[:, col] = block
                col += 1
        return matrix


def fit_categories(
    values: Sequence[Any] | npt.NDArray[Any],
    y: npt.NDArray[np.float64],
    *,
    smoothing: float,
    min_count: int,
) -> list[str]:
    """Categories seen at least ``min_count`` times, ordered by smoothed mean target.

    Ordering by target lets a numeric split on the code separate categories the way a
    native categorical split would, while staying a plain threshold in the ONNX graph.
    """
    present = np.array([not is_missing(v) for v in values], dtype=bool)
    keys = np.array(
        [str(v) if p else "" for v, p in zip(values, present, strict=True)], dtype=object
    )
    if not present.any():
        return []
    names, inverse, counts = np.unique(keys[present], return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=y[present], minlength=len(names))
    prior = float(y[present].mean())
    means = (sums + smoothing * prior) / (counts + smoothing)
    keep = counts >= min_count
    order = sorted((float(m), str(n)) for n, m, k in zip(names, means, keep, strict=True) if k)
    return [name for _, name in order]
