"""Feature drift of logged requests against the training reference.

Per feature, as Evidently's defaults do: with at most ``large_sample`` rows, Kolmogorov-Smirnov
(numeric) or chi-squared (categorical) at ``alpha``; above it, normalised Wasserstein
distance (numeric) or Jensen-Shannon distance (categorical) against ``distance_threshold``.
A retrain is recommended when the share of drifted features reaches ``share_threshold``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

from boxoffice.core.features import date_parts, is_missing, to_days
from boxoffice.core.params import DriftParams, FeatureSpec

TOP_CATEGORIES = 20  # rarer categories pool into one bucket so chi-squared stays valid
TOO_FEW = "too_few_values"
P_VALUE_TESTS = ("ks", "chi2")


@dataclass
class FeatureDrift:
    feature: str
    method: str
    statistic: float
    threshold: float
    drifted: bool
    reference_n: int
    current_n: int

    @property
    def tested(self) -> bool:
        return self.method != TOO_FEW

    @property
    def p_value(self) -> float | None:
        """The test's p-value (drift when below ``threshold``), for KS and chi-squared."""
        return self.statistic if self.method in P_VALUE_TESTS else None

    @property
    def distance(self) -> float | None:
        """The distance (drift when at or above ``threshold``), for Wasserstein and JS."""
        return self.statistic if self.tested and self.method not in P_VALUE_TESTS else None


@dataclass
class DriftReport:
    features: list[FeatureDrift]
    share: float
    share_threshold: float
    min_rows: int = 0
    min_tested_share: float = 0.0

    @property
    def tested(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.tested]

    @property
    def enough_data(self) -> bool:
        """Enough features had ``min_rows`` values on both sides to be tested: a share of
        the few testable ones says little about the model's inputs as a whole."""
        needed = max(1, int(np.ceil(self.min_tested_share * len(self.features))))
        return len(self.tested) >= needed

    @property
    def retrain(self) -> bool:
        return self.enough_data and self.share >= self.share_threshold

    @property
    def counts(self) -> str:
        drifted = sum(f.drifted for f in self.tested)
        return f"{drifted} of the {len(self.tested)} features tested (of {len(self.features)})"

    @property
    def verdict(self) -> str:
        if not self.enough_data:
            return (
                f"too little data: {len(self.tested)} of {len(self.features)} features had the"
                f" {self.min_rows} logged values a test needs, and a verdict needs"
                f" {self.min_tested_share:.0%} of them; no verdict"
            )
        return "**retrain recommended**" if self.retrain else "no retrain needed"


def _numeric(spec: FeatureSpec, values: list[Any]) -> np.ndarray:
    if spec.kind == "date":
        (years,) = date_parts(to_days(values), ["year"])
        day = date_parts(to_days(values), ["day_of_year"])[0]
        out = years + (day - 1) / 366.0
    else:
        out = np.array([np.nan if is_missing(v) else float(v) for v in values], dtype=float)
    return out[~np.isnan(out)]


def _numeric_drift(
    ref: np.ndarray, cur: np.ndarray, p: DriftParams
) -> tuple[str, float, float, bool]:
    if len(cur) <= p.large_sample:
        pvalue = float(stats.ks_2samp(ref, cur).pvalue)
        return "ks", pvalue, p.alpha, pvalue < p.alpha
    spread = float(np.std(ref)) or 1.0
    distance = float(stats.wasserstein_distance(ref, cur)) / spread
    return "wasserstein", distance, p.distance_threshold, distance >= p.distance_threshold


def _counts(values: list[Any], keep: list[str]) -> np.ndarray:
    index = {name: i for i, name in enumerate(keep)}
    counts = np.zeros(len(keep) + 1)
    for v in values:
        if not is_missing(v):
            counts[index.get(str(v), len(keep))] += 1
    return counts


def _categorical_drift(
    ref: list[Any], cur: list[Any], p: DriftParams
) -> tuple[str, float, float, bool]:
    names, freq = np.unique([str(v) for v in ref if not is_missing(v)], return_counts=True)
    keep = [str(n) for n in names[np.argsort(-freq)][:TOP_CATEGORIES]]
    ref_counts, cur_counts = _counts(ref, keep), _counts(cur, keep)
    if cur_counts.sum() <= p.large_sample:
        # Reference shares with a pseudo-count, so an unseen bucket cannot divide by zero.
        expected = (ref_counts + 0.5) / (ref_counts + 0.5).sum() * cur_counts.sum()
        pvalue = float(stats.chisquare(cur_counts, expected).pvalue)
        return "chi2", pvalue, p.alpha, pvalue < p.alpha
    distance = float(jensenshannon(ref_counts + 1e-9, cur_counts + 1e-9, base=2))
    return "jensen_shannon", distance, p.distance_threshold, distance >= p.distance_threshold


