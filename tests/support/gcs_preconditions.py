"""Teach the GCS emulator the one precondition the registry relies on.

gcp-storage-emulator ignores ``ifGenerationMatch``: an upload with ``ifGenerationMatch=0``
overwrites an existing object where GCS answers 412 Precondition Failed. The wrapper answers
412 as GCS does, so the cloud registry test checks that gcsfs sends the precondition and
that the registry reads the refusal (the emulator is otherwise unchanged).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from gcp_storage_emulator import server
from gcp_storage_emulator.exceptions import NotFound
from gcp_storage_emulator.handlers import objects


def _name(request: Any) -> str | None:
    if "name" in request.query:
        return str(request.query["name"][0])
    data = request.data if isinstance(request.data, dict) else {}
    meta = data.get("meta") or {}
    return meta.get("name") if isinstance(meta, dict) else None


def _guarded(insert: Any) -> Any:
    def insert_if_generation_matches(
        request: Any, response: Any, storage: Any, *a: Any, **k: Any
    ) -> Any:
        name = _name(request)
        if request.query.get("ifGenerationMatch") == ["0"] and name is not None:
            try:
                storage.get_file_obj(request.params["bucket_name"], name)
            except NotFound:
                pass
            else:
                response.status = HTTPStatus.PRECONDITION_FAILED
                response.json({"error": {"code": 412, "message": "conditionNotMet"}})
                return None
        return insert(request, response, storage, *a, **k)

    return insert_if_generation_matches


def install(patch: Any) -> None:
    """Wrap every route to ``objects.insert`` (through ``patch``, a pytest MonkeyPatch)."""
    original = objects.insert
    guarded = _guarded(original)
    patch.setattr(objects, "insert", guarded)
    for _, handlers in server.HANDLERS:
        for method, handler in list(handlers.items()):
            if handler is original:
                patch.setitem(handlers, method, guarded)
