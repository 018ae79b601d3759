"""Serving speed against fair floors, the reference course's recipe and MLflow.

    make bench-serving    # installs wrk and the `peers` extra (MLflow); about 8 minutes

Variants, each with the worker count `make run` uses, on 127.0.0.1, driven by wrk with 32
connections (8 for batch; a warm-up, then a measured run), in ``--rounds`` interleaved
rounds (A B C A B C ...; one run is not a figure on a shared 2-core machine): ``prediction``
(this API);
``nolog`` (the same, prediction log off); ``echo`` (the real app and route, validating with
the route's model, answering a constant like the route: the fair floor); ``bare`` (the real
app without validation: the framework); ``seed_style`` (the course's recipe as the course
ships it: a pickled scikit-learn pipeline, a one-row DataFrame per request, behind the same
gunicorn/uvicorn set-up); ``batch`` (1,000 films per request) and ``mlflow`` (MLflow's
scoring server, ``mlflow models serve``, on that recipe saved with ``mlflow.sklearn``). Each
round also measures one start: to ready and to the first successful prediction. Figures are
medians over the rounds with min and max; ratios are taken per round, then summarised.
Writes bench/results/serving.json and serving.md.

Every variant sends the same 1,000 different films of the data in turn (bench/films.py), one
film a request or all of them in one batch: one film sent again and again keeps the model's
trees in the CPU's caches and flatters the model's share.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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
from bench.films import request_films, splits_of  # noqa: E402
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
        if args.warmup:
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


def cold_start(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """Process start to ready, and to the first successful prediction (what a
    scale-from-zero costs), both from the same start: separate samples could put the first
    prediction before readiness."""
    server = api_server(args.model, tmp / "cold", args.workers)
    marks: dict[str, float] = {}
    began = time.monotonic()

    def probe() -> bool:
        if "ready" not in marks:
            if not server.ready():
                return False
            marks["ready"] = time.monotonic() - began
        answer = httpx.post(server.url + "/v1/prediction", json=FILM, timeout=5)
        return answer.status_code == 200

    try:
        first = server.start(probe=probe)
    finally:
        server.stop()
    return {"startup_s": round(marks["ready"], 2), "cold_start_s": round(first, 2)}


# The API variants: (gunicorn app factory or None for the real API, route). The floors are
# the real app with a part of the work taken out (bench/apps.py).
VARIANTS: dict[str, str | None] = {
    "prediction": None,
    "nolog": "apps:nolog_app()",
    "echo": "apps:echo_app()",
    "bare": "apps:bare_app()",
    "seed_style": "apps:seed_app()",
    "batch": None,
}


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
    work = Path(tempfile.mkdtemp(dir=tmp))
    server = api_server(args.model, work, args.workers, env)
    server.start()
    try:
        route = "/v1/predictions" if name == "batch" else "/v1/prediction"
        # One request of all the films, or one film a request in turn.
        bodies = [{"films": films[:BATCH]}] if name == "batch" else films
        check = httpx.post(server.url + route, json=bodies[0], timeout=30)
        check.raise_for_status()
        connections = args.batch_connections if name == "batch" else args.connections
        if args.warmup:  # 0: none (the suite's check of the machinery, not a figure)
            wrk(server.url + route, bodies, args.warmup, connections, tmp)
        result = wrk(server.url + route, bodies, args.seconds, connections, tmp)
        result["rss_mb"] = rss_mb(server.worker_pids())
    finally:
        server.stop()
    if name == "batch":
        result["rows_per_s"] = round(result["rps"] * BATCH)
    print(f"[serving] {name}: {result}", file=sys.stderr, flush=True)
    return result


def spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One variant over the rounds: the median of each figure at the top (what goals.py
    reads), with its min and max, and every round's figures."""
    out: dict[str, Any] = {"rounds": rounds}
    for key in ("rps", "rows_per_s", "p50_ms", "p99_ms", "rss_mb"):
        values = [r[key] for r in rounds if key in r]
        if values:
            s = spread(values)
            out[key] = s["median"]
            out[f"{key}_min"], out[f"{key}_max"] = s["min"], s["max"]
    out["errors"] = sum(r["errors"] for r in rounds)
    return out


