"""Run the API, and what a container needs before it starts."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from boxoffice.cli.options import command_group, fail

app = command_group()


@app.command()
def serve(
    host: Annotated[str, typer.Option(metavar="TEXT", help="Listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="N", envvar="PORT", help="Listen port.")] = 8000,
    workers: Annotated[
        int, typer.Option(metavar="N", envvar="WEB_CONCURRENCY", help="Worker processes.")
    ] = 2,
) -> None:
    """Serve the API with gunicorn + uvicorn workers (what the container runs)."""
    script = Path(__file__).resolve().parent.parent / "initializer.sh"
    # gunicorn from this interpreter's environment, whether or not it is activated.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = os.environ | {
        "BIND_HOST": host,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "PATH": path,
    }
    typer.echo(f"serving on http://{host}:{port} with {workers} workers (Ctrl-C stops)", err=True)
    # exec, not a child: signals sent to this PID (SIGTERM from a supervisor) reach gunicorn,
    # which drains its workers; a wrapper that died alone would leave them orphaned. A fixed
    # command (sh + the packaged script): no user input reaches the argv.
    os.execve("/bin/sh", ["sh", str(script)], env)  # noqa: S606 # nosec


@app.command("credentials")
def credentials() -> None:
    """Decode $GCP_CREDENTIALS_B64 into a 0600 temp file; print the export line to use it."""
    from boxoffice.lake.credentials import CredentialsError, write_service_account_key

    try:
        path = write_service_account_key()
    except CredentialsError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"export GOOGLE_APPLICATION_CREDENTIALS={path}")
