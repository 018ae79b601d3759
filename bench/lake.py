"""Reading the prediction log at scale: a window's cost against the whole lake's.

    python bench/lake.py                       # 10, 100 and 1,000 days of 10,000 predictions
    python bench/lake.py --days 5 50 --per-object 200    # a quick look

Generates a local lake of ``days`` date partitions, each of ``--objects`` Parquet objects of
``--per-object`` predictions (what the shipper writes), and the smaller lakes as the newest
days of the largest (hard links). Each question is asked in a fresh process, once as the
code reads it now (the partitions its window needs, the columns it uses) and once as it read
before (the whole lake, then filtered): the baseline, in the same run. Reported per lake size:
seconds for the question itself (interpreter start and imports left out) and the process's
peak RSS. Writes bench/results/lake.json and lake.md.

The questions: a one-day ``logs query`` (``--since`` the day), ``logs tail -n 5``, and the
read behind ``monitor drift --since`` a week ago (the drift tests on top cost the same either
way).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyarrow as pa  # noqa: E402

from boxoffice.lake.prediction_log import LOG_SCHEMA, PREDICTIONS, Lake  # noqa: E402

LAST_DAY = dt.date(2026, 11, 30)
DAY_SQL = "SELECT count(*) AS n, avg(worldwide_gross) AS mean FROM predictions WHERE ts >= '{day}'"
TAIL_SQL = "SELECT ts, request_id, inputs FROM predictions ORDER BY ts DESC LIMIT 5"

# Each question as a program for a fresh process: it prints its seconds and peak RSS.
PRELUDE = """
import datetime as dt, json, resource, sys, time
sys.path.insert(0, {root!r})
from boxoffice.lake import queries
from boxoffice.lake.prediction_log import Lake
LAKE, DAY, WEEK = {lake!r}, dt.date.fromisoformat({day!r}), dt.date.fromisoformat({week!r})
PARAMS = {params!r}
"""
# What only the drift question imports (scipy comes with the drift module): not in the others'
# peak memory.
DRIFT = """
from boxoffice.core.params import load_params
from boxoffice.lifecycle.drift_io import logged_columns
SPECS = list(load_params(PARAMS).feature_schema.features)
"""
START = "start = time.perf_counter()\n"
CODA = """
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": round(seconds, 3), "rss_mb": round(rss, 1), "rows": ROWS}))
"""
QUESTIONS: dict[str, tuple[str, str]] = {
    "one-day query": (
        START + f"ROWS = queries.records(LAKE, {DAY_SQL!r}.format(day=DAY), queries.since(DAY))"
        "[0]['n']",
        START + f"ROWS = queries.records(LAKE, {DAY_SQL!r}.format(day=DAY))[0]['n']",
    ),
    "logs tail -n 5": (
        START + f"ROWS = len(queries.records(LAKE, {TAIL_SQL!r}, queries.newest(5)))",
        START + f"ROWS = len(queries.records(LAKE, {TAIL_SQL!r}))",
    ),
    "drift's read, the last 7 days": (
        DRIFT + START + "ROWS = len(logged_columns(Lake(LAKE), SPECS, WEEK)[SPECS[0].field])",
        # What logged_columns did before: the whole lake, every column, then the filter.
        DRIFT + START + "import pyarrow.compute as pc\n"
        "table = Lake(LAKE).read_predictions()\n"
        "since = dt.datetime.combine(WEEK, dt.time(), tzinfo=dt.UTC)\n"
        "table = table.filter(pc.greater_equal(table.column('ts'), since))\n"
        "films = [json.loads(x) for x in table.column('inputs').to_pylist()]\n"
        "ROWS = len([[f.get(s.field) for f in films] for s in SPECS][0])",
    ),
}


def _object(day: dt.date, number: int, rows: int) -> pa.Table:
    """One shipped object's predictions, spread over its day."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    step = 86_400_000_000 // rows  # microseconds
    budgets = [1_000_000 * (1 + (number * rows + i) % 300) for i in range(rows)]
    films = [
        json.dumps({"production_budget": b, "release_date": "2027-06-01", "mpaa_rating": "PG-13"})
        for b in budgets
    ]
    columns: dict[str, Any] = {
        "request_id": [f"{day:%Y%m%d}-{number:04d}-{i:06d}" for i in range(rows)],
        "ts": pa.array(
            [int(start.timestamp() * 1e6) + i * step for i in range(rows)],
            pa.timestamp("us", tz="UTC"),
        ),
        "model_version": ["sha-bench"] * rows,
        "profile": ["pre_release"] * rows,
        "route": ["prediction"] * rows,
        "inputs": films,
        "worldwide_gross": [b * 2.5 for b in budgets],
        "low": [b * 0.5 for b in budgets],
        "high": [b * 9.0 for b in budgets],
        "level": [0.8] * rows,
        "latency_ms": [1.0] * rows,
    }
    return pa.table(columns, schema=LOG_SCHEMA)


