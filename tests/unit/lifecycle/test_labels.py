from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from boxoffice.lake.reports import latest_report
from boxoffice.lifecycle.labels import accuracy, check_labels, read_labels
from boxoffice.serving.main import create_app
from tests.support.serving import FILM, make_settings


def test_check_labels_refuses_unkeyed_and_non_positive_rows() -> None:
    batch = check_labels(
        [
            {"request_id": "a", "worldwide_gross": 10.0},
            {"title": "T", "release_date": "2001-02-03T00:00:00", "worldwide_gross": 5},
            {"worldwide_gross": 3.0},
            {"request_id": "b", "worldwide_gross": 0},
            {"request_id": "c", "worldwide_gross": float("nan")},
        ]
    )
    assert [r["request_id"] for r in batch.accepted] == ["a"]
    assert [r["row"] for r in batch.rejected] == [2, 3, 4, 5]
    assert "title + release_date alone join no logged prediction" in batch.rejected[0]["reason"]


def test_a_padded_labels_cell_is_read_without_its_spaces() -> None:
    """A CSV written as "a, b": " 2009-12-18" was kept as " 2009-12-1" (its first 10
    characters) and a padded request id joined no logged prediction."""
    batch = check_labels(
        [
            {
                "request_id": " r-1 ",
                "title": " Avatar",
                "release_date": " 2009-12-18",
                "worldwide_gross": 9.0,
            }
        ]
    )
    row = batch.accepted[0]
    assert (row["request_id"], row["title"], row["release_date"]) == ("r-1", "Avatar", "2009-12-18")
    blank = check_labels([{"request_id": "   ", "worldwide_gross": 9.0}])
    assert not blank.accepted and "no request_id" in blank.rejected[0]["reason"]


