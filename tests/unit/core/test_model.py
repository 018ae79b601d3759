from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from boxoffice.core.intervals import conformal_offsets
from boxoffice.core.model import BoxOfficeRegressor, _calibration_part, release_years
from boxoffice.core.params import FeatureSpec
from boxoffice.core.signature import HorizonBand, Interval, IntervalBucket
from boxoffice.pipeline.export import to_onnx

SPECS = (
    FeatureSpec(column="b", field="budget", kind="numeric", required=True, monotone="increasing"),
    FeatureSpec(column="d", field="date", kind="date", required=True, parts=["year", "month"]),
    FeatureSpec(column="g", field="genre", kind="categorical"),
)
CPI = tuple((year, 100.0 * 1.03 ** (year - 1990)) for year in range(1990, 2011))


def _data(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    budget = rng.uniform(1, 10, n)
    genre = rng.choice(["a", "b", "c"], n)
    days = np.datetime64("1995-01-01") + rng.integers(0, 16 * 365, n)
    y = np.log(budget) + (genre == "a") * 1.0 + rng.normal(0, 0.2, n)
    frame = pd.DataFrame({"budget": budget, "date": days.astype(str), "genre": genre})
    return frame, y


def _model(**kwargs: object) -> BoxOfficeRegressor:
    settings: dict[str, object] = {"features": SPECS, "max_iter": 30, "calibration_years": 0}
    return BoxOfficeRegressor(**(settings | kwargs))


def test_conformal_offsets_bracket_the_requested_share() -> None:
    residuals = np.random.default_rng(0).normal(size=10_000)
    low, high = conformal_offsets(residuals, 0.8)
    inside = ((residuals >= low) & (residuals <= high)).mean()
    assert 0.79 <= inside <= 0.82
    assert low < 0 < high


@pytest.mark.parametrize("n", [30, 100, 517])
def test_conformal_offsets_are_the_split_conformal_order_statistics(n: int) -> None:
    # Residuals 1..n shuffled: the k-th smallest is k. At 80%, k_low = floor((n+1) * 0.1)
    # and k_high = ceil((n+1) * 0.9); one order statistic higher over-covers every interval.
    residuals = np.random.default_rng(n).permutation(np.arange(1, n + 1, dtype=np.float64))
    low, high = conformal_offsets(residuals, 0.8)
    assert (low, high) == (math.floor((n + 1) * 0.1), math.ceil((n + 1) * 0.9))


def test_conformal_offsets_clamp_a_tiny_sample_to_its_extremes() -> None:
    assert conformal_offsets(np.array([3.0, -1.0, 2.0]), 0.8) == (-1.0, 3.0)


def test_fit_returns_self_and_learns_state() -> None:
    X, y = _data()
    model = _model(calibration_years=2)
    assert model.fit(X, y) is model
    assert list(model.feature_names_in_) == ["budget", "date", "genre"]
    assert model.signature_.field("genre").categories is not None
    assert model.signature_.interval.low < 0 < model.signature_.interval.high
    assert model.signature_.first_film is not None and model.signature_.first_film >= "1995"


def test_predict_before_fit_raises() -> None:
    with pytest.raises(NotFittedError):
        BoxOfficeRegressor(features=SPECS).predict(_data()[0])


def test_predict_refuses_unknown_fields() -> None:
    X, y = _data()
    model = _model().fit(X, y)
    with pytest.raises(ValueError, match="unknown feature fields"):
        model.predict(X.assign(title="x"))


def test_fit_without_features_or_with_missing_field_fails() -> None:
    X, y = _data()
    with pytest.raises(ValueError, match="at least one feature"):
        BoxOfficeRegressor().fit(X, y)
    with pytest.raises(ValueError, match="lacks feature fields"):
        BoxOfficeRegressor(features=SPECS).fit(X[["budget"]], y)


def test_monotone_budget_never_lowers_prediction() -> None:
    X, y = _data()
    model = _model(max_iter=50).fit(X, y)
    grid = pd.DataFrame(
        {"budget": np.linspace(0.5, 12, 50), "date": ["2005-06-01"] * 50, "genre": ["b"] * 50}
    )
    assert (np.diff(model.predict(grid)) >= 0).all()


def test_constant_dollars_return_nominal_dollars_of_the_release_year() -> None:
    # Grosses that only follow inflation: in constant dollars the target is flat, so the
    # nominal forecast for a later year is higher by the CPI ratio.
    X, _ = _data(600)
    years = pd.to_datetime(X["date"]).dt.year.to_numpy()
    y = np.log(5.0) + np.log(1.03) * (years - 1990)
    model = _model(cpi=CPI, base_year=2010, max_iter=50).fit(X, y)
    films = pd.DataFrame({"budget": [5.0, 5.0], "date": ["1996-06-01", "2006-06-01"]})
    films["genre"] = "b"
    early, late = model.predict(films)
    assert late - early == pytest.approx(10 * np.log(1.03), abs=0.05)


def test_two_trainings_give_byte_identical_onnx_graphs() -> None:
    X, y = _data()
    first = to_onnx(_model(mask_rate=0.3, mask_copies=1, ensemble=({}, {"max_iter": 20})).fit(X, y))
    second = to_onnx(
        _model(mask_rate=0.3, mask_copies=1, ensemble=({}, {"max_iter": 20})).fit(X, y)
    )
    assert first == second


def test_the_pickled_model_is_the_same_on_any_thread_count() -> None:
    """model.joblib is a DVC output: bytes that follow the core count make a fresh clone's
    `dvc repro` on another machine record another model (the trees themselves agree)."""
    import io

    import joblib
    from threadpoolctl import threadpool_limits

    X, y = _data()
    dumped = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="openmp"):
            model = _model(ensemble=({}, {"max_iter": 20})).fit(X, y)
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        dumped.append(buffer.getvalue())
    assert dumped[0] == dumped[1]


