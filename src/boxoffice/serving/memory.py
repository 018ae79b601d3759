"""Give the heap that loading freed back to the system.

Building an ONNX Runtime session parses the graph and copies its attributes into the tree
kernel's own tables; the parse buffers are freed, but glibc keeps freed heap pages mapped for
later allocations, so they stay in the worker's RSS for its whole life. ``malloc_trim``
returns them: 13 MB of the two profiles' load, measured (docs/performance.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from functools import cache

log = logging.getLogger("boxoffice.memory")


@cache
def _trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return function


def release_freed_heap() -> bool:
    """Return freed heap pages to the system; False where that cannot be done here."""
    trim = _trim()
    if trim is None:
        log.debug("no malloc_trim in this C library: freed heap stays mapped")
        return False
    trim(0)  # 0: keep no padding at the heap's top
    return True
