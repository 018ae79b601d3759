"""Serving speed against the framework's limit, the reference course's recipe and MLflow.

    make bench-serving    # installs wrk and the `peers` extra (MLflow); about 4 minutes

Variants, one at a time, each with the worker count `make run` uses, on 127.0.0.1, driven by
wrk with 32 connections (a warm-up, then a measured run): ``prediction`` (this API),
``echo`` (the same request model, no inference, no logging: the framework's limit),
``seed_style`` (the course's recipe as the course ships it: a pickled scikit-learn pipeline,
a one-row DataFrame per request, behind the same gunicorn/uvicorn set-up), ``mlflow``
(MLflow's scoring server, ``mlflow models serve``, on that recipe saved with
``mlflow.sklearn``) and ``batch`` (1,000 films per request). Also the cold start: process
start to the first successful prediction. Writes bench/results/serving.json and serving.md.

Every variant sends the same 1,000 different films of the data in turn (bench/films.py), one
film a request or all of them in one batch: one film sent again and again keeps the model's
trees in the CPU's caches and flatters the model's share.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import joblib
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.films import request_films  # noqa: E402
from tests.support.server import Server  # noqa: E402

from boxoffice.core.params import load_params  # noqa: E402

# What `make run` serves (the server's own default, relative to the project).
DEFAULT_MODEL = ROOT / "models" / "pre_release" / "export"
FILM = {
    "production_budget": 150_000_000,
    "release_date": "2009-12-18",
    "mpaa_rating": "PG-13",
    "running_time_min": 130,
    "distributor": "Warner Bros.",
    "major_genre": "Action",
    "creative_type": "Science Fiction",
    "director": "Christopher Nolan",
}  # pre-release fields only: the default route refuses reviews and votes (422)
# Films per batch request, and the number of different films every variant sends in turn.
BATCH = 1000
LUA = """
-- One request per body line, built once per thread and sent in turn (different films).
local bodies = {}
for line in io.lines(os.getenv("WRK_BODIES")) do bodies[#bodies + 1] = line end
local prepared, next_one = {}, 0
init = function(args)
  for i, body in ipairs(bodies) do
    prepared[i] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
  end
end
request = function()
  next_one = next_one % #prepared + 1
  return prepared[next_one]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%.1f,'
    .. '"p99_us":%.1f,"errors":%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def wrk(
    url: str, bodies: list[dict[str, Any]], seconds: int, connections: int, tmp: Path
) -> dict[str, Any]:
    """wrk's figures for POSTing ``bodies`` in turn, one JSON body a request."""
    body_path, script = tmp / "bodies.jsonl", tmp / "post.lua"
    body_path.write_text("".join(json.dumps(body) + "\n" for body in bodies))
    script.write_text(LUA)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        env=os.environ | {"WRK_BODIES": str(body_path)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    return {
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "errors": raw["errors"],
    }


def rss_mb(pids: list[int]) -> float:
    sizes = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return round(max(sizes), 1) if sizes else float("nan")


def course_recipe(
    tmp: Path,
    train: Path = ROOT / "data" / "features" / "train.parquet",
    params_path: Path = ROOT / "params.yaml",
) -> tuple[Path, Path | None, list[str]]:
    """The reference course's recipe, trained on this project's training split: mean
    imputation + GradientBoostingRegressor on the profile's numeric fields, raw dollars.
    Saved as the course ships it (joblib) and with ``mlflow.sklearn`` when MLflow is there."""
    params = load_params(params_path)
    columns = [f.field for f in params.profile_features("pre_release") if f.kind == "numeric"]
    frame = pd.read_parquet(train)
    pipe = Pipeline(
        [
            ("impute", SimpleImputer(strategy="mean")),
            ("model", GradientBoostingRegressor(random_state=0)),
        ]
    )
    pipe.fit(frame[columns].astype(float), frame[params.feature_schema.target.field])
    joblib.dump(pipe, tmp / "course.joblib")
    try:
        import mlflow.sklearn
    except ImportError:
        return tmp / "course.joblib", None, columns
    # cloudpickle, MLflow 2's default (3 defaults to skops, an extra dependency).
    mlflow.sklearn.save_model(pipe, str(tmp / "course_mlflow"), serialization_format="cloudpickle")
    return tmp / "course.joblib", tmp / "course_mlflow", columns


def run_mlflow(
    model: Path,
    columns: list[str],
    films: list[dict[str, Any]],
    args: argparse.Namespace,
    tmp: Path,
) -> Any:
    """MLflow's scoring server (uvicorn workers) on the course's model, the same load."""
    command = [
        *(str(Path(sys.executable).parent / "mlflow"), "models", "serve", "-m", str(model)),
        *("-h", "127.0.0.1", "-p", "{port}", "--env-manager", "local", "-w", str(args.workers)),
    ]
    bin_dir = Path(sys.executable).parent
    # Our own model, just saved: the scoring server may unpickle it.
    env = {"MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true"}
    server = Server(Path("mlflow"), env, bin_dir, args.workers, command, ready_path="/ping")
    server.start(timeout_s=120)
    # A field the film lacks is sent as null: the course's imputer fills it.
    bodies = [{"dataframe_records": [{c: film.get(c) for c in columns}]} for film in films]
    try:
        httpx.post(server.url + "/invocations", json=bodies[0], timeout=30).raise_for_status()
        wrk(server.url + "/invocations", bodies, args.warmup, args.connections, tmp)
        result = wrk(server.url + "/invocations", bodies, args.seconds, args.connections, tmp)
    finally:
        server.stop()
    print(f"[serving] mlflow: {result}", file=sys.stderr, flush=True)
    return result


def api_server(
    model: Path, work: Path, workers: int, extra_env: dict[str, str] | None = None
) -> Server:
    """The API as `make run` serves it (docker/initializer.sh), its lake and spool in ``work``."""
    env = {
        "BOXOFFICE_MODEL_URI": str(model),
        "BOXOFFICE_LAKE_URI": str(work / "lake"),
        "BOXOFFICE_SPOOL_DIR": str(work / "spool"),
    } | (extra_env or {})
    return Server(ROOT / "docker" / "initializer.sh", env, Path(sys.executable).parent, workers)


def cold_start(args: argparse.Namespace, tmp: Path) -> float:
    """Process start to the first successful prediction (what a scale-from-zero costs)."""
    server = api_server(args.model, tmp / "cold", args.workers)
    try:
        seconds = server.start(
            probe=lambda: (
                httpx.post(server.url + "/v1/prediction", json=FILM, timeout=5).status_code == 200
            )
        )
    finally:
        server.stop()
    return round(seconds, 2)


def run_variant(
    name: str,
    factory: str | None,
    films: list[dict[str, Any]],
    args: argparse.Namespace,
    tmp: Path,
) -> dict[str, Any]:
    env = {"PYTHONPATH": str(ROOT / "bench")}
    if factory:
        env["APP_FACTORY"] = factory
    if name == "seed_style":
        env["SEED_MODEL"] = str(tmp / "course.joblib")
        # Same server settings as ours (one compute thread per worker), not OpenMP's default
        # of one thread per core in every worker, which oversubscribes the 2 cores.
        env["OMP_NUM_THREADS"] = "1"
    server = api_server(args.model, tmp / name, args.workers, env)
    startup = server.start()
    try:
        route = "/v1/predictions" if name == "batch" else "/v1/prediction"
        # One request of all the films, or one film a request in turn.
        bodies = [{"films": films[:BATCH]}] if name == "batch" else films
        check = httpx.post(server.url + route, json=bodies[0], timeout=30)
        check.raise_for_status()
        connections = 8 if name == "batch" else args.connections
        wrk(server.url + route, bodies, args.warmup, connections, tmp)
        result = wrk(server.url + route, bodies, args.seconds, connections, tmp)
        result |= {"startup_s": round(startup, 2), "rss_mb": rss_mb(server.worker_pids())}
    finally:
        server.stop()
    print(f"[serving] {name}: {result}", file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--workers", type=int, default=2, help="as `make run`")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        _, mlflow_model, columns = course_recipe(tmp)
        films = request_films(Path(args.model), BATCH)
        cold = cold_start(args, tmp)
        prediction = run_variant("prediction", None, films, args, tmp)
        echo = run_variant("echo", "apps:echo_app()", films, args, tmp)
        seed = run_variant("seed_style", "apps:seed_app()", films, args, tmp)
        batch = run_variant("batch", None, films, args, tmp)
        mlflow = (
            run_mlflow(mlflow_model, columns, films, args, tmp)
            if mlflow_model
            else {"not_run": "mlflow-skinny is not installed (make bench-serving installs it)"}
        )
    keys = ("rps", "p50_ms", "p99_ms", "errors")
    result = {
        "prediction": {k: prediction[k] for k in keys},
        "echo": {k: echo[k] for k in keys},
        "seed_style": {k: seed[k] for k in keys},
        "mlflow": mlflow,
        "batch": {
            "rows_per_s": round(batch["rps"] * BATCH),
            "errors": batch["errors"],
            "p99_ms": batch["p99_ms"],
        },
        "startup_s": prediction["startup_s"],
        "cold_start_s": cold,
        "rss_mb_per_worker": prediction["rss_mb"],
        "config": {
            "workers": args.workers,
            "connections": args.connections,
            "seconds": args.seconds,
            "warmup_s": args.warmup,
            "load_generator": "wrk",
            "films": f"{len(films)} different films of the data, in turn (bench/films.py)",
        },
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "serving.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = [("prediction", prediction), ("echo", echo), ("seed_style", seed)]
    rows += [("mlflow", mlflow)] if "rps" in mlflow else []
    table = "\n".join(
        f"| {name} | {r['rps']:.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} |"
        for name, r in rows
    )
    md = (
        f"wrk, {args.connections} connections, {args.seconds} s after a {args.warmup} s warm-up, "
        f"{args.workers} workers (docker/initializer.sh), all on this machine's 2 cores;"
        f" {len(films):,} different films of the data, sent in turn.\n\n"
        "| variant | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|\n"
        f"{table}\n\nbatch ({BATCH:,} different films per request):"
        f" {result['batch']['rows_per_s']:,} rows/s; "
        f"start to ready: {result['startup_s']} s; start to first prediction (cold start): "
        f"{result['cold_start_s']} s; RSS per worker: "
        f"{result['rss_mb_per_worker']} MB.\n"
    )
    (out / "serving.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
