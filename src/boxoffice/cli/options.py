"""Options shared by the command groups, and the one way a command fails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

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


def since_date(since: str | None, option: str = "--since") -> dt.date | None:
    """A date option (None when not given); a wrong one exits 1, naming ``option``."""
    try:
        return dt.date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise fail(
            f"{option} must be a date as YYYY-MM-DD (e.g. 2026-11-01), got {since!r}"
        ) from exc
