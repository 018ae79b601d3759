"""What a registered version records beside its artifact: lineage, metrics and report."""

from __future__ import annotations

import datetime as dt
import json
import subprocess  # nosec B404
from pathlib import Path
from typing import Any

from boxoffice.core.artifact import METADATA_FILE
from boxoffice.core.layout import Layout
from boxoffice.core.params import DEFAULT_PROFILE, read_settings


def git_commit(root: Path) -> str | None:
    try:
        done = subprocess.run(  # nosec B603 B607: a fixed git query
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def version_extras(
    root: Path, params_path: Path, profile: str = DEFAULT_PROFILE
) -> dict[str, bytes]:
    """``lineage.json`` (data snapshot hash, params, commit, time), ``metrics.json``,
    ``report.md`` of ``profile``'s export: whatever of them the project has."""
    layout = Layout(root, profile)
    snapshot: dict[str, Any] = {}
    if layout.snapshot_meta.exists():
        snapshot = json.loads(layout.snapshot_meta.read_text())
    lineage = {
        "data_sha256": snapshot.get("sha256"),
        "feedback": snapshot.get("feedback"),
        "params": read_settings(params_path) if params_path.exists() else None,
        "git_commit": git_commit(root),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    extras = {"lineage.json": json.dumps(lineage, indent=2, default=str).encode()}
    metadata = layout.export_dir / METADATA_FILE
    if metadata.exists():
        metrics = json.loads(metadata.read_text()).get("holdout_metrics", {})
        extras["metrics.json"] = json.dumps(metrics, indent=2).encode()
    if (layout.profile_reports / "report.md").exists():
        extras["report.md"] = (layout.profile_reports / "report.md").read_bytes()
    return extras
