"""The boxoffice estimator: shared encoding + gradient-boosted trees on the log target,
with split-conformal prediction intervals. Training-side only (scikit-learn)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor, VotingRegressor
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from boxoffice.features import encode, fit_categories
from boxoffice.params import FeatureSpec
from boxoffice.signature import InputField, Interval, Signature

FloatArray = npt.NDArray[np.float64]


def conformal_offsets(residuals: FloatArray, level: float) -> tuple[float, float]:
    """Signed residual quantiles with the finite-sample correction of split conformal."""
    n = len(residuals)
    alpha = 1.0 - level
    upper_q = min(1.0, np.ceil((n + 1) * (1 - alpha / 2)) / n)
    lower_q = max(0.0, np.floor((n + 1) * (alpha / 2)) / n)
    low = float(np.quantile(residuals, lower_q, method="lower"))
    high = float(np.quantile(residuals, upper_q, method="higher"))
    return low, high


def frame_columns(frame: pd.DataFrame) -> dict[str, Any]:
    return {c: frame[c].to_numpy() for c in frame.columns}


class BoxOfficeRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Predicts log worldwide gross from raw feature columns named by field."""

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
        category_smoothing: float = 10.0,
        category_min_count: int = 3,
        interval_level: float = 0.8,
        calibration_folds: int = 5,
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
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.ensemble = ensemble

    def _signature(self, X: pd.DataFrame, y: FloatArray) -> Signature:
        inputs = []
        for spec in self.features:
            categories = None
            if spec.kind == "categorical":
                categories = fit_categories(
                    X[spec.field].to_numpy(),
                    y,
                    smoothing=self.category_smoothing,
                    min_count=self.category_min_count,
                )
            inputs.append(InputField.from_spec(spec, categories))
        interval = Interval(level=self.interval_level, low=0.0, high=0.0)
        return Signature(target=self.target, inputs=inputs, interval=interval)

    def _monotonic_cst(self, signature: Signature) -> list[int]:
        sign = {"increasing": 1, "decreasing": -1}
        by_field = {s.field: sign.get(s.monotone or "", 0) for s in self.features}
        return [
            by_field[item.field] if item.kind == "numeric" else 0
            for item in signature.inputs
            for _ in item.model_columns()
        ]

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

    def _fit_trees(self, signature: Signature, matrix: Any, y: FloatArray) -> Any:
        """One tree model, or the average of one per ``ensemble`` entry (an ONNX Sum node)."""
        if not self.ensemble:
            return self._trees(signature).fit(matrix, y)
        members = [self._trees(signature, **over).fit(matrix, y) for over in self.ensemble]
        average = VotingRegressor([(f"m{i}", m) for i, m in enumerate(members)])
        # Members are fitted above; VotingRegressor only averages them (and converts to ONNX).
        average.estimators_ = members
        return average

    def fit(self, X: pd.DataFrame, y: Any) -> BoxOfficeRegressor:
        if not self.features:
            raise ValueError("BoxOfficeRegressor needs at least one feature spec")
        y_arr = np.asarray(y, dtype=np.float64)
        missing = [s.field for s in self.features if s.field not in X.columns]
        if missing:
            raise ValueError(f"training frame lacks feature fields {missing}")
        self.feature_names_in_ = np.array([s.field for s in self.features], dtype=object)
        signature = self._signature(X, y_arr)
        self.model_ = self._fit_trees(signature, encode(signature, frame_columns(X)), y_arr)
        if self.calibration_folds >= 2:
            low, high = conformal_offsets(self._oof_residuals(X, y_arr), self.interval_level)
            interval = Interval(level=self.interval_level, low=low, high=high)
            signature = signature.model_copy(update={"interval": interval})
        self.signature_ = signature
        self.fitted_at_ = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return self

    def _oof_residuals(self, X: pd.DataFrame, y: FloatArray) -> FloatArray:
        """Out-of-fold residuals of the same recipe: calibration data the model never saw."""
        residuals = np.empty_like(y)
        folds = KFold(self.calibration_folds, shuffle=True, random_state=self.random_state)
        for fit_idx, cal_idx in folds.split(X):
            member = clone(self).set_params(calibration_folds=0)
            member.fit(X.iloc[fit_idx], y[fit_idx])
            residuals[cal_idx] = y[cal_idx] - member.predict(X.iloc[cal_idx])
        return residuals

    def encode(self, X: pd.DataFrame) -> npt.NDArray[np.float32]:
        check_is_fitted(self, "model_")
        unknown = sorted(set(X.columns) - set(self.feature_names_in_))
        if unknown:
            raise ValueError(f"unknown feature fields {unknown}")
        return encode(self.signature_, frame_columns(X), n_rows=len(X))

    def predict(self, X: pd.DataFrame) -> FloatArray:
        """Point prediction of the log target."""
        matrix = self.encode(X)
        return np.asarray(self.model_.predict(matrix), dtype=np.float64)

    def predict_interval(self, X: pd.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(prediction, low, high) on the log scale."""
        pred = self.predict(X)
        return pred, pred + self.signature_.interval.low, pred + self.signature_.interval.high
