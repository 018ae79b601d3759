"""The exported artifact: its files, their checksums, and the version id derived from them.

An artifact is ``model.onnx`` + ``signature.json`` + ``metadata.json`` + ``checksums.json``;
nothing in it is unpickled. Its version is a content hash of the files that decide its
answers (the graph and the signature), so the same bytes carry the same version wherever
they are stored, and different answers never share one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from boxoffice.core.digest import sha256_bytes
from boxoffice.core.signature import Signature

MODEL_FILE = "model.onnx"
SIGNATURE_FILE = "signature.json"
CHECKSUMS_FILE = "checksums.json"
METADATA_FILE = "metadata.json"
VERSION_PREFIX = "sha-"


class ModelNotFoundError(FileNotFoundError):
    """No exported model at the given location."""


class IntegrityError(RuntimeError):
    """An artifact file does not match its recorded SHA-256."""


# The files whose bytes decide a forecast: the graph, and the signature (the encoding's
# look-ups, the interval offsets and horizon bands, the comps table). metadata.json only
# describes the artifact.
SERVED_FILES = (MODEL_FILE, SIGNATURE_FILE)


def version_of(checksums: Mapping[str, str]) -> str:
    """The version of an artifact: 12 hex digits of a SHA-256 over its served files' own
    SHA-256s. Both files: a new signature on the same graph answers differently (new
    interval offsets, new category codes), and with the graph's hash alone it kept the old
    version, so servers never reloaded it and the registry kept the old files."""
    unlisted = [name for name in SERVED_FILES if name not in checksums]
    if unlisted:
        raise IntegrityError(f"{CHECKSUMS_FILE} does not list {', '.join(unlisted)}")
    listing = "".join(f"{name} {checksums[name]}\n" for name in SERVED_FILES)
    return f"{VERSION_PREFIX}{sha256_bytes(listing.encode())[:12]}"


def legacy_version(checksums: Mapping[str, str]) -> str:
    """The name the same artifact had before the signature counted (the graph's hash
    alone): registries written then hold their versions under it."""
    return f"{VERSION_PREFIX}{checksums[MODEL_FILE][:12]}"


def served_name(checksums: Mapping[str, str], wanted: str = "") -> str:
    """The version to report for verified ``checksums``: a registry's older name for these
    very bytes when that is what was asked for (so the lake, the metrics and ``models show``
    agree on it), else the content hash."""
    version = version_of(checksums)
    return wanted if wanted and wanted == legacy_version(checksums) else version


def read_verified(directory: Path) -> tuple[bytes, Signature, dict[str, str]]:
    """Read the artifact's files, refusing any whose bytes differ from ``checksums.json``."""
    checksums_path = directory / CHECKSUMS_FILE
    if not checksums_path.exists():
        raise ModelNotFoundError(f"no exported model in {directory} ({CHECKSUMS_FILE} missing)")
    checksums = _checksums(checksums_path)
    blobs = {}
    # Every listed file is verified; the model and its signature must be listed.
    for name in sorted({MODEL_FILE, SIGNATURE_FILE} | set(checksums)):
        if "/" in name or name.startswith("."):
            raise IntegrityError(f"{CHECKSUMS_FILE} lists {name!r}, not a file of the artifact")
        if not (directory / name).exists():
            raise ModelNotFoundError(f"{name} is missing from {directory}")
        data = (directory / name).read_bytes()
        if sha256_bytes(data) != checksums.get(name):
            raise IntegrityError(f"{name} in {directory} does not match its recorded sha256")
        blobs[name] = data
    try:  # bytes that match their checksums may still be no signature (edited together)
        signature = Signature.model_validate_json(blobs[SIGNATURE_FILE])
    except ValueError as exc:
        raise IntegrityError(f"{SIGNATURE_FILE} in {directory} is not a valid signature") from exc
    return blobs[MODEL_FILE], signature, checksums


def _checksums(path: Path) -> dict[str, str]:
    """``checksums.json`` as a map of file names to SHA-256s; anything else is refused as an
    integrity error (it was a traceback in `model-info`)."""
    try:
        checksums = json.loads(path.read_bytes())
    except ValueError as exc:  # not JSON, or not UTF-8
        raise IntegrityError(f"{path} is not valid JSON") from exc
    if not isinstance(checksums, dict) or not all(
        isinstance(name, str) and isinstance(digest, str) for name, digest in checksums.items()
    ):
        raise IntegrityError(f"{path} is not a map of file names to their sha256")
    return checksums
