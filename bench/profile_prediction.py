"""Where one ``POST /v1/prediction`` spends its time inside the worker, step by step.

    python bench/profile_prediction.py     # about 20 seconds; the shipped pre_release model

Each step of the prediction path runs alone in a loop on one thread (the median of many
calls, in microseconds): request validation, the columns, encoding, the ONNX Runtime call,
the deflator and interval offsets, the response, the spool write, the Prometheus metrics and
serialisation. The model and the whole call are timed twice: on the same film each call, and
on bench/films.py's 1,000 different films in turn (what traffic looks like: one film again
and again keeps its trees in the CPU's caches). The framework's own share (HTTP parsing,
routing, the ASGI and gunicorn layers) is what the echo app of bench/serving.py measures;
this script reads it from bench/results/serving.json when it is there. Writes
bench/results/profile.json and .md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
import pyarrow as pa  # noqa: E402
from bench.films import FEATURES, request_films, splits_of  # noqa: E402
from bench.serving import BATCH, DEFAULT_MODEL, FILM  # noqa: E402

from boxoffice.core.predictor import OnnxPredictor  # noqa: E402
from boxoffice.core.request_model import film_model  # noqa: E402
from boxoffice.lake.prediction_log import (  # noqa: E402
    LOG_SCHEMA,
    Lake,
    log_record,
    read_spool_lines,
    spool_line,
)
from boxoffice.serving import metrics  # noqa: E402
from boxoffice.serving.model_state import LoadedModel  # noqa: E402
from boxoffice.serving.routes.predictions import batch_model  # noqa: E402
from boxoffice.serving.service import AppState, film_row, predict_films, request_ids  # noqa: E402
from boxoffice.serving.shipper import ship_segment  # noqa: E402
from boxoffice.serving.spool import Spool, SpoolDir  # noqa: E402


def median_us(step: Callable[[], object], calls: int) -> float:
    for _ in range(min(200, calls)):  # warm-up: lazy set-up, caches
        step()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1e6, 1)


def steps(
    model_dir: Path, spool_dir: Path, splits: tuple[Path, Path]
) -> dict[str, Callable[[], object]]:
    predictor = OnnxPredictor.load(model_dir)
    signature, encoder = predictor.signature, predictor.encoder
    film_class = film_model(signature)
    body = json.dumps(FILM).encode()
    film = film_class.model_validate_json(body)
    row = film.model_dump(exclude_none=True)
    columns = {item.field: [row.get(item.field)] for item in signature.inputs}
    matrix = encoder(columns, 1)
    # Real traffic: a different film each call (the same film keeps its trees in the caches).
    others = [film_class.model_validate(other) for other in request_films(model_dir, BATCH, splits)]
    other_rows = [o.model_dump(exclude_none=True) for o in others]
    whole = encoder(
        {i.field: [r.get(i.field) for r in other_rows] for i in signature.inputs}, BATCH
    )
    next_row = itertools.cycle([whole[i : i + 1] for i in range(BATCH)]).__next__
    next_film = itertools.cycle(others).__next__
    owned = SpoolDir.try_claim(spool_dir)
    assert owned is not None
    spool = Spool(owned, seal_records=1000, seal_seconds=2.0, max_records=10**9)
    state = AppState(holder=SimpleNamespace(current=LoadedModel(predictor, "sha-0")), spool=spool)  # type: ignore[arg-type]
    result = predict_films(state, [film], "prediction")[0]

    def log_one() -> None:  # what the service spools for one film
        record = log_record(
            request_id=result["request_id"],
            ts=dt.datetime.now(dt.UTC).isoformat(),
            model_version=result["model_version"],
            profile=result["profile"],
            route="prediction",
            inputs=row,
            worldwide_gross=result["worldwide_gross"],
            low=result["interval"]["low"],
            high=result["interval"]["high"],
            level=result["interval"]["level"],
            latency_ms=1.0,
        )
        spool.append_batch([record])

    def observe() -> None:
        metrics.PREDICTED.observe(result["worldwide_gross"])
        metrics.PREDICTIONS.labels("sha-0").inc(1)

    return {
        "validate (pydantic, from JSON bytes)": lambda: film_class.model_validate_json(body),
        "the film's row + columns": lambda: {
            i.field: [film_row(film).get(i.field)] for i in signature.inputs
        },
        "encode (one row)": lambda: encoder(columns, 1),
        "ONNX Runtime run, the same film each call": lambda: predictor.trees(matrix),
        "ONNX Runtime run, a different film each call": lambda: predictor.trees(next_row()),
        "deflator + interval offsets": lambda: (
            encoder.log_deflator(columns, 1),
            encoder.interval_offsets(columns, 1),
        ),
        "input edges (warnings) + request id": lambda: (
            predictor.edges.check(columns, 1),
            request_ids(1),
        ),
        "log record + spool append (zero-loss log)": log_one,
        "Prometheus metrics": observe,
        "JSON serialisation (orjson)": lambda: orjson.dumps(result),
        "the whole service call (predict_films), the same film": lambda: predict_films(
            state, [film], "prediction"
        ),
        "the whole service call (predict_films), a different film each call": lambda: predict_films(
            state, [next_film()], "prediction"
        ),
    }


def batch_steps(
    model_dir: Path, work: Path, splits: tuple[Path, Path]
) -> dict[str, Callable[[], object]]:
    """One 1,000-film request, step by step, and what shipping its records costs later.

    The stdlib's JSON, which the spool and the response used before, is timed in the same run
    as the baseline of the orjson that replaced it.
    """
    predictor = OnnxPredictor.load(model_dir)
    batch_class = batch_model(film_model(predictor.signature), BATCH)
    body = json.dumps({"films": request_films(model_dir, BATCH, splits)}).encode()
    films = batch_class.model_validate_json(body).films  # type: ignore[attr-defined]
    same = batch_class.model_validate({"films": [FILM] * BATCH}).films  # type: ignore[attr-defined]
    owned = SpoolDir.try_claim(work / "spool")
    assert owned is not None
    spool = Spool(owned, seal_records=10**9, seal_seconds=3600.0, max_records=10**9)
    state = AppState(holder=SimpleNamespace(current=LoadedModel(predictor, "sha-0")), spool=spool)  # type: ignore[arg-type]
    results = predict_films(state, films, "predictions")
    payload = {"predictions": results, "model_version": "sha-0"}
    spool.seal()
    segment = owned.segments()[0]  # exactly what the service spooled for one request
    spooled = segment.read_bytes()
    records = orjson.loads(spooled.splitlines()[0])["records"]  # as the service built them
    lake = Lake(str(work / "lake"))
    signature = predictor.signature
    rows = [film.model_dump(exclude_none=True) for film in films]
    columns = {item.field: [row.get(item.field) for row in rows] for item in signature.inputs}
    matrix = predictor.encoder(columns, BATCH)
    same_matrix = predictor.encoder(
        {
            i.field: [f.model_dump(exclude_none=True).get(i.field) for f in same]
            for i in signature.inputs
        },
        BATCH,
    )

    typed = [row | {"ts": dt.datetime.fromisoformat(row["ts"])} for row in records]

    def ship() -> None:
        # ship_segment deletes what it shipped: ship a fresh copy each time.
        copy = work / "seg-00000001.ready"
        copy.write_bytes(segment.read_bytes())
        ship_segment(lake, "bench", copy)

    return {
        "validate 1,000 films (pydantic, from JSON bytes)": lambda: batch_class.model_validate_json(
            body
        ),
        "encode 1,000 films": lambda: predictor.encoder(columns, BATCH),
        "ONNX Runtime run, 1,000 different films": lambda: predictor.trees(matrix),
        "ONNX Runtime run, the same film 1,000 times (what the bench sent before)": lambda: (
            predictor.trees(same_matrix)
        ),
        "the whole service call (predict_films, spool included)": lambda: predict_films(
            state, films, "predictions"
        ),
        "spool line, orjson": lambda: spool_line(records),
        "spool line, stdlib json (before)": lambda: json.dumps(
            {"records": records}, separators=(",", ":"), default=str
        ),
        "response, orjson": lambda: orjson.dumps(payload),
        "response, stdlib json (before)": lambda: json.dumps(payload, separators=(",", ":")),
        "shipper: the records to Parquet in the lake (background thread)": ship,
        "shipper's table, Arrow's JSON reader": lambda: read_spool_lines(spooled),
        # Last: its first call imports pandas, which the steps above must not pay for.
        "shipper's table, pa.Table.from_pylist (before)": lambda: pa.Table.from_pylist(
            typed, schema=LOG_SCHEMA
        ),
    }


def framework_us(serving_json: Path) -> dict[str, float] | None:
    """Per-request CPU of the echo and prediction apps under load (bench/serving.py)."""
    if not serving_json.exists():
        return None
    data = json.loads(serving_json.read_text())
    cpus = data.get("cpus") or 2
    echo, pred = data.get("echo", {}).get("rps"), data.get("prediction", {}).get("rps")
    if not echo or not pred:
        return None
    # Every core busy (workers + wrk): CPU time per request = cores / throughput.
    return {"echo": round(cpus / echo * 1e6, 1), "prediction": round(cpus / pred * 1e6, 1)}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| step (one row, one thread) | median µs |",
        "|---|---:|",
        *(f"| {name} | {us:,.1f} |" for name, us in result["steps_us"].items()),
    ]
    if result.get("batch_steps_us"):
        lines += [
            "",
            f"| step (one {BATCH:,}-film request, one thread) | median µs |",
            "|---|---:|",
            *(f"| {name} | {us:,.1f} |" for name, us in result["batch_steps_us"].items()),
        ]
    fw = result.get("under_load_cpu_us_per_request")
    if fw:
        lines += [
            "",
            f"Under load (bench/results/serving.json, every core busy): {fw['prediction']:,.0f}"
            f" µs of CPU per prediction request, {fw['echo']:,.0f} µs per echo request (the"
            " framework, gunicorn/uvicorn and wrk's share); the difference,"
            f" {fw['prediction'] - fw['echo']:,.0f} µs, is what the prediction path adds.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--batch-calls", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--features", type=Path, default=FEATURES, help="the featurize stage's splits folder"
    )
    args = parser.parse_args(argv)
    splits = splits_of(args.features)
    with tempfile.TemporaryDirectory() as tmp:
        measured = {
            name: median_us(step, args.calls)
            for name, step in steps(args.model, Path(tmp), splits).items()
        }
    with tempfile.TemporaryDirectory() as tmp:
        batch = {
            name: median_us(step, args.batch_calls)
            for name, step in batch_steps(args.model, Path(tmp), splits).items()
        }
    result: dict[str, Any] = {
        "model": str(
            args.model.relative_to(ROOT) if args.model.is_relative_to(ROOT) else args.model
        ),
        "calls_per_step": args.calls,
        "steps_us": measured,
        "batch_steps_us": batch,
        "under_load_cpu_us_per_request": framework_us(args.out / "serving.json"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "profile.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "profile.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
