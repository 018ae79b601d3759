"""The serving contract of a model: its inputs, their encoding and its interval offsets.

Written by the export stage as ``signature.json`` and read by every consumer of the model.
It carries everything the shared encoding path needs, so serving needs no training code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from boxoffice.params import DatePart, FeatureSpec

SIGNATURE_VERSION = 1


class InputField(BaseModel):
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
        )

    def model_columns(self) -> list[str]:
        if self.kind == "date":
            return [f"{self.field}_{part}" for part in self.parts]
        return [self.field]


class Interval(BaseModel):
    """Split-conformal offsets on the log scale: ``[pred + low, pred + high]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: float = Field(gt=0, lt=1)
    low: float
    high: float


class Signature(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signature_version: int = SIGNATURE_VERSION
    target: str
    target_transform: Literal["log"] = "log"
    inputs: list[InputField]
    interval: Interval
    onnx_input: str = "X"

    def model_columns(self) -> list[str]:
        return [col for field in self.inputs for col in field.model_columns()]

    def field(self, name: str) -> InputField:
        for item in self.inputs:
            if item.field == name:
                return item
        raise KeyError(name)