# Ratios computed per round (both sides measured minutes apart, in the same round), then
# summarised.
RATIOS = {
    "prediction/echo rps": ("prediction", "echo", "rps"),
    "prediction/echo p99": ("prediction", "echo", "p99_ms"),
    "echo/bare rps": ("echo", "bare", "rps"),
    "nolog/echo rps": ("nolog", "echo", "rps"),
    "prediction/nolog rps": ("prediction", "nolog", "rps"),
    "prediction/mlflow rps": ("prediction", "mlflow", "rps"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--workers", type=int, default=2, help="as `make run`")
    parser.add_argument("--connections", type=int, default=32, help="one-film variants")
    # A batch client sends few large requests at once: 32 connections of 1,000 films each
    # queue 32,000 rows on 2 cores, past wrk's 2 s timeout (measured: 19 timeouts a run, half
    # the rows/s of 8 connections).
    parser.add_argument("--batch-connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved: A B C A B C ...")
    parser.add_argument("--variants", default=",".join([*VARIANTS, "mlflow"]))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument(
        "--features",
        default=str(ROOT / "data" / "features"),
        help="the splits (dvc repro writes them): the course's recipe learns from train, the "
        "load sends films of train and holdout",
    )
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    chosen = [v for v in args.variants.split(",") if v]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in chosen}
    starts: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        splits = splits_of(Path(args.features))
        _, mlflow_model, columns = course_recipe(tmp, splits[0], Path(args.params))
        films = request_films(Path(args.model), BATCH, splits)
        for _ in range(args.rounds):
            starts.append(cold_start(args, tmp))
            for name in chosen:
                if name == "mlflow":
                    if mlflow_model is None:
                        raise SystemExit("mlflow-skinny is not installed (make bench-serving)")
                    runs[name].append(run_mlflow(mlflow_model, columns, films, args, tmp))
                else:
                    runs[name].append(run_variant(name, VARIANTS[name], films, args, tmp))
    result: dict[str, Any] = {name: summary(r) for name, r in runs.items()}
    ratios = {}
    for label, (top, bottom, key) in RATIOS.items():
        if top in runs and bottom in runs:
            per_round = [a[key] / b[key] for a, b in zip(runs[top], runs[bottom], strict=True)]
            ratios[label] = spread(per_round)
    result["ratios"] = ratios
    for key in ("startup_s", "cold_start_s"):
        s = spread([x[key] for x in starts])
        result[key], result[f"{key}_min"], result[f"{key}_max"] = s["median"], s["min"], s["max"]
    if "prediction" in result:
        result["rss_mb_per_worker"] = result["prediction"].get("rss_mb")
    result["config"] = {
        "workers": args.workers,
        "connections": args.connections,
        "batch_connections": args.batch_connections,
        "seconds": args.seconds,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "order": chosen,
        "load_generator": "wrk",
        "films": f"{len(films)} different films of the data, in turn (bench/films.py)",
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "serving.json").write_text(json.dumps(result, indent=2) + "\n")
    md = markdown(result, args, len(films))
    (out / "serving.md").write_text(md)
    print(md)
    return 0


def _cell(r: dict[str, Any], key: str, fmt: str) -> str:
    return f"{r[key]:{fmt}} ({r[key + '_min']:{fmt}}-{r[key + '_max']:{fmt}})"


def markdown(result: dict[str, Any], args: argparse.Namespace, films: int) -> str:
    names = [n for n in result["config"]["order"] if n != "batch"]
    table = "\n".join(
        f"| {name} | {_cell(result[name], 'rps', '.0f')} | {_cell(result[name], 'p50_ms', '.2f')}"
        f" | {_cell(result[name], 'p99_ms', '.2f')} | {result[name]['errors']} |"
        for name in names
    )
    ratios = "\n".join(
        f"| {label} | {s['median']:.2f} | {s['min']:.2f} | {s['max']:.2f} |"
        for label, s in result["ratios"].items()
    )
    lines = [
        f"wrk, {args.connections} connections, {args.seconds} s after a {args.warmup} s warm-up,"
        f" {args.workers} workers (docker/initializer.sh), all on this machine's 2 cores;"
        f" {films:,} different films of the data, sent in turn. {args.rounds} rounds,"
        " interleaved (every variant once per round, in the order below); each figure is the"
        " median over the rounds, with (min-max).",
        "",
        "Where the time goes: `bare` is the framework (the real app and middleware, the body"
        " read, an orjson answer); `echo` adds the route's request validation (the fair"
        " floor); `nolog` adds the model; `prediction` adds the prediction log.",
        "",
        "| variant | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
        table,
        "",
        "Ratios, computed per round, then summarised:",
        "",
        "| ratio | median | min | max |",
        "|---|---:|---:|---:|",
        ratios,
        "",
    ]
    if "batch" in result:
        b = result["batch"]
        lines.append(
            f"batch ({BATCH:,} different films per request, {args.batch_connections} connections):"
            f" {_cell(b, 'rows_per_s', ',.0f')} rows/s, p99 {_cell(b, 'p99_ms', '.1f')} ms."
        )
    lines.append(
        f"Start to ready: {result['startup_s']} s ({result['startup_s_min']}-"
        f"{result['startup_s_max']}); start to first prediction (cold start), same starts:"
        f" {result['cold_start_s']} s ({result['cold_start_s_min']}-"
        f"{result['cold_start_s_max']}); RSS per worker (prediction):"
        f" {result.get('rss_mb_per_worker')} MB."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
