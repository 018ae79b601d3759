"""Write the serving image's build context: exactly what docker/Dockerfile copies.

    python deploy/image/context.py build/image     # `make image-context`

Each exported model is verified against its checksums first (a broken or missing model
fails here, naming the file, before an image is built). CI's "Build and push the image" runs
this, then ``docker build`` on the folder it wrote.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from boxoffice.core.artifact import IntegrityError, read_verified

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"


def copied() -> list[str]:
    """The context paths the Dockerfile's COPY lines read (not ``--from`` another stage)."""
    sources: list[str] = []
    for line in DOCKERFILE.read_text().splitlines():
        words = shlex.split(line) if line.startswith("COPY ") else []
        if not words or any(w.startswith("--from") for w in words):
            continue
        sources += [w for w in words[1:-1] if not w.startswith("--")]
    return sources


def write_context(dest: Path) -> list[str]:
    sources = copied()
    for source in sources:
        if source.startswith("models/") and source.endswith("/export"):
            read_verified(ROOT / source)
    if dest.exists():
        shutil.rmtree(dest)
    for source in [*sources, "docker/Dockerfile", ".dockerignore"]:
        path = ROOT / source
        target = dest / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, target)
    return sources


def main(argv: list[str]) -> int:
    dest = Path(argv[0] if argv else "build/image")
    try:
        sources = write_context(dest)
    except (OSError, ValueError, IntegrityError) as exc:
        print(f"image context: {exc}", file=sys.stderr)
        return 1
    print(f"image context in {dest}: {', '.join(sources)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
