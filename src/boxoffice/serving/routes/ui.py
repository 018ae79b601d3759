"""The page at ``/``: static HTML, CSS and JavaScript shipped inside the package.

No build step and no CDN. The Content-Security-Policy lets the page talk to this origin
only, so no request of the page can leave the server it came from.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

UI = Path(__file__).resolve().parent.parent / "ui"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def install(app: FastAPI) -> None:
    app.mount("/ui", StaticFiles(directory=UI), name="ui")

    # HEAD too: uptime checks and `curl -I` probe the page that way (it answered 405).
    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(UI / "index.html", headers={"Content-Security-Policy": POLICY})
