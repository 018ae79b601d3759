"""A fitted model's pickle is the same bytes in every interpreter (dvc.lock stays put)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

from boxoffice.core.signature import Signature
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