def drift_report(
    specs: list[FeatureSpec],
    reference: dict[str, list[Any]],
    current: dict[str, list[Any]],
    params: DriftParams,
) -> DriftReport:
    results = []
    for spec in specs:
        ref, cur = reference.get(spec.field, []), current.get(spec.field, [])
        if spec.kind == "categorical":
            n_ref = sum(not is_missing(v) for v in ref)
            n_cur = sum(not is_missing(v) for v in cur)
        else:
            ref_x, cur_x = _numeric(spec, ref), _numeric(spec, cur)
            n_ref, n_cur = len(ref_x), len(cur_x)
        if min(n_ref, n_cur) < params.min_rows:
            # Too few values to test (an optional field clients rarely send): not counted.
            results.append(FeatureDrift(spec.field, TOO_FEW, float("nan"), 0, False, n_ref, n_cur))
            continue
        if spec.kind == "categorical":
            method, stat, threshold, drifted = _categorical_drift(ref, cur, params)
        else:
            method, stat, threshold, drifted = _numeric_drift(ref_x, cur_x, params)
        results.append(FeatureDrift(spec.field, method, stat, threshold, drifted, n_ref, n_cur))
    tested = [r for r in results if r.tested]
    share = sum(r.drifted for r in tested) / len(tested) if tested else 0.0
    return DriftReport(
        results, share, params.share_threshold, params.min_rows, params.min_tested_share
    )


def summary(report: DriftReport, **extra: Any) -> dict[str, Any]:
    """The report as JSON for the lake (what every replica's page shows)."""
    return {
        "verdict": report.verdict.replace("**", ""),
        "retrain": report.retrain,
        "enough_data": report.enough_data,
        "share": report.share,
        "share_threshold": report.share_threshold,
        "tested": len(report.tested),
        "counts": report.counts,
        "features": [
            {
                "feature": f.feature,
                "method": f.method,
                "p_value": f.p_value,
                "distance": f.distance,
                "threshold": f.threshold,
                "drifted": f.drifted,
                "tested": f.tested,
                "current_n": f.current_n,
            }
            for f in report.features
        ],
    } | extra


def _threshold(f: FeatureDrift) -> str:
    return f"{f.threshold:g}" if f.tested else "—"


def _result(f: FeatureDrift) -> str:
    return "untested" if not f.tested else "drifted" if f.drifted else "ok"


def cell(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


# The report's one table: the markdown (the CML comment) and the HTML page render these
# same headers and cells, so the two cannot disagree about a feature.
TABLE_HEADER = (
    "feature",
    "test",
    "p-value",
    "distance",
    "threshold",
    "result",
    "reference n",
    "current n",
)
_ALIGN = ("---", "---", "---:", "---:", "---:", "---", "---:", "---:")
RULE = (
    "A p-value below its threshold (KS, chi-squared) or a distance at or above it"
    " (Wasserstein, Jensen-Shannon) is drift."
)


def table_rows(report: DriftReport) -> list[tuple[str, ...]]:
    return [
        (
            f.feature,
            f.method,
            cell(f.p_value),
            cell(f.distance),
            _threshold(f),
            _result(f),
            str(f.reference_n),
            str(f.current_n),
        )
        for f in report.features
    ]


def headline(report: DriftReport) -> str:
    """The verdict in one sentence (markdown: the decision in bold)."""
    return (
        f"Drifted: {report.counts}, {report.share:.0%} (threshold "
        f"{report.share_threshold:.0%}): {report.verdict}."
    )


def markdown(report: DriftReport, images: list[str]) -> str:
    lines = [f"| {' | '.join(row)} |" for row in (TABLE_HEADER, _ALIGN, *table_rows(report))]
    pictures = "\n".join(f"![{name}]({name})" for name in images)
    table = "\n".join(lines)
    return f"# Drift report\n\n{headline(report)}\n\n{RULE}\n\n{table}\n\n{pictures}\n"


def html_page(report: DriftReport, images: list[str]) -> str:
    """The same report as one HTML page (the same table, escaped)."""

    def row(cells: tuple[str, ...], tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"

    body = "".join(row(r, "td") for r in table_rows(report))
    pictures = "".join(f'<img src="{html.escape(name)}">' for name in images)
    said = html.escape(headline(report).replace("**", ""))
    return (
        f"<html><body><h1>Drift report</h1><p>{said}</p><p>{html.escape(RULE)}</p>"
        f"<table>{row(TABLE_HEADER, 'th')}{body}</table>{pictures}</body></html>\n"
    )
