"""Typed pipeline parameters, loaded from ``params.yaml``.

The feature schema lives here once; validation, training, the exported signature and the
API's request model are all derived from it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, model_validator

from boxoffice.core.data_params import FEEDBACK_SOURCE, DataParams
from boxoffice.core.stable_model import StableModel

# The default profile, declared once: its route is /v1/prediction, its aliases are plain
# ``production``/``candidate`` and a stage run without --profile trains it.
DEFAULT_PROFILE = "pre_release"

__all__ = ["DataParams", "FeatureSpec", "Params", "Rule", "SchemaSpec", "load_params"]

DatePart = Literal["year", "month", "day_of_week", "day_of_year", "quarter"]
# When a feature becomes known: before the film opens, or only once it has been out.
Availability = Literal["pre_release", "post_release"]
_FIELD_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(StableModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureSpec(_Strict):
    column: str = Field(description="Column name in the raw data.")
    field: str = Field(description="snake_case name used by the model and the API.")
    kind: Literal["numeric", "categorical", "date"]
    required: bool = False
    description: str = ""
    example: Any = None
    format: str | None = Field(default=None, description="strptime format of a raw date column.")
    parts: list[DatePart] = Field(default_factory=lambda: list[DatePart](["year", "month"]))
    monotone: Literal["increasing", "decreasing"] | None = Field(
        default=None, description="Constrain the model's response to this numeric feature."
    )
    available: Availability = Field(
        default="pre_release", description="When the value becomes known."
    )
    dollars: bool = Field(
        default=False, description="A nominal US-dollar amount: deflated to constant dollars."
    )

    @model_validator(mode="after")
    def _check(self) -> FeatureSpec:
        if not _FIELD_RE.match(self.field):
            raise ValueError(f"feature field {self.field!r} must be snake_case")
        if self.monotone and self.kind != "numeric":
            raise ValueError(f"feature {self.field!r}: only numeric features can be monotone")
        if self.dollars and self.kind != "numeric":
            raise ValueError(f"feature {self.field!r}: only numeric features can be dollars")
        if self.kind == "date" and not self.parts:
            raise ValueError(f"date feature {self.field!r} needs at least one part")
        return self


class TargetSpec(_Strict):
    column: str
    field: str = "target"


class SchemaSpec(_Strict):
    id_columns: list[str]
    target: TargetSpec
    exclude: list[str] = Field(default_factory=list)
    features: list[FeatureSpec]

    @model_validator(mode="after")
    def _check(self) -> SchemaSpec:
        fields = [f.field for f in self.features]
        if len(set(fields)) != len(fields):
            raise ValueError("feature fields must be unique")
        leaked = {f.column for f in self.features} & ({self.target.column} | set(self.exclude))
        if leaked:
            raise ValueError(f"columns {sorted(leaked)} are the target or excluded, not features")
        return self

    def required_columns(self) -> list[str]:
        cols = [*self.id_columns, self.target.column, *(f.column for f in self.features)]
        return list(dict.fromkeys(cols))


class Rule(_Strict):
    name: str
    # pattern: a text cell matching the regex breaks it; not_month_day: a date on one of
    # ``values`` ("MM-DD", e.g. "01-01" placeholders) breaks it.
    check: Literal["not_null", "range", "allowed", "unique", "pattern", "not_month_day"]
    column: str | None = None
    columns: list[str] | None = None
    min: float | str | None = None
    max: float | str | None = None
    values: list[str] | None = None
    pattern: str | None = None
    # The sources the rule applies to (all when absent): each source is checked on its own.
    sources: list[str] | None = None
    # quarantine: the row leaves the data; blank: only the cell is emptied (counted).
    action: Literal["quarantine", "blank"] = "quarantine"

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.check == "unique":
            if not self.columns:
                raise ValueError(f"rule {self.name}: 'unique' needs 'columns'")
        elif not self.column:
            raise ValueError(f"rule {self.name}: '{self.check}' needs 'column'")
        if self.check == "range" and self.min is None and self.max is None:
            raise ValueError(f"rule {self.name}: 'range' needs 'min' or 'max'")
        if self.check in ("allowed", "not_month_day") and not self.values:
            raise ValueError(f"rule {self.name}: '{self.check}' needs 'values'")
        if self.check == "pattern":
            if not self.pattern:
                raise ValueError(f"rule {self.name}: 'pattern' needs 'pattern'")
            re.compile(self.pattern)
        if self.action == "blank" and self.check == "unique":
            raise ValueError(f"rule {self.name}: a 'unique' rule cannot blank a cell")
        return self

    def applies_to(self, source: str | None) -> bool:
        return self.sources is None or source is None or source in self.sources

    def targets(self) -> list[str]:
        return list(self.columns or []) if self.check == "unique" else [str(self.column)]


class ValidationParams(_Strict):
    max_unparseable_fraction: float = Field(default=0.05, ge=0, le=1)
    min_rows: int = Field(default=50, ge=1)
    rules: list[Rule] = Field(default_factory=list)


class SplitParams(_Strict):
    holdout_fraction: float = Field(default=0.2, gt=0, lt=1)
    seed: int = 0


class SearchParams(_Strict):
    # The candidate count alone bounds the search, so a commit trains the same model on any
    # machine; the time limit only fails the stage loudly, it never shrinks the search.
    max_candidates: int = Field(default=16, ge=1)
    max_seconds: float | None = Field(default=None, gt=0)
    space: dict[str, list[Any]]


class TrainParams(_Strict):
    seed: int = 42
    # Rolling-origin validation inside the training data: each of the last ``cv_folds``
    # release years is predicted from the films released before it.
    cv_folds: int = Field(default=3, ge=1)
    interval_level: float = Field(default=0.8, gt=0, lt=1)
    ensemble_size: int = Field(default=1, ge=1, description="Average the best N candidates.")
    category_smoothing: float = Field(default=5.0, ge=0)
    category_min_count: int = Field(default=2, ge=1)
    # Optional fields hidden at random in extra copies of the training rows: "not sent" then
    # means "unknown", not "obscure film", and the trees are regularised by it.
    mask_rate: float = Field(default=0.3, ge=0, lt=1)
    mask_copies: int = Field(default=2, ge=0)
    # Reduced trees: the ensemble refitted on the films as they are, with the optional fields
    # outside the set most films of the last ``reduced_years`` years carry held constant; a
    # request that sends exactly that set gets them (0: none).
    reduced_years: int = Field(default=0, ge=0)
    # ... with this many of the ensemble's members, the search's best first (0: all of them).
    reduced_members: int = Field(default=0, ge=0)
    # Intervals are calibrated on the latest release years (each predicted from the films
    # before it), per number of optional fields sent (bucket lower bounds).
    calibration_years: int = Field(default=3, ge=1)
    interval_buckets: list[int] = Field(default_factory=lambda: [0, 1, 4])
    # ... and optionally per band of the required dollar amount (the budget, constant
    # dollars; lower bounds, the first 0; one band: off).
    interval_bands: list[float] = Field(default_factory=lambda: [0.0])
    # ... and widened per horizon band (years after the last training film; lower bounds,
    # the first 1), by how much farther releases were missed in ``horizon_fits`` older
    # out-of-time fits (0: no horizon bands).
    horizon_bands: list[int] = Field(default_factory=lambda: [1])
    horizon_fits: int = Field(default=0, ge=0)
    # Adaptive intervals: two quantile models of this many trees predict each film's own
    # width, and the conformal offsets are calibrated in units of it (0: one width per cell).
    width_trees: int = Field(default=0, ge=0)
    search: SearchParams

    @model_validator(mode="after")
    def _lower_bounds(self) -> TrainParams:
        for name in ("interval_buckets", "interval_bands"):
            _check_lower_bounds(f"train.{name}", getattr(self, name), 0)
        _check_lower_bounds("train.horizon_bands", self.horizon_bands, 1)
        return self


def _check_lower_bounds(name: str, edges: list[Any], first: int) -> None:
    if not edges or edges[0] != first or sorted(set(edges)) != list(edges):
        raise ValueError(f"{name} must be ascending lower bounds starting at {first}")


class EvaluateParams(_Strict):
    permutation_repeats: int = Field(default=5, ge=1)
    # The headline: each of the last ``backtest_years`` release years predicted by the
    # training recipe fitted on every film released before it.
    backtest_years: int = Field(default=5, ge=1)
    # Older fits whose predictions reach up to ``dollars.max_years_ahead`` years after their
    # last training film: with the headline's, every horizon is measured at once.
    horizon_fits: int = Field(default=0, ge=0)
    # The report's cells, fixed whatever the recipe calibrates on: with train's buckets and
    # bands a pooled calibration reported one "0+" cell, and two models calibrated apart were
    # reported on two grids. Lower bounds: optional fields sent (from 0), horizon years (from 1).
    cells_sent: list[int] = Field(default_factory=lambda: [0, 1, 4])
    cells_horizon: list[int] = Field(default_factory=lambda: [1, 4, 7])

    @model_validator(mode="after")
    def _cell_bounds(self) -> EvaluateParams:
        for name, first in (("cells_sent", 0), ("cells_horizon", 1)):
            _check_lower_bounds(f"evaluate.{name}", getattr(self, name), first)
        return self


class DollarParams(_Strict):
    """Constant dollars: amounts are deflated to ``base_year`` with the CPI-U annual average."""

    cpi_table: str = "data/reference/cpi_u_annual.csv"
    base_year: int = 2010
    # Years past the table grow at this yearly rate (the 1990-2025 CPI-U average is ~2.6%).
    extrapolate_rate: float = Field(default=0.026, ge=0, lt=1)
    # Forecasts are refused for releases this many years past the data's last film.
    max_years_ahead: int = Field(default=5, ge=0)


class HistoryParams(_Strict):
    """As-of track records: per value of a categorical field, earlier films' count and mean."""

    fields: list[str] = Field(default_factory=list)


