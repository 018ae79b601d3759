"""The ``boxoffice`` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from boxoffice.exit_codes import ExitCode
from boxoffice.predictor import (
    CHECKSUMS_FILE,
    METADATA_FILE,
    MODEL_FILE,
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
models_app = typer.Typer(help="The model registry: versions and aliases.", no_args_is_help=True)
app.add_typer(models_app, name="models")

RegistryUri = Annotated[
    str,
    typer.Option(
        "--registry", envvar="BOXOFFICE_REGISTRY_URI", help="Registry root (path or URL)."
    ),
]

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
        "models/pre_release/export"
    ),
) -> None:
    """Verify an exported model's checksums and describe it."""
    try:
        _, signature, checksums = read_verified(directory)
    except (ModelNotFoundError, IntegrityError) as exc:
        raise _fail(str(exc)) from exc
    metadata_path = directory / METADATA_FILE  # verified above with the other files
    metadata = json.loads(metadata_path.read_text()) if metadata_path.exists() else {}
    typer.echo(f"model: {directory.resolve()}")
    # The version the server reports: from the verified content hash, as it does.
    version = f"sha-{checksums[MODEL_FILE][:12]}"
    typer.echo(f"  version: {version}, profile: {signature.profile}")
    typer.echo(f"  trained on films from {signature.first_film} to {signature.last_film}")
    typer.echo(f"  files verified: {', '.join(sorted(checksums))} (+ {CHECKSUMS_FILE})")
    inputs = ", ".join(f"{i.field}{'*' if i.required else ''}" for i in signature.inputs)
    typer.echo(f"  inputs (* required): {inputs}")
    typer.echo(f"  interval level: {signature.interval.level:.0%}")
    keys = ("r2", "r2_log", "mae_log", "coverage")
    backtest = (metadata.get("backtest") or {}).get("summary", {})
    if backtest:
        shown = {k: backtest[k]["mean"] for k in keys if k in backtest}
        typer.echo(f"  rolling-origin backtest: {shown}")
    holdout = metadata.get("holdout_metrics", {})
    if holdout:
        typer.echo(f"  holdout metrics: { {k: holdout[k] for k in keys if k in holdout} }")
    typer.echo(f"  signature: {directory / SIGNATURE_FILE}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Listen port.")] = 8000,
    workers: Annotated[int, typer.Option(envvar="WEB_CONCURRENCY", help="Worker processes.")] = 2,
) -> None:
    """Serve the API with gunicorn + uvicorn workers (what the container runs)."""
    script = Path(__file__).resolve().parent / "initializer.sh"
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


