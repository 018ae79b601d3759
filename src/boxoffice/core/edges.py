"""The input's edge: a value the model does not know, or a number outside what it learned
from, gets a warning naming the field, the value and what is known; never silence.

Case and punctuation variants of a known value ("pg-13", "PG13") are read as that value; an
unknown value of a plain category is blanked (it is treated as unknown, and an unknown
field does not count as sent). Built once per signature; serving checks every request.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from boxoffice.core.missing import is_missing
from boxoffice.core.money import format_money
from boxoffice.core.signature import Signature

Note = dict[str, str]
_NOT_ALNUM = re.compile(r"[\W_]+")
CLOSEST = 3
# Closest known values for an unknown key are remembered (a batch repeats its new directors).
MAX_REMEMBERED = 10_000


def canonical(value: Any) -> str:
    """Case-folded letters and digits, accents dropped: "PG-13", "pg13" and "P.G. 13" are one
    key, "Amélie" and "amelie" another. Letters of any script stay (a name in Cyrillic or
    Japanese has a key of its own, not the empty key of everything that is not ASCII)."""
    decomposed = unicodedata.normalize("NFKD", str(value))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", letters.casefold())


def _number(value: float) -> str:
    return f"{value:,.6g}"


def _note(field: str, code: str, message: str) -> Note:
    return {"field": field, "code": code, "message": message}


class InputEdges:
    """What the model knows of each field: its known values and observed ranges."""

    def __init__(self, signature: Signature) -> None:
        tables = {h.field: h.table for h in signature.history}
        self.history = set(tables)
        self.known: dict[str, dict[str, str]] = {}
        for item in signature.inputs:
            if item.kind == "categorical":
                # The first spelling of a key wins; categories come first (they are encoded).
                known = self.known[item.field] = {}
                for value in [*(item.categories or []), *tables.get(item.field, {})]:
                    known.setdefault(canonical(value), value)
        # Exact spellings: the fast path, as most requests send a known value as it is.
        self.exact = {name: set(known.values()) for name, known in self.known.items()}
        # Close-match candidates by first character: difflib over thousands of directors
        # costs milliseconds per value; one initial's share costs a fraction of that.
        self.by_initial: dict[str, dict[str, list[str]]] = {}
        for name, known in self.known.items():
            groups: defaultdict[str, list[str]] = defaultdict(list)
            for key in known:
                groups[key[:1]].append(key)
            self.by_initial[name] = dict(groups)
        self.hints: dict[tuple[str, str], str] = {}
        self.ranges = {
            item.field: (item.observed, item.dollars)
            for item in signature.inputs
            if item.kind == "numeric" and item.observed is not None
        }
        self.signature = signature
        self.last_year = int(signature.last_film[:4]) if signature.last_film else None

    def check(
        self, columns: Mapping[str, Sequence[Any]], n_rows: int
    ) -> tuple[dict[str, list[Any]], list[list[Note]]]:
        """Columns as the model should read them, and per row its notes."""
        notes: list[list[Note]] = [[] for _ in range(n_rows)]
        out = {name: list(values) for name, values in columns.items()}
        for name in self.known:
            self._categories(name, out.get(name), notes)
        years = self._years(out, n_rows)
        for name, ((low, high), dollars) in self.ranges.items():
            self._range(name, out.get(name), (low, high), dollars, years, notes)
        self._horizon(out, years, notes)
        return out, notes

    def _categories(self, name: str, values: list[Any] | None, notes: list[list[Note]]) -> None:
        known, exact = self.known[name], self.exact[name]
        for i, value in enumerate(values or []):
            if is_missing(value) or value in exact:
                continue
            match = known.get(canonical(value))
            if match is not None:
                values[i] = match  # type: ignore[index]
                notes[i].append(_note(name, "read_as", f"{name} {value!r} read as {match!r}"))
                continue
            notes[i].append(self._unknown(name, value))
            if name not in self.history:  # a new director keeps his value: a debut's record
                values[i] = None  # type: ignore[index]

    def _years(self, columns: dict[str, list[Any]], n_rows: int) -> np.ndarray:
        date_field = self.signature.date_field()
        values = columns.get(date_field) if date_field else None
        if not values:
            return np.full(n_rows, np.nan)
        return np.array([np.nan if is_missing(v) else float(str(v)[:4]) for v in values])

    def _range(
        self,
        name: str,
        values: list[Any] | None,
        bounds: tuple[float, float],
        dollars: bool,
        years: np.ndarray,
        notes: list[list[Note]],
    ) -> None:
        """A number outside the training films' range; a dollar amount is compared in the
        constant dollars the model learned in, and the range told in the request's year's."""
        if not values:
            return
        deflator = self.signature.dollars
        # All rows' factors in one call: one call per row was a third of a 1,000-film batch.
        factors = (
            np.exp(deflator.log_factor(years)).tolist()
            if dollars and deflator is not None
            else [1.0] * len(values)
        )
        for i, (value, factor) in enumerate(zip(values, factors, strict=True)):
            if is_missing(value):
                continue
            low, high = bounds[0] / factor, bounds[1] / factor
            if low <= float(value) <= high:
                continue
            show = format_money if dollars else _number
            when = "" if factor == 1.0 or np.isnan(years[i]) else f" in {int(years[i])} dollars"
            notes[i].append(
                _note(
                    name,
                    "out_of_range",
                    f"{name} {show(float(value))} is outside the films the model learned from"
                    f" ({show(low)} to {show(high)}{when}): the forecast extrapolates",
                )
            )

    def _unknown(self, name: str, value: Any) -> Note:
        if name in self.history:  # a new director or studio: a track record of none
            meaning = "has no film in the training data, so its track record counts as none"
        else:
            meaning = "is not a value the model knows, so it is treated as unknown"
        # The message quotes this caller's value: only the search, keyed by the value's
        # canonical form, is shared between requests ("Kung-Fu!" and "kung fu" share a hint,
        # never each other's spelling).
        return _note(
            name, "unknown_value", f"{name} {value!r} {meaning} ({self._hint(name, value)})"
        )

    def _hint(self, name: str, value: Any) -> str:
        key = canonical(value)
        found = self.hints.get((name, key))
        if found is None:
            if len(self.hints) >= MAX_REMEMBERED:
                self.hints.clear()
            found = self.hints[(name, key)] = self._closest(name, key)
        return found

    def _closest(self, name: str, key: str) -> str:
        known = self.known[name]
        candidates = self.by_initial[name].get(key[:1], []) if key else []
        close = difflib.get_close_matches(key, candidates, n=CLOSEST, cutoff=0.6)
        if close:
            return "closest known: " + ", ".join(repr(known[k]) for k in close)
        return f"no close match among {len(known)} known values"

    def _horizon(
        self, columns: dict[str, list[Any]], years: np.ndarray, notes: list[list[Note]]
    ) -> None:
        date_field, last = self.signature.date_field(), self.signature.last_film
        if date_field is None or last is None or self.last_year is None:
            return
        interval = self.signature.interval
        for i, value in enumerate(columns.get(date_field) or []):
            if is_missing(value) or str(value) <= last:
                continue
            ahead = int(years[i]) - self.last_year
            span = (
                f"{ahead} year{'s' if ahead != 1 else ''} after"
                if ahead >= 1
                else "after, in the same year as,"
            )
            band = interval.band_of(float(max(ahead, 1)))
            measured = ""
            if band is not None and band.coverage is not None:
                measured = (
                    f"; at horizons of {band.name} years the {interval.level:.0%} range covered"
                    f" {band.coverage:.0%} of {band.films} backtest forecasts"
                )
            notes[i].append(
                _note(
                    date_field,
                    "horizon",
                    f"{date_field} {value} is {span} the last film the model learned from"
                    f" ({last}): the forecast extrapolates in time{measured}",
                )
            )