class ProfileParams(_Strict):
    available: list[Availability]
    route: str = Field(
        description="Path of the API route that serves this profile (its batch route is the"
        " same path + 's').",
        pattern=r"^/v1(/[a-z0-9_-]+)*/prediction$",
    )


def builtin_profiles() -> dict[str, ProfileParams]:
    """The profiles when params.yaml names none (and a server's without a params file)."""
    return {
        DEFAULT_PROFILE: ProfileParams(available=["pre_release"], route="/v1/prediction"),
        "retrospective": ProfileParams(
            available=["pre_release", "post_release"], route="/v1/retrospective/prediction"
        ),
    }


class GateParams(_Strict):
    """Thresholds of the promotion gate (candidate vs production on the frozen holdout)."""

    mae_log_tolerance: float = Field(default=0.01, ge=0)
    coverage_band: tuple[float, float] = (0.75, 0.85)
    first_model_max_mae_log: float = Field(default=1.0, gt=0)
    # The latency budget: measured in-process on the holdout, ONNX Runtime on one thread.
    max_single_row_p99_ms: float = Field(default=20.0, gt=0)
    min_batch_rows_per_s: float = Field(default=5_000.0, gt=0)


class DriftParams(_Strict):
    """Drift tests as Evidently's defaults: statistical tests on small samples, distances above."""

    large_sample: int = Field(default=1000, ge=1)
    alpha: float = Field(default=0.01, gt=0, lt=1)
    distance_threshold: float = Field(default=0.1, gt=0)
    share_threshold: float = Field(default=0.15, gt=0, le=1)
    min_rows: int = Field(default=30, ge=1)
    # A verdict needs this share of the features tested: "100% drifted" once meant 4 of the
    # 4 of 9 features with enough values, the other 5 unknown.
    min_tested_share: float = Field(default=0.5, gt=0, le=1)


