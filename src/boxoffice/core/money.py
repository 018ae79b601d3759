"""Every dollar amount the package prints, written one way: $1.47B, $438.7M, $250K, $218.

(The page's JavaScript has its one twin, ``formatMoney`` in serving/ui/app.js; the two are
checked against the same cases in tests/unit/core/test_money.py.)
"""

from __future__ import annotations

import math

_STEPS = ((1e9, "B", 2), (1e6, "M", 1), (1e3, "K", 0))


def format_money(amount: float | None) -> str:
    if amount is None or not math.isfinite(amount):
        return "—"
    sign, value = ("-" if amount < 0 else ""), abs(amount)
    for size, suffix, digits in _STEPS:
        # The largest unit the rounded figure reaches: 999,960 is "$1.0M", not "$1000K".
        if round(value / size, digits) >= 1:
            return f"{sign}${value / size:,.{digits}f}{suffix}"
    return f"{sign}${value:,.0f}"
