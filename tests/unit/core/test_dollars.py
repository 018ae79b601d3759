"""Constant dollars from the committed CPI-U table, extrapolated past its end."""

from __future__ import annotations

import numpy as np
import pytest

from boxoffice.core.dollars import dollar_axes, dollar_label, dollars_for, read_cpi_table
from tests.conftest import ROOT

TABLE = read_cpi_table(ROOT / "data" / "reference" / "cpi_u_annual.csv")


def test_table_covers_the_data_and_matches_published_values() -> None:
    assert min(TABLE) == 1913 and max(TABLE) >= 2025
    assert TABLE[2010] == pytest.approx(218.056)  # BLS CPI-U annual average, 2010


def test_deflates_to_the_base_year_and_extrapolates_at_the_documented_rate() -> None:
    dollars = dollars_for(TABLE, 2010, 0.026, since=1990)
    last = max(TABLE)
    factors = dollars.log_factor(np.array([2010.0, 1990.0, last, last + 2.0]))
    assert factors[0] == 0.0
    assert np.exp(factors[1]) == pytest.approx(TABLE[2010] / TABLE[1990])
    assert factors[2] - factors[3] == pytest.approx(2 * np.log(1.026))


def test_unknown_base_year_is_refused() -> None:
    with pytest.raises(ValueError, match="base_year"):
        dollars_for(TABLE, 1800, 0.026, since=1990)


def test_dollar_labels_read_in_thousands_millions_and_billions() -> None:
    assert [dollar_label(v) for v in (500, 12_000, 3_400_000, 1.2e9, 1e8)] == [
        "$500",
        "$12K",
        "$3.4M",
        "$1.2B",
        "$100M",
    ]


def test_dollar_axes_are_log_scaled_and_labelled_in_dollars() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.scatter([1e6, 1e9], [2e6, 3e8])
    dollar_axes(ax, "x", "y")
    fig.canvas.draw()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = {t.get_text() for t in ax.get_xticklabels()}
    assert {"$10M", "$100M"} <= labels
    plt.close(fig)


def test_a_requests_few_years_get_the_bits_of_the_whole_array() -> None:
    """Serving looks a request's years up one by one; training deflates whole columns: the
    same factors to the last bit, unknown (NaN) and future years included."""
    dollars = dollars_for(TABLE, 2010, 0.026, since=1915)
    years = np.array([*range(1900, 2041), np.nan, -1.0, 2030.5])  # -1: no key clash with NaN
    whole = dollars._log_factors(years)  # the array path, whatever the count that picks it
    one_by_one = np.array([dollars._year_factor(year) for year in years.tolist()])
    assert whole.tobytes() == one_by_one.tobytes()
    assert dollars.log_factor(years).tobytes() == whole.tobytes()
    assert dollars.log_factor(years[:5]).tobytes() == whole[:5].tobytes()
    assert dollars.log_factor(np.array([])).shape == (0,)
