"""Stage 7, card: ``docs/model-card.md`` from this run's own figures (Mitchell et al.,
"Model Cards for Model Reporting", 2019): what the models are for and how far to trust them."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from boxoffice.core.artifact import METADATA_FILE, SIGNATURE_FILE
from boxoffice.core.io import write_text_atomic
from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, TrainParams
from boxoffice.pipeline.common import log, run_stage
from boxoffice.pipeline.coverage import coverage_table, figure


def _profile_section(name: str, route: str, signature: dict[str, Any], meta: dict[str, Any]) -> str:
    inputs = signature["inputs"]
    fields = ", ".join(f"`{i['field']}`" + (" (required)" if i["required"] else "") for i in inputs)
    bt = meta.get("backtest") or {}
    summary = bt.get("summary", {})

    def fig(key: str) -> str:
        m = summary.get(key)
        return f"{m['mean']:.3f} ± {m['sd']:.3f}" if m else "—"

    bare = bt.get("required_only", {})
    years = bt.get("test_years", [])
    span = f"{years[0]}-{years[-1]}" if years else "—"
    reduced = signature.get("reduced")
    routes = (
        ""
        if reduced is None
        else "A request that sends exactly the optional fields "
        + (", ".join(f"`{f}`" for f in reduced) or "(none: the required fields alone)")
        + " (what most films of the last training years carry) is forecast by trees refitted"
        " without the other optional fields; any other request by the masked trees.\n\n"
    )
    return (
        f"### `{name}` — `POST {route}`\n\n"
        f"Fields: {fields}.\n\n{routes}"
        f"Trained on films released {signature.get('first_film')} to"
        f" {signature.get('last_film')}; version `{meta.get('version')}`.\n\n"
        f"Rolling-origin backtest ({span}, each year predicted from earlier films,"
        f" {bt.get('films_tested', 0)} films): MAE (log) {fig('mae_log')}, R² (log)"
        f" {fig('r2_log')}, MdAPE {fig('mdape')}, 80% interval coverage {fig('coverage')},"
        f" interval score {fig('interval_score')}.\n\n"
        f"Sent with only the required fields: MAE (log) {figure(bare.get('mae_log'))},"
        f" coverage {figure(bare.get('coverage'))}.\n\n" + coverage_table(bt.get("coverage_cells"))
    )


def training_data(quality: dict[str, Any], target: str) -> str:
    """Both sources as validation left them, and the licence caveat of the second."""
    sources = quality.get("sources", {})
    rows = "".join(
        f"| `{name}` | {s['rows_in']:,} | {s['rows_clean']:,} | {s['rows_quarantined']:,} |\n"
        for name, s in sources.items()
    )
    matched = "".join(
        f"{m['matched']:,} films are in both (normalised title, release within the declared"
        f" days); {m[target]['differ']:,} of them disagree on the {target} by more than"
        f" {m[target]['tolerance']:.0%}, the later source having seen more of the run. "
        for m in quality.get("match", {}).values()
        if target in m
    )
    return (
        "| source | rows | clean | quarantined |\n|---|---:|---:|---:|\n"
        f"{rows}\n{matched}After the merge: {quality.get('rows_clean', 0):,} films.\n\n"
        "- `vega`: vega-datasets `movies.json` (BSD-3-Clause), 1928-2010,"
        " `data/sample/PROVENANCE.md`.\n"
        "- `the_numbers`: TidyTuesday's `movie_profit.csv`, 1936-2019, from The Numbers"
        " (`data/movie_profit/PROVENANCE.md`). **Licence caveat:** the repository it comes from"
        " is MIT-licensed, but the box-office figures come from the-numbers.com, and the MIT"
        " licence may not cover that site's own terms. It has no running time, source,"
        " creative type, director, reviews or votes: its films are missing those fields"
        " (unknown), send at most three optional fields, and the retrospective profile learns"
        " their post-release fields as unknown.\n"
    )


def card_markdown(
    params: Params,
    sections: list[str],
    base_year: int,
    quality: dict[str, Any] | None = None,
    last_film: str | None = None,
) -> str:
    return (
        _overview(base_year, params.serve_profile, calibration(params.train))
        + "\n".join(sections)
        + "\n## Training data\n\n"
        + training_data(quality or {}, params.feature_schema.target.column)
        + _caveats(params, last_film)
    )


def calibration(train: TrainParams) -> str:
    """How the intervals are calibrated, from the settings that do it (a card that described
    per-cell offsets kept saying so after the cells were pooled)."""
    cells = [
        what
        for what, edges in (
            ("the number of optional fields sent", train.interval_buckets),
            ("constant-dollar budget band", train.interval_bands),
        )
        if len(edges) > 1
    ]
    where = f" per cell of {' x '.join(cells)}" if cells else " in one pooled cell"
    text = (
        f"Intervals are split-conformal{where}, calibrated on the last"
        f" {train.calibration_years} training years each predicted from the years before"
    )
    if train.width_trees:
        text += (
            ", in units of each film's own predicted width (two quantile models of"
            f" {train.width_trees} trees: a hard film gets a wider range than an easy one)"
        )
    if len(train.horizon_bands) > 1:
        text += (
            ", then widened per horizon band by how much wider older out-of-time fits missed"
            " at that horizon than at the 1-year horizon the offsets are calibrated at"
        )
    return text + "."


def _overview(base_year: int, default: str, intervals: str) -> str:
    """The sections before the profiles': the models, their use, factors and evaluation."""
    return (
        "# Model card: boxoffice worldwide-gross forecasts\n\n"
        "_Written by `dvc repro` (stage `card`) from the run's own figures; do not edit._\n\n"
        "## Model details\n\nGradient-boosted trees (scikit-learn HistGradientBoosting, an"
        " average of the best candidates of a seeded search) on the log of the worldwide gross"
        f" in constant {base_year} dollars (CPI-U), exported to ONNX. Budgets are deflated the"
        " same way; the API takes and returns nominal dollars of the release year.\n\n"
        "## Intended use\n\nAn analyst's forecast of a film's worldwide gross, with an 80%"
        f" interval, before it opens (`{default}`, the default), and estimates for films out"
        " long ago whose reviews and votes are known (`retrospective`, for catalogue gaps)."
        " Not for individual investment decisions on its own: the 80% ranges are wide,"
        " widest for small films and far releases.\n\n"
        "## Factors\n\nAvailability: each feature is declared `pre_release` or `post_release` in"
        " `params.yaml`. A field left out means unknown: training hides optional fields at"
        " random so that a missing value is not read as an obscure film. A value the model"
        " does not know, or a number outside what it"
        " learned from, gets a warning naming it. Track records of the"
        " director and the distributor are computed strictly before each film's release.\n\n"
        "## Metrics and evaluation data\n\nThe headline is a rolling-origin backtest by release"
        " year; random K-fold figures (bench/results/model_quality.md) are secondary."
        f" {intervals} Coverage is reported per budget band, fields sent and horizon whatever"
        " the calibration pooled.\n\n"
    )