def test_labels_are_checked_row_by_row(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    # One bad gross makes the CSV column text: the good rows must still be read as numbers.
    labels.write_text('request_id,worldwide_gross\na,1200000\nb,"2,500,000"\nc,unknown\nd,$3e6\n')
    (tmp_path / "lake").mkdir()
    lake = str(tmp_path / "lake")
    result = CliRunner().invoke(app, ["labels", "add", str(labels), "--lake", lake])
    assert result.exit_code == 0, result.output
    assert "3 labels stored" in result.output and "1 refused" in result.output
    assert "row 3: worldwide_gross must be a number > 0, got 'unknown'" in result.output
    assert "3 request_id(s) match no logged prediction" in result.output
    stored = read_labels(Lake(lake)).to_pylist()
    assert [r["worldwide_gross"] for r in stored] == [1.2e6, 2.5e6, 3e6]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("request_id,worldwide_gros", "labels need the column(s) worldwide_gross; found"),
        ("title,release_date,worldwide_gross", "nothing joins them to a prediction"),
    ],
)
def test_labels_file_without_usable_columns_names_them(
    tmp_path: Path, header: str, expected: str
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(
        f"{header}\nx,2001-01-01,5\n" if header.count(",") == 2 else f"{header}\nx,5\n"
    )
    result = CliRunner().invoke(app, ["labels", "add", str(labels), "--lake", str(tmp_path)])
    assert result.exit_code == 1 and expected in result.output


@pytest.mark.slow
def test_labels_join_logged_predictions_per_model_version(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path)
    with TestClient(create_app(settings)) as client:
        served = [client.post("/v1/prediction", json=FILM).json() for _ in range(4)]
    labels = tmp_path / "labels.jsonl"
    lines = [
        {"request_id": p["request_id"], "worldwide_gross": p["worldwide_gross"] * 2}
        for p in served[:3]
    ]
    lines.append({"request_id": "unknown", "worldwide_gross": -1})
    labels.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    runner = CliRunner()
    added = runner.invoke(app, ["labels", "add", str(labels), "--lake", settings.lake_uri])
    assert added.exit_code == 0, added.output
    assert "3 labels stored" in added.output and "1 refused" in added.output
    # The same labels again: stored as a new object, counted once per request.
    runner.invoke(app, ["labels", "add", str(labels), "--lake", settings.lake_uri])
    assert read_labels(Lake(settings.lake_uri)).num_rows == 6
    (row,) = accuracy(Lake(settings.lake_uri))
    assert row["model_version"] == served[0]["model_version"] and row["n"] == 3
    assert row["mae_log"] == pytest.approx(math.log(2), rel=1e-6)
    shown = runner.invoke(app, ["monitor", "accuracy", "--lake", settings.lake_uri])
    assert shown.exit_code == 0 and served[0]["model_version"] in shown.output
    published = latest_report(Lake(settings.lake_uri), "accuracy")
    assert published is not None and published["versions"][0]["n"] == 3


def test_accuracy_without_labels_says_so(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    result = CliRunner().invoke(app, ["monitor", "accuracy", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0 and "no labelled predictions yet" in result.output


def test_a_mistyped_lake_is_refused_not_created(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("request_id,worldwide_gross\na,5\n")
    runner = CliRunner()
    for args in (["labels", "add", str(labels)], ["monitor", "accuracy"]):
        result = runner.invoke(app, [*args, "--lake", str(tmp_path / "lakes")])
        assert result.exit_code == 1, result.output
        assert f"no lake at {tmp_path / 'lakes'}: nothing was ever written there" in result.output
        assert "(check --lake or BOXOFFICE_LAKE_URI)" in result.output
    assert not (tmp_path / "lakes").exists()
    (tmp_path / "lakefile").write_text("x")  # a file where the lake should be: no traceback
    for args in (["labels", "add", str(labels)], ["monitor", "accuracy"], ["logs", "tail"]):
        result = runner.invoke(app, [*args, "--lake", str(tmp_path / "lakefile")])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "it is a file, not a folder" in result.output


def test_labels_file_not_in_utf8_is_refused_naming_the_byte_unless_encoded(
    tmp_path: Path,
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_bytes("request_id,title,worldwide_gross\na,Amélie,1200000\n".encode("latin-1"))
    (tmp_path / "lake").mkdir()
    lake = str(tmp_path / "lake")
    refused = CliRunner().invoke(app, ["labels", "add", str(labels), "--lake", lake])
    assert refused.exit_code == 1
    assert "not UTF-8: byte 0xe9 at offset 37" in refused.output
    assert not Lake(lake).fs.glob(f"{lake}/labels/**")  # nothing stored
    args = ["labels", "add", str(labels), "--lake", lake, "--encoding", "latin-1"]
    accepted = CliRunner().invoke(app, args)
    assert accepted.exit_code == 0, accepted.output
    assert read_labels(Lake(lake)).to_pylist()[0]["request_id"] == "a"


def test_unknown_encoding_is_a_clear_error(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("request_id,worldwide_gross\na,5\n")
    args = ["labels", "add", str(labels), "--lake", str(tmp_path), "--encoding", "klingon"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "klingon" in result.output


def test_a_labels_json_line_costs_its_line_not_the_file(tmp_path: Path) -> None:
    # Arrow's JSON reader failed the whole file when a gross was a number on one line and
    # text on the next, and a broken line took every good line with it.
    labels = tmp_path / "labels.jsonl"
    lines = [
        '{"request_id": "a", "worldwide_gross": 5e6}',
        '{"request_id": "b", "worldwide_gross": "1,000"}',
        "{not json",
        "[1]",
        '{"request_id": "c", "worldwide_gross": 1' + "0" * 400 + "}",  # no float holds it
        '{"request_id": "d", "title": "a\u2028b", "worldwide_gross": 7}\r',  # JSON allows it
    ]
    # A byte-order mark, CRLF and a raw U+2028 in a string: still one row a line.
    labels.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    (tmp_path / "lake").mkdir()
    result = CliRunner().invoke(
        app, ["labels", "add", str(labels), "--lake", str(tmp_path / "lake")]
    )
    assert result.exit_code == 0, result.output
    assert "3 labels stored" in result.output and "3 refused" in result.output
    assert "row 3: not JSON" in result.output and "row 4: not a JSON object" in result.output
    assert "row 5: worldwide_gross must be a number > 0" in result.output
    stored = read_labels(Lake(str(tmp_path / "lake"))).to_pylist()
    assert [r["worldwide_gross"] for r in stored] == [5e6, 1000.0, 7.0]
    assert stored[2]["title"] == "a\u2028b"


def test_a_labels_file_of_broken_lines_says_each_line(tmp_path: Path) -> None:
    # It said "labels need the column(s) request_id, worldwide_gross; found " (nothing).
    labels = tmp_path / "labels.jsonl"
    labels.write_text("{not json\n[1]\n")
    (tmp_path / "lake").mkdir()
    result = CliRunner().invoke(
        app, ["labels", "add", str(labels), "--lake", str(tmp_path / "lake")]
    )
    assert result.exit_code == 1
    assert "row 1: not JSON" in result.output and "row 2: not a JSON object" in result.output
    assert "no label accepted" in result.output and "found" not in result.output
