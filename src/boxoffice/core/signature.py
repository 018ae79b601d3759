"""The serving contract of a model: its inputs, their encoding and its interval offsets.

Written by the export stage as ``signature.json`` and read by every consumer of the model.
It carries everything the shared encoding path needs, so serving needs no training code.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import ConfigDict, Field

from boxoffice.core.comps import Comps
from boxoffice.core.dollars import Dollars
from boxoffice.core.history import history_columns
from boxoffice.core.params import DEFAULT_PROFILE, Availability, DatePart, FeatureSpec
from boxoffice.core.stable_model import StableModel

SIGNATURE_VERSION = 2
# The graph's second input when the model has reduced trees: a boolean scalar that picks them
# (an ONNX If node runs one branch only, so a call walks one tree set, never both).
REDUCED_INPUT = "reduced"
# Up to this many rows, interval offsets are read row by row (Interval.offsets).
FEW_ROWS = 8
FloatArray = npt.NDArray[np.float64]


class InputField(StableModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    kind: Literal["numeric", "categorical", "date"]
    required: bool = False
    description: str = ""
    example: Any = None
    parts: list[DatePart] = Field(default_factory=list)
    # Categories seen often enough in training, in code order; others encode as missing.
    categories: list[str] | None = None
    # Accepted range of a numeric field, from the validation rules of params.yaml.
    minimum: float | None = None
    maximum: float | None = None
    available: Availability = "pre_release"
    # Nominal dollars of the release year, deflated before the model sees them.
    dollars: bool = False
    # Smallest and largest value among the training films, in constant dollars for a
    # ``dollars`` field (what the model learned from): a request outside is warned.
    observed: tuple[float, float] | None = None

    @classmethod
    def from_spec(cls, spec: FeatureSpec, categories: list[str] | None = None) -> InputField:
        return cls(
            field=spec.field,
            kind=spec.kind,
            required=spec.required,
            description=spec.description,
            example=spec.example,
            parts=list(spec.parts) if spec.kind == "date" else [],
            categories=categories,
            available=spec.available,
            dollars=spec.dollars,
        )

    def model_columns(self) -> list[str]:
        if self.kind == "date":
            return [f"{self.field}_{part}" for part in self.parts]
        return [self.field]


class IntervalBucket(StableModel):
    """Offsets for requests that send at least ``min_sent`` of the optional fields and
    whose band field is at least ``min_band`` (constant dollars)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_sent: int = Field(ge=0)
    min_band: float = Field(default=0.0, ge=0)
    low: float
    high: float
    residuals: int = Field(default=0, ge=0, description="Calibration residuals behind it.")


