"""One money format for everything the package prints (the page's formatMoney is its twin,
checked against these cases in tests/system/ui/test_page.py)."""

from __future__ import annotations

import pytest

from boxoffice.core.money import format_money

CASES = [
    (1.47e9, "$1.47B"),
    (438_676_549, "$438.7M"),
    (250_000, "$250K"),
    (218, "$218"),
    (999_960, "$1.0M"),  # the unit the rounded figure reaches, not "$1000K"
    (999_999_999, "$1.00B"),
    (600, "$600"),  # not "$1K": the unit an amount reaches, not one it rounds towards
    (999.6, "$1K"),
    (950_000, "$950K"),
    (0, "$0"),
    (-2.5e6, "-$2.5M"),
    (None, "—"),
    (float("nan"), "—"),
]


@pytest.mark.parametrize(("amount", "written"), CASES)
def test_amounts_are_written_one_way(amount: float | None, written: str) -> None:
    assert format_money(amount) == written
