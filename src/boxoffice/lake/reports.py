"""Monitoring reports in the lake: every replica (and the page) shows the same latest one.

``boxoffice monitor drift`` and ``monitor accuracy`` publish a JSON summary under
``<lake>/reports/<kind>/<UTC stamp>-<random>.json``; names sort by time, so the latest is the
last name. Objects are never rewritten: the history stays for whoever wants it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from boxoffice.core.io import put_atomic
from boxoffice.lake.prediction_log import Lake

REPORTS = "reports"
KINDS = ("drift", "accuracy")


def publish_report(lake: Lake, kind: str, payload: dict[str, Any]) -> str:
    if kind not in KINDS:
        raise ValueError(f"report kind must be one of {KINDS}, not {kind!r}")
    now = dt.datetime.now(dt.UTC)
    body = {"kind": kind, "created_at": now.isoformat()} | payload
    path = lake.path(REPORTS, kind, f"{now:%Y%m%dT%H%M%S%fZ}-{os.urandom(4).hex()}.json")
    lake.fs.makedirs(lake.path(REPORTS, kind), exist_ok=True)
    put_atomic(lake.fs, path, json.dumps(body, sort_keys=True, default=str).encode())
    return path


def latest_report(lake: Lake, kind: str) -> dict[str, Any] | None:
    """The newest published report of ``kind``, or None when there is none yet."""
    names = sorted(lake.fs.glob(lake.path(REPORTS, kind, "*.json")))
    if not names:
        return None
    report: dict[str, Any] = json.loads(lake.fs.cat_file(names[-1]))
    return report
