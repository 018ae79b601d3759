"""Score with an exported model: describe it, or a whole file of films."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from boxoffice.cli.options import ModelDir, command_group, fail
from boxoffice.core.artifact import (
    CHECKSUMS_FILE,
    METADATA_FILE,
    SIGNATURE_FILE,
    IntegrityError,
    ModelNotFoundError,
    read_verified,
    version_of,
)
from boxoffice.core.money import format_money
from boxoffice.core.params import DEFAULT_PROFILE
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.core.request_model import accepted_range, date_range
from boxoffice.core.signature import Signature

if TYPE_CHECKING:  # the batch reader (pyarrow's CSV and JSON) loads only when a file is scored
    from boxoffice.core.batch import BatchSummary

app = command_group()


@app.command("model-info")
def model_info(
    directory: Annotated[
        Path, typer.Argument(metavar="DIRECTORY", help="Exported model directory.")
    ] = Path("models", DEFAULT_PROFILE, "export"),
) -> None:
    """Verify an exported model's checksums and describe it."""
    try:
        _, signature, checksums = read_verified(directory)
    except (ModelNotFoundError, IntegrityError) as exc:
        raise fail(str(exc)) from exc
    metadata_path = directory / METADATA_FILE  # verified above with the other files
    metadata = json.loads(metadata_path.read_text()) if metadata_path.exists() else {}
    typer.echo(f"model: {directory.resolve()}")
    # The version the server reports: from the verified content hash, as it does.
    version = version_of(checksums)
    typer.echo(f"  version: {version}, profile: {signature.profile}")
    typer.echo(f"  trained on films from {signature.first_film} to {signature.last_film}")
    span = date_range(signature)
    if span:
        typer.echo(f"  accepts release dates from {span[0]} to {span[1]}")
    typer.echo(f"  files verified: {', '.join(sorted(checksums))} (+ {CHECKSUMS_FILE})")
    inputs = ", ".join(f"{i.field}{'*' if i.required else ''}" for i in signature.inputs)
    typer.echo(f"  inputs (* required): {inputs}")
    typer.echo(f"  interval level: {signature.interval.level:.0%}")
    _echo_ranges(signature)
    _echo_measured(metadata)
    typer.echo(f"  signature: {directory / SIGNATURE_FILE}")


def _echo_ranges(signature: Signature) -> None:
    """What each dollar field accepts, and where it warns."""
    for item in signature.inputs:
        if item.kind == "numeric" and item.dollars and item.observed:
            low, high = accepted_range(item)
            seen = " to ".join(format_money(v) for v in item.observed)
            typer.echo(
                f"  {item.field}: accepts {format_money(low)} to {format_money(high)}; warns"
                f" outside the films learned from ({seen} in constant dollars)"
            )


def _echo_measured(metadata: dict[str, Any]) -> None:
    """The export's measured figures: the rolling-origin backtest and the frozen holdout."""
    backtest = metadata.get("backtest") or {}
    if backtest.get("summary"):
        years = backtest.get("test_years") or []
        tested = f"{years[0]}-{years[-1]}" if years else "?"
        means = {k: v["mean"] for k, v in backtest["summary"].items()}
        typer.echo(f"  rolling-origin backtest ({tested}): {_figures(means)}")
    holdout = metadata.get("holdout_metrics", {})
    if holdout:
        typer.echo(f"  frozen holdout (random 20%): {_figures(holdout)}")


FIGURES = {"mae_log": "MAE (log)", "r2_log": "R² (log)", "r2": "R² ($)", "coverage": "80% coverage"}


def _figures(metrics: dict[str, float]) -> str:
    return ", ".join(f"{name} {metrics[k]:.3f}" for k, name in FIGURES.items() if k in metrics)


@app.command()
def predict(
    input_path: Annotated[
        Path, typer.Option("--input", metavar="PATH", help=".csv, .parquet or .jsonl")
    ],
    output_path: Annotated[
        Path, typer.Option("--output", metavar="PATH", help=".csv, .parquet or .jsonl")
    ],
    model_dir: ModelDir = Path("models", DEFAULT_PROFILE, "export"),
    rejects: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Rejected rows and why (default: beside the output, scored.csv ->"
            " scored.rejects.csv)",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Text encoding of a CSV/JSONL input that is not UTF-8"),
    ] = None,
) -> None:
    """Score a file of films with the serving model and its validation.

    Columns are the API's field names (production_budget, release_date, ...). Exits 1 when
    no row could be scored.
    """
    rejects = rejects or output_path.with_name(output_path.stem + ".rejects.csv")
    try:
        summary = _score(input_path, output_path, model_dir, rejects, encoding)
    except (ModelNotFoundError, IntegrityError, OSError, ValueError, LookupError) as exc:
        raise fail(str(exc)) from exc
    typer.echo(
        f"{summary.scored} of {summary.rows} rows scored -> {output_path}; "
        f"{summary.rejected} rejected -> {rejects}"
    )
    if summary.scored == 0:
        raise fail(f"no row could be scored; see why in {rejects}")


def _score(
    input_path: Path, output_path: Path, model_dir: Path, rejects: Path, encoding: str | None
) -> BatchSummary:
    """Score the file with a progress bar on stderr (the rows are counted first)."""
    from boxoffice.core.batch import misspelt_columns, read_rows, score_rows
    from boxoffice.core.tables import check_writable

    check_writable(input_path, output_path, rejects)  # before scoring, not after it
    predictor = OnnxPredictor.load(model_dir)
    rows = read_rows(input_path, predictor.signature, encoding)
    for column, field in misspelt_columns(predictor.signature, rows).items():
        typer.echo(
            f"warning: column {column!r} is no field of the model: carried through unread;"
            f" did you mean {field!r}?",
            err=True,
        )
    with typer.progressbar(length=len(rows), label="scoring", file=sys.stderr) as bar:
        return score_rows(predictor, rows, input_path.name, (output_path, rejects), bar.update)
