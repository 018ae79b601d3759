"""The input's edge: a value the model does not know, or a number outside what it learned
from, gets a warning naming the field, the value and what is known; never silence.

Case and punctuation variants of a known value ("pg-13", "PG13") are read as that value.
Built once per signature; serving checks every request with it before encoding.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from boxoffice.core.missing import is_missing
from boxoffice.core.signature import Signature

Note = dict[str, str]
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
CLOSEST = 3


def canonical(value: Any) -> str:
    """Lower case, letters and digits only: "PG-13", "pg13" and "P.G. 13" are one key."""
    return _NOT_ALNUM.sub("", str(value).lower())


def money(amount: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= size:
            return f"${amount / size:,.3g}{suffix}"
    return f"${amount:,.0f}"


class InputEdges:
    """What the model knows of each field: its known values and observed ranges."""

    def __init__(self, signature: Signature) -> None:
        tables = {h.field: h.table for h in signature.history}
        self.known: dict[str, dict[str, str]] = {}
        for item in signature.inputs:
            if item.kind == "categorical":
                values = [*(item.categories or []), *tables.get(item.field, {})]
                # The first spelling of a key wins; categories come first (they are encoded).
                self.known[item.field] = {}
                for value in values:
                    self.known[item.field].setdefault(canonical(value), value)
        # Exact spellings: the fast path, as most requests send a known value as it is.
        self.exact = {name: set(known.values()) for name, known in self.known.items()}
        self.ranges = {
            item.field: (item.observed, item.dollars)
            for item in signature.inputs
            if item.kind == "numeric" and item.observed is not None
        }
        self.history = set(tables)
        self.signature = signature
        self.last_year = int(signature.last_film[:4]) if signature.last_film else None

    def check(
        self, columns: Mapping[str, Sequence[Any]], n_rows: int
    ) -> tuple[dict[str, list[Any]], list[list[Note]]]:
        """Columns with variants read as known values, and per row its notes."""
        notes: list[list[Note]] = [[] for _ in range(n_rows)]
        out = {name: list(values) for name, values in columns.items()}
        for name, known in self.known.items():
            values = out.get(name)
            for i, value in enumerate(values or []):
                if is_missing(value) or value in self.exact[name]:  # most requests
                    continue
                match = known.get(canonical(value))
                if match is not None:
                    values[i] = match  # type: ignore[index]
                    notes[i].append(_note(name, "read_as", f"{name} {value!r} read as {match!r}"))
                else:
                    notes[i].append(self._unknown(name, value))
        for name, ((low, high), dollars) in self.ranges.items():
            for i, value in enumerate(out.get(name) or []):
                if not is_missing(value) and not low <= float(value) <= high:
                    show = money if dollars else _number
                    notes[i].append(
                        _note(
                            name,
                            "out_of_range",
                            f"{name} {show(float(value))} is outside the films the model"
                            f" learned from ({show(low)} to {show(high)}): the forecast"
                            " extrapolates",
                        )
                    )
        self._horizon(out, notes)
        return out, notes

    def _unknown(self, name: str, value: Any) -> Note:
        known = self.known[name]
        close = difflib.get_close_matches(canonical(value), list(known), n=CLOSEST, cutoff=0.6)
        hint = (
            "closest known: " + ", ".join(repr(known[k]) for k in close)
            if close
            else f"{len(known)} known values, listed by GET /v1/model"
        )
        return _note(
            name,
            "unknown_value",
            f"{name} {value!r} is not a value the model knows, so it is"
            f" treated as unknown ({hint})",
        )

    def _horizon(self, columns: dict[str, list[Any]], notes: list[list[Note]]) -> None:
        date_field, last = self.signature.date_field(), self.signature.last_film
        if date_field is None or last is None or self.last_year is None:
            return
        interval = self.signature.interval
        for i, value in enumerate(columns.get(date_field) or []):
            if is_missing(value) or str(value) <= last:
                continue
            years = int(str(value)[:4]) - self.last_year
            band = interval.band_of(float(max(years, 1)))
            measured = ""
            if band is not None and band.coverage is not None:
                measured = (
                    f"; at horizons of {band.name} the 80% range covered {band.coverage:.0%}"
                    f" of {band.films} films in the backtest"
                )
            notes[i].append(
                _note(
                    date_field,
                    "horizon",
                    f"{date_field} {value} is {years} year{'s' if years != 1 else ''} after the"
                    f" last film the model learned from ({last}): the forecast extrapolates in"
                    f" time{measured}",
                )
            )


def _number(value: float) -> str:
    return f"{value:,.6g}"


def _note(field: str, code: str, message: str) -> Note:
    return {"field": field, "code": code, "message": message}