class HorizonBand(StableModel):
    """Releases at least ``min_years`` after the model's last training film: the cell's
    interval is ``scale`` times as wide, around its centre (errors grow with the horizon)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_years: int = Field(ge=1)
    scale: float = Field(ge=1.0)
    residuals: int = Field(default=0, ge=0, description="Out-of-time residuals behind it.")
    # Measured by the evaluate stage's backtest at these horizons (set by export).
    name: str | None = None
    coverage: float | None = None
    films: int | None = None


class Interval(StableModel):
    """Split-conformal offsets on the log scale: ``[pred + low, pred + high]``.

    ``low``/``high`` hold for a request with every field; ``buckets`` (a full grid in
    ascending ``(min_band, min_sent)`` order) give the offsets by how many optional fields a
    request actually sent and by the constant-dollar value of ``band_field`` (the budget):
    errors on a $2M film are far wider than on a $200M one, so one set of offsets would
    over-cover big films and under-cover small ones.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: float = Field(gt=0, lt=1)
    low: float
    high: float
    band_field: str | None = None
    buckets: list[IntervalBucket] = Field(default_factory=list)
    # Ascending by ``min_years``; the first band starts at 1 (a horizon below it gets scale 1).
    horizons: list[HorizonBand] = Field(default_factory=list)
    # The offsets are in units of each row's predicted width (the graph's second output):
    # ``[pred + low * width, pred + high * width]``.
    scaled: bool = False

    @cached_property
    def _grid(self) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray, FloatArray]:
        """Buckets as arrays, built once per signature: the offsets are read per request.
        Index 0 of the offsets is "no bucket reached" (the pooled ``low``/``high``)."""
        min_sent = np.array([b.min_sent for b in self.buckets], dtype=np.int64)
        min_band = np.array([b.min_band for b in self.buckets], dtype=np.float64)
        lows = np.array([self.low, *(b.low for b in self.buckets)], dtype=np.float64)
        highs = np.array([self.high, *(b.high for b in self.buckets)], dtype=np.float64)
        return min_sent, min_band, lows, highs

    @cached_property
    def _horizon_grid(self) -> tuple[FloatArray, FloatArray]:
        years = np.array([b.min_years for b in self.horizons], dtype=np.float64)
        return years, np.array([1.0, *(b.scale for b in self.horizons)], dtype=np.float64)

    def scale(self, horizon: FloatArray | None) -> FloatArray | None:
        """Per row, the widening for its horizon in years (None: no horizon bands)."""
        if horizon is None or len(self.horizons) < 2:
            return None
        years, scales = self._horizon_grid
        return scales[_last_reached(horizon[:, None] >= years)]

    def band_of(self, horizon: float) -> HorizonBand | None:
        reached = [b for b in self.horizons if horizon >= b.min_years]
        return reached[-1] if reached else None

    def offsets(
        self,
        sent: npt.NDArray[np.int64],
        band: FloatArray | None = None,
        horizon: FloatArray | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """Per-row (low, high) offsets for rows sending ``sent`` optional fields, of
        constant-dollar ``band`` value, ``horizon`` years after the last training film."""
        if len(sent) <= FEW_ROWS:
            return self._few_offsets(sent, band, horizon)
        return self._all_offsets(sent, band, horizon)

    def _all_offsets(
        self, sent: npt.NDArray[np.int64], band: FloatArray | None, horizon: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        min_sent, min_band, lows, highs = self._grid
        # Rows x buckets at once (a loop over the buckets cost 40 us for one row). A bucket
        # above the first band needs a band value; NaN (unknown) reaches none of them.
        reached = sent[:, None] >= min_sent
        unbanded = min_band <= 0
        reached &= unbanded if band is None else unbanded | (band[:, None] >= min_band)
        which = _last_reached(reached)
        low, high = lows[which], highs[which]
        scale = self.scale(horizon)
        if scale is not None:  # widened around the cell's centre, whatever its sign
            centre, half = (low + high) / 2, (high - low) / 2
            low, high = centre - half * scale, centre + half * scale
        return low, high

    def _few_offsets(
        self, sent: npt.NDArray[np.int64], band: FloatArray | None, horizon: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        """The same rule row by row in plain floats: a request's one film costs a few numpy
        calls less (each costs microseconds whatever its size)."""
        years = horizon.tolist() if horizon is not None and len(self.horizons) >= 2 else None
        lows, highs = [], []
        for i, count in enumerate(sent.tolist()):
            value = None if band is None else float(band[i])
            low, high = self.low, self.high
            for bucket in self.buckets:  # ascending: the last bucket a row reaches wins
                if count >= bucket.min_sent and (
                    bucket.min_band <= 0 or (value is not None and value >= bucket.min_band)
                ):
                    low, high = bucket.low, bucket.high
            if years is not None:
                scale = 1.0
                for step in self.horizons:
                    if years[i] >= step.min_years:
                        scale = step.scale
                centre, half = (low + high) / 2, (high - low) / 2
                low, high = centre - half * scale, centre + half * scale
            lows.append(low)
            highs.append(high)
        return np.array(lows, dtype=np.float64), np.array(highs, dtype=np.float64)


def _last_reached(reached: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Per row of ``reached`` (rows x ascending thresholds), 1 + the index of the last
    threshold it reaches, 0 for none: the last one reached wins."""
    if reached.shape[1] == 0:
        return np.zeros(reached.shape[0], dtype=np.int64)
    last = reached.shape[1] - np.argmax(reached[:, ::-1], axis=1)
    return np.where(reached.any(axis=1), last, 0)


class History(StableModel):
    """A track record as of the model's data cutoff: ``{value: [films, mean log gross]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    table: dict[str, list[float]]


class Signature(StableModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signature_version: int = SIGNATURE_VERSION
    target: str
    target_transform: Literal["log"] = "log"
    inputs: list[InputField]
    interval: Interval
    onnx_input: str = "X"
    profile: str = DEFAULT_PROFILE
    dollars: Dollars | None = None
    history: list[History] = Field(default_factory=list)
    # Release dates the model speaks for: its training films' first and last dates, and the
    # last date it accepts (later ones are refused; after ``last_film`` a warning is added).
    first_film: str | None = None
    last_film: str | None = None
    latest_accepted: str | None = None
    # Fields this profile does not take, with the route of the profile that does.
    withheld: dict[str, str] = Field(default_factory=dict)
    # The training films a forecast can cite as comparable (set by export).
    comps: Comps | None = None
    # The optional fields of the reduced trees: a film that sends exactly these (each one
    # encoded, no other optional field) is forecast by trees that never saw the others, so
    # what it leaves out carries no signal; any other film by the masked trees. None: no
    # reduced trees (and a graph with one input).
    reduced: list[str] | None = None

    def model_columns(self) -> list[str]:
        columns = [col for field in self.inputs for col in field.model_columns()]
        return columns + [c for h in self.history for c in history_columns(h.field)]

    def date_field(self) -> str | None:
        return next((i.field for i in self.inputs if i.kind == "date"), None)

    def field(self, name: str) -> InputField:
        for item in self.inputs:
            if item.field == name:
                return item
        raise KeyError(name)
