"""``boxoffice monitor``: live accuracy and drift of the served models."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from boxoffice.cli.options import (
    LakeUri,
    command_group,
    existing_lake,
    fail,
    read_params,
    reason,
    since_date,
)
from boxoffice.core.exit_codes import ExitCode

if TYPE_CHECKING:  # the drift tests (scipy) load only when drift is asked for
    from boxoffice.lifecycle.drift import DriftReport

app = command_group("Live accuracy and drift of the served models.", no_args_is_help=True)


@app.command("accuracy")
def monitor_accuracy(lake: LakeUri = "lake") -> None:
    """Live metrics per model version, from logged predictions joined with labels."""
    from boxoffice.lake.reports import publish_report
    from boxoffice.lifecycle.labels import accuracy

    store = existing_lake(lake)
    rows = accuracy(store)
    publish_report(store, "accuracy", {"versions": rows})  # the page shows the latest
    if not rows:
        typer.echo("no labelled predictions yet")
        return
    typer.echo(f"{'model_version':18s} {'n':>6s} {'mae_log':>8s} {'mdape':>7s} {'coverage':>8s}")
    for row in rows:
        typer.echo(
            f"{row['model_version']:18s} {row['n']:6d} {row['mae_log']:8.4f}"
            f" {row['mdape']:7.3f} {row['coverage']:8.3f}"
        )


@app.command("drift")
def monitor_drift(
    lake: LakeUri = "lake",
    params_path: Annotated[Path, typer.Option("--params", metavar="PATH")] = Path("params.yaml"),
    reference: Annotated[
        Path, typer.Option(metavar="PATH", help="Training data (featurize output).")
    ] = Path("data/features/train.parquet"),
    since: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Only requests from this date (YYYY-MM-DD).")
    ] = None,
    out: Annotated[
        Path, typer.Option(metavar="PATH", help="Where drift.md, drift.html and plots go.")
    ] = Path("reports/drift"),
) -> None:
    """Logged request features against the training data.

    Exit 0: no retrain needed; 7: retrain recommended; 4: too little data for a verdict;
    1: it could not run (no lake, no params, no reference), so no verdict either way.
    """
    start = since_date(since)
    if start is not None and start > dt.datetime.now(dt.UTC).date():
        # Nothing is logged in the future: an empty report would replace the page's real one.
        raise fail(f"--since {start} is after today (UTC): no request is logged there yet")
    report, path = _drift_report(lake, params_path, reference, start, out)
    if not report.enough_data:
        typer.echo(f"{report.verdict}; report: {path}")
        raise typer.Exit(ExitCode.TOO_LITTLE_DATA)
    drifted = [f.feature for f in report.features if f.drifted]
    typer.echo(f"drifted: {report.counts} {drifted}; report: {path}")
    if report.retrain:
        typer.echo("retrain recommended")
        raise typer.Exit(ExitCode.RETRAIN_RECOMMENDED)


def _drift_report(
    lake: str, params_path: Path, reference: Path, start: dt.date | None, out: Path
) -> tuple[DriftReport, Path]:
    """Compare, write the report, and publish its summary (the page shows the latest)."""
    from boxoffice.lake.reports import publish_report
    from boxoffice.lifecycle.drift import drift_report, summary
    from boxoffice.lifecycle.drift_io import logged_columns, reference_columns, write_report

    store = existing_lake(lake)
    params = read_params(params_path)
    # The served profile's fields: the ones requests carry.
    specs = list(params.profile_features(params.serve_profile))
    try:
        ref = reference_columns(reference, specs)
    except (OSError, ValueError) as exc:
        raise fail(
            f"cannot read --reference {reference} (`dvc repro` writes it): {reason(exc)}"
        ) from exc
    cur = logged_columns(store, specs, start)
    report = drift_report(specs, ref, cur, params.drift)
    try:
        path = write_report(out, report, specs, ref, cur)
    except OSError as exc:
        raise fail(f"cannot write the report to --out {out}: {reason(exc)}") from exc
    since = start.isoformat() if start else None
    publish_report(store, "drift", summary(report, since=since))
    return report, path
