"""A pydantic base whose pickle is the same bytes under every hash seed.

Pydantic pickles the set of fields a model was given; a set's order follows string hashes,
which change with each interpreter (PYTHONHASHSEED), so the same fitted model pickled twice
gave two files and `dvc repro` on a fresh clone rewrote `dvc.lock`. Sorted, it is stable.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_FIELDS_SET = "__pydantic_fields_set__"


class StableModel(BaseModel):
    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        state[_FIELDS_SET] = sorted(state[_FIELDS_SET])
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__({**state, _FIELDS_SET: set(state.get(_FIELDS_SET, ()))})
