"""Options shared by the command groups, and the one way a command fails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the lake's storage stack loads when a command runs, not for --help
    from boxoffice.core.params import Params
    from boxoffice.lake.prediction_log import Lake

# Plain click help, not Typer's rich panels: those showed `--help <bool>`, `{sql}` and cut
# sentences at the box's edge. Lines wrap at the terminal, up to 100 columns.
HELP = {"max_content_width": 100, "help_option_names": ["-h", "--help"]}


def _plain_argument_usage(argument: typer.core.TyperArgument) -> str:
    name = argument.metavar or argument.name or ""
    return (name if argument.required else f"[{name}]") + ("..." if argument.nargs != 1 else "")


# Typer writes a required argument as `{sql}` and lists it as `sql <str>`; the one place the
# CLI changes that: the POSIX usage every other tool prints (`SQL`, `[DIRECTORY]`).
typer.core.TyperArgument._usage_display_name = _plain_argument_usage  # type: ignore[method-assign,assignment]
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]


def command_group(help: str | None = None, *, no_args_is_help: bool = False) -> typer.Typer:
    """Every Typer app of the CLI, made the one way."""
    return typer.Typer(
        help=help,
        no_args_is_help=no_args_is_help,
        rich_markup_mode=None,
        context_settings=HELP,
        add_completion=False,
        pretty_exceptions_enable=False,
    )


RegistryUri = Annotated[
    str,
    typer.Option(
        "--registry",
        metavar="URI",
        envvar="BOXOFFICE_REGISTRY_URI",
        help="Registry root (path or URL).",
    ),
]

ModelDir = Annotated[
    Path, typer.Option("--model", metavar="PATH", help="Exported model directory.")
]
LakeUri = Annotated[
    str,
    typer.Option(
        "--lake", metavar="URI", envvar="BOXOFFICE_LAKE_URI", help="Data lake root (path or URL)."
    ),
]


def fail(message: str) -> typer.Exit:
    """Print ``message`` on stderr; the caller raises the returned exit (code 1)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def existing_lake(uri: str) -> Lake:
    """The lake at ``uri``; one that is not there exits 1 (a mistyped --lake is not a new lake)."""
    from boxoffice.lake.prediction_log import Lake, NoLakeError

    try:
        return Lake(uri).require()
    except NoLakeError as exc:
        raise fail(f"{exc} (check --lake or BOXOFFICE_LAKE_URI)") from exc


def read_params(path: Path) -> Params:
    """``params.yaml`` at ``path``; one missing or invalid exits 1 saying why, not a traceback."""
    from boxoffice.core.params import load_params

    try:
        return load_params(path)
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read --params {path}: {reason(exc)}") from exc


def reason(exc: Exception) -> str:
    """An error's reason, without the path the message already names."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def since_date(since: str | None, option: str = "--since") -> dt.date | None:
    """A date option (None when not given); a wrong one exits 1, naming ``option``."""
    try:
        return dt.date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise fail(
            f"{option} must be a date as YYYY-MM-DD (e.g. 2026-11-01), got {since!r}"
        ) from exc
