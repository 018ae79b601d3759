"""As-of track records never look at the film itself or at anything released later."""

from __future__ import annotations

import numpy as np

from boxoffice.core.history import as_of, look_up, track_table


def _days(*iso: str) -> np.ndarray:
    return np.array(iso, dtype="datetime64[D]")


def test_as_of_sees_only_films_released_strictly_before() -> None:
    keys = np.array(["a", "a", "a", "b", "a"], dtype=object)
    days = _days("2001-01-01", "2002-01-01", "2002-01-01", "2000-01-01", "2003-01-01")
    y = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    count, mean = as_of(keys, days, y)
    # The 2002 films do not see each other; the 2003 film sees the three earlier "a" films.
    assert count.tolist() == [0, 1, 1, 0, 3]
    assert np.isnan(mean[0]) and np.isnan(mean[3])
    assert mean[1] == mean[2] == 1.0
    assert mean[4] == (1.0 + 2.0 + 4.0) / 3


def test_as_of_ignores_later_films_whatever_the_row_order() -> None:
    rng = np.random.default_rng(0)
    n = 200
    keys = rng.choice(["a", "b", "c"], n).astype(object)
    days = np.datetime64("2000-01-01") + rng.integers(0, 3000, n)
    y = rng.normal(size=n)
    count, mean = as_of(keys, days, y)
    for i in range(n):
        earlier = (keys == keys[i]) & (days < days[i])
        assert count[i] == earlier.sum()
        if earlier.any():
            assert np.isclose(mean[i], y[earlier].mean())


def test_missing_key_is_unknown_and_unseen_key_has_no_films() -> None:
    keys = np.array(["a", None], dtype=object)
    count, mean = as_of(keys, _days("2000-01-01", "2001-01-01"), np.array([1.0, 2.0]))
    assert count[0] == 0 and np.isnan(count[1])
    table = track_table(np.array(["a", "a", None], dtype=object), np.array([1.0, 3.0, 9.0]))
    assert table == {"a": [2, 2.0]}
    count, mean = look_up(["a", "new", None], table)
    assert count[:2].tolist() == [2, 0] and np.isnan(count[2])
    assert mean[0] == 2.0 and np.isnan(mean[1])
