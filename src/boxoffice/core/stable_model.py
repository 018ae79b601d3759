"""A pydantic base whose pickle is the same bytes under every hash seed.

Pydantic pickles the set of fields a model was given; a set's order follows string hashes,
which change with each interpreter (PYTHONHASHSEED), so the same fitted model pickled twice
gave two files and `dvc repro` on a fresh clone rewrote `dvc.lock`. Sorted, it is stable.

Values a model caches for speed (``functools.cached_property`` keeps them in ``__dict__``
beside the fields) are neither pickled nor copied: a pickle holds the fields alone, and a
``model_copy(update=...)`` must not keep a cache built from the fields it replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel

_FIELDS_SET = "__pydantic_fields_set__"


class StableModel(BaseModel):
    def _fields_only(self, values: dict[str, Any]) -> dict[str, Any]:
        fields = type(self).model_fields
        return {name: value for name, value in values.items() if name in fields}

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        state[_FIELDS_SET] = sorted(state[_FIELDS_SET])
        state["__dict__"] = self._fields_only(state["__dict__"])
        return state

    def __eq__(self, other: object) -> bool:
        # Fields alone: pydantic compares whole ``__dict__``s first, and two cached numpy
        # arrays have no single truth value.
        if not isinstance(other, StableModel):
            return NotImplemented
        return type(self) is type(other) and self._fields_only(self.__dict__) == other._fields_only(
            other.__dict__
        )

    # Defining __eq__ drops the inherited hash; frozen subclasses get pydantic's own.
    __hash__ = BaseModel.__hash__

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        object.__setattr__(copied, "__dict__", self._fields_only(copied.__dict__))
        return copied

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__({**state, _FIELDS_SET: set(state.get(_FIELDS_SET, ()))})
