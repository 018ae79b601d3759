"""``dvc plots show`` for offline eyes: one self-contained HTML file, no CDN.

DVC's HTML loads Vega from a CDN and is blank offline. Here the specs DVC fills
(``dvc plots show --json``) are rendered to SVG in-process by vl-convert (Vega bundled in
the wheel) and PNG plots are inlined as data URIs.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import vl_convert as vlc

from boxoffice.core.dvc_cli import run_dvc
from boxoffice.core.io import write_text_atomic


def dvc_plots(root: Path) -> dict[str, list[dict[str, Any]]]:
    """What ``dvc plots show --json`` reports for the project at ``root``."""
    done = run_dvc(["plots", "show", "--json"], root)
    if done.returncode != 0:
        raise RuntimeError(f"dvc plots show failed: {done.stderr.strip()[-400:]}")
    data: dict[str, list[dict[str, Any]]] = json.loads(done.stdout or "{}").get("data") or {}
    if not data:
        raise RuntimeError(f"dvc plots show found no plots in {root} (a DVC project?)")
    return data


def _figure(name: str, entry: dict[str, Any], root: Path) -> str:
    if entry.get("type") == "vega":
        svg = vlc.vegalite_to_svg(entry["content"])
        return f"<figure><figcaption>{html.escape(name)}</figcaption>{svg}</figure>"
    path = root / str(entry.get("url", name))
    if entry.get("type") == "image" and path.exists():
        data = base64.b64encode(path.read_bytes()).decode()
        return (
            f"<figure><figcaption>{html.escape(name)}</figcaption>"
            f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}"></figure>'
        )
    return f"<p>{html.escape(name)}: not renderable offline</p>"


def write_offline_html(root: Path, out: Path) -> Path:
    figures = [
        _figure(name, entry, root) for name, entries in dvc_plots(root).items() for entry in entries
    ]
    write_text_atomic(
        out,
        "<!doctype html><html><head><meta charset='utf-8'><title>boxoffice plots</title></head>"
        f"<body><h1>DVC plots</h1>{''.join(figures)}</body></html>\n",
    )
    return out
