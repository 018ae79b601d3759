"""The card's and report's text: names for the budget bands, smallest first, and one
precision for every figure (the card mixed raw keys and 4- and 5-digit numbers)."""

from __future__ import annotations

from typing import Any

from boxoffice.pipeline.card import _profile_section
from boxoffice.pipeline.coverage import coverage_table, figure


def _cell(n: int, coverage: float) -> dict[str, Any]:
    return {
        "n": n,
        "coverage": coverage,
        "wilson90": [coverage - 0.05, coverage + 0.05],
        "meets": True,
    }


CELLS = {
    "goal": [0.75, 0.85],
    # As JSON stores them: keys sorted, so $10M-$100M comes before < $10M.
    "budget": {
        "10m_100m": _cell(299, 0.76234),
        "ge_100m": _cell(47, 0.851),
        "lt_10m": _cell(144, 0.79861),
    },
}


def test_the_budget_rows_run_smallest_first_under_their_names() -> None:
    table = coverage_table(CELLS)
    rows = [line for line in table.splitlines() if line.startswith("| constant-dollar budget")]
    assert [r.split(" | ")[1] for r in rows] == ["< $10M", "$10M-$100M", "≥ $100M"]
    assert "lt_10m" not in table and "0.799" in table and "0.79861" not in table


def test_the_card_writes_every_figure_with_three_decimals() -> None:
    meta = {
        "version": "sha-1",
        "backtest": {
            "required_only": {"mae_log": 1.2115, "coverage": 0.77755},
            "coverage_cells": CELLS,
        },
    }
    signature = {"inputs": [{"field": "production_budget", "required": True}]}
    text = _profile_section("pre_release", "/v1/prediction", signature, meta)
    assert "MAE (log) 1.212, coverage 0.778." in text  # was 1.2115 and 0.77755
    assert figure(None) == "—"
