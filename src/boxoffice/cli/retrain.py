"""Continuous training by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from boxoffice.cli.options import LakeUri, RegistryUri, command_group, read_params
from boxoffice.core.artifact import (
    IntegrityError,
    ModelNotFoundError,
)
from boxoffice.core.exit_codes import ExitCode
from boxoffice.core.io import write_text_atomic

if TYPE_CHECKING:  # the lake's and registry's storage load when the command runs
    from boxoffice.lake.prediction_log import Lake
    from boxoffice.lifecycle.registry import Registry

app = command_group()
VERDICTS = {ExitCode.OK: "promoted", ExitCode.PRODUCTION_CHANGED: "production changed"}


@app.command()
def retrain(
    lake: LakeUri = "lake",
    registry: RegistryUri = "registry",
    params_path: Annotated[Path, typer.Option("--params", metavar="PATH")] = Path("params.yaml"),
    report: Annotated[
        Path, typer.Option(metavar="PATH", help="Markdown for the CML comment.")
    ] = Path("reports/retrain.md"),
    if_due: Annotated[
        str | None,
        typer.Option(
            "--if-due",
            metavar="DURATION",
            help="Only if the last retraining (recorded in the registry) started at least this"
            " long ago, e.g. 15h; else exit 6. An hourly schedule with --if-due 15h retrains"
            " every 15 hours.",
        ),
    ] = None,
) -> None:
    """Retrain on base data + labelled feedback, gate, promote; exit 0 promoted, 3 not better."""
    from boxoffice.lake.prediction_log import Lake
    from boxoffice.lifecycle.registry import Registry
    from boxoffice.lifecycle.retrain import RetrainError, report_markdown
    from boxoffice.lifecycle.retrain import retrain as run_retrain

    params = read_params(params_path)
    store, models = Lake(lake), Registry(registry)
    _say_what_is_new(store, models)
    _claim(registry, parse_duration(if_due) if if_due is not None else None)
    try:
        root = params_path.resolve().parent
        result = run_retrain(params, root, store, models, params_path)
    except (RetrainError, ModelNotFoundError, IntegrityError, OSError, ValueError) as exc:
        typer.echo(f"retrain failed: {exc}", err=True)
        raise typer.Exit(ExitCode.FAILED) from exc
    write_text_atomic(report, report_markdown(result))
    for line in result.decision.reasons if result.decision else ["already production"]:
        typer.echo(f"  {line}")
    verdict = VERDICTS.get(ExitCode(result.code), "not promoted")
    typer.echo(f"{result.version}: {verdict}; {report}")
    raise typer.Exit(result.code)


def _say_what_is_new(lake: Lake, registry: Registry) -> None:
    """A first retrain may meet no lake (nothing logged yet) and no registry (it starts one),
    so neither stops it; but under a mistyped URI it would train without feedback and promote
    into a registry no server reads, so each is said on stderr."""
    from boxoffice.lake.prediction_log import NoLakeError

    try:
        lake.require()
    except NoLakeError as exc:
        typer.echo(
            f"warning: {exc}: training without feedback (check --lake or BOXOFFICE_LAKE_URI)",
            err=True,
        )
    if not registry.fs.exists(registry.root):
        typer.echo(
            f"warning: no registry at {registry.uri} yet: this run starts one there (check"
            " --registry or BOXOFFICE_REGISTRY_URI)",
            err=True,
        )


UNITS = {"m": 60, "h": 3600, "d": 86400}


def _claim(registry: str, every: dt.timedelta | None) -> None:
    """Record this run in the registry, or exit: not due yet (6), or the registry failed (1)."""
    from boxoffice.lifecycle.registry import Registry, RunNotDueError, claim_run

    try:
        claim_run(Registry(registry), dt.datetime.now(dt.UTC), every)
    except RunNotDueError as exc:
        typer.echo(f"not due: {exc}")
        raise typer.Exit(ExitCode.NOT_DUE) from exc
    except (OSError, ValueError) as exc:  # an unreachable or unreadable registry
        typer.echo(f"retrain failed: cannot record the run in {registry}: {exc}", err=True)
        raise typer.Exit(ExitCode.FAILED) from exc


def parse_duration(text: str) -> dt.timedelta:
    """``15h``, ``90m``, ``1d`` as a timedelta; anything else is a usage error naming it."""
    number, unit = text[:-1], text[-1:]
    if unit not in UNITS or not number.isdigit() or int(number) == 0:
        raise typer.BadParameter(
            f"{text!r} is not a duration such as 15h, 90m or 1d", param_hint="--if-due"
        )
    return dt.timedelta(seconds=int(number) * UNITS[unit])
