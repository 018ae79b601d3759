"""Inputs and outputs of ``boxoffice monitor drift``: reference, logged requests, the report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds

from boxoffice.core.dollars import dollar_axes
from boxoffice.core.features import date_parts, to_days
from boxoffice.core.io import write_text_atomic
from boxoffice.core.params import FeatureSpec
from boxoffice.lake.prediction_log import Lake
from boxoffice.lifecycle.drift import DriftReport, html_page, markdown


def reference_columns(path: Path, specs: list[FeatureSpec]) -> dict[str, list[Any]]:
    """The training films' values of ``specs``, from a Parquet file or a folder of them (a
    ValueError says what is wrong in words: Arrow's own names its internal columns)."""
    dataset = ds.dataset(path, format="parquet")
    if not dataset.files:
        raise ValueError("a folder with no Parquet file")
    fields = [s.field for s in specs]
    missing = [name for name in fields if name not in dataset.schema.names]
    if missing:
        raise ValueError(f"no column {', '.join(missing)}: not the training data of this model")
    table = dataset.to_table(columns=fields)
    return {name: table.column(name).to_pylist() for name in table.column_names}


def logged_columns(
    lake: Lake, specs: list[FeatureSpec], since: dt.date | None
) -> dict[str, list[Any]]:
    # Only the partitions from ``since`` on, and only the two columns drift reads.
    table = lake.read_predictions(since=since, columns=["ts", "inputs"])
    if since is not None and table.num_rows:
        start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        table = table.filter(pc.greater_equal(table.column("ts"), start))
    films = [json.loads(x) for x in table.column("inputs").to_pylist()]
    return {s.field: [film.get(s.field) for film in films] for s in specs}


def _plot(out: Path, spec: FeatureSpec, ref: list[Any], cur: list[Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    if spec.kind == "categorical":
        _bars(ax, ref, cur)
    else:
        _histograms(ax, spec, ref, cur)
    ax.set_title(spec.field)
    ax.legend(fontsize=6)
    fig.tight_layout()
    name = f"drift_{spec.field}.png"
    fig.savefig(out / name, dpi=70)
    plt.close(fig)
    return name


def _bars(ax: Any, ref: list[Any], cur: list[Any]) -> None:
    """Each side's share of the reference's 8 most common values."""
    import numpy as np

    names, counts = np.unique([str(v) for v in ref if v is not None], return_counts=True)
    top = list(names[np.argsort(-counts)][:8])
    for label, values, shift in (("reference", ref, -0.2), ("current", cur, 0.2)):
        total = max(sum(v is not None for v in values), 1)
        shares = [sum(str(v) == t for v in values) / total for t in top]
        ax.bar(np.arange(len(top)) + shift, shares, width=0.4, label=label)
    ax.set_xticks(range(len(top)), top, rotation=60, fontsize=6)


def _histograms(ax: Any, spec: FeatureSpec, ref: list[Any], cur: list[Any]) -> None:
    import numpy as np

    def numbers(values: list[Any]) -> Any:
        if spec.kind == "date":
            return date_parts(to_days(values), ["year"])[0]
        return np.array([np.nan if v is None else float(v) for v in values])

    seen = [x[~np.isnan(x)] for x in (numbers(ref), numbers(cur))]
    bins: Any = 30
    if spec.dollars and all(len(x) and x.min() > 0 for x in seen):
        # Budgets span four orders of magnitude: log bins, axis labelled in dollars.
        both = np.concatenate(seen)
        bins = np.geomspace(both.min(), both.max(), 30)
        dollar_axes(ax, "x")
    for label, x in zip(("reference", "current"), seen, strict=True):
        # Each side's share of its films per bin: comparable whatever the sample sizes.
        share = np.full(len(x), 1 / max(len(x), 1))
        ax.hist(x, bins=bins, weights=share, alpha=0.5, label=label)
    ax.set_ylabel("share of films", fontsize=7)


def write_report(
    out: Path,
    report: DriftReport,
    specs: list[FeatureSpec],
    ref: dict[str, list[Any]],
    cur: dict[str, list[Any]],
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    drifted = [s for s in specs if any(f.feature == s.field and f.drifted for f in report.features)]
    images = [_plot(out, s, ref[s.field], cur[s.field]) for s in drifted]
    write_text_atomic(out / "drift.md", markdown(report, images))
    write_text_atomic(out / "drift.html", html_page(report, images))
    return out / "drift.md"
