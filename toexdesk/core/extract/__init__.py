"""Text extraction from captured files, run in a child process with time and memory limits.

The API::

    detect_type(head, name="") -> str        # a FileType code, by content; name is a hint
    extract_text(path, *, timeout_s=20, memory_mb=512, max_chars=5_000_000) -> Extraction
    extract_text_bytes(data, name_hint="", ...) -> Extraction   # bytes over a pipe, no temp file
    Extractor(..., files_per_helper=1)       # the same for a batch, reusing child start-up
    Extraction(type_code, text, ok, reason, truncated, image_size)
    FileType                                 # the type codes, each with a ``label``

A bad file never raises: ``ok`` is False and ``reason`` is one readable line. Nothing is
written to disk: parsers read the given path in place, or bytes handed over in memory.

Frozen executable: the child is started with the "spawn" method, which re-runs the exe, so
``multiprocessing.freeze_support()`` must be the first statement under
``if __name__ == "__main__":`` in ``toexdesk/__main__.py`` (before ``main()``, before any
other import of the app). Without it a frozen child would start the app again.
"""

from __future__ import annotations

from .detect import HEAD_BYTES, detect_type
from .filetypes import FileType
from .result import Extraction
from .runner import Extractor, extract_text, extract_text_bytes

__all__ = [
    "HEAD_BYTES",
    "Extraction",
    "Extractor",
    "FileType",
    "detect_type",
    "extract_text",
    "extract_text_bytes",
]
