"""E-mail text: EML and MHT with the standard ``email`` package, Outlook MSG with our own
reader over olefile (``msg``). Text is the main headers, the body (plain text preferred,
else HTML made readable, else for MSG the compressed RTF read as text) and the
attachments' names; attachments themselves are not opened."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from typing import TYPE_CHECKING

from .markup import html_to_text
from .result import ExtractionFailed, TextSink
from .source import Source

if TYPE_CHECKING:
    from .msg import MessageFile

_HEADERS = ("From", "To", "Cc", "Date", "Subject")


def parse_eml(source: Source, sink: TextSink) -> None:
    message = _parse(source, "e-mail")
    _write_headers(message, _HEADERS, sink)
    sink.add("\n")
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = _content(body)
        sink.add(html_to_text(content) if body.get_content_subtype() == "html" else content)
    names = [_attachment_name(part) for part in message.iter_attachments()]
    if names:
        sink.line("")
        sink.line("Attachments: " + "; ".join(names))


def parse_mht(source: Source, sink: TextSink) -> None:
    message = _parse(source, "saved web page")
    location = _header(message, "Snapshot-Content-Location") or _header(message, "Content-Location")
    if location:
        sink.line(f"Saved from: {location}")
    _write_headers(message, ("Subject", "Date"), sink)
    sink.add("\n")
    for part in message.walk():
        if part.get_content_type() == "text/html":
            sink.add(html_to_text(_content(part)))
            return
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            sink.add(_content(part))
            return


def _parse(source: Source, label: str) -> EmailMessage:
    try:
        return email.message_from_bytes(source.read_all(), policy=policy.default)
    except (ValueError, TypeError, LookupError, IndexError) as exc:
        raise ExtractionFailed(f"Not a valid {label}: damaged MIME structure") from exc


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
        return " ".join(str(value).split()) if value is not None else ""
    except (ValueError, TypeError, LookupError, IndexError, AttributeError):
        raw = message.get_all(name, failobj=[""])  # undecoded, as in the file
        return " ".join(str(raw[0]).split())


def _write_headers(message: EmailMessage, names: tuple[str, ...], sink: TextSink) -> None:
    for name in names:
        value = _header(message, name)
        if value:
            sink.line(f"{name}: {value}")


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError, KeyError):  # unknown charset and such
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def _attachment_name(part: EmailMessage) -> str:
    try:
        name = part.get_filename()
    except (ValueError, TypeError, LookupError, IndexError):
        name = None
    return name or f"(unnamed {part.get_content_type()})"


# --- MSG --------------------------------------------------------------------------------
RTF_DAMAGED = "Outlook message body (compressed RTF) is damaged: text not extracted"


def parse_msg(source: Source, sink: TextSink) -> None:
    import struct

    from .msg import DAMAGED_OLE, MessageFile

    with source.open() as stream:
        try:
            with MessageFile(stream) as message:
                _write_msg(message, sink)
        except (OSError, ValueError, IndexError, KeyError, struct.error) as exc:
            raise ExtractionFailed(DAMAGED_OLE) from exc


def _write_msg(message: MessageFile, sink: TextSink) -> None:
    from . import rtf
    from .msg import BODY_BYTES

    sink.note = message.note
    for name, value in message.headers():
        sink.line(f"{name}: {value}")
    sink.add("\n")
    body, cut = message.plain_body()
    html: str | bytes = ""
    if not body.strip():
        body = ""
        html, cut = message.html_body()
    if body or html.strip():
        sink.truncated |= cut  # the body stream went on past the cap: the text is incomplete
        sink.add(body.replace("\r\n", "\n") if body else html_to_text(html))
    elif (compressed := message.rtf_body()) is not None:
        data, cut = compressed
        try:
            text = rtf.decompress(data, BODY_BYTES, verify=not cut)
        except rtf.RtfDamaged:
            sink.note = "; ".join(note for note in (sink.note, RTF_DAMAGED) if note)
        else:
            sink.truncated |= cut or len(text) >= BODY_BYTES
            rtf.rtf_to_text(text, sink.add)
    names, more = message.attachment_names()
    if more:
        names.append(f"(and {more} more)")
    if names:
        sink.line("")
        sink.line("Attachments: " + "; ".join(names))
