"""Every dollar amount the package prints, written one way: $1.47B, $438.7M, $250K, $218.

(The page's JavaScript has its one twin, ``formatMoney`` in serving/ui/app.js; the two are
checked against the same cases in tests/unit/core/test_money.py.)
"""

from __future__ import annotations

import math

_STEPS = ((1e9, "B", 2), (1e6, "M", 1), (1e3, "K", 0), (1.0, "", 0))


def format_money(amount: float | None) -> str:
    if amount is None or not math.isfinite(amount):
        return "—"
    sign, value = ("-" if amount < 0 else ""), abs(amount)
    last = len(_STEPS) - 1
    for i, (size, suffix, digits) in enumerate(_STEPS):
        if value < size and i < last:
            continue  # the largest unit the amount reaches ($600, not "$1K")
        if i > 0 and round(value / size, digits) >= 1000:
            size, suffix, digits = _STEPS[i - 1]  # 999,960 is "$1.0M", not "$1000K"
        return f"{sign}${value / size:,.{digits}f}{suffix}"
    raise AssertionError("unreachable: the last step takes every amount")
