"""``boxoffice models``: the registry's versions and aliases, and the gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from boxoffice.cli.options import RegistryUri, command_group, fail, read_params, reason
from boxoffice.core.artifact import IntegrityError, ModelNotFoundError, read_verified
from boxoffice.core.exit_codes import ExitCode
from boxoffice.core.params import DEFAULT_PROFILE

ProfileOption = Annotated[
    str, typer.Option(metavar="TEXT", help="Model profile (its own aliases).")
]

app = command_group("The model registry: versions and aliases.", no_args_is_help=True)


@app.command("register")
def models_register(
    directory: Annotated[
        Path, typer.Argument(metavar="DIRECTORY", help="Exported model directory.")
    ],
    registry: RegistryUri = "registry",
    params_path: Annotated[Path, typer.Option("--params", metavar="PATH")] = Path("params.yaml"),
) -> None:
    """Publish an exported model as a registry version (refused if its checksums fail)."""
    from boxoffice.lifecycle.lineage import version_extras
    from boxoffice.lifecycle.registry import Registry

    root = params_path.resolve().parent
    try:
        # The profile's own metrics and report travel with it, read from what was exported.
        _, signature, _ = read_verified(directory)
        extras = version_extras(root, params_path, signature.profile)
        version = Registry(registry).register(directory, extras)
    except (ModelNotFoundError, IntegrityError) as exc:
        raise fail(str(exc)) from exc
    except (OSError, ValueError) as exc:  # params.yaml, recorded in the version's lineage
        raise fail(f"cannot read --params {params_path}: {reason(exc)}") from exc
    typer.echo(version)


@app.command("list")
def models_list(registry: RegistryUri = "registry") -> None:
    """Versions with their holdout metrics and the aliases pointing at them."""
    from boxoffice.lifecycle.registry import ALIASES, AliasNotSetError, Registry

    reg = Registry(registry)
    if not reg.fs.exists(reg.root):
        raise fail(f"no registry at {registry} (check --registry or BOXOFFICE_REGISTRY_URI)")
    if not reg.versions():
        typer.echo(f"no versions in {registry} yet: `boxoffice models register <export dir>`")
        return
    aliases: dict[str, list[str]] = {}
    for alias in ALIASES:
        try:
            aliases.setdefault(reg.resolve(alias), []).append(alias)
        except AliasNotSetError:
            continue
    typer.echo(f"{'version':18s} {'data through':14s} {'mae_log':>8s} {'coverage':>8s}  aliases")
    for version in reg.versions():
        meta = reg.metadata(version)
        m = meta.get("holdout_metrics", {})
        typer.echo(
            f"{version:18s} {_last_film(meta):14s} {m.get('mae_log', float('nan')):8.4f}"
            f" {m.get('coverage', float('nan')):8.3f}  {','.join(aliases.get(version, []))}"
        )


def _last_film(meta: dict[str, object]) -> str:
    period = meta.get("training_period")
    return str(period.get("last_film", "?")) if isinstance(period, dict) else "?"


@app.command("show")
def models_show(version: str, registry: RegistryUri = "registry") -> None:
    """A version's metadata, files and gate decisions."""
    from boxoffice.lifecycle.registry import Registry, VersionNotFoundError

    reg = Registry(registry)
    try:
        files = reg.files(version)
    except (VersionNotFoundError, IntegrityError) as exc:
        raise fail(str(exc)) from exc
    typer.echo(
        json.dumps(
            {
                "version": version,
                "files": sorted(files),
                "metadata": reg.metadata(version),
                "decisions": reg.decisions(version),
            },
            indent=2,
        )
    )


@app.command("promote")
def models_promote(
    version: str,
    registry: RegistryUri = "registry",
    params_path: Annotated[Path, typer.Option("--params", metavar="PATH")] = Path("params.yaml"),
    holdout: Annotated[
        Path, typer.Option(metavar="PATH", help="Frozen holdout (featurize output).")
    ] = Path("data/features/holdout.parquet"),
    force: Annotated[bool, typer.Option(help="Promote even if the gate refuses.")] = False,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why (required with --force).")] = "",
    profile: ProfileOption = DEFAULT_PROFILE,
) -> None:
    """Gate the version against production on the holdout; promote it if it passes."""
    from boxoffice.lifecycle.gate import promote
    from boxoffice.lifecycle.registry import Registry, VersionNotFoundError, alias_for

    if force and not reason.strip():
        raise fail("--force needs --reason, which is recorded with the decision")
    params = read_params(params_path)
    try:
        result = promote(
            Registry(registry), version, params, holdout, profile, force=force, reason=reason
        )
    except (VersionNotFoundError, IntegrityError, OSError) as exc:
        raise fail(str(exc)) from exc
    alias = alias_for("production", profile)
    if result.decision is None:
        typer.echo(f"{version} is already {alias}: nothing to do")
        return
    for line in result.decision.reasons:
        typer.echo(f"  {line}")
    if result.changed is not None:
        typer.echo(f"not promoted: {result.changed}", err=True)
        raise typer.Exit(ExitCode.PRODUCTION_CHANGED)
    if result.promoted:
        forced = " (forced)" if not result.decision.promote else ""
        typer.echo(f"promoted {version} to {alias}{forced}")
        return
    typer.echo(f"not promoted: {version} did not pass the gate")
    raise typer.Exit(ExitCode.NOT_PROMOTED)


@app.command("rollback")
def models_rollback(
    registry: RegistryUri = "registry",
    profile: ProfileOption = DEFAULT_PROFILE,
) -> None:
    """Move production back to the version it held before."""
    from boxoffice.lifecycle.registry import (
        AliasChangedError,
        AliasNotSetError,
        Registry,
        alias_for,
    )

    alias = alias_for("production", profile)
    try:
        move = Registry(registry).rollback(alias)
    except AliasNotSetError as exc:
        raise fail(str(exc)) from exc
    except AliasChangedError as exc:
        typer.echo(f"not rolled back: {exc}", err=True)
        raise typer.Exit(ExitCode.PRODUCTION_CHANGED) from exc
    typer.echo(f"{alias} -> {move.version}")
