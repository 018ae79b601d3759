"""The ``boxoffice`` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from boxoffice.predictor import (
    CHECKSUMS_FILE,
    SIGNATURE_FILE,
    IntegrityError,
    ModelNotFoundError,
    OnnxPredictor,
    read_verified,
)

app = typer.Typer(
    help="boxoffice: predict a film's worldwide box-office gross.", no_args_is_help=True
)
logs_app = typer.Typer(help="Read the prediction log from the data lake.", no_args_is_help=True)
app.add_typer(logs_app, name="logs")

ModelDir = Annotated[Path, typer.Option("--model", help="Exported model directory.")]
LakeUri = Annotated[
    str, typer.Option("--lake", envvar="BOXOFFICE_LAKE_URI", help="Data lake root (path or URL).")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@app.command("model-info")
def model_info(
    directory: Annotated[Path, typer.Argument(help="Exported model directory.")] = Path(
        "models/export"
    ),
) -> None:
    """Verify an exported model's checksums and describe it."""
    try:
        _, signature, checksums = read_verified(directory)
    except (ModelNotFoundError, IntegrityError) as exc:
        raise _fail(str(exc)) from exc
    metrics_path = directory.parent.parent / "reports" / "metrics.json"
    typer.echo(f"model: {directory.resolve()}")
    typer.echo(f"  files verified: {', '.join(sorted(checksums))} (+ {CHECKSUMS_FILE})")
    inputs = ", ".join(f"{i.field}{'*' if i.required else ''}" for i in signature.inputs)
    typer.echo(f"  inputs (* required): {inputs}")
    typer.echo(f"  interval level: {signature.interval.level:.0%}")
    if metrics_path.exists():
        metrics = json.loads(metrics_path.read_text())
        shown = {k: metrics[k] for k in ("r2", "r2_log", "mae_log", "coverage") if k in metrics}
        typer.echo(f"  holdout metrics: {shown}")
    typer.echo(f"  signature: {directory / SIGNATURE_FILE}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Listen port.")] = 8000,
    workers: Annotated[int, typer.Option(envvar="WEB_CONCURRENCY", help="Worker processes.")] = 2,
) -> None:
    """Serve the API with gunicorn + uvicorn workers (what the container runs)."""
    script = Path(__file__).resolve().parent / "initializer.sh"
    env = os.environ | {"BIND_HOST": host, "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    typer.echo(f"serving on http://{host}:{port} with {workers} workers (Ctrl-C stops)", err=True)
    raise typer.Exit(subprocess.call(["sh", str(script)], env=env))  # noqa: S603, S607


@app.command()
def predict(
    input_path: Annotated[Path, typer.Option("--input", help=".csv, .parquet or .jsonl")],
    output_path: Annotated[Path, typer.Option("--output", help=".csv, .parquet or .jsonl")],
    model_dir: ModelDir = Path("models/export"),
    rejects: Annotated[
        Path | None, typer.Option(help="Rejected rows and why (default: <output>.rejects.csv)")
    ] = None,
) -> None:
    """Score a file of films with the serving model and its validation."""
    from boxoffice.batch import read_table, score_file

    try:
        predictor = OnnxPredictor.load(model_dir)
        total = read_table(input_path).num_rows
    except (ModelNotFoundError, IntegrityError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    rejects = rejects or output_path.with_name(output_path.stem + ".rejects.csv")
    with typer.progressbar(length=total, label="scoring", file=sys.stderr) as bar:
        summary = score_file(predictor, input_path, output_path, rejects, progress=bar.update)
    typer.echo(
        f"{summary.scored} of {summary.rows} rows scored -> {output_path}; "
        f"{summary.rejected} rejected -> {rejects}"
    )


@logs_app.command("query")
def logs_query(
    sql: Annotated[str, typer.Argument(help="SQL over the table `predictions`.")],
    lake: LakeUri = "lake",
) -> None:
    """Run DuckDB SQL over the logged predictions."""
    from boxoffice.logs import query

    try:
        typer.echo(query(lake, sql))
    except ValueError as exc:
        raise _fail(str(exc)) from exc


@logs_app.command("tail")
def logs_tail(
    lake: LakeUri = "lake",
    n: Annotated[int, typer.Option("-n", help="How many of the latest predictions.")] = 10,
) -> None:
    """Show the latest logged predictions."""
    from boxoffice.logs import query

    # n is an int (typer parsed it), so the f-string cannot inject SQL.
    columns = "ts, request_id, model_version, route, worldwide_gross, latency_ms"
    sql = f"SELECT {columns} FROM predictions ORDER BY ts DESC LIMIT {int(n)}"  # noqa: S608
    typer.echo(query(lake, sql))
