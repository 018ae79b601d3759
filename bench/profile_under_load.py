"""Where a loaded worker spends its CPU: py-spy samples one worker while wrk drives the API.

    make bench-profile    # installs wrk and py-spy (the `profile` extra); about 40 seconds

The server runs as `make run` runs it (docker/initializer.sh, 2 workers) on 127.0.0.1; wrk
sends bench/serving.py's 1,000 different films in turn, one a request, with 32 connections;
py-spy records one worker's Python stacks (200 samples a second, idle time left out) for the
length of the load. Each sample is put in one layer, the first that its stack matches:

- ``ONNX Runtime``: inside ``InferenceSession.run``;
- ``prediction path``: the rest of ``predict_films`` (encoding, deflator, intervals, result
  building, the spool line, metrics);
- ``route``: the rest of the route function (its JSON response);
- ``lake shipper (background thread)``: shipping sealed spool segments to the lake;
- ``framework``: everything else on the request (uvicorn's protocol, Starlette's and
  FastAPI's routing, validation and dependency solving, middleware, sending).

Writes bench/results/profile_under_load.json and .md: the shares and the functions that
spend the most samples themselves.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.films import FEATURES, request_films, splits_of  # noqa: E402
from bench.serving import BATCH, DEFAULT_MODEL, api_server, wrk  # noqa: E402

# (layer, a frame that puts a sample in it), first match wins.
LAYERS = [
    ("ONNX Runtime", "run (onnxruntime/"),
    ("prediction path", "predict_films (boxoffice/serving/service.py"),
    ("route", "predict_one (boxoffice/serving/routes/predictions.py"),
    ("lake shipper (background thread)", "Shipper._run (boxoffice/serving/shipper.py"),
]
FRAMEWORK = "framework"
FRAME_PATH = re.compile(r"/[^ ]*(?:site-packages|src|lib/python3\.\d+)/")


def short(frame: str) -> str:
    """``name (path/to/module.py:line)`` with the install prefix dropped."""
    return FRAME_PATH.sub("", frame)


def layer_of(frames: list[str]) -> str:
    for layer, marker in LAYERS:
        if any(marker in frame for frame in frames):
            return layer
    return FRAMEWORK


def summarise(raw: str, top: int = 15) -> dict[str, Any]:
    """Shares by layer and the top self-time functions from py-spy's ``raw`` output
    (collapsed stacks: ``frame;frame;... count`` per line)."""
    layers: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [short(f) for f in stack.split(";")]
        total += int(count)
        layers[layer_of(frames)] += int(count)
        own[re.sub(r":\d+\)$", ")", frames[-1])] += int(count)
    if not total:
        raise RuntimeError("py-spy recorded no samples")
    names = [name for name, _ in LAYERS] + [FRAMEWORK]
    return {
        "samples": total,
        "layers": {name: round(layers[name] / total, 3) for name in names},
        "top_self": [
            {"function": name, "share": round(n / total, 3)} for name, n in own.most_common(top)
        ],
    }


def markdown(result: dict[str, Any]) -> str:
    load = result["load"]
    lines = [
        f"One worker of 2 under wrk ({load['connections']} connections, {load['seconds']} s,"
        f" {load['rps']:,.0f} req/s while sampled), {result['samples']:,} py-spy samples.",
        "",
        "| layer | share of the worker's samples |",
        "|---|---:|",
        *(f"| {name} | {share:.0%} |" for name, share in result["layers"].items()),
        "",
        "| function (its own samples) | share |",
        "|---|---:|",
        *(f"| `{row['function']}` | {row['share']:.1%} |" for row in result["top_self"]),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--features", type=Path, default=FEATURES, help="the featurize stage's splits folder"
    )
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if shutil.which("wrk") is None or not Path(spy).exists():
        raise SystemExit("needs wrk and py-spy: make bench-profile installs both")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        server = api_server(args.model, tmp, 2)
        server.start()
        try:
            route = server.url + "/v1/prediction"
            films = request_films(args.model, BATCH, splits_of(args.features))
            httpx.post(route, json=films[0], timeout=10).raise_for_status()
            wrk(route, films, 3, args.connections, tmp)  # warm-up
            out = tmp / "stacks.txt"
            recorder = subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(server.worker_pids()[0]),
                    "--duration",
                    str(args.seconds),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            load = wrk(route, films, args.seconds + 1, args.connections, tmp)
            _, err = recorder.communicate(timeout=args.seconds + 60)
            if recorder.returncode != 0 or not out.exists():
                raise SystemExit(f"py-spy failed: {err.decode(errors='replace')[-400:]}")
            raw = out.read_text()
        finally:
            server.stop()
    result = summarise(raw) | {
        "load": {"connections": args.connections, "seconds": args.seconds, "rps": load["rps"]}
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "profile_under_load.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "profile_under_load.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
