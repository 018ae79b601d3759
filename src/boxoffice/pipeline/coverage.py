"""Interval coverage per group of films (budget band, fields sent, horizon band), each cell
with its count and 90% Wilson interval: a promise per film, not only on average."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
# z of a two-sided 90% interval.
Z90 = 1.6449
# Cells of fewer films meet the goal when the nominal level lies inside their interval.
SMALL_CELL = 150


def wilson(covered: int, n: int, z: float = Z90) -> tuple[float, float]:
    """Wilson score interval of a proportion ``covered / n``."""
    if n == 0:
        return (0.0, 1.0)
    p = covered / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def cell(inside: npt.NDArray[np.bool_], goal: tuple[float, float], level: float) -> dict[str, Any]:
    """Coverage of one cell, its Wilson interval, and whether it meets the goal: inside the
    goal band, or for a small cell, the nominal level inside its interval."""
    n, covered = len(inside), int(inside.sum())
    if n == 0:
        return {"n": 0, "coverage": None, "wilson90": None, "meets": None}
    share = covered / n
    low, high = wilson(covered, n)
    meets = goal[0] <= share <= goal[1] or (n < SMALL_CELL and low <= level <= high)
    return {
        "n": n,
        "coverage": round(share, 4),
        "wilson90": [round(low, 4), round(high, 4)],
        "meets": bool(meets),
    }


def by_group(
    inside: npt.NDArray[np.bool_],
    values: FloatArray,
    bands: list[tuple[str, float, float]],
    *,
    goal: tuple[float, float],
    level: float,
) -> dict[str, dict[str, Any]]:
    """``{band name: cell}`` for films whose value lies in ``[low, high)``."""
    return {
        name: cell(inside[(values >= low) & (values < high)], goal, level)
        for name, low, high in bands
    }


def edges_to_bands(
    edges: list[float], *, end: float = np.inf, unit: str = ""
) -> list[tuple[str, float, float]]:
    """Lower bounds as named half-open bands: [1, 4, 7] -> '1-3', '4-6', '7+' (with
    ``end`` 11: '7-10')."""
    out = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else end
        if high == np.inf:
            name = f"{low:g}+{unit}"
        elif high - low == 1:
            name = f"{low:g}{unit}"
        else:
            name = f"{low:g}-{high - 1:g}{unit}"
        out.append((name, float(low), float(high)))
    return out


GROUPS = {
    "budget": "constant-dollar budget",
    "fields_sent": "optional fields sent",
    "horizon": "years after the last training film",
    "fields_sent_far": "optional fields sent, every fit",
}
BAND_NAMES = {"lt_10m": "< $10M", "10m_100m": "$10M-$100M", "ge_100m": "≥ $100M"}


def in_band_order(group: dict[str, Any]) -> list[tuple[str, Any]]:
    """A group's cells smallest budget first (JSON sorts the keys: "10m_100m" came first),
    cells of other groups in their own order."""
    order = list(BAND_NAMES)
    return sorted(group.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 0)


def figure(value: Any) -> str:
    """A published figure: three decimals, a dash when it was not measured."""
    return "—" if value is None else f"{value:.3f}"


def coverage_table(cells: dict[str, Any] | None) -> str:
    """Each cell's 80% coverage with its n and 90% Wilson interval, and whether it meets
    the goal (inside the band, or for a cell under 150 films, 0.80 inside its interval)."""
    if not cells:
        return ""
    low, high = cells["goal"]
    lines = [
        f"Coverage of the 80% intervals per group (goal {low:.2f}-{high:.2f}; the budget and"
        ' fields-sent rows are the headline years, the horizon and "every fit" rows every'
        " fit of the backtest and every later year it reached):\n",
        "| group | cell | films | coverage | 90% Wilson | meets the goal |",
        "|---|---|---:|---:|---|---|",
    ]
    for group, title in GROUPS.items():
        for name, c in in_band_order(cells.get(group, {})):
            if not c.get("n"):  # said, not hidden: e.g. no recent film sends 4+ fields
                lines.append(f"| {title} | {BAND_NAMES.get(name, name)} | 0 | — | — | untested |")
                continue
            w = c["wilson90"]
            lines.append(
                f"| {title} | {BAND_NAMES.get(name, name)} | {c['n']} | {c['coverage']:.3f} |"
                f" {w[0]:.3f}-{w[1]:.3f} | {'yes' if c['meets'] else '**no**'} |"
            )
    growth = [
        f"{name}: MAE (log) {mae:.3f}, interval score {cells['horizon_interval_score'][name]:.3f}"
        for name, mae in cells.get("horizon_mae_log", {}).items()
    ]
    if growth:
        lines += ["", "By horizon (every fit of the backtest): " + "; ".join(growth) + "."]
    return "\n".join(lines) + "\n"
