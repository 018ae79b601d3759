"""Validation errors in the words a caller can act on: one source for the API's 422 details
and the CLI's rejects file (the CLI used to print pydantic's own text, "Input should be less
than or equal to datetime.date(2015, 12, 31)", where the API named the range)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Plain-language problems keyed by (field, pydantic error type): request_model.field_notes.
Notes = Mapping[tuple[str, str], str]


def error_field(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def is_unparsable(error: Mapping[str, Any]) -> bool:
    """The request's body is no JSON (a field's own JSON text has the field in its loc)."""
    loc = tuple(error.get("loc", ()))
    return error.get("type") == "json_invalid" and len(loc) == 2 and loc[0] == "body"


def _problem(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    # Never the bad value itself: a 1 MB string must not come back.
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    if error.get("type") == "json_invalid":
        where = [p for p in error.get("loc", ()) if isinstance(p, int)]
        at = f" at character {where[-1]}" if where else ""
        return f"invalid JSON{at}: {error.get('ctx', {}).get('error', message)}"
    return message


def readable(errors: Iterable[Mapping[str, Any]], notes: Notes) -> list[dict[str, str]]:
    """``[{field, problem}]`` for pydantic's errors, the notes' words where there are some."""
    details = []
    for e in errors:
        # A body that is no JSON has no field; its loc's number is a character offset.
        field = "body" if is_unparsable(e) else error_field(e.get("loc", ()))
        name = field.rsplit(".", 1)[-1]
        details.append({"field": field, "problem": notes.get((name, e["type"])) or _problem(e)})
    return details
