"""Options shared by the command groups, and the one way a command fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

RegistryUri = Annotated[
    str,
    typer.Option(
        "--registry", envvar="BOXOFFICE_REGISTRY_URI", help="Registry root (path or URL)."
    ),
]

ModelDir = Annotated[Path, typer.Option("--model", help="Exported model directory.")]
LakeUri = Annotated[
    str, typer.Option("--lake", envvar="BOXOFFICE_LAKE_URI", help="Data lake root (path or URL).")
]


def fail(message: str) -> typer.Exit:
    """Print ``message`` on stderr; the caller raises the returned exit (code 1)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)
