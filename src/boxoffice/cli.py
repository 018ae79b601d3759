"""The ``boxoffice`` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from boxoffice.predictor import (
    CHECKSUMS_FILE,
    SIGNATURE_FILE,
    IntegrityError,
    ModelNotFoundError,
    read_verified,
)

app = typer.Typer(
    help="boxoffice: predict a film's worldwide box-office gross.", no_args_is_help=True
)


@app.callback()
def _root() -> None:
    """Keep sub-commands as sub-commands even while there is only one."""


@app.command("model-info")
def model_info(
    directory: Annotated[Path, typer.Argument(help="Exported model directory.")] = Path(
        "models/export"
    ),
) -> None:
    """Verify an exported model's checksums and describe it."""
    try:
        _, signature, checksums = read_verified(directory)
    except (ModelNotFoundError, IntegrityError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    metrics_path = directory.parent.parent / "reports" / "metrics.json"
    typer.echo(f"model: {directory.resolve()}")
    typer.echo(f"  files verified: {', '.join(sorted(checksums))} (+ {CHECKSUMS_FILE})")
    inputs = ", ".join(f"{i.field}{'*' if i.required else ''}" for i in signature.inputs)
    typer.echo(f"  inputs (* required): {inputs}")
    typer.echo(f"  interval level: {signature.interval.level:.0%}")
    if metrics_path.exists():
        metrics = json.loads(metrics_path.read_text())
        shown = {k: metrics[k] for k in ("r2", "r2_log", "mae_log", "coverage") if k in metrics}
        typer.echo(f"  holdout metrics: {shown}")
    typer.echo(f"  signature: {directory / SIGNATURE_FILE}")
