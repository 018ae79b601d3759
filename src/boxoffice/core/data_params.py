"""Typed ``data`` section of ``params.yaml``: the declared sources and how films are matched.

Each source maps its own columns and values onto the one schema; fields a source lacks are
missing (unknown). Films found in several sources are merged by declared precedence.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from boxoffice.core.stable_model import StableModel

SourceFormat = Literal["json", "jsonl", "csv", "parquet"]
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# The retrain stage's labelled traffic joins the sources under this name, last in precedence.
FEEDBACK_SOURCE = "feedback"


class _Strict(StableModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceParams(_Strict):
    """One raw data set and its mapping onto the schema's column names."""

    name: str
    # Any fsspec URI; a relative path is read from the project root.
    uri: str
    format: SourceFormat = "json"
    # When set, ingest refuses bytes that hash differently.
    sha256: str | None = None
    # This source's column -> the schema's column (columns absent here keep their name).
    columns: dict[str, str] = Field(default_factory=dict)
    # Schema columns this source does not have: they are missing (unknown) for its films.
    lacks: list[str] = Field(default_factory=list)
    # Cell texts that mean "no value" in this source (R writes a bare NA).
    missing_markers: list[str] = Field(default_factory=list)
    # strptime format per date column (schema name); the schema's format otherwise.
    dates: dict[str, str] = Field(default_factory=dict)
    # Per schema column, this source's value -> the schema's value (others are kept).
    values: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> SourceParams:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"source name {self.name!r} must be snake_case")
        return self


class MatchParams(_Strict):
    """How the same film is recognised across sources, and whose value wins."""

    # A film is the same when its normalised title is equal and its dates this close.
    within_days: int = Field(default=7, ge=0)
    # Source names, first wins; a source not listed ranks after those listed.
    precedence: list[str] = Field(default_factory=list)
    # Per schema column, a precedence of its own (e.g. the later source saw more of the run).
    prefer: dict[str, list[str]] = Field(default_factory=dict)
    # The report counts matched films whose numbers differ by more than these shares.
    tolerances: dict[str, float] = Field(default_factory=dict)

    def order(self, column: str, names: list[str]) -> list[str]:
        """Source names in the order their value of ``column`` wins."""
        ranked = self.prefer.get(column, self.precedence)
        return [n for n in ranked if n in names] + [n for n in names if n not in ranked]


class DataParams(_Strict):
    sources: list[SourceParams] = Field(default_factory=list)
    match: MatchParams = MatchParams()
    # Labelled production traffic in raw column names (JSON lines), written by `retrain`.
    feedback: str | None = "data/feedback/feedback.jsonl"

    @model_validator(mode="before")
    @classmethod
    def _single_source(cls, raw: Any) -> Any:
        """``source``/``format``/``sha256`` at the top: the one-source form, kept."""
        if isinstance(raw, dict) and "source" in raw:
            raw = dict(raw)
            one = {"name": "main", "uri": raw.pop("source")}
            for key in ("format", "sha256"):
                if key in raw:
                    one[key] = raw.pop(key)
            raw["sources"] = [one, *raw.get("sources", [])]
        return raw

    @model_validator(mode="after")
    def _check(self) -> DataParams:
        names = [s.name for s in self.sources]
        if not names:
            raise ValueError("data.sources must declare at least one source")
        if len(set(names)) != len(names) or FEEDBACK_SOURCE in names:
            raise ValueError(f"data.sources names must be unique and not {FEEDBACK_SOURCE!r}")
        ranked = [*self.match.precedence, *(n for v in self.match.prefer.values() for n in v)]
        unknown = sorted(set(ranked) - set(names) - {FEEDBACK_SOURCE})
        if unknown:
            raise ValueError(f"data.match names sources {unknown} that are not declared")
        return self

    def with_uris(self, root: str) -> DataParams:
        """A copy whose relative source paths are made absolute under ``root``."""
        sources = [
            s.model_copy(update={"uri": f"{root}/{s.uri}"}) if _relative(s.uri) else s
            for s in self.sources
        ]
        return self.model_copy(update={"sources": sources})


def _relative(uri: str) -> bool:
    return "://" not in uri and not uri.startswith("/")
