"""The lake read by Apache Spark (local mode, PySpark on the JVM): the same counts, drift
inputs and accuracy figures as the DuckDB readers give, through the layout docs/lake.md
documents (hive partitions on ``date``, Parquet)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyspark import SparkContext
from pyspark.sql import SparkSession

from boxoffice.core.params import load_params
from boxoffice.lake import queries
from boxoffice.lake.compaction import compact_partition
from boxoffice.lake.prediction_log import Lake, log_table
from boxoffice.lifecycle.drift_io import logged_columns
from boxoffice.lifecycle.labels import accuracy, add_labels, check_labels
from tests.conftest import ROOT
from tests.support.serving import log_record

pytestmark = pytest.mark.slow

DAYS = ["2026-11-24", "2026-11-25", "2026-11-26"]
GENRES = ["Action", "Drama", "Comedy", None]
SPECS = list(load_params(ROOT / "params.yaml").profile_features("pre_release"))


def _spark_queries() -> list[str]:
    """The Spark SQL docs/lake.md gives (counts, drift inputs, accuracy), run as written."""
    doc = (ROOT / "docs" / "lake.md").read_text()
    spark_part = doc[doc.index("**Spark**") : doc.index("**BigQuery**")]
    block = spark_part.split("```sql", 1)[1].split("```", 1)[0]
    return [q.strip() for q in block.split(";") if q.strip()]


def _film(i: int) -> dict[str, Any]:
    film: dict[str, Any] = {"production_budget": 1e6 * (1 + i % 37), "release_date": "2027-07-04"}
    if GENRES[i % 4] is not None:  # a field left out: unknown, and missing in the log too
        film["major_genre"] = GENRES[i % 4]
    return film


def _write_lake(root: Path) -> tuple[Lake, int]:
    """Three days of 6 objects, two model versions; the middle day compacted, and one of its
    segments shipped again after that (a reader must skip it); labels, one of them twice."""
    lake, n = Lake(str(root)), 0
    for day in DAYS:
        for seq in range(6):
            rows = []
            for j in range(25):
                record = log_record(f"r{n}", ts=f"{day}T{seq + 8:02d}:{j:02d}:00+00:00")
                record |= {
                    "model_version": f"sha-{seq % 2}",
                    "inputs": json.dumps(_film(n), sort_keys=True),
                    "worldwide_gross": 2e6 * (1 + n % 11),
                    "low": 1e6 * (1 + n % 7),
                    "high": 8e6 * (1 + n % 5),
                }
                rows.append(record)
                n += 1
            lake.write_predictions(day, "w-1-t", seq, log_table(rows))
    compact_partition(lake, DAYS[1])
    first_of_day_two = [
        log_record(f"r{i}", ts=f"{DAYS[1]}T08:00:00+00:00") for i in range(150, 175)
    ]
    lake.write_predictions(DAYS[1], "w-1-t", 0, log_table(first_of_day_two))  # a re-ship
    now = dt.datetime.now(dt.UTC)
    labels = [
        {"request_id": f"r{i}", "worldwide_gross": 3e6 * (1 + i % 13)} for i in range(0, n, 3)
    ]
    add_labels(lake, check_labels(labels).accepted)
    relabel = check_labels([{"request_id": "r0", "worldwide_gross": 9e6}]).accepted
    add_labels(lake, [r | {"added_at": now + dt.timedelta(seconds=1)} for r in relabel])
    return lake, n


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    scratch = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("boxoffice-lake-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")  # as docs/lake.md says
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.local.dir", str(scratch))
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .getOrCreate()
    )
    yield session
    gateway = SparkContext._gateway  # the JVM this process started: stopped, not left running
    session.stop()
    if gateway is not None:
        gateway.shutdown()
        gateway.proc.terminate()
        gateway.proc.wait(30)
        SparkContext._gateway = SparkContext._jvm = None


def _views(spark: Any, lake: Lake) -> None:
    base = lake.path("predictions")
    # The objects the lake's rule names (each prediction once), with the date partition.
    files = lake.prediction_files()
    spark.read.option("basePath", base).parquet(*files).createOrReplaceTempView("predictions")
    spark.read.parquet(lake.path("labels")).createOrReplaceTempView("labels")


def test_spark_reads_the_same_counts_drift_inputs_and_accuracy_as_duckdb(
    spark: Any, tmp_path: Path
) -> None:
    lake, n = _write_lake(tmp_path / "lake")
    _views(spark, lake)
    counts_sql, drift_sql, accuracy_sql = _spark_queries()
    assert f"DATE '{DAYS[1]}'" in counts_sql and f"DATE '{DAYS[1]}'" in drift_sql
    since = dt.date.fromisoformat(DAYS[1])
    counts = [r.asDict() for r in spark.sql(counts_sql).collect()]
    duck = queries.records(
        lake.uri,
        "SELECT CAST(CAST(ts AS DATE) AS VARCHAR) AS day, model_version, count(*) AS n"
        " FROM predictions GROUP BY 1, 2 ORDER BY 1, 2",
        queries.since(since),
    )
    assert counts == duck and sum(r["n"] for r in counts) == n * 2 // 3  # the re-ship once

    ours = logged_columns(lake, SPECS, since)
    theirs = spark.sql(drift_sql).collect()
    for field in ("production_budget", "major_genre"):
        assert sorted(ours[field], key=str) == sorted((r[field] for r in theirs), key=str)

    mine = accuracy(lake)
    spark_rows = [r.asDict() for r in spark.sql(accuracy_sql).collect()]
    assert [r["model_version"] for r in spark_rows] == [r["model_version"] for r in mine]
    for got, want in zip(spark_rows, mine, strict=True):
        assert got["n"] == want["n"] > 0
        for key in ("mae_log", "mdape", "coverage"):
            assert math.isclose(float(got[key]), float(want[key]), rel_tol=1e-12), key


def test_a_compacted_lake_reads_whole_from_its_folder(spark: Any, tmp_path: Path) -> None:
    lake, n = _write_lake(tmp_path / "lake")
    for day in DAYS:  # no superseded object left: the folder is the log, each row once
        compact_partition(lake, day)
    frame = spark.read.parquet(lake.path("predictions"))
    assert frame.count() == n == frame.select("request_id").distinct().count()
    assert (
        sorted(
            r.day for r in frame.selectExpr("CAST(`date` AS STRING) AS day").distinct().collect()
        )
        == DAYS
    )
