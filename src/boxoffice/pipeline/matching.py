"""The same film in several sources: matched by normalised title and a release date within a
few days, merged column by column in declared precedence. Pure: frames in, frames out."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from boxoffice.core.data_params import MatchParams

IntArray = npt.NDArray[np.int64]
FILM = "_film"
SOURCES_COLUMN = "sources"
_ARTICLE = re.compile(r"^(the|a|an) ")
_APOSTROPHE = re.compile("['\u2018\u2019`]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def title_key(title: Any) -> str:
    """Accents folded, case and punctuation dropped, a leading article removed."""
    text = unicodedata.normalize("NFKD", str(title))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _NOT_WORD.sub(" ", _APOSTROPHE.sub("", text)).strip()
    # A title with no Latin letter or digit ("長江七號") keeps its own text: an empty key
    # would match any film of the same date.
    return _ARTICLE.sub("", text) or str(title).strip().casefold()


def assign_films(
    frames: dict[str, pd.DataFrame], *, title: str, date: str, within_days: int
) -> dict[str, IntArray]:
    """A film number per row of each source; rows of one film share it.

    Sources are taken in order: each row joins the unmatched earlier film with the same title
    key whose date is closest (within ``within_days``), else starts a new film. One row per
    source per film: the closest pairs are taken first.
    """
    films = pd.DataFrame({"key": [], "day": [], FILM: []})
    out: dict[str, IntArray] = {}
    next_id = 0
    for name, frame in frames.items():
        rows = pd.DataFrame(
            {"key": frame[title].map(title_key).to_numpy(), "day": _days(frame[date])}
        )
        rows["row"] = np.arange(len(rows))
        ids = np.full(len(rows), -1, dtype=np.int64)
        pairs = rows.merge(films, on="key", suffixes=("", "_film"))
        pairs["gap"] = (pairs["day"] - pairs["day_film"]).abs()
        pairs = pairs[pairs["gap"] <= within_days].sort_values(["gap", "row", FILM])
        for row, film in _closest_first(pairs["row"].to_numpy(), pairs[FILM].to_numpy()):
            ids[row] = film
        new = ids < 0
        ids[new] = np.arange(next_id, next_id + int(new.sum()))
        next_id += int(new.sum())
        fresh = rows[new].assign(**{FILM: ids[new]})[["key", "day", FILM]]
        films = pd.concat([films, fresh], ignore_index=True)
        out[name] = ids
    return out


def _closest_first(rows: np.ndarray, films: np.ndarray) -> list[tuple[int, int]]:
    """One-to-one pairs from candidates sorted by gap: each taken pair removes its row and
    its film, and a row whose closest film is taken still gets the next free one."""
    taken_rows: set[int] = set()
    taken_films: set[int] = set()
    chosen = []
    for row, film in zip(rows.tolist(), films.tolist(), strict=True):
        if row not in taken_rows and film not in taken_films:
            taken_rows.add(row)
            taken_films.add(film)
            chosen.append((int(row), int(film)))
    return chosen


def _days(values: pd.Series) -> npt.NDArray[np.float64]:
    """Days since the epoch (NaN for a missing date): dates are typed by validation."""
    stamps = pd.to_datetime(values, errors="coerce")
    days = (stamps - pd.Timestamp("1970-01-01")).dt.days
    return np.asarray(days.to_numpy(dtype=np.float64), dtype=np.float64)


def merge(
    frames: dict[str, pd.DataFrame], ids: dict[str, IntArray], match: MatchParams
) -> pd.DataFrame:
    """One row per film; each column takes the first present value in its precedence."""
    names = list(frames)
    indexed = {n: frames[n].set_axis(ids[n]) for n in names}
    films = np.unique(np.concatenate([ids[n] for n in names]))
    columns = list(dict.fromkeys(c for f in frames.values() for c in f.columns))
    merged = pd.DataFrame(index=films)
    for column in columns:
        value = pd.Series(None, index=films, dtype=object)
        for name in match.order(column, names):
            if column in indexed[name].columns:
                value = value.combine_first(indexed[name][column].reindex(films))
        kinds = [f[column].dtype for f in frames.values() if column in f.columns]
        typed = kinds[0].kind in "fM"  # numbers and dates keep their dtype through the merge
        merged[column] = value.astype(kinds[0]) if typed else value
    merged[SOURCES_COLUMN] = _provenance(ids, films, names)
    return merged.reset_index(drop=True)


def _provenance(ids: dict[str, IntArray], films: IntArray, names: list[str]) -> list[str]:
    found = {n: set(ids[n].tolist()) for n in names}
    return ["+".join(n for n in names if f in found[n]) for f in films.tolist()]


def disagreements(
    left: pd.DataFrame,
    right: pd.DataFrame,
    left_ids: IntArray,
    right_ids: IntArray,
    tolerances: dict[str, float],
) -> dict[str, Any]:
    """Matched films of two sources: how many, and how many differ per numeric column by more
    than its relative tolerance (among pairs where both have a value)."""
    common = np.intersect1d(left_ids, right_ids)
    a = left.set_axis(left_ids).reindex(common)
    b = right.set_axis(right_ids).reindex(common)
    out: dict[str, Any] = {
        "matched": len(common),
        "match_rate": {
            "left": _share(len(common), len(left)),
            "right": _share(len(common), len(right)),
        },
    }
    for column, tolerance in tolerances.items():
        x = pd.to_numeric(a[column], errors="coerce").to_numpy(dtype=np.float64)
        y = pd.to_numeric(b[column], errors="coerce").to_numpy(dtype=np.float64)
        both = ~np.isnan(x) & ~np.isnan(y) & (np.maximum(np.abs(x), np.abs(y)) > 0)
        gap = np.abs(x[both] - y[both]) / np.maximum(np.abs(x[both]), np.abs(y[both]))
        out[column] = {
            "pairs": int(both.sum()),
            "differ": int((gap > tolerance).sum()),
            "tolerance": tolerance,
        }
    return out


def agreement(
    left: pd.Series, right: pd.Series, left_ids: IntArray, right_ids: IntArray
) -> dict[str, Any]:
    """Among matched films where both name a value, the share that name the same one."""
    common = np.intersect1d(left_ids, right_ids)
    a = left.set_axis(left_ids).reindex(common)
    b = right.set_axis(right_ids).reindex(common)
    both = a.notna() & b.notna()
    same = int((a[both] == b[both]).sum())
    return {"pairs": int(both.sum()), "same": same, "share": _share(same, int(both.sum()))}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
