"""The boxoffice estimator: shared encoding + gradient-boosted trees on the constant-dollar
log target, with split-conformal intervals calibrated on the latest films. Training only."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor, VotingRegressor
from sklearn.utils.validation import check_is_fitted

from boxoffice.core.dollars import Dollars, dollars_for
from boxoffice.core.features import EPOCH_YEAR, Encoder, date_parts, fit_categories, to_days
from boxoffice.core.fit_memo import fit_once
from boxoffice.core.history import as_of, history_columns, track_table
from boxoffice.core.intervals import Residuals, calibrate, widths
from boxoffice.core.params import DEFAULT_PROFILE, FeatureSpec, TrainParams
from boxoffice.core.signature import History, InputField, Interval, Signature

FloatArray = npt.NDArray[np.float64]
# The width models: small quantile models, fitted once on the final rows (never searched).
WIDTH_LEARNING_RATE = 0.05
WIDTH_LEAF_NODES = 15
WIDTH_MIN_SAMPLES_LEAF = 40


def _train_default(name: str) -> Any:
    """``TrainParams``' default for ``name``: the estimator's defaults come from the params, so
    an estimator built without them (tests, notebooks) encodes as the pipeline does."""
    return TrainParams.model_fields[name].default


def frame_columns(frame: pd.DataFrame) -> dict[str, Any]:
    return {c: frame[c].to_numpy() for c in frame.columns}


def release_years(frame: pd.DataFrame, date_field: str) -> FloatArray:
    return date_parts(to_days(frame[date_field].to_numpy()), ["year"])[0]


def hide(frame: pd.DataFrame, fields: list[str], rate: float, rng: np.random.Generator) -> Any:
    """A copy with each of ``fields`` blanked in a random ``rate`` of the rows."""
    out = frame.copy()
    for name in fields:
        out[name] = out[name].astype(object).where(rng.random(len(out)) >= rate, None)
    return out


class BoxOfficeRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Predicts log worldwide gross (nominal dollars of the release year) from raw fields."""

    # Long by scikit-learn's rule, and whole on purpose: __init__ stores each parameter as
    # given and nothing else (get_params and clone read this signature).
    def __init__(
        self,
        features: tuple[FeatureSpec, ...] = (),
        target: str = "target",
        learning_rate: float = 0.05,
        max_iter: int = 300,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 20,
        l2_regularization: float = 0.0,
        loss: str = "squared_error",
        category_smoothing: float = _train_default("category_smoothing"),
        category_min_count: int = _train_default("category_min_count"),
        interval_level: float = _train_default("interval_level"),
        calibration_years: int = _train_default("calibration_years"),
        interval_buckets: tuple[int, ...] = (0,),
        interval_bands: tuple[float, ...] = (0.0,),
        horizon_bands: tuple[int, ...] = (1,),
        horizon_fits: int = 0,
        width_trees: int = 0,
        mask_rate: float = 0.0,
        mask_copies: int = 0,
        reduced_years: int = 0,
        reduced_members: int = 0,
        history_fields: tuple[str, ...] = (),
        cpi: tuple[tuple[int, float], ...] = (),
        base_year: int = 2010,
        extrapolate_rate: float = 0.026,
        max_years_ahead: int = 5,
        profile: str = DEFAULT_PROFILE,
        random_state: int = 0,
        ensemble: tuple[dict[str, Any], ...] = (),
    ) -> None:
        self.features = features
        self.target = target
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.loss = loss
        self.category_smoothing = category_smoothing
        self.category_min_count = category_min_count
        self.interval_level = interval_level
        self.calibration_years = calibration_years
        self.interval_buckets = interval_buckets
        self.interval_bands = interval_bands
        self.horizon_bands = horizon_bands
        self.horizon_fits = horizon_fits
        self.width_trees = width_trees
        self.mask_rate = mask_rate
        self.mask_copies = mask_copies
        self.reduced_years = reduced_years
        self.reduced_members = reduced_members
        self.history_fields = history_fields
        self.cpi = cpi
        self.base_year = base_year
        self.extrapolate_rate = extrapolate_rate
        self.max_years_ahead = max_years_ahead
        self.profile = profile
        self.random_state = random_state
        self.ensemble = ensemble

    # -- the parts of fit -------------------------------------------------------------------
    def _date_field(self) -> str:
        return next(s.field for s in self.features if s.kind == "date")

    def _band_field(self) -> str | None:
        """The required dollar amount (the budget) whose size also picks interval offsets."""
        if len(self.interval_bands) < 2:
            return None
        return next(
            (s.field for s in self.features if s.required and s.dollars and s.kind == "numeric"),
            None,
        )

    def _dollars(self, years: FloatArray) -> Dollars | None:
        if not self.cpi:
            return None
        since = int(np.nanmin(years))
        return dollars_for(dict(self.cpi), self.base_year, self.extrapolate_rate, since)

    def _signature(self, X: pd.DataFrame, y_real: FloatArray, dollars: Dollars | None) -> Signature:
        inputs = []
        for spec in self.features:
            categories = None
            if spec.kind == "categorical":
                categories = fit_categories(
                    X[spec.field].to_numpy(),
                    y_real,
                    smoothing=self.category_smoothing,
                    min_count=self.category_min_count,
                )
            field = InputField.from_spec(spec, categories)
            if spec.kind == "numeric":
                seen = X[spec.field].to_numpy(dtype=np.float64)
                if spec.dollars and dollars is not None:  # the range the model learned from
                    seen = seen * np.exp(dollars.log_factor(release_years(X, self._date_field())))
                if not np.isnan(seen).all():
                    observed = (float(np.nanmin(seen)), float(np.nanmax(seen)))
                    field = field.model_copy(update={"observed": observed})
            inputs.append(field)
        history = [
            History(field=name, table=track_table(X[name].to_numpy(), y_real))
            for name in self.history_fields
        ]
        days = to_days(X[self._date_field()].to_numpy())
        last = days.max().astype("datetime64[Y]").astype(int) + EPOCH_YEAR
        return Signature(
            target=self.target,
            inputs=inputs,
            interval=Interval(level=self.interval_level, low=0.0, high=0.0),
            profile=self.profile,
            dollars=dollars,
            history=history,
            first_film=str(days.min()),
            last_film=str(days.max()),
            latest_accepted=f"{last + self.max_years_ahead}-12-31",
        )

    def _monotonic_cst(self, signature: Signature) -> list[int]:
        sign = {"increasing": 1, "decreasing": -1}
        by_field = {s.field: sign.get(s.monotone or "", 0) for s in self.features}
        cst = [
            by_field[item.field] if item.kind == "numeric" else 0
            for item in signature.inputs
            for _ in item.model_columns()
        ]
        return cst + [0] * (len(signature.model_columns()) - len(cst))

    def _trees(self, signature: Signature, **overrides: Any) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            monotonic_cst=self._monotonic_cst(signature),
            loss=self.loss,
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        ).set_params(**overrides)

    def _fit_trees(self, signature: Signature, matrix: Any, y: FloatArray, members: int = 0) -> Any:
        """One tree model, or the average of one per ``ensemble`` entry (the first ``members``
        of them, the search's best first; 0: all), merged into one ONNX tree node."""
        if not self.ensemble:
            return fit_once(self._trees(signature), matrix, y, _fit_here)
        chosen = self.ensemble[:members] if members else self.ensemble
        fitted = [fit_once(self._trees(signature, **over), matrix, y, _fit_here) for over in chosen]
        average = VotingRegressor([(f"m{i}", m) for i, m in enumerate(fitted)])
        # Members are fitted above; VotingRegressor only averages them (and converts to ONNX).
        average.estimators_ = fitted
        return average

    def _fit_width(self, matrix: Any, y: FloatArray) -> tuple[Any, ...]:
        """The quantile models at the interval's two ends (none without ``width_trees``):
        their gap is each row's width, the unit the conformal offsets are calibrated in."""
        if not self.width_trees:
            return ()
        tail = (1.0 - self.interval_level) / 2
        return tuple(
            fit_once(
                HistGradientBoostingRegressor(
                    loss="quantile",
                    quantile=quantile,
                    learning_rate=WIDTH_LEARNING_RATE,
                    max_iter=self.width_trees,
                    max_leaf_nodes=WIDTH_LEAF_NODES,
                    min_samples_leaf=WIDTH_MIN_SAMPLES_LEAF,
                    early_stopping=False,
                    random_state=self.random_state,
                ),
                matrix,
                y,
                _fit_here,
            )
            for quantile in (tail, 1.0 - tail)
        )

    def _reduced_fields(self, signature: Signature, X: pd.DataFrame) -> list[str] | None:
        """The optional fields the reduced trees take: the set most films of the last
        ``reduced_years`` release years carry (ties: the larger set, then field order)."""
        if not self.reduced_years:
            return None
        years = release_years(X, self._date_field())
        known = np.unique(years[~np.isnan(years)])
        latest = X[years >= known[-min(self.reduced_years, len(known))]]
        encoder = Encoder(signature)
        matrix = encoder(frame_columns(latest), n_rows=len(latest))
        sets, counts = np.unique(encoder.known(matrix), axis=0, return_counts=True)
        best = max(range(len(sets)), key=lambda i: (counts[i], sets[i].sum(), tuple(sets[i])))
        return [name for name, taken in zip(encoder.optional, sets[best], strict=True) if taken]

    def _training_matrix(
        self, encoder: Encoder, X: pd.DataFrame, y_real: FloatArray
    ) -> tuple[Any, FloatArray]:
        """The rows as they are, plus ``mask_copies`` copies with optional fields hidden."""
        columns = frame_columns(X)
        days = to_days(X[self._date_field()].to_numpy())
        for name in self.history_fields:  # as-of values: only films released before the row
            count, mean = as_of(X[name].to_numpy(), days, y_real)
            columns.update(dict(zip(history_columns(name), (count, mean), strict=True)))
        matrix = encoder(columns, n_rows=len(X))
        rng = np.random.default_rng(self.random_state)
        blocks, targets = [matrix], [y_real]
        for _ in range(self.mask_copies if self.mask_rate > 0 else 0):
            copy = matrix.copy()
            for name in encoder.optional:
                hidden = rng.random(len(copy)) < self.mask_rate
                copy[np.ix_(hidden, np.asarray(encoder.groups[name]))] = np.nan
            blocks.append(copy)
            targets.append(y_real)
        return np.vstack(blocks), np.concatenate(targets)

    def fit(self, X: pd.DataFrame, y: Any) -> BoxOfficeRegressor:
        if not self.features:
            raise ValueError("BoxOfficeRegressor needs at least one feature spec")
        missing = [s.field for s in self.features if s.field not in X.columns]
        if missing:
            raise ValueError(f"training frame lacks feature fields {missing}")
        y_log = np.asarray(y, dtype=np.float64)
        years = release_years(X, self._date_field())
        dollars = self._dollars(years)
        y_real = y_log + (dollars.log_factor(years) if dollars else 0.0)
        self.feature_names_in_ = np.array([s.field for s in self.features], dtype=object)
        signature = self._signature(X, y_real, dollars)
        if self.calibration_years >= 1:
            # Calibration fits clones of the recipe, never this model, so the final interval
            # is known before the trees are fitted and the encoder is built once, with it.
            interval = self._calibrate(X, y_log, years)
            signature = signature.model_copy(update={"interval": interval})
        reduced = self._reduced_fields(signature, X)
        signature = signature.model_copy(update={"reduced": reduced})
        self.signature_ = signature
        self.encoder_ = Encoder(signature)
        matrix, y_fit = self._training_matrix(self.encoder_, X, y_real)
        self.model_ = self._fit_trees(signature, matrix, y_fit)
        self.width_ = self._fit_width(matrix, y_fit)
        # The films as they are (no masked copies), the other optional fields held constant.
        self.reduced_ = (
            None
            if reduced is None
            else self._fit_trees(
                signature,
                self.encoder_.hold_unreduced(matrix[: len(X)]),
                y_real,
                members=self.reduced_members,
            )
        )
        return self

    # -- intervals ------------------------------------------------------------------------
    def _calibration_fits(self, years: FloatArray) -> list[tuple[float, bool]]:
        """(first test year, recent?) per calibration fit: each fit learns from the films
        released before its first test year and predicts every later year it reaches.

        Recent fits start at each of the last ``calibration_years`` years and are scored on
        that year (their residuals set the offsets); ``horizon_fits`` older ones start
        ``max_years_ahead`` years back, a year apart, and are scored on every year they reach
        (they measure how errors grow with the horizon)."""
        known = np.unique(years[~np.isnan(years)])
        recent = [(float(y), True) for y in known[-self.calibration_years :]]
        last = float(known[-1])
        older = [
            (last - self.max_years_ahead + 1 + k, False)
            for k in range(self.horizon_fits if len(self.horizon_bands) > 1 else 0)
        ]
        return recent + [o for o in older if o[0] > known[0]]

    def calibration_residuals(self, X: pd.DataFrame, y: FloatArray, years: FloatArray) -> Residuals:
        """Out-of-time residuals of the recipe, each fit on the films before its test years.

        Each test film is predicted as it is, with only the required fields, and with random
        optional fields hidden (what callers who send less get)."""
        fits = [
            (start, recent)
            for start, recent in self._calibration_fits(years)
            if (years < start).sum() >= 2 * self.min_samples_leaf
        ]
        parts: dict[str, list[Any]] = {k: [] for k in Residuals.__dataclass_fields__}
        for k, (start, recent) in enumerate(fits):
            chunk = _calibration_part(self, X, y, years, start, recent, k)
            for key, values in chunk.items():
                parts[key] += values
        if not parts["value"]:
            raise ValueError("too few films before the calibration years to calibrate intervals")
        return Residuals(**{k: np.concatenate(v) for k, v in parts.items()})

    def _calibrate(self, X: pd.DataFrame, y: FloatArray, years: FloatArray) -> Interval:
        return calibrate(
            self.calibration_residuals(X, y, years),
            level=self.interval_level,
            sent_edges=sorted(self.interval_buckets),
            band_edges=sorted(self.interval_bands),
            band_field=self._band_field(),
            horizon_edges=sorted(self.horizon_bands),
            scaled=self.width_trees > 0,
        )

    # -- prediction -----------------------------------------------------------------------
    def _columns(self, X: pd.DataFrame) -> dict[str, Any]:
        check_is_fitted(self, "model_")
        unknown = sorted(set(X.columns) - set(self.feature_names_in_))
        if unknown:
            raise ValueError(f"unknown feature fields {unknown}")
        return frame_columns(X)

    def encode(self, X: pd.DataFrame) -> npt.NDArray[np.float32]:
        matrix: npt.NDArray[np.float32] = self.encoder_(self._columns(X), n_rows=len(X))
        return matrix

    def predict(self, X: pd.DataFrame) -> FloatArray:
        """Point prediction of the log gross, in nominal dollars of each film's year (by the
        reduced trees for the films that send exactly their fields)."""
        columns = self._columns(X)
        matrix = self.encoder_(columns, len(X))
        real = np.asarray(self.model_.predict(matrix), dtype=np.float64)
        reduced = getattr(self, "reduced_", None)  # a model pickled before reduced trees: none
        if reduced is not None:
            rows = self.encoder_.reduced_rows(matrix)
            if rows.any():
                real[rows] = reduced.predict(matrix[rows])
        return real - self.encoder_.log_deflator(columns, len(X))

    def width(self, X: pd.DataFrame) -> FloatArray | None:
        """Each row's predicted width (log scale), None without width models."""
        models = getattr(self, "width_", ())  # a model pickled before width models: none
        if not models:
            return None
        matrix = self.encoder_(self._columns(X), len(X))
        low, high = (np.asarray(m.predict(matrix), dtype=np.float64) for m in models)
        return widths(high - low)

    def predict_interval(self, X: pd.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(prediction, low, high) on the log scale, offsets by the fields each row sends
        (and scaled by each row's predicted width when the model has width models)."""
        pred = self.predict(X)
        low, high = self.encoder_.interval_offsets(frame_columns(X), len(X))
        width = self.width(X)
        if width is not None:
            low, high = low * width, high * width
        return pred, pred + low, pred + high


def _calibration_part(
    model: BoxOfficeRegressor,
    X: pd.DataFrame,
    y: FloatArray,
    years: FloatArray,
    start: float,
    recent: bool,
    k: int,
) -> dict[str, list[Any]]:
    """One calibration fit's residuals, by field of ``Residuals``: a clone fitted on the films
    released before ``start``, scored on its test years (its own random hiding, seeded by
    ``k``: a fit's residuals do not depend on the fits before it)."""
    optional = [s.field for s in model.features if not s.required]
    band_field = model._band_field()
    rng = np.random.default_rng([model.random_state, k])
    parts: dict[str, list[Any]] = {key: [] for key in Residuals.__dataclass_fields__}
    before = years < start
    # A recent fit is scored on its own year only: each film counts once in the offsets.
    reach = start if recent else start + model.max_years_ahead - 1
    during = (years >= start) & (years <= reach)
    member = clone(model).set_params(calibration_years=0).fit(X[before], y[before])
    rows, last_year = X[during], float(np.nanmax(years[before]))
    variants = [rows, hide(rows, optional, 1.0, rng)]
    variants += [hide(rows, optional, 0.5, rng) for _ in range(3)]
    real = (
        rows[band_field].to_numpy(dtype=np.float64)
        * np.exp(member.encoder_.log_deflator(frame_columns(rows), len(rows)))
        if band_field
        else np.full(len(rows), np.nan)
    )
    for i, variant in enumerate(variants):
        width = member.width(variant)
        value = y[during] - member.predict(variant)
        parts["value"].append(value if width is None else value / width)
        parts["sent"].append(member.encoder_.sent(frame_columns(variant), len(variant)))
        parts["as_is"].append(np.full(len(variant), i == 0))
        parts["band"].append(real)
        parts["horizon"].append(years[during] - last_year)
        parts["recent"].append(np.full(len(variant), recent))
    return parts


def _fit_here(trees: HistGradientBoostingRegressor, matrix: Any, y: FloatArray) -> Any:
    """Fit, then forget the thread count the binner kept: it is this machine's core count,
    not part of the model (prediction reads neither it nor the binner), and it made
    model.joblib's bytes, and so dvc.lock, differ between machines with the same model."""
    trees.fit(matrix, y)
    trees._bin_mapper.n_threads = None
    return trees
