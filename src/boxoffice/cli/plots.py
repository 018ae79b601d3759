"""The pipeline's plots, readable offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from boxoffice.cli.options import command_group, fail

app = command_group()


@app.command("plots")
def plots(
    out: Annotated[Path, typer.Option(metavar="PATH", help="The HTML file to write.")] = Path(
        "dvc_plots/offline.html"
    ),
    root: Annotated[Path, typer.Option(metavar="PATH", help="The DVC project.")] = Path(),
) -> None:
    """The pipeline's plots as one self-contained HTML file that opens offline."""
    from boxoffice.pipeline.plots_offline import write_offline_html

    try:
        typer.echo(f"wrote {write_offline_html(root, out)}")
    except (OSError, RuntimeError, ValueError) as exc:
        raise fail(str(exc)) from exc
