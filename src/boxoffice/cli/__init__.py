"""The ``boxoffice`` command line: one Typer app per command group, assembled here."""

from __future__ import annotations

from boxoffice.cli import labels, lake, logs, models, monitor, plots, predict, retrain, serve
from boxoffice.cli.options import command_group

app = command_group("boxoffice: predict a film's worldwide box-office gross.", no_args_is_help=True)
# Groups without a name add their commands at the top level (boxoffice predict, serve, ...).
for group in (predict, serve, retrain, plots):
    app.add_typer(group.app)
app.add_typer(logs.app, name="logs")
app.add_typer(lake.app, name="lake")
app.add_typer(models.app, name="models")
app.add_typer(labels.app, name="labels")
app.add_typer(monitor.app, name="monitor")


def main() -> None:
    """The console script: the app, then an exit that skips only the native teardown.

    Arrow's and DuckDB's thread pools can abort the process while C++ statics are destroyed
    at exit ("terminate called without an active exception", SIGABRT, exit 134) after the
    command has done its work and printed its result: a `boxoffice lake compact` that
    compacted every day failed CI that way. So once the command returns, what Python's own
    exit does first is done here (wait for threads, run atexit hooks, flush), and the
    process then ends with the command's code without that teardown.
    """
    import atexit
    import os
    import sys
    import threading

    try:
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    threading._shutdown()  # type: ignore[attr-defined]  # what Py_FinalizeEx does first
    atexit._run_exitfuncs()
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code or 0)
