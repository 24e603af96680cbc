"""Type detection by content: magic bytes, ZIP member names, OLE stream names, mail headers
and text sniffing. The file name is only a hint (it settles CSV against plain text): a lying
extension never changes the answer.

Everything here reads only the bytes it is given and does bounded work on them, so it is
safe to call in the app's own process on the first ``HEAD_BYTES`` of a hostile file.
"""

from __future__ import annotations

import codecs
import csv
import re
import struct
import zlib

from .filetypes import FileType, claimed_type

HEAD_BYTES = 64 * 1024
"""How much of the start of a file ``detect_type`` wants (more is fine, less may say less)."""

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_STREAM = "__substg1.0_".encode("utf-16-le")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ZIP_LOCAL = b"PK\x03\x04"
_ZIP_CENTRAL = b"PK\x01\x02"
_ZIP_END = b"PK\x05\x06"
_MAX_ZIP_NAMES = 10_000

_DOCX_MAIN = (b"wordprocessingml.document.main+xml", b"ms-word.document.macroenabled.main+xml")
_XLSX_MAIN = (b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroenabled.main+xml")

# WHATWG MIME sniffing's HTML patterns, plus <meta>; each must be followed by space or '>'.
_HTML_STARTS = (
    "<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font",
    "<table", "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<meta",
)  # fmt: skip
_TAG_ENDS = (" ", ">", "\n", "\t", "\r")
_HEADER_LINE = re.compile(r"^([!-9;-~]+):")
_MAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
    "mime-version", "reply-to", "sender", "delivered-to", "x-mailer", "content-type",
    "thread-topic", "in-reply-to", "references", "snapshot-content-location",
}  # fmt: skip
_MAIL_ANCHORS = {"from", "to", "subject", "date", "received", "message-id"}


def detect_type(head: bytes, name: str = "") -> str:
    """The type code (a ``FileType`` value) of a file from its first bytes.

    Pass at least the first ``HEAD_BYTES`` (the whole content is best: then the ZIP central
    directory and the OLE directory are seen wherever they are). ``name`` is a hint only.
    Extraction re-detects from the whole file in its child process; its ``type_code`` is the
    final word.
    """
    return sniff(head, name)


def sniff(
    head: bytes, name: str = "", *, tail: bytes = b"", complete: bool | None = None
) -> FileType:
    """``detect_type`` with the end of the file too (``tail``: where a ZIP keeps its
    directory). ``complete`` says ``head`` is the whole file (None: guess from its length)."""
    if not head:
        return FileType.EMPTY
    if complete is None:
        complete = len(head) < HEAD_BYTES
    if head.startswith(OLE_MAGIC):
        return FileType.MSG if _MSG_STREAM in head or _MSG_STREAM in tail else FileType.OLE
    if head.startswith((_ZIP_LOCAL, _ZIP_END)):
        return _zip_kind(head, tail)
    if head[:1024].lstrip(b" \t\r\n\x0c\x00").startswith(b"%PDF-"):
        return FileType.PDF
    if head.startswith(_PNG_MAGIC):
        return FileType.PNG
    if head.startswith(_JPEG_MAGIC):
        return FileType.JPEG
    encoding = sniff_encoding(head[:HEAD_BYTES])
    if encoding is None:
        # Acrobat accepts junk before the header; so do we, for what is not text.
        return FileType.PDF if b"%PDF-" in head[:1024] else FileType.UNKNOWN
    text = head[:HEAD_BYTES].decode(encoding, errors="replace")
    return _text_kind(text, name, complete=complete and len(head) <= HEAD_BYTES)


# --- ZIP --------------------------------------------------------------------------------
def zip_member_names(data: bytes) -> list[str]:
    """Member names seen in local and central headers within ``data`` (bounded count)."""
    names: list[str] = []
    for signature, len_at, start in ((_ZIP_LOCAL, 26, 30), (_ZIP_CENTRAL, 28, 46)):
        pos = data.find(signature)
        while pos >= 0 and len(names) < _MAX_ZIP_NAMES:
            if pos + start <= len(data):
                (length,) = struct.unpack_from("<H", data, pos + len_at)
                raw = data[pos + start : pos + start + length]
                names.append(raw.decode("utf-8", errors="replace"))
            pos = data.find(signature, pos + 4)
    return names


