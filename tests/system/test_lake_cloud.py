"""The lake on real-protocol local servers, through the production client libraries.

S3: moto in server mode, reached with s3fs. GCS: gcp-storage-emulator, reached with gcsfs.
Both are found through the clients' standard environment variables, as in production.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from boxoffice.core.layout import Layout
from boxoffice.lake.compaction import compact_partition
from boxoffice.lake.prediction_log import Lake, log_table
from boxoffice.serving.main import create_app
from tests.support.compaction import DAY, read_counts, write_objects
from tests.support.serving import FILM, log_record, make_settings

pytestmark = pytest.mark.slow


def _row(i: int) -> dict[str, Any]:
    return log_record(f"id{i}") | {"ts": dt.datetime(2026, 11, 25, tzinfo=dt.UTC)}


@pytest.mark.parametrize("lake_fixture", ["s3_lake", "gcs_lake"])
def test_lake_round_trip_on_cloud_protocols(
    lake_fixture: str, request: pytest.FixtureRequest
) -> None:
    uri = request.getfixturevalue(lake_fixture)
    lake = Lake(f"{uri}/roundtrip", skip_instance_cache=True)
    rows = log_table([_row(1), _row(2)])
    lake.write_predictions("2026-11-25", "w", 1, rows)
    lake.write_predictions("2026-11-25", "w", 1, rows)  # a retry: same object
    files = lake.prediction_files()
    assert len(files) == 1 and files[0].endswith("predictions/date=2026-11-25/w-00000001.parquet")
    assert sorted(lake.read_predictions().column("request_id").to_pylist()) == ["id1", "id2"]


@pytest.mark.parametrize("lake_fixture", ["s3_lake", "gcs_lake"])
def test_api_logs_every_prediction_to_cloud_lake(
    lake_fixture: str, request: pytest.FixtureRequest, trained: Layout, tmp_path: Path
) -> None:
    uri = f"{request.getfixturevalue(lake_fixture)}/api"
    settings = make_settings(trained, tmp_path, lake_uri=uri)
    with TestClient(create_app(settings)) as client:
        ids = [client.post("/v1/prediction", json=FILM).json()["request_id"] for _ in range(12)]
    got = Lake(uri, skip_instance_cache=True).read_predictions().column("request_id").to_pylist()
    assert sorted(got) == sorted(ids)


@pytest.mark.parametrize("lake_fixture", ["s3_lake", "gcs_lake"])
def test_compaction_on_cloud_protocols_keeps_each_prediction_once(
    lake_fixture: str, request: pytest.FixtureRequest
) -> None:
    uri = request.getfixturevalue(lake_fixture)
    lake = Lake(f"{uri}/compaction", skip_instance_cache=True)
    ids = write_objects(lake, "w-1-t", range(5))
    done = compact_partition(lake, DAY)
    assert (done.merged, done.removed) == (5, 5) and len(lake.listed(DAY)) == 1
    write_objects(lake, "w-1-t", range(3, 4))  # a segment shipped again after the merge
    assert read_counts(lake) == dict.fromkeys(ids, 1)
    assert compact_partition(lake, DAY).removed == 1 and len(lake.listed(DAY)) == 1
    assert read_counts(lake) == dict.fromkeys(ids, 1)
