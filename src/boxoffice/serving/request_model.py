"""Pydantic request models built from the feature schema (the model's signature).

Every field carries a description and an example for the OpenAPI; optional fields may be
left out; unknown fields are refused; numbers must be finite.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from boxoffice.signature import InputField, Signature

MAX_TEXT = 200
MAX_NUMBER = 1e13  # larger than any film's budget, votes or runtime by orders of magnitude


class _Closed(BaseModel):
    # No whitespace stripping: it would let a schema-valid " " fail min_length after the fact.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _annotation(item: InputField) -> Any:
    if item.kind == "numeric":
        # strict: true/false and numeric strings are not numbers here.
        low = item.minimum if item.minimum is not None else 0.0
        high = item.maximum if item.maximum is not None else MAX_NUMBER
        return Annotated[float, Field(ge=low, le=high, strict=True)]
    if item.kind == "date":
        return dt.date
    return Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


def _field(item: InputField) -> tuple[Any, Any]:
    annotation = _annotation(item)
    examples = [item.example] if item.example is not None else None
    description = item.description or item.field
    if item.categories:
        shown = ", ".join(item.categories[:12])
        more = " ..." if len(item.categories) > 12 else ""
        description += f" Known values: {shown}{more}; others are treated as unknown."
    if item.required:
        return annotation, Field(description=description, examples=examples)
    return annotation | None, Field(default=None, description=description, examples=examples)


def film_model(signature: Signature) -> type[BaseModel]:
    """``Film``: one film's features, as the API accepts them."""
    fields: dict[str, Any] = {item.field: _field(item) for item in signature.inputs}
    model: type[BaseModel] = create_model("Film", __base__=_Closed, **fields)
    return model


def example_film(signature: Signature) -> dict[str, Any]:
    return {i.field: i.example for i in signature.inputs if i.example is not None}