def test_a_calibration_fits_residuals_do_not_depend_on_the_fits_before_it() -> None:
    """Each calibration fit hides fields with its own seeded draws, so the fits may run in
    any order (or process) and give the same residuals: done last to first here, they are
    the loop's. One shared random stream made each fit's draws follow the fits before it."""
    X, y = _data(600)
    model = _model(calibration_years=3, mask_rate=0.3, mask_copies=1)
    years = release_years(X, "date")
    fits = model._calibration_fits(years)
    backwards = {
        k: _calibration_part(model, X, y, years, start, recent, k)
        for k, (start, recent) in reversed(list(enumerate(fits)))
    }
    expected = np.concatenate([v for k in range(len(fits)) for v in backwards[k]["value"]])
    np.testing.assert_array_equal(model.calibration_residuals(X, y, years).value, expected)


def _buzz_data(n: int, seed: int, source_missing: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """A flop (30% of films, -2 on the log gross) shows in an optional ``buzz`` score.

    In the source, buzz is missing for most flops (informative); at request time callers
    leave it out at random, whatever the film.
    """
    rng = np.random.default_rng(seed)
    X, y = _data(n, seed=seed)
    flop = rng.random(n) < 0.3
    X["buzz"] = np.where(flop, 0.0, 1.0) + rng.normal(0, 0.1, n)
    hidden = np.where(flop, 0.8, 0.05) if source_missing else np.full(n, 0.5)
    X["buzz"] = X["buzz"].where(rng.random(n) >= hidden, None)
    return X, np.where(flop, y - 2.0, y)


def test_intervals_hold_when_source_missingness_is_informative_but_random_at_request() -> None:
    specs = (*SPECS, FeatureSpec(column="z", field="buzz", kind="numeric"))
    X, y = _buzz_data(3000, seed=3, source_missing=True)
    model = _model(
        features=specs,
        max_iter=60,
        mask_rate=0.3,
        mask_copies=2,
        calibration_years=3,
        interval_buckets=(0, 1, 2),
    )
    model.fit(X, y)
    Xn, yn = _buzz_data(3000, seed=4, source_missing=False)
    pred, low, high = model.predict_interval(Xn)
    covered = (yn >= low) & (yn <= high)
    unsent = Xn["buzz"].isna().to_numpy()
    # Never short of the level; conservative (up to 0.95) where the source's missingness
    # still colours the calibration residuals (0.91-0.93 on this seed, by the hiding draws).
    assert 0.75 <= covered.mean() <= 0.9
    assert 0.75 <= covered[unsent].mean() <= 0.95
    # Not sent is not "flop": the forecast sits near the mixture's mean (-0.6), not at -2.
    assert np.mean(yn[unsent] - pred[unsent]) > -1.0


def _real(frame: pd.DataFrame) -> np.ndarray:
    """Budget in constant units of 2010 (CPI up 3% a year)."""
    years = pd.to_datetime(frame["date"]).dt.year.to_numpy()
    return np.asarray(frame["budget"].to_numpy() * 1.03 ** (2010 - years))


def _heteroscedastic(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    # Small films (under 10 in constant units) miss by far more than big ones.
    rng = np.random.default_rng(seed)
    budget = np.exp(rng.uniform(np.log(1.0), np.log(100.0), n))
    days = np.datetime64("1995-01-01") + rng.integers(0, 16 * 365, n)
    genre = rng.choice(["a", "b", "c"], n)
    frame = pd.DataFrame({"budget": budget, "date": days.astype(str), "genre": genre})
    noise = np.where(_real(frame) < 10.0, 1.5, 0.3) * rng.normal(size=n)
    return frame, np.log(budget) + noise


def test_intervals_are_calibrated_per_budget_band() -> None:
    dollar = (
        FeatureSpec(column="b", field="budget", kind="numeric", required=True, dollars=True),
        *SPECS[1:],
    )
    X, y = _heteroscedastic(3000, seed=5)
    settings: dict[str, object] = {"features": dollar, "max_iter": 40, "calibration_years": 3}
    Xn, yn = _heteroscedastic(3000, seed=6)
    small = _real(Xn) < 10.0  # the band is judged on the deflated budget

    def coverage(model: BoxOfficeRegressor) -> tuple[float, float]:
        _, low, high = model.predict_interval(Xn)
        covered = (yn >= low) & (yn <= high)
        return covered[small].mean(), covered[~small].mean()

    banded = BoxOfficeRegressor(**(settings | {"interval_bands": (0.0, 10.0)}), cpi=CPI)
    one_band = BoxOfficeRegressor(**settings, cpi=CPI)
    banded.fit(X, y)
    one_band.fit(X, y)
    assert banded.signature_.interval.band_field == "budget"
    assert {b.min_band for b in banded.signature_.interval.buckets} == {0.0, 10.0}
    # One set of offsets under-covers the small films; per band, both hold the level.
    assert coverage(one_band)[0] < 0.72
    assert all(0.74 <= share <= 0.87 for share in coverage(banded))


def test_interval_offsets_pick_the_cell_of_sent_fields_and_band() -> None:
    interval = Interval(
        level=0.8,
        low=-1.0,
        high=1.0,
        band_field="budget",
        buckets=[
            IntervalBucket(min_sent=s, min_band=b, low=-(10 * b + s + 1), high=10 * b + s + 1)
            for b in (0.0, 1.0)
            for s in (0, 2)
        ],
    )
    sent = np.array([0, 3, 0, 3, 3])
    band = np.array([0.5, 0.5, 5.0, 5.0, np.nan])
    _, high = interval.offsets(sent, band)
    assert high.tolist() == [1.0, 3.0, 11.0, 13.0, 3.0]  # unknown budget: the first band
    assert interval.offsets(sent)[1].tolist() == [1.0, 3.0, 1.0, 3.0, 3.0]


def test_interval_offsets_widen_by_the_horizon_band() -> None:
    interval = Interval(
        level=0.8,
        low=-1.0,
        high=2.0,
        horizons=[
            HorizonBand(min_years=1, scale=1.0),
            HorizonBand(min_years=4, scale=1.5),
            HorizonBand(min_years=7, scale=2.0),
        ],
    )
    low, high = interval.offsets(np.array([0, 0, 0, 0]), None, np.array([-3.0, 3.0, 5.0, 9.0]))
    # Within the data (below 1 year) and 1-3 years: scale 1; farther: 1.5 and 2 times as wide
    # around the centre 0.5.
    assert high.tolist() == [2.0, 2.0, 2.75, 3.5]
    assert low.tolist() == [-1.0, -1.0, -1.75, -2.5]
    assert interval.band_of(9.0) == interval.horizons[2]


def test_a_release_within_the_data_is_never_widened_even_when_the_first_band_is() -> None:
    interval = Interval(
        level=0.8,
        low=-1.0,
        high=2.0,
        horizons=[HorizonBand(min_years=1, scale=1.2), HorizonBand(min_years=4, scale=1.5)],
    )
    low, high = interval.offsets(np.array([0, 0]), None, np.array([0.0, 2.0]))
    assert high.tolist() == [2.0, pytest.approx(0.5 + 1.5 * 1.2)]
    assert low.tolist() == [-1.0, pytest.approx(0.5 - 1.5 * 1.2)]


def _offsets_one_bucket_at_a_time(
    interval: Interval, sent: np.ndarray, band: np.ndarray | None, horizon: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The rule as the docstring states it, a bucket and a band at a time (the old code)."""
    low, high = np.full(len(sent), interval.low), np.full(len(sent), interval.high)
    for bucket in interval.buckets:
        reached = sent >= bucket.min_sent
        if bucket.min_band > 0:
            if band is None:
                continue
            reached &= band >= bucket.min_band
        low[reached], high[reached] = bucket.low, bucket.high
    if horizon is not None and len(interval.horizons) >= 2:
        scale = np.ones(len(horizon))
        for h in interval.horizons:
            scale[horizon >= h.min_years] = h.scale
        centre, half = (low + high) / 2, (high - low) / 2
        low, high = centre - half * scale, centre + half * scale
    return low, high


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True),
    st.lists(st.floats(0, 300), min_size=1, max_size=3, unique=True),
    st.lists(st.integers(0, 8), min_size=1, max_size=20),
    st.lists(st.one_of(st.none(), st.floats(0, 400)), min_size=20, max_size=20),
    st.lists(st.one_of(st.none(), st.floats(-5, 12)), min_size=20, max_size=20),
    st.booleans(),
)
def test_interval_offsets_all_rows_at_once_are_the_rule_a_bucket_at_a_time(
    sent_edges: list[int],
    band_edges: list[float],
    sent: list[int],
    band: list[float | None],
    horizon: list[float | None],
    banded: bool,
) -> None:
    buckets = [
        IntervalBucket(min_sent=s, min_band=b, low=-(b + s + 1), high=2 * b + s + 1)
        for b in sorted(band_edges)
        for s in sorted(sent_edges)
    ]
    horizons = [HorizonBand(min_years=1, scale=1.0), HorizonBand(min_years=4, scale=1.5)]
    interval = Interval(level=0.8, low=-0.5, high=0.5, buckets=buckets, horizons=horizons)
    n = len(sent)
    rows = np.array(sent)
    bands = np.array([np.nan if v is None else v for v in band[:n]]) if banded else None
    years = np.array([np.nan if v is None else v for v in horizon[:n]])
    for h in (None, years):
        want = _offsets_one_bucket_at_a_time(interval, rows, bands, h)
        # Both paths on every example, whatever the row count that picks one of them.
        for got in (interval._all_offsets(rows, bands, h), interval._few_offsets(rows, bands, h)):
            assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
        assert interval.offsets(rows, bands, h)[1].tolist() == want[1].tolist()


def _drifting(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A genre effect that grows year by year: trees cannot extrapolate a trend, so the
    farther the test year from the last training film, the larger the error."""
    rng = np.random.default_rng(seed)
    budget = rng.uniform(1, 10, n)
    genre = rng.choice(["a", "b"], n)
    days = np.datetime64("1990-01-01") + rng.integers(0, 21 * 365, n)
    year = days.astype("datetime64[Y]").astype(int) + 1970
    drift = 0.12 * (year - 1990)
    y = np.log(budget) + (genre == "a") * drift + rng.normal(0, 0.2, n)
    return pd.DataFrame({"budget": budget, "date": days.astype(str), "genre": genre}), y


def test_intervals_widen_with_the_horizon_when_errors_grow_with_it() -> None:
    X, y = _drifting(3000, seed=3)
    model = _model(
        max_iter=40,
        calibration_years=3,
        horizon_bands=(1, 4, 7),
        horizon_fits=3,
        max_years_ahead=10,
    ).fit(X, y)
    bands = model.signature_.interval.horizons
    assert [b.min_years for b in bands] == [1, 4, 7]
    assert bands[2].scale > bands[1].scale > bands[0].scale >= 1.0
    assert all(b.residuals > 0 for b in bands)
    near = X.assign(date="2011-06-01")
    far = X.assign(date="2019-06-01")
    _, low_near, high_near = model.predict_interval(near)
    _, low_far, high_far = model.predict_interval(far)
    assert ((high_far - low_far) > (high_near - low_near)).all()


def test_without_horizon_bands_no_older_fits_are_made() -> None:
    X, y = _drifting(800, seed=4)
    model = _model(calibration_years=2, horizon_fits=3).fit(X, y)  # one band: no widening
    assert model.signature_.interval.horizons == []


def test_thin_cell_borrows_the_offsets_of_fewer_fields_in_its_own_band() -> None:
    from boxoffice.core.intervals import _cells

    rng = np.random.default_rng(0)
    n = 400
    band = np.where(np.arange(n) < n // 2, 1.0, 100.0)  # two bands, small films noisier
    residuals = rng.normal(0, np.where(band < 10, 2.0, 0.5))
    sent = np.ones(n, dtype=np.int64)  # nobody sent 4+ fields
    interval = _cells(
        residuals,
        sent,
        np.ones(n),
        band,
        level=0.8,
        sent_edges=[0, 1, 4],
        band_edges=[0.0, 10.0],
        band_field="budget",
    )
    cells = {(c.min_band, c.min_sent): (c.low, c.high) for c in interval.buckets}
    assert cells[(10.0, 4)] == cells[(10.0, 1)]  # the big films' own band, not the pool
    assert cells[(0.0, 4)] == cells[(0.0, 1)]
    assert cells[(10.0, 4)][1] < cells[(0.0, 4)][1]


def test_estimator_defaults_are_the_train_params_defaults() -> None:
    # They once disagreed (smoothing 10 vs 5, min count 3 vs 2): one home, the params.
    from boxoffice.core.params import TrainParams

    model = BoxOfficeRegressor()
    for name in ("category_smoothing", "category_min_count", "interval_level"):
        assert getattr(model, name) == TrainParams.model_fields[name].default, name
    assert model.calibration_years == TrainParams.model_fields["calibration_years"].default


def test_fit_builds_the_encoder_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import boxoffice.core.model as model_module

    built: list[object] = []

    class Counting(model_module.Encoder):
        def __init__(self, signature: object) -> None:
            built.append(signature)
            super().__init__(signature)

    monkeypatch.setattr(model_module, "Encoder", Counting)
    fixed = Interval(level=0.8, low=-1.0, high=1.0)
    # The calibration fits clones of their own; only this model's encoder is counted here.
    monkeypatch.setattr(BoxOfficeRegressor, "_calibrate", lambda *_: fixed)
    X, y = _data()
    model = _model(calibration_years=2).fit(X, y)
    assert len(built) == 1
    assert model.encoder_.signature is model.signature_
    assert model.signature_.interval == fixed