def _caveats(params: Params, last_film: str | None) -> str:
    return (
        "\n## Caveats and known limits\n\n"
        f"- The data ends {last_film}: a forecast for a film released today is an extrapolation"
        " of years. Releases in a year more than"
        f" {params.dollars.max_years_ahead} years after the last film's are refused (no"
        " backtest measured farther); any release after the last film, up to then, carries a"
        " warning with its horizon and the coverage measured there. The backtest's farthest"
        " horizons rest on few fits (see the table).\n"
        "- Years past the CPI table are extrapolated at"
        f" {params.dollars.extrapolate_rate:.1%} a year.\n"
        "- Small films (under $10M) are the least predictable: their honest range is very wide."
        " A cell marked **no** in the tables above is one where the promise does not hold.\n"
        "- IMDB votes and ratings are lifetime figures taken in 2010, so the retrospective"
        " profile is for films out for years, not weeks.\n"
        "- Films unlike the training data (new distributors, streaming releases) are outside"
        " what the model has seen.\n"
    )


def run(params: Params, layout: Layout) -> None:
    sections, base_year, last_film = [], params.dollars.base_year, None
    for name, profile in params.profiles.items():
        export_dir = Layout(layout.root, name).export_dir
        signature = json.loads((export_dir / SIGNATURE_FILE).read_text())
        if name == params.serve_profile:
            last_film = signature.get("last_film")
        meta = json.loads((export_dir / METADATA_FILE).read_text())
        sections.append(_profile_section(name, profile.route, signature, meta))
    quality_path = layout.reports / "data_quality.json"
    quality = json.loads(quality_path.read_text()) if quality_path.exists() else None
    text = card_markdown(params, sections, base_year, quality, last_film)
    write_text_atomic(layout.model_card, text)
    log("card", f"wrote {layout.model_card}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("card", run, argv)


if __name__ == "__main__":
    sys.exit(main())
