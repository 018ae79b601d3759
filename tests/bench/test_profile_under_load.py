"""bench/profile_under_load.py puts each py-spy sample in one layer, the first that matches."""

from __future__ import annotations

import pytest
from bench.profile_under_load import FRAMEWORK, markdown, summarise

SITE = "/work/.venv/lib/python3.11/site-packages/"
REQUEST = (
    "run_asgi (uvicorn/protocols/http/httptools_impl.py:422);"
    "predict_one (/app/src/boxoffice/serving/routes/predictions.py:70)"
)
RAW = "\n".join(
    [
        f"{REQUEST};predict_films (/app/src/boxoffice/serving/service.py:61);"
        f"Session.run ({SITE}onnxruntime/capi/onnxruntime_inference_collection.py:406) 3",
        f"{REQUEST};predict_films (/app/src/boxoffice/serving/service.py:79) 2",
        f"{REQUEST};_json (/app/src/boxoffice/serving/routes/predictions.py:22) 1",
        "Thread.run (threading.py:982);Shipper._run (/app/src/boxoffice/serving/shipper.py:100) 1",
        f"RequestResponseCycle.send ({SITE}uvicorn/protocols/http/httptools_impl.py:524) 3",
        "not a stack line",
    ]
)


def test_each_sample_lands_in_the_first_layer_its_stack_matches() -> None:
    result = summarise(RAW)
    assert result["samples"] == 10
    assert result["layers"] == {
        "ONNX Runtime": 0.3,
        "prediction path": 0.2,
        "route": 0.1,
        "lake shipper (background thread)": 0.1,
        FRAMEWORK: 0.3,
    }
    top = result["top_self"][0]
    assert top["share"] == 0.3 and "site-packages" not in top["function"]


def test_the_table_names_every_layer_and_the_load() -> None:
    result = summarise(RAW) | {"load": {"connections": 32, "seconds": 15, "rps": 3000.0}}
    text = markdown(result)
    assert "3,000 req/s" in text and "| ONNX Runtime | 30% |" in text


def test_an_empty_recording_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no samples"):
        summarise("")
