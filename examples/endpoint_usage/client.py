"""Call a deployed boxoffice API: one film, a batch, then a film in production with its comps.

python examples/endpoint_usage/client.py                       # http://127.0.0.1:8000
python examples/endpoint_usage/client.py https://boxoffice-xyz.a.run.app --api-key KEY
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx

# The package's one money format ($1.47B, $438.7M): the client installs with boxoffice[client].
from boxoffice.core.money import format_money

AVATAR: dict[str, Any] = {
    "production_budget": 237_000_000,
    "release_date": "2009-12-18",
    "mpaa_rating": "PG-13",
    "running_time_min": 162,
    "distributor": "20th Century Fox",
    "major_genre": "Action",
    "creative_type": "Science Fiction",
    "director": "James Cameron",
}
SMALL_DRAMA: dict[str, Any] = {"production_budget": 5_000_000, "release_date": "2004-09-10"}
# What an analyst knows of a film opening next summer: years past the data, so warned.
IN_PRODUCTION: dict[str, Any] = {
    "production_budget": 200_000_000,
    "release_date": "2027-07-16",
    "mpaa_rating": "PG-13",
    "major_genre": "Action",
}


def predict_one(client: httpx.Client, film: dict[str, Any], comps: int = 0) -> dict[str, Any]:
    response = client.post("/v1/prediction", json=film, params={"comps": comps})
    _raise_for_api_error(response)
    result: dict[str, Any] = response.json()
    return result


def predict_batch(client: httpx.Client, films: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = client.post("/v1/predictions", json={"films": films})
    _raise_for_api_error(response)
    results: list[dict[str, Any]] = response.json()["predictions"]
    return results


def _raise_for_api_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        details = "; ".join(f"{d['field']}: {d['problem']}" for d in error.get("details", []))
        message = f"{error['message']}" + (f" ({details})" if details else "")
    except (ValueError, KeyError):
        message = response.text[:200]
    raise SystemExit(f"HTTP {response.status_code}: {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--api-key", default=None, help="sent as X-API-Key when given")
    parser.add_argument("--json", action="store_true", help="print raw JSON responses")
    args = parser.parse_args(argv)
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    try:
        with httpx.Client(base_url=args.url, headers=headers, timeout=10.0) as client:
            one = predict_one(client, AVATAR)
            many = predict_batch(client, [AVATAR, SMALL_DRAMA])
            later = predict_one(client, IN_PRODUCTION, comps=5)
    except httpx.TransportError as exc:  # one clear line, not a traceback
        print(f"cannot reach {args.url}: {exc or type(exc).__name__}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"single": one, "batch": many, "in_production": later}, indent=2))
        return 0
    print(f"model {one['model_version']}")
    named = (
        ("Avatar", one),
        ("Avatar (batch)", many[0]),
        ("small drama", many[1]),
        ("July 2027", later),
    )
    for name, result in named:
        interval = result["interval"]
        print(
            f"{name:15s} {format_money(result['worldwide_gross']):>12s}  "
            f"{interval['level']:.0%} interval {format_money(interval['low'])} .. "
            f"{format_money(interval['high'])}"
        )
        for note in result["warnings"]:
            print(f"{'':15s} warning ({note['field']}): {note['message']}")
    for comp in later.get("comps") or []:
        print(
            f"{'':15s} comp: {comp['title']} ({comp['release_date'][:4]}),"
            f" budget {format_money(comp['production_budget'])},"
            f" gross {format_money(comp['worldwide_gross'])}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
