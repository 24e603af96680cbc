"""Stand-in parsers for the extraction tests, run inside the child process through
``toexdesk.core.extract.runner._test_parser``: one hangs, one eats memory, one crashes."""

from __future__ import annotations

import ctypes
import time

_GIB = 1024**3


def hang(source, sink) -> None:
    while True:  # busy, not asleep: a parser stuck in a loop
        time.monotonic()


def hog_memory(source, sink) -> None:
    """Grows in 32 MB steps; stops at 4 GB (then the limit did not work and the test fails
    on ok=True) so a broken limit cannot take the machine's memory."""
    blocks = []
    while len(blocks) * 32 * 1024**2 < 4 * _GIB:
        blocks.append(bytearray(32 * 1024**2))


def crash(source, sink) -> None:
    ctypes.string_at(0)  # reads address 0: a segmentation fault, as a C parser bug would


def pdf_without_aes(source, sink) -> None:
    """The real PDF parser in a child where the cryptography package is missing (as in an
    executable built without it)."""
    import sys

    sys.modules["cryptography"] = None  # before pypdf picks its AES provider
    from toexdesk.core.extract.pdf import parse_pdf

    parse_pdf(source, sink)
