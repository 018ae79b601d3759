from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from boxoffice.cli import app
from boxoffice.core.layout import Layout

pytestmark = pytest.mark.slow

CSV = """title,production_budget,release_date,major_genre
Big,150000000,2009-12-18,Action
Small,2000000,2003-03-03,Drama
Broken,-5,2003-03-03,Drama
NoDate,1000000,,Drama
"""


def _predict(trained: Layout, source: Path, out: Path) -> Result:
    args = ["predict", "--input", str(source), "--output", str(out)]
    return CliRunner().invoke(app, [*args, "--model", str(trained.export_dir)])


def test_predict_scores_csv_and_writes_rejects(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "films.csv"
    source.write_text(CSV)
    out = tmp_path / "scored.parquet"
    result = _predict(trained, source, out)
    assert result.exit_code == 0, result.output
    assert "2 of 4 rows scored" in result.output
    scored = pq.read_table(out).to_pylist()
    assert [r["title"] for r in scored] == ["Big", "Small"]
    assert all(r["interval_low"] < r["worldwide_gross"] < r["interval_high"] for r in scored)
    rejects = (tmp_path / "scored.rejects.csv").read_text().splitlines()
    assert rejects[0] == '"row","reason"'
    assert rejects[1].startswith("3,") and "production_budget" in rejects[1]
    assert rejects[2].startswith("4,") and "release_date" in rejects[2]


def test_predict_jsonl_round_trip(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "films.jsonl"
    source.write_text(json.dumps({"production_budget": 1e7, "release_date": "2005-05-05"}) + "\n")
    out = tmp_path / "out.jsonl"
    result = _predict(trained, source, out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["worldwide_gross"] > 0


def test_predict_refuses_unknown_format(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "films.xlsx"
    source.write_text("x")
    result = _predict(trained, source, tmp_path / "o.csv")
    assert result.exit_code == 1
    assert "use .csv, .parquet or .jsonl" in result.output


def test_logs_query_and_tail_read_the_lake(trained: Layout, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from boxoffice.serving.main import create_app
    from tests.support.serving import FILM, make_settings

    settings = make_settings(trained, tmp_path)
    with TestClient(create_app(settings)) as client:
        for _ in range(3):
            client.post("/v1/prediction", json=FILM)
    runner = CliRunner()
    counted = runner.invoke(
        app, ["logs", "query", "SELECT count(*) AS n FROM predictions", "--lake", settings.lake_uri]
    )
    assert counted.exit_code == 0, counted.output
    assert "3" in counted.output
    tail = runner.invoke(app, ["logs", "tail", "-n", "2", "--lake", settings.lake_uri])
    assert tail.exit_code == 0 and tail.output.count("prediction") >= 2
    lines = tail.output.strip().splitlines()
    assert len(lines) == 2  # one line per prediction, nothing wrapped
    assert all(len(line.split()[2]) == 32 for line in lines)  # the whole request id
    assert all("production_budget" in line for line in lines)  # and its inputs
    bad = runner.invoke(app, ["logs", "query", "SELEC nonsense", "--lake", settings.lake_uri])
    assert bad.exit_code == 1 and "query failed" in bad.output
    # Read-only: the SQL reaches neither the file system nor the network.
    target = tmp_path / "stolen.csv"
    for sql in (
        "SELECT * FROM read_text('/etc/hostname')",
        f"COPY predictions TO '{target}'",
        "SET enable_external_access = true",
    ):
        refused = runner.invoke(app, ["logs", "query", sql, "--lake", settings.lake_uri])
        assert refused.exit_code == 1 and "query failed" in refused.output, sql
    assert not target.exists()
    assert "trust" in runner.invoke(app, ["logs", "query", "--help"]).output  # says who for


def test_predict_checks_the_output_suffix_before_scoring(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "films.csv"
    source.write_text(CSV)
    result = _predict(trained, source, tmp_path / "scored.xlsx")
    assert result.exit_code == 1 and "use .csv, .parquet or .jsonl" in result.output
    assert "Traceback" not in result.output and "rows scored" not in result.output


def test_predict_with_raw_column_names_names_expected_and_found(
    trained: Layout, tmp_path: Path
) -> None:
    source = tmp_path / "raw.csv"
    source.write_text("Production Budget,Release Date\n150000000,2009-12-18\n")
    result = _predict(trained, source, tmp_path / "o.csv")
    assert result.exit_code == 1
    assert "production_budget" in result.output and "Production Budget" in result.output


def test_predict_with_no_scorable_row_exits_non_zero(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("production_budget,release_date\n-5,2003-03-03\n")
    result = _predict(trained, source, tmp_path / "o.csv")
    assert result.exit_code == 1 and "no row could be scored" in result.output
    assert (tmp_path / "o.rejects.csv").exists()


def test_predict_writes_each_rows_warnings(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "films.csv"
    source.write_text(
        "title,production_budget,release_date,major_genre\n"
        "Sequel,200000000,2027-07-16,Action\n"
        "Odd,20000000,2005-05-05,Sci-Fi\n"
        "Plain,20000000,2005-05-05,Drama\n"
    )
    out = tmp_path / "scored.parquet"
    result = _predict(trained, source, out)
    assert result.exit_code == 0, result.output
    warnings = {r["title"]: r["warnings"] for r in pq.read_table(out).to_pylist()}
    assert "9 years after the last film" in warnings["Sequel"]
    assert "'Sci-Fi'" in warnings["Odd"] and "treated as unknown" in warnings["Odd"]
    assert warnings["Plain"] == ""


def test_model_info_shows_the_accepted_release_dates(trained: Layout) -> None:
    result = CliRunner().invoke(app, ["model-info", str(trained.export_dir)])
    assert result.exit_code == 0, result.output
    assert "accepts release dates from 1928-01-01 to 2028-12-31" in result.output


def test_a_blank_text_cell_is_unknown_like_a_blank_number(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "films.csv"
    source.write_text(
        "title,production_budget,release_date,major_genre,running_time_min\n"
        "Blank genre,150000000,2009-12-18,,\n"
        "Spaces,150000000,2009-12-18,   ,120\n"
    )
    out = tmp_path / "scored.csv"
    result = _predict(trained, source, out)
    assert result.exit_code == 0, result.output
    assert "2 of 2 rows scored" in result.output  # was: rejected, "at least 1 character"


def test_a_date_cell_with_spaces_is_read_as_a_number_cell_is(
    trained: Layout, tmp_path: Path
) -> None:
    """A CSV written as "a, b" pads its cells: " 150000000" was read, " 2009-12-18" refused."""
    source = tmp_path / "films.csv"
    source.write_text(
        "title,production_budget,release_date\n"
        "Padded, 150000000, 2009-12-18\n"
        "Blank, 150000000,   \n"
    )
    out = tmp_path / "scored.csv"
    result = _predict(trained, source, out)
    assert "1 of 2 rows scored" in result.output, result.output
    reasons = (tmp_path / "scored.rejects.csv").read_text()
    assert "release_date" in reasons and "YYYY-MM-DD" not in reasons  # blank: missing


def test_a_refused_row_reads_as_the_apis_error(trained: Layout, tmp_path: Path) -> None:
    """One source of readable messages: the date range in words, not pydantic's repr."""
    source = tmp_path / "films.csv"
    source.write_text("production_budget,release_date\n1000000,2040-06-01\n")
    result = _predict(trained, source, tmp_path / "scored.csv")
    reasons = (tmp_path / "scored.rejects.csv").read_text()
    assert result.exit_code == 1
    assert "release_date: outside the range this model speaks for" in reasons
    assert "datetime.date" not in reasons


def test_one_bad_number_costs_its_row_not_the_file(trained: Layout, tmp_path: Path) -> None:
    # Arrow typed the column by its worst cell: one "fifty" made every budget text, so every
    # row was refused ("Input should be a valid number"), Avatar included.
    source = tmp_path / "films.csv"
    source.write_text(
        "title,production_budget,release_date,running_time_min,mpaa_rating\n"
        "Avatar,237000000,2009-12-18,162,PG-13\n"
        "Words,fifty,2009-12-18,long,R\n"
        "Dollar sign,$50000000,2009-12-18,,R\n"
    )
    out = tmp_path / "scored.csv"
    result = _predict(trained, source, out)
    assert result.exit_code == 0, result.output
    assert "1 of 3 rows scored" in result.output
    reasons = (tmp_path / "scored.rejects.csv").read_text().splitlines()[1:]
    assert reasons[0].startswith("2,") and "production_budget" in reasons[0]
    assert "running_time_min" in reasons[0]
    assert reasons[1].startswith("3,") and "production_budget" in reasons[1]


def test_a_bad_json_line_costs_its_line_not_the_file(trained: Layout, tmp_path: Path) -> None:
    # Arrow's JSON reader failed the whole file on a type change between lines, and a line
    # that is not JSON was reported one row off.
    good = {"production_budget": 1e7, "release_date": "2005-05-05"}
    lines = [
        json.dumps(good),
        json.dumps(good | {"production_budget": "ten million"}),
        json.dumps(good | {"mpaa_rating": 13}),
        "",
        '{"production_budget": 1e7,',
        json.dumps(good),
    ]
    source = tmp_path / "films.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = _predict(trained, source, tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    assert "2 of 6 rows scored" in result.output
    rejects = (tmp_path / "out.rejects.csv").read_text().splitlines()[1:]
    assert [line.split(",")[0] for line in rejects] == ["2", "3", "4", "5"]
    assert "production_budget" in rejects[0] and "mpaa_rating" in rejects[1]
    assert "blank line" in rejects[2] and "not JSON" in rejects[3]


def test_a_field_known_only_after_release_is_refused_not_dropped(
    trained: Layout, tmp_path: Path
) -> None:
    # The API refuses it with a 422 naming the route that takes it; the CLI scored the row
    # without it, and without a word.
    from boxoffice.core.signature import Signature

    signature = Signature.model_validate_json((trained.export_dir / "signature.json").read_text())
    field = sorted(signature.withheld)[0]
    source = tmp_path / "films.csv"
    source.write_text(f"production_budget,release_date,{field}\n150000000,2009-12-18,7\n")
    result = _predict(trained, source, tmp_path / "o.csv")
    assert result.exit_code == 1
    assert field in result.output and "known only after release" in result.output
    assert signature.withheld[field] in result.output and "Traceback" not in result.output


def test_a_carried_column_of_mixed_types_is_written_as_text(
    trained: Layout, tmp_path: Path
) -> None:
    good = {"production_budget": 1e7, "release_date": "2005-05-05"}
    source = tmp_path / "films.jsonl"
    source.write_text(json.dumps(good | {"id": 7}) + "\n" + json.dumps(good | {"id": "b"}) + "\n")
    out = tmp_path / "out.parquet"
    result = _predict(trained, source, out)
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in pq.read_table(out).to_pylist()] == ["7", "b"]


def test_a_file_without_the_required_columns_names_only_its_own(
    trained: Layout, tmp_path: Path
) -> None:
    # Reading numbers per cell once added the numeric columns a file lacks, so the error
    # listed columns the file does not have.
    source = tmp_path / "nocols.csv"
    source.write_text("a,b\n1,2\n")
    result = _predict(trained, source, tmp_path / "o.csv")
    assert result.exit_code == 1
    assert "has no column production_budget" in result.output
    assert (
        "found a, b" in result.output and "running_time_min" not in result.output.split("found")[1]
    )


def test_a_release_date_cell_is_a_date_not_a_timestamp(trained: Layout, tmp_path: Path) -> None:
    # A string of digits was read as a Unix timestamp; a date and time was taken as a date.
    source = tmp_path / "films.csv"
    source.write_text(
        "title,production_budget,release_date\n"
        "A,1e7,2009-12-18\nB,1e7,1276819200\nC,1e7,2009-12-18 10:30:00\n"
    )
    result = _predict(trained, source, tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert "1 of 3 rows scored" in result.output
    rejects = (tmp_path / "out.rejects.csv").read_text().splitlines()[1:]
    assert [line.split(",")[0] for line in rejects] == ["2", "3"]
    assert all("release_date" in line and "YYYY-MM-DD" in line for line in rejects)


def test_a_timestamp_column_at_midnight_is_its_date_in_iso_form(
    trained: Layout, tmp_path: Path
) -> None:
    # pandas writes dates as timestamps; JSON lines wrote them "2009-12-18 00:00:00", and
    # one with a zone came back shifted by its offset ("2009-12-18T01:00:00+01:00").
    source = tmp_path / "films.parquet"
    for zone in (None, "UTC", "Europe/Paris"):  # pandas' tz_localize keeps local midnight
        stamps = pa.array(
            [dt.datetime(2009, 12, 18), dt.datetime(2009, 12, 18, 9)], pa.timestamp("us")
        )
        if zone:
            stamps = pc.assume_timezone(stamps, zone)
        table = pa.table({"production_budget": [1e7, 1e7], "release_date": stamps})
        pq.write_table(table, source)
        out = tmp_path / "out.jsonl"
        result = _predict(trained, source, out)
        assert result.exit_code == 0, result.output
        (line,) = out.read_text().splitlines()  # 09:00 is no date: refused
        assert json.loads(line)["release_date"] == "2009-12-18", zone  # the date it read
        assert "not a date and time" in (tmp_path / "out.rejects.csv").read_text()


def test_the_output_never_replaces_the_input(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "films.csv"
    source.write_text(CSV)
    result = _predict(trained, source, tmp_path / "." / "films.csv")
    assert result.exit_code == 1 and "is the input file" in result.output
    assert source.read_text() == CSV
    out = tmp_path / "out.csv"  # the rejects written over the scored rows
    args = ["predict", "--input", str(source), "--output", str(out), "--rejects", str(out)]
    both = CliRunner().invoke(app, [*args, "--model", str(trained.export_dir)])
    assert both.exit_code == 1 and "named for two outputs" in both.output
    assert not out.exists()


def test_a_misspelt_column_is_named_not_carried_silently(trained: Layout, tmp_path: Path) -> None:
    source = tmp_path / "films.csv"
    source.write_text(
        "title,production_budget,release_date,major_genr,MPAA_RATING\nA,1e7,2005-05-05,Drama,R\n"
    )
    result = _predict(trained, source, tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert "column 'major_genr' is no field of the model" in result.output
    assert "did you mean 'major_genre'?" in result.output
    assert "column 'MPAA_RATING' is no field" in result.output  # case alone, too
    assert "did you mean 'mpaa_rating'?" in result.output
    assert "'title'" not in result.output  # a column carried on purpose is not a misspelling


def test_a_json_line_is_split_at_newlines_only(trained: Layout, tmp_path: Path) -> None:
    # str.splitlines split a line at a raw U+0085 or U+2028 inside a title, and a
    # byte-order mark cost the first line.
    films = [
        {"title": f"A{mark}B", "production_budget": 1e7, "release_date": "2005-05-05"}
        for mark in ("\u0085", "\u2028", "")
    ]
    source = tmp_path / "films.jsonl"
    text = "\r\n".join(json.dumps(f, ensure_ascii=False) for f in films) + "\r\n"
    source.write_bytes(b"\xef\xbb\xbf" + text.encode())
    out = tmp_path / "out.jsonl"
    result = _predict(trained, source, out)
    assert result.exit_code == 0, result.output
    assert "3 of 3 rows scored" in result.output
    assert [json.loads(x)["title"] for x in out.read_text().split("\n") if x] == [
        f["title"] for f in films
    ]
