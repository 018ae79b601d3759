"""The speed benchmarks send different real films in turn, never one film again and again."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from bench.films import request_films
from bench.serving import wrk

from boxoffice.core.layout import Layout
from boxoffice.core.request_model import film_model
from boxoffice.core.signature import Signature


def test_films_are_different_valid_requests_of_the_route(trained: Layout) -> None:
    splits = (trained.train, trained.holdout)
    films = request_films(trained.export_dir, 40, splits)
    signature = Signature.model_validate_json((trained.export_dir / "signature.json").read_bytes())
    model = film_model(signature)
    assert len({json.dumps(film, sort_keys=True) for film in films}) == 40
    for film in films:
        model.model_validate(film)  # a post-release field or a bad date would raise
        assert None not in film.values()  # a missing field is left out, not sent as null
    assert request_films(trained.export_dir, 40, splits) == films  # the same films every run


def test_asking_for_more_films_than_the_data_has_is_an_error(trained: Layout) -> None:
    with pytest.raises(ValueError, match="fewer than"):
        request_films(trained.export_dir, 10**6, (trained.holdout,))


def test_wrk_sends_each_body_in_turn(tmp_path: Path) -> None:
    received: list[bytes] = []

    class Record(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # keep the test's output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Record)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bodies = [{"film": i} for i in range(3)]
    try:
        result = wrk(f"http://127.0.0.1:{server.server_port}/", bodies, 1, 2, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert result["errors"] == 0
    counts = Counter(json.loads(body)["film"] for body in received)
    assert set(counts) == {0, 1, 2}
    # In turn: each of wrk's 2 threads cycles through the bodies, so the counts stay level.
    assert max(counts.values()) - min(counts.values()) <= 4, counts
