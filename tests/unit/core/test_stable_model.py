"""A fitted model's pickle is the same bytes in every interpreter (dvc.lock stays put)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np

from boxoffice.core.dollars import dollars_for
from boxoffice.core.signature import Interval, IntervalBucket, Signature
from tests.conftest import ROOT

# The declared schema sets many fields per feature: pydantic's fields-set is a set, whose
# order followed the hash seed before StableModel.
_DIGEST = (
    "import hashlib, pickle\n"
    "from boxoffice.core.params import load_params\n"
    f"p = load_params({str(ROOT / 'params.yaml')!r})\n"
    "print(hashlib.sha256(pickle.dumps(p.feature_schema, protocol=5)).hexdigest())\n"
)


def _digest(seed: str) -> str:
    env = os.environ | {"PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_same_params_pickle_alike_under_two_hash_seeds() -> None:
    assert _digest("1") == _digest("2")


def test_a_model_survives_the_round_trip_with_its_fields_set() -> None:
    sig = Signature.model_validate(
        {
            "target": "y",
            "inputs": [],
            "interval": {"level": 0.8, "low": -1.0, "high": 1.0},
            "profile": "p",
        }
    )
    back = pickle.loads(pickle.dumps(sig))  # noqa: S301 - our own bytes
    assert back == sig
    assert (
        back.model_fields_set == sig.model_fields_set == {"target", "inputs", "interval", "profile"}
    )
    assert isinstance(back.model_fields_set, set)


def _interval() -> Interval:
    buckets = [IntervalBucket(min_sent=s, min_band=0.0, low=-1.0 - s, high=1.0 + s) for s in (0, 2)]
    return Interval(level=0.8, low=-1.0, high=1.0, buckets=buckets)


def test_caches_are_neither_pickled_nor_copied_nor_compared() -> None:
    """Interval and Dollars cache arrays for speed (cached_property, in ``__dict__``)."""
    many = np.array([0, 1, 2, 3] * 3)  # past the few-rows path: the grid is cached
    cold, warm = _interval(), _interval()
    warm.offsets(many)
    assert "_grid" in warm.__dict__
    assert pickle.dumps(warm, protocol=5) == pickle.dumps(cold, protocol=5)
    assert warm == cold and warm == pickle.loads(pickle.dumps(warm))  # noqa: S301 - our own bytes
    wider = warm.model_copy(update={"buckets": [IntervalBucket(min_sent=0, low=-9.0, high=9.0)]})
    assert wider.offsets(many)[1].tolist() == [9.0] * len(many)  # not the copied grid's
    dollars = dollars_for({y: 100.0 + y - 2000 for y in range(2000, 2011)}, 2010, 0.02, since=2000)
    dollars.log_factor(np.array([2000.0]))
    assert "_factors" in dollars.__dict__
    assert "_factors" not in dollars.model_copy().__dict__
