"""Soak: predictions accepted against predictions found in the lake, over four server
lifetimes on one spool and one lake (restarts with the same PIDs, kill -9, a full disk).

    sudo .venv/bin/python bench/soak.py [--per-phase 100]   # about a minute; needs root

Each lifetime runs ``docker/initializer.sh`` as PID 1 of a new PID namespace (the same PIDs
every time, as after a container restart), named ``pod-a`` every time; the spool is a 2 MB
tmpfs. Lifetime 1 ends by SIGTERM, 2 by kill -9 before anything shipped, 3 fills the disk,
sends while it is full (dropped and counted, the documented policy), frees it, sends again and
ends by SIGTERM, 4 ends by SIGTERM. Writes bench/results/soak.json and soak.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.lifetimes import check_privileges, run_lifetimes  # noqa: E402

DEFAULT_MODEL = ROOT / "models" / "pre_release" / "export"


def markdown(tally: dict[str, object], per_phase: int) -> str:
    rows = "\n".join(
        f"| {i + 1} | {life['ending']} | `{life['writer']}` |"  # type: ignore[index]
        for i, life in enumerate(tally["lifetimes"])  # type: ignore[arg-type]
    )
    return (
        "# Soak: four lifetimes, one spool, one lake\n\n"
        f"`python bench/soak.py --per-phase {per_phase}` (root: PID namespaces and a tmpfs).\n\n"
        "| lifetime | ending | writer (replica-pid-token) |\n|---|---|---|\n"
        f"{rows}\n\n"
        "| accepted | found in the lake | lost | duplicated | sent while the disk was full |"
        " of those, landed | of those, dropped and counted |\n"
        "|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {tally['accepted']} | {tally['found_in_lake']} | {tally['lost']} |"
        f" {tally['duplicated']} | {tally['sent_while_full']} | {tally['landed_while_full']} |"
        f" {tally['dropped_counted']} |\n\n"
        "Every prediction sent is either in the lake exactly once or counted in"
        " `boxoffice_spool_dropped_records_total`"
        f" ({'it holds' if tally['accounted'] else '**it does not hold**'}). Sent while the disk"
        " is full, a record may still land: the shipper frees space as it ships sealed"
        " segments.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-phase", type=int, default=100, help="predictions per phase")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    why = check_privileges()
    if why is not None:
        print(f"soak: cannot run here: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        tally = run_lifetimes(args.model, Path(work), args.per_phase)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(
        json.dumps(tally | {"per_phase": args.per_phase}, indent=2) + "\n"
    )
    (args.out / "soak.md").write_text(markdown(tally, args.per_phase))
    print(markdown(tally, args.per_phase))
    whole = tally["lost"] == 0 and tally["duplicated"] == 0 and tally["unexpected"] == 0
    return 0 if whole and tally["accounted"] else 1


if __name__ == "__main__":
    sys.exit(main())
