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
