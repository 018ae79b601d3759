"""Many small objects against one: the lake's questions before and after `lake compact`.

    python bench/compaction.py                 # 7 days of 1,000 objects of 100 predictions
    python bench/compaction.py --days 2 --objects 50 --per-object 20     # a quick look

Each worker ships a small object per spool segment, so a busy day holds thousands. The lake
is generated (bench/lake.py's objects), then each question is asked in a fresh process before
and after the compaction of every day (the baseline, in the same run), and the compaction is
timed per day. Writes bench/results/compaction.json and compaction.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.lake import QUESTIONS, ask, generate  # noqa: E402

from boxoffice.lake.compaction import compact_partition  # noqa: E402
from boxoffice.lake.prediction_log import Lake  # noqa: E402

ASKED = ["one-day query", "drift's read, the last 7 days"]


def _footprint(lake: Lake) -> dict[str, int]:
    files = [f for d in lake.partitions() for f in lake.listed(d)]
    return {"objects": len(files), "bytes": sum(int(lake.fs.size(f)) for f in files)}


def _questions(root: Path) -> dict[str, dict[str, float]]:
    return {name: ask(QUESTIONS[name][0], root) for name in ASKED}


def measure(days: int, objects: int, per_object: int, work: Path) -> dict[str, Any]:
    root = work / "lake"
    lake = generate(root, days, objects, per_object)
    out: dict[str, Any] = {"days": days, "objects_per_day": objects, "per_object": per_object}
    out["before"] = _footprint(lake) | {"questions": _questions(root)}
    seconds = []
    for day in lake.partitions():
        start = time.perf_counter()
        done = compact_partition(lake, day)
        seconds.append(time.perf_counter() - start)
        print(f"[compaction] {day}: {done.merged} objects in {seconds[-1]:.1f}s", file=sys.stderr)
    out["compaction_s_per_day"] = {"median": statistics.median(seconds), "max": max(seconds)}
    out["after"] = _footprint(lake) | {"questions": _questions(root)}
    for name in ASKED:  # the same answer, from fewer objects
        assert out["after"]["questions"][name]["rows"] == out["before"]["questions"][name]["rows"]
    return out


def markdown(result: dict[str, Any]) -> str:
    before, after = result["before"], result["after"]
    per_day = result["compaction_s_per_day"]
    lines = [
        "# The lake before and after `boxoffice lake compact`",
        "",
        f"`python bench/compaction.py`: {result['days']} days of {result['objects_per_day']:,}"
        f" objects of {result['per_object']:,} predictions (what as many shipments leave);"
        " each question in a fresh process, seconds of the question itself (imports left out).",
        "",
        "| | objects | MB | " + " | ".join(f"{q}: s" for q in ASKED) + " |",
        "|---|---:|---:|" + "---:|" * len(ASKED),
    ]
    for label, side in (("before", before), ("after", after)):
        cells = " | ".join(f"{side['questions'][q]['seconds']:.2f}" for q in ASKED)
        lines.append(f"| {label} | {side['objects']:,} | {side['bytes'] / 1e6:.1f} | {cells} |")
    lines += [
        "",
        f"Compaction: {per_day['median']:.2f} s per day (median; slowest {per_day['max']:.2f} s),"
        " each day's objects merged into one.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--objects", type=int, default=1000, help="objects per day")
    parser.add_argument("--per-object", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-compaction-") as tmp:
        result = measure(args.days, args.objects, args.per_object, Path(tmp))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compaction.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "compaction.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