def _zip_kind(head: bytes, tail: bytes) -> FileType:
    names = set(zip_member_names(head)) | set(zip_member_names(tail))
    if "word/document.xml" in names:
        return FileType.DOCX
    if "xl/workbook.xml" in names:
        return FileType.XLSX
    content_types = _first_member(head, "[Content_Types].xml").lower()
    if any(marker in content_types for marker in _DOCX_MAIN):
        return FileType.DOCX
    if any(marker in content_types for marker in _XLSX_MAIN):
        return FileType.XLSX
    return FileType.ZIP


def _first_member(head: bytes, wanted: str) -> bytes:
    """The (at most 64 KiB) start of the member ``wanted`` if its local header is in head."""
    if not head.startswith(_ZIP_LOCAL) or len(head) < 30:
        return b""
    method, _, _, _, _, _, name_len, extra_len = struct.unpack_from("<HHHIIIHH", head, 8)
    if head[30 : 30 + name_len].decode("utf-8", errors="replace") != wanted:
        return b""
    body = head[30 + name_len + extra_len :]
    if method == 0:
        return body[:HEAD_BYTES]
    if method != 8:
        return b""
    try:
        return zlib.decompressobj(-15).decompress(body, HEAD_BYTES)
    except zlib.error:
        return b""


# --- text ------------------------------------------------------------------------------
def sniff_encoding(sample: bytes) -> str | None:
    """The codec to read a text file with (BOM, UTF-16 by its NULs, UTF-8, else cp1252), or
    None when the bytes do not look like text at all."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    probe = sample[:4096]
    if b"\x00" in probe:
        even, odd = probe[0::2], probe[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
        return None
    try:
        text = probe.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is still UTF-8.
        if exc.start >= len(probe) - 3 and exc.reason == "unexpected end of data":
            text, encoding = probe[: exc.start].decode("utf-8"), "utf-8"
        else:
            text, encoding = probe.decode("cp1252", errors="replace"), "cp1252"
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b")
    return encoding if controls <= 0.02 * max(len(text), 1) else None


def _text_kind(text: str, name: str, *, complete: bool) -> FileType:
    stripped = text.lstrip("\ufeff \t\r\n")
    if _looks_like_html(stripped[:2048].lower()):
        return FileType.HTML
    headers = mail_header_names(stripped)
    if headers:
        content_type = headers.get("content-type", "").lower()
        if "mime-version" in headers and content_type.startswith("multipart/related"):
            return FileType.MHT
        if len(_MAIL_HEADERS & headers.keys()) >= 2 and _MAIL_ANCHORS & headers.keys():
            return FileType.EML
    if _looks_like_csv(text, hinted=claimed_type(name) is FileType.CSV, complete=complete):
        return FileType.CSV
    return FileType.TXT


def _looks_like_html(lower: str) -> bool:
    if lower.startswith("<?xml"):
        return "<html" in lower
    if lower.startswith("<!--"):
        return True
    for start in _HTML_STARTS:
        if lower.startswith(start) and lower[len(start) : len(start) + 1] in _TAG_ENDS:
            return True
    return False


def mail_header_names(text: str) -> dict[str, str]:
    """The RFC 822 header block at the start of ``text`` as {lower-case name: first line of
    value}; empty when the text does not start with header lines."""
    headers: dict[str, str] = {}
    last = ""
    for number, line in enumerate(text.splitlines()):
        if not line.strip():
            break
        if number > 300:
            return {}
        if line[0] in " \t" and last:
            if last == "content-type":
                headers[last] += " " + line.strip()
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return {}
        last = match.group(1).lower()
        headers.setdefault(last, line[match.end() :].strip())
    return headers


def _looks_like_csv(text: str, *, hinted: bool, complete: bool) -> bool:
    lines = [line for line in text.splitlines()[:51] if line.strip()]
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the sample may end mid-line
    if len(lines) < (1 if hinted else 2):
        return False
    for delimiter in (",", ";", "\t", "|"):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts or min(counts) < 2:
            continue
        if max(counts) == min(counts):
            return True
        if hinted and counts.count(counts[0]) >= 0.8 * len(counts):
            return True
    return False