class Params(_Strict):
    data: DataParams
    feature_schema: SchemaSpec = Field(alias="schema")
    validation: ValidationParams
    split: SplitParams
    train: TrainParams
    evaluate: EvaluateParams = EvaluateParams()
    dollars: DollarParams = DollarParams()
    history: HistoryParams = HistoryParams()
    profiles: dict[str, ProfileParams] = Field(default_factory=lambda: builtin_profiles())
    serve_profile: str = DEFAULT_PROFILE
    gate: GateParams = GateParams()
    drift: DriftParams = DriftParams()

    @model_validator(mode="after")
    def _rules_name_known_columns(self) -> Params:
        known = set(self.feature_schema.required_columns())
        for rule in self.validation.rules:
            unknown = [c for c in rule.targets() if c not in known]
            if unknown:
                raise ValueError(f"rule {rule.name} names columns {unknown} absent from the schema")
        categorical = {f.field for f in self.feature_schema.features if f.kind == "categorical"}
        for name in self.history.fields:
            if name not in categorical:
                raise ValueError(f"history field {name!r} is not a categorical feature")
        names = {s.name for s in self.data.sources} | {FEEDBACK_SOURCE}
        for rule in self.validation.rules:
            if rule.sources and set(rule.sources) - names:
                raise ValueError(f"rule {rule.name} names unknown sources {rule.sources}")
        required = set(self.feature_schema.id_columns) | {self.feature_schema.target.column}
        required |= {f.column for f in self.feature_schema.features if f.required}
        for source in self.data.sources:
            if set(source.lacks) & required:
                raise ValueError(
                    f"source {source.name} cannot lack required columns"
                    f" {sorted(set(source.lacks) & required)}"
                )
        if self.serve_profile not in self.profiles:
            raise ValueError(f"serve_profile {self.serve_profile!r} is not among profiles")
        return self

    def profile_features(self, profile: str) -> list[FeatureSpec]:
        """The features a profile's model takes (those known by the profile's time)."""
        if profile not in self.profiles:
            raise ValueError(f"unknown profile {profile!r}; known: {sorted(self.profiles)}")
        allowed = set(self.profiles[profile].available)
        return [f for f in self.feature_schema.features if f.available in allowed]


def read_settings(path: str | Path) -> dict[str, Any]:
    """``params.yaml`` as written (lineage records it so); raises ``OSError`` when it cannot
    be read and ``ValueError`` when it is no YAML (naming the line) or no mapping."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:  # its own class: callers catch ValueError for bad params
        raise ValueError(f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):  # an empty file is None: pydantic's dump said "input_value"
        held = "nothing" if raw is None else f"a {type(raw).__name__}"
        raise ValueError(f"no settings: the file holds {held}, not a mapping of them")
    return raw


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate ``params.yaml``: :func:`read_settings`'s errors, or a
    ``pydantic.ValidationError`` (a ValueError too) naming the key."""
    return Params.model_validate(read_settings(path))
