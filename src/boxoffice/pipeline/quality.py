"""The data-quality report: per source, what the rules quarantined or blanked; across
sources, how many films matched and how far matched films disagree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from boxoffice.core.params import Params
from boxoffice.pipeline.matching import agreement, disagreements

if TYPE_CHECKING:
    from boxoffice.pipeline.validate import ValidationResult


def match_report(
    result: ValidationResult, unmapped: dict[str, pd.DataFrame], params: Params
) -> dict[str, Any]:
    """The first source against each other one: matches, numeric disagreements, and how
    often categorical values agree before and after the declared value mappings."""
    names = list(result.by_source)
    first = names[0]
    categorical = [f.column for f in params.feature_schema.features if f.kind == "categorical"]
    out: dict[str, Any] = {}
    for other in names[1:]:
        a, b = result.by_source[first], result.by_source[other]
        ids_a, ids_b = result.films[first], result.films[other]
        pair = disagreements(a, b, ids_a, ids_b, params.data.match.tolerances)
        pair["agreement"] = {}
        for column in (c for c in categorical if a[c].notna().any() and b[c].notna().any()):
            raw_a = _as_read(unmapped, first, column, result.positions[first])
            raw_b = _as_read(unmapped, other, column, result.positions[other])
            pair["agreement"][column] = {
                "as_read": agreement(raw_a, raw_b, ids_a, ids_b),
                "mapped": agreement(a[column], b[column], ids_a, ids_b),
            }
        out[f"{first}~{other}"] = pair
    return out


def _as_read(frames: dict[str, pd.DataFrame], name: str, column: str, rows: Any) -> pd.Series:
    values: pd.Series = frames[name][column].iloc[rows].reset_index(drop=True)
    return values.where(values.notna(), None)


def report_markdown(report: dict[str, Any]) -> str:
    lines = [
        "## Data quality",
        "",
        f"{report['rows_in']} rows read, {report['rows_quarantined']} quarantined,"
        f" {report['rows_clean']} films after the merge.",
        "",
        "| source | rows | clean | quarantined | cells blanked |",
        "|---|---:|---:|---:|---|",
        *(
            f"| {name} | {s['rows_in']} | {s['rows_clean']} | {s['rows_quarantined']} |"
            f" {_pairs(s.get('cells_blanked', {}))} |"
            for name, s in report.get("sources", {}).items()
        ),
        "",
        "| rule | rows broken |",
        "|---|---:|",
        *(f"| `{name}` | {n} |" for name, n in report["rules"].items()),
    ]
    for pair, facts in report.get("match", {}).items():
        lines += _match_lines(pair, facts)
    lines += [
        "",
        "| column | missing share (clean films) |",
        "|---|---:|",
        *(f"| {col} | {share:.1%} |" for col, share in report["missing_share"].items()),
    ]
    return "\n".join(lines) + "\n"


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"`{k}` {v}" for k, v in counts.items()) or "none"


def _match_lines(pair: str, facts: dict[str, Any]) -> list[str]:
    left, right = pair.split("~")
    rate = facts["match_rate"]
    lines = [
        "",
        f"### Matched films: {left} and {right}",
        "",
        f"{facts['matched']} films in both: {rate['left']:.1%} of {left}'s clean rows,"
        f" {rate['right']:.1%} of {right}'s.",
        "",
        "| column | pairs with both | differ by more than | pairs that differ |",
        "|---|---:|---:|---:|",
    ]
    for column, gap in facts.items():
        if isinstance(gap, dict) and "tolerance" in gap:
            lines.append(
                f"| {column} | {gap['pairs']} | {gap['tolerance']:.0%} | {gap['differ']} |"
            )
    lines += ["", "| column | same value, as read | same value, mapped |", "|---|---:|---:|"]
    for column, agree in facts.get("agreement", {}).items():
        lines.append(f"| {column} | {_share(agree['as_read'])} | {_share(agree['mapped'])} |")
    return lines


def _share(agree: dict[str, Any]) -> str:
    share = agree["share"]
    return "n/a" if share is None else f"{share:.1%} of {agree['pairs']}"