@app.command()
def predict(
    input_path: Annotated[Path, typer.Option("--input", help=".csv, .parquet or .jsonl")],
    output_path: Annotated[Path, typer.Option("--output", help=".csv, .parquet or .jsonl")],
    model_dir: ModelDir = Path("models/pre_release/export"),
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Rejected rows and why (default: beside the output, scored.csv ->"
            " scored.rejects.csv)"
        ),
    ] = None,
) -> None:
    """Score a file of films with the serving model and its validation.

    Columns are the API's field names (production_budget, release_date, ...). Exits 1 when
    no row could be scored.
    """
    from boxoffice.batch import check_writable, read_table, score_file

    rejects = rejects or output_path.with_name(output_path.stem + ".rejects.csv")
    try:
        check_writable(output_path, rejects)  # before scoring, not after the whole file
        predictor = OnnxPredictor.load(model_dir)
        total = read_table(input_path).num_rows
        with typer.progressbar(length=total, label="scoring", file=sys.stderr) as bar:
            summary = score_file(predictor, input_path, output_path, rejects, bar.update)
    except (ModelNotFoundError, IntegrityError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(
        f"{summary.scored} of {summary.rows} rows scored -> {output_path}; "
        f"{summary.rejected} rejected -> {rejects}"
    )
    if summary.scored == 0:
        raise _fail(f"no row could be scored; see why in {rejects}")


@logs_app.command("query")
def logs_query(
    sql: Annotated[str, typer.Argument(help="SQL over the table `predictions`.")],
    lake: LakeUri = "lake",
) -> None:
    """Run DuckDB SQL over the logged predictions (read-only: no file, URL or extension access).

    An operator tool: do not pass it SQL written by people you do not trust.
    """
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
    """Show the latest logged predictions, one line each: full request id and inputs."""
    from boxoffice.logs import records

    # n is an int (typer parsed it), so the f-string cannot inject SQL.
    columns = "ts, request_id, model_version, profile, route, worldwide_gross, inputs"
    sql = f"SELECT {columns} FROM predictions ORDER BY ts DESC LIMIT {int(n)}"  # noqa: S608  # nosec B608
    try:
        rows = records(lake, sql)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if not rows:
        typer.echo("no logged predictions yet")
    for row in rows:
        typer.echo(
            f"{row['ts']:%Y-%m-%d %H:%M:%S} {row['request_id']} {row['model_version']}"
            f" {row['profile']} {row['route']} ${row['worldwide_gross']:,.0f} {row['inputs']}"
        )


@models_app.command("register")
def models_register(
    directory: Annotated[Path, typer.Argument(help="Exported model directory.")],
    registry: RegistryUri = "registry",
    params_path: Annotated[Path, typer.Option("--params")] = Path("params.yaml"),
) -> None:
    """Publish an exported model as a registry version (refused if its checksums fail)."""
    from boxoffice.lineage import version_extras
    from boxoffice.registry import Registry

    root = params_path.resolve().parent
    try:
        version = Registry(registry).register(directory, version_extras(root, params_path))
    except (ModelNotFoundError, IntegrityError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(version)


@models_app.command("list")
def models_list(registry: RegistryUri = "registry") -> None:
    """Versions with their holdout metrics and the aliases pointing at them."""
    from boxoffice.registry import ALIASES, AliasNotSetError, Registry

    reg = Registry(registry)
    aliases: dict[str, list[str]] = {}
    for alias in ALIASES:
        try:
            aliases.setdefault(reg.resolve(alias), []).append(alias)
        except AliasNotSetError:
            continue
    typer.echo(f"{'version':18s} {'trained_at':26s} {'mae_log':>8s} {'coverage':>8s}  aliases")
    for version in reg.versions():
        meta = reg.metadata(version)
        m = meta.get("holdout_metrics", {})
        typer.echo(
            f"{version:18s} {meta.get('trained_at', '?'):26s} {m.get('mae_log', float('nan')):8.4f}"
            f" {m.get('coverage', float('nan')):8.3f}  {','.join(aliases.get(version, []))}"
        )


@models_app.command("show")
def models_show(version: str, registry: RegistryUri = "registry") -> None:
    """A version's metadata, files and gate decisions."""
    from boxoffice.registry import Registry, VersionNotFoundError

    reg = Registry(registry)
    try:
        files = reg.files(version)
    except (VersionNotFoundError, IntegrityError) as exc:
        raise _fail(str(exc)) from exc
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


@models_app.command("promote")
def models_promote(
    version: str,
    registry: RegistryUri = "registry",
    params_path: Annotated[Path, typer.Option("--params")] = Path("params.yaml"),
    holdout: Annotated[Path, typer.Option(help="Frozen holdout (featurize output).")] = Path(
        "data/features/holdout.parquet"
    ),
    force: Annotated[bool, typer.Option(help="Promote even if the gate refuses.")] = False,
    reason: Annotated[str, typer.Option(help="Why (required with --force).")] = "",
    profile: Annotated[str, typer.Option(help="Model profile (its own aliases).")] = "pre_release",
) -> None:
    """Gate the version against production on the holdout; promote it if it passes."""
    from boxoffice.gate import promote
    from boxoffice.params import load_params
    from boxoffice.registry import Registry, VersionNotFoundError, alias_for

    if force and not reason.strip():
        raise _fail("--force needs --reason, which is recorded with the decision")
    params = load_params(params_path)
    try:
        result = promote(
            Registry(registry), version, params, holdout, profile, force=force, reason=reason
        )
    except (VersionNotFoundError, IntegrityError, OSError) as exc:
        raise _fail(str(exc)) from exc
    alias = alias_for("production", profile)
    if result.decision is None:
        typer.echo(f"{version} is already {alias}: nothing to do")
        return
    for line in result.decision.reasons:
        typer.echo(f"  {line}")
    if result.promoted:
        forced = " (forced)" if not result.decision.promote else ""
        typer.echo(f"promoted {version} to {alias}{forced}")
        return
    typer.echo(f"not promoted: {version} did not pass the gate")
    raise typer.Exit(ExitCode.NOT_PROMOTED)


@models_app.command("rollback")
def models_rollback(
    registry: RegistryUri = "registry",
    profile: Annotated[str, typer.Option(help="Model profile (its own aliases).")] = "pre_release",
) -> None:
    """Move production back to the version it held before."""
    from boxoffice.registry import AliasNotSetError, Registry, alias_for

    alias = alias_for("production", profile)
    try:
        move = Registry(registry).rollback(alias)
    except AliasNotSetError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"{alias} -> {move.version}")


labels_app = typer.Typer(help="Observed grosses (labels) in the data lake.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")
monitor_app = typer.Typer(
    help="Live accuracy and drift of the served models.", no_args_is_help=True
)
app.add_typer(monitor_app, name="monitor")


@labels_app.command("add")
def labels_add(
    path: Annotated[Path, typer.Argument(help=".csv, .parquet or .jsonl with worldwide_gross")],
    lake: LakeUri = "lake",
) -> None:
    """Store observed worldwide grosses, keyed by the request_id of the prediction.

    Good rows are stored and each bad row is reported with its number and reason; ids that
    match no logged prediction are stored too (it may not be shipped yet) and reported.
    """
    from boxoffice.batch import read_table
    from boxoffice.feedback import add_labels, check_columns, check_labels, unmatched
    from boxoffice.lake import Lake

    try:
        table = read_table(path)
        check_columns(table.column_names)
        batch = check_labels(table.to_pylist())
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    for refused in batch.rejected:
        typer.echo(f"row {refused['row']}: {refused['reason']}", err=True)
    if not batch.accepted:
        raise _fail("no label accepted")
    store = Lake(lake)
    strays = unmatched(store, [row["request_id"] for row in batch.accepted])
    if strays:
        shown = ", ".join(strays[:5]) + (" ..." if len(strays) > 5 else "")
        typer.echo(f"warning: {len(strays)} request_id(s) match no logged prediction: {shown}")
    where = add_labels(store, batch.accepted)
    typer.echo(f"{len(batch.accepted)} labels stored in {where}; {len(batch.rejected)} refused")


@monitor_app.command("accuracy")
def monitor_accuracy(lake: LakeUri = "lake") -> None:
    """Live metrics per model version, from logged predictions joined with labels."""
    from boxoffice.feedback import accuracy
    from boxoffice.lake import Lake

    rows = accuracy(Lake(lake))
    if not rows:
        typer.echo("no labelled predictions yet")
        return
    typer.echo(f"{'model_version':18s} {'n':>6s} {'mae_log':>8s} {'mdape':>7s} {'coverage':>8s}")
    for row in rows:
        typer.echo(
            f"{row['model_version']:18s} {row['n']:6d} {row['mae_log']:8.4f}"
            f" {row['mdape']:7.3f} {row['coverage']:8.3f}"
        )


@monitor_app.command("drift")
def monitor_drift(
    lake: LakeUri = "lake",
    params_path: Annotated[Path, typer.Option("--params")] = Path("params.yaml"),
    reference: Annotated[Path, typer.Option(help="Training data (featurize output).")] = Path(
        "data/features/train.parquet"
    ),
    since: Annotated[
        str | None, typer.Option(help="Only requests from this date (YYYY-MM-DD).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where drift.md, drift.html and plots go.")] = Path(
        "reports/drift"
    ),
) -> None:
    """Logged request features against the training data.

    Exit 0: no retrain needed; 1: retrain recommended; 4: too little data for a verdict.
    """
    import datetime as dt

    from boxoffice.drift import drift_report
    from boxoffice.drift_io import logged_columns, reference_columns, write_report
    from boxoffice.lake import Lake
    from boxoffice.params import load_params

    params = load_params(params_path)
    # The served profile's fields: the ones requests carry.
    specs = list(params.profile_features(params.serve_profile))
    try:
        start = dt.date.fromisoformat(since) if since else None
    except ValueError as exc:
        raise _fail(
            f"--since must be a date as YYYY-MM-DD (e.g. 2026-11-01), got {since!r}"
        ) from exc
    try:
        ref = reference_columns(reference, specs)
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    cur = logged_columns(Lake(lake), specs, start)
    report = drift_report(specs, ref, cur, params.drift)
    path = write_report(out, report, specs, ref, cur)
    if not report.enough_data:
        logged = max((len(v) for v in cur.values()), default=0)
        typer.echo(
            f"too little data: {logged} logged requests; at least {params.drift.min_rows} values"
            f" per feature are needed for a verdict; report: {path}"
        )
        raise typer.Exit(ExitCode.TOO_LITTLE_DATA)
    drifted = [f.feature for f in report.features if f.drifted]
    typer.echo(f"{report.share:.0%} of features drifted {drifted}; report: {path}")
    if report.retrain:
        typer.echo("retrain recommended")
        raise typer.Exit(1)


@app.command()
def retrain(
    lake: LakeUri = "lake",
    registry: RegistryUri = "registry",
    params_path: Annotated[Path, typer.Option("--params")] = Path("params.yaml"),
    report: Annotated[Path, typer.Option(help="Markdown for the CML comment.")] = Path(
        "reports/retrain.md"
    ),
) -> None:
    """Retrain on base data + labelled feedback, gate, promote; exit 0 promoted, 3 not better."""
    from boxoffice.lake import Lake
    from boxoffice.params import load_params
    from boxoffice.registry import Registry
    from boxoffice.retrain import RetrainError, report_markdown
    from boxoffice.retrain import retrain as run_retrain

    params = load_params(params_path)
    try:
        root = params_path.resolve().parent
        result = run_retrain(params, root, Lake(lake), Registry(registry), params_path)
    except (RetrainError, ModelNotFoundError, IntegrityError, OSError, ValueError) as exc:
        typer.echo(f"retrain failed: {exc}", err=True)
        raise typer.Exit(ExitCode.FAILED) from exc
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(report_markdown(result))
    for line in result.decision.reasons if result.decision else ["already production"]:
        typer.echo(f"  {line}")
    verdict = "promoted" if result.code == ExitCode.OK else "not promoted"
    typer.echo(f"{result.version}: {verdict}; {report}")
    raise typer.Exit(result.code)


@app.command("plots")
def plots(
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path(
        "dvc_plots/offline.html"
    ),
    root: Annotated[Path, typer.Option(help="The DVC project.")] = Path(),
) -> None:
    """The pipeline's plots as one self-contained HTML file that opens offline."""
    from boxoffice.plots_offline import write_offline_html

    try:
        typer.echo(f"wrote {write_offline_html(root, out)}")
    except (OSError, RuntimeError, ValueError) as exc:
        raise _fail(str(exc)) from exc


@app.command("credentials")
def credentials() -> None:
    """Decode $GCP_CREDENTIALS_B64 into a 0600 temp file; print the export line to use it."""
    from boxoffice.credentials import CredentialsError, write_service_account_key

    try:
        path = write_service_account_key()
    except CredentialsError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"export GOOGLE_APPLICATION_CREDENTIALS={path}")