def generate(root: Path, days: int, objects: int, per_object: int) -> Lake:
    lake = Lake(str(root))
    for back in range(days):
        day = LAST_DAY - dt.timedelta(days=back)
        for number in range(objects):
            lake.write_predictions(
                day.isoformat(), f"w{number}", back, _object(day, number, per_object)
            )
        if back % 50 == 49:
            print(f"[lake] {back + 1}/{days} days written", file=sys.stderr, flush=True)
    return lake


def newest_days(full: Path, dest: Path, days: int) -> Path:
    """A lake of the ``days`` newest partitions of ``full`` (hard links: no copy)."""
    for back in range(days):
        name = f"date={LAST_DAY - dt.timedelta(days=back)}"
        (dest / PREDICTIONS / name).mkdir(parents=True)
        for item in (full / PREDICTIONS / name).iterdir():
            os.link(item, dest / PREDICTIONS / name / item.name)
    return dest


def ask(program: str, lake: Path) -> dict[str, float]:
    prelude = PRELUDE.format(
        root=str(ROOT / "src"),
        lake=str(lake),
        day=LAST_DAY.isoformat(),
        week=(LAST_DAY - dt.timedelta(days=6)).isoformat(),
        params=str(ROOT / "params.yaml"),
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + program + CODA],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"question failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(sizes: list[int], objects: int, per_object: int, work: Path) -> dict[str, Any]:
    full = work / f"days-{max(sizes)}"
    generate(full, max(sizes), objects, per_object)
    out: dict[str, Any] = {"objects_per_day": objects, "per_object": per_object, "lakes": []}
    for days in sorted(sizes):
        lake = full if days == max(sizes) else newest_days(full, work / f"days-{days}", days)
        row: dict[str, Any] = {"days": days, "predictions": days * objects * per_object}
        for name, (now, before) in QUESTIONS.items():
            row[name] = {"now": ask(now, lake), "before": ask(before, lake)}
            print(f"[lake] {days} days, {name}: {row[name]}", file=sys.stderr, flush=True)
        out["lakes"].append(row)
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Reading the prediction log: a window against the whole lake",
        "",
        f"`python bench/lake.py` ({result['objects_per_day']} objects of "
        f"{result['per_object']:,} predictions a day; seconds of the question itself, peak RSS "
        "of its process). *now*: the partitions and columns the question needs; *before*: the "
        "whole lake, then filtered (how every reader read it).",
        "",
        "| predictions (days) | question | now: s | now: MB | before: s | before: MB |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in result["lakes"]:
        for name in QUESTIONS:
            now, before = row[name]["now"], row[name]["before"]
            lines.append(
                f"| {row['predictions']:,} ({row['days']}) | {name} | {now['seconds']:.2f} |"
                f" {now['rss_mb']:.0f} | {before['seconds']:.2f} | {before['rss_mb']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--objects", type=int, default=10, help="objects per day")
    parser.add_argument("--per-object", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as tmp:
        result = measure(args.days, args.objects, args.per_object, Path(tmp))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lake.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "lake.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
