"""Pydantic request models built from the feature schema (the model's signature).

Every field carries a description and an example for the OpenAPI; optional fields may be
left out; unknown fields are refused; numbers must be finite.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from boxoffice.core.params import DEFAULT_PROFILE
from boxoffice.core.signature import InputField, Signature

MAX_TEXT = 200
MAX_NUMBER = 1e13  # larger than any film's budget, votes or runtime by orders of magnitude


class _Closed(BaseModel):
    # No whitespace stripping: it would let a schema-valid " " fail min_length after the fact.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# Categorical fields with at most this many known values list them (sorted) in the OpenAPI.
MAX_LISTED = 40


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


_JSON_KINDS = {
    bool: "true or false",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "an object",
}


def _text_date(value: Any) -> Any:
    """Only what the OpenAPI promises: pydantic alone reads a number or a string of digits
    as a Unix timestamp ("1276819200" -> 2010-06-18) and takes "2009-12-18T00:00:00"."""
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            raise PydanticCustomError("date_format", "a date is text as YYYY-MM-DD")
        return value
    # pandas' NaT is a date unequal to itself: a missing value, as null is
    if value is None or (isinstance(value, dt.date) and value != value):
        raise PydanticCustomError("date_type", "a date is text as YYYY-MM-DD, not null")
    if isinstance(value, dt.datetime):  # a file's timestamp column (pandas' dates): the
        if value.time() != dt.time():  # date where it is midnight, in its own time zone
            raise PydanticCustomError("date_format", "a date as YYYY-MM-DD, not a date and time")
        return value.date()
    if isinstance(value, dt.date):  # a file's date column
        return value
    sent = _JSON_KINDS.get(type(value), type(value).__name__)
    raise PydanticCustomError(
        "date_type", "a date is text as YYYY-MM-DD, not {sent}", {"sent": sent}
    )


# An ISO date (a file's date cell too); numbers and timestamps are refused.
DATE = Annotated[dt.date, BeforeValidator(_text_date)]


# A number above this many times the largest a training film had is one no film could have
# (a $5 trillion budget): refused. Between the two, a warning (core/edges.py).
BEYOND_OBSERVED = 10.0


def accepted_range(item: InputField) -> tuple[float, float]:
    """What a numeric field accepts: the validation rules' range, capped at
    ``BEYOND_OBSERVED`` times the largest value seen in training."""
    low = item.minimum if item.minimum is not None else 0.0
    high = item.maximum if item.maximum is not None else MAX_NUMBER
    if item.observed is not None and item.observed[1] > 0:
        high = min(high, BEYOND_OBSERVED * item.observed[1])
    return low, high


def _annotation(item: InputField) -> Any:
    if item.kind == "numeric":
        # strict: true/false and numeric strings are not numbers here.
        low, high = accepted_range(item)
        return Annotated[float, Field(ge=low, le=high, strict=True)]
    if item.kind == "date":
        return DATE  # its range is checked against the signature in film_model
    return Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


def _field(item: InputField) -> tuple[Any, Any]:
    annotation = _annotation(item)
    examples = [item.example] if item.example is not None else None
    description = item.description or item.field
    if item.categories:
        if len(item.categories) <= MAX_LISTED:
            known = f"Known values: {', '.join(sorted(item.categories))}"
        else:  # hundreds of directors would drown the page
            known = f"{len(item.categories)} known values (GET /v1/model lists them)"
        description += f" {known}; others are treated as unknown."
    if item.required:
        return annotation, Field(description=description, examples=examples)
    return annotation | None, Field(default=None, description=description, examples=examples)


def years_pattern(first: int, last: int) -> str:
    """A regex of ISO dates whose year is in ``first..last``: JSON Schema has no date bounds,
    so the OpenAPI states the range this way (and fuzzers generate inside it)."""
    decades = []
    for decade in range(first // 10, last // 10 + 1):
        lo, hi = max(first, decade * 10) % 10, min(last, decade * 10 + 9) % 10
        decades.append(f"{decade}[{lo}-{hi}]" if (lo, hi) != (0, 9) else f"{decade}\\d")
    return f"^(?:{'|'.join(decades)})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])$"


def date_range(signature: Signature) -> tuple[dt.date, dt.date] | None:
    """Release dates the model speaks for: from its first film's year to ``latest_accepted``."""
    if not (signature.first_film and signature.latest_accepted):
        return None
    first = dt.date(int(signature.first_film[:4]), 1, 1)
    return first, dt.date.fromisoformat(signature.latest_accepted)


def _dated(item: InputField, signature: Signature) -> tuple[Any, Any]:
    """A date limited to the range the model can speak for, stated in its description."""
    annotation, field = _field(item)
    span = date_range(signature)
    if item.kind != "date" or span is None:
        return annotation, field
    first, latest = span
    schema = {"type": "string", "format": "date", "pattern": years_pattern(first.year, latest.year)}
    bounded = Annotated[DATE, Field(ge=first, le=latest), WithJsonSchema(schema)]
    field.description = f"{field.description} From {first} to {latest}."
    return (bounded if item.required else bounded | None), field


def film_model(signature: Signature) -> type[BaseModel]:
    """``Film``: one film's features, as the API accepts them (``RetrospectiveFilm`` and so
    on for another profile: two served profiles must not share a schema name)."""
    fields: dict[str, Any] = {item.field: _dated(item, signature) for item in signature.inputs}
    prefix = "" if signature.profile == DEFAULT_PROFILE else signature.profile.title()
    model: type[BaseModel] = create_model(
        f"{prefix.replace('_', '')}Film", __base__=_Closed, **fields
    )
    return model


def field_notes(signature: Signature) -> dict[tuple[str, str], str]:
    """Plain-language problems for errors a caller can act on, keyed by (field, error kind)."""
    notes = {
        (name, "extra_forbidden"): (
            f"known only after release: the {signature.profile} model does not take it;"
            f" send it to POST {route}"
        )
        for name, route in signature.withheld.items()
    }
    for item in signature.inputs:
        if item.kind == "numeric":
            low, high = accepted_range(item)
            span = f"no film could have this value: {item.field} accepts {low:,.6g} to {high:,.6g}"
            notes[(item.field, "greater_than_equal")] = span
            notes[(item.field, "less_than_equal")] = span
    date_field, bounds = signature.date_field(), date_range(signature)
    if date_field and bounds:
        span = (
            f"outside the range this model speaks for: {bounds[0]} (the year of its first"
            f" film) to {bounds[1]}"
        )
        notes[(date_field, "greater_than_equal")] = span
        notes[(date_field, "less_than_equal")] = span
    return notes


def example_film(signature: Signature) -> dict[str, Any]:
    return {i.field: i.example for i in signature.inputs if i.example is not None}
