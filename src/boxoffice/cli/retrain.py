"""Continuous training by hand, and the pipeline's plots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from boxoffice.cli.options import LakeUri, RegistryUri, command_group, fail
from boxoffice.core.artifact import (
    IntegrityError,
    ModelNotFoundError,
)
from boxoffice.core.exit_codes import ExitCode
from boxoffice.lake.storage import write_text_atomic

app = command_group()


@app.command()
def retrain(
    lake: LakeUri = "lake",
    registry: RegistryUri = "registry",
    params_path: Annotated[Path, typer.Option("--params", metavar="PATH")] = Path("params.yaml"),
    report: Annotated[
        Path, typer.Option(metavar="PATH", help="Markdown for the CML comment.")
    ] = Path("reports/retrain.md"),
) -> None:
    """Retrain on base data + labelled feedback, gate, promote; exit 0 promoted, 3 not better."""
    from boxoffice.core.params import load_params
    from boxoffice.lake.prediction_log import Lake
    from boxoffice.lifecycle.registry import Registry
    from boxoffice.lifecycle.retrain import RetrainError, report_markdown
    from boxoffice.lifecycle.retrain import retrain as run_retrain

    params = load_params(params_path)
    try:
        root = params_path.resolve().parent
        result = run_retrain(params, root, Lake(lake), Registry(registry), params_path)
    except (RetrainError, ModelNotFoundError, IntegrityError, OSError, ValueError) as exc:
        typer.echo(f"retrain failed: {exc}", err=True)
        raise typer.Exit(ExitCode.FAILED) from exc
    write_text_atomic(report, report_markdown(result))
    for line in result.decision.reasons if result.decision else ["already production"]:
        typer.echo(f"  {line}")
    verdict = {ExitCode.OK: "promoted", ExitCode.PRODUCTION_CHANGED: "production changed"}.get(
        ExitCode(result.code), "not promoted"
    )
    typer.echo(f"{result.version}: {verdict}; {report}")
    raise typer.Exit(result.code)


@app.command("plots")
def plots(
    out: Annotated[Path, typer.Option(metavar="PATH", help="The HTML file to write.")] = Path(
        "dvc_plots/offline.html"
    ),
    root: Annotated[Path, typer.Option(metavar="PATH", help="The DVC project.")] = Path(),
) -> None:
    """The pipeline's plots as one self-contained HTML file that opens offline."""
    from boxoffice.lifecycle.plots_offline import write_offline_html

    try:
        typer.echo(f"wrote {write_offline_html(root, out)}")
    except (OSError, RuntimeError, ValueError) as exc:
        raise fail(str(exc)) from exc
