"""User text as the PDF prints it: data, never markup.

reportlab's ``Paragraph`` parses its text as XML-like markup: unescaped, ``<a href>`` becomes
a live link, ``<img src="file:…">`` reads a local file, ``<font>`` restyles the page and an
unclosed tag aborts the build. So every piece of user text passes through :func:`markup`
(escaped, line breaks as ``<br/>``) before it reaches a paragraph, and through :func:`clean`
before it is drawn on the canvas or put in the outline. Only this package's own constant
markup (``<b>``, ``<br/>``, fixed colours) is ever written around it; no user text becomes a
style, a font, a colour or an attribute.
"""

from __future__ import annotations

import datetime as dt
import re
from xml.sax.saxutils import escape

DASH = "—"
NBSP = "\u00a0"

# Every spelling of a line break becomes "\n" (vertical tab and form feed are what Word's
# clipboard uses for manual line and page breaks).
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# C0 controls other than tab and newline, DEL, C1 controls, lone surrogates (which cannot
# be encoded) and the two non-characters. They have no printed form.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Bidirectional embeddings, overrides and isolates reorder the text around them in viewers
# that apply them (the "Trojan Source" trick: U+202E makes "txt.exe" read "exe.txt"). They
# are shown as what they are instead, so the printed record says what the data holds.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


def clean(text: object) -> str:
    """``text`` with line breaks as ``\\n``, tabs as spaces, controls dropped and bidi
    controls made visible; safe to draw with the canvas or put in the outline."""
    if text is None:
        return ""
    value = _LINE_BREAKS.sub("\n", str(text))
    value = _CONTROLS.sub("", value).replace("\t", " ")
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", value)


def one_line(text: object) -> str:
    """:func:`clean` text on one line (for page headers, outline entries, table cells)."""
    return " ".join(clean(text).split())


def markup(text: object) -> str:
    """User text as Paragraph markup: escaped, every line break a ``<br/>``."""
    lines = clean(text).strip().split("\n")
    return "<br/>".join(escape(line.strip()) for line in lines)


def blocks(text: object) -> list[str]:
    """User text as one markup string per paragraph (split at blank lines)."""
    return [markup(b) for b in _BLANK_LINES.split(clean(text)) if b.strip()]


def shorten(text: str, limit: int, max_lines: int = 12) -> tuple[str, int]:
    """At most ``limit`` characters and ``max_lines`` lines of ``text``, cut at a line
    break or a word where possible; and how many characters were left out."""
    text = clean(text).strip()
    end, found = len(text), -1
    for _ in range(max_lines):
        found = text.find("\n", found + 1)
        if found < 0:
            break
    else:
        end = found  # the text has more lines than that: cut at the last line break kept
    if end >= len(text) and len(text) <= limit:
        return text, 0
    if end <= limit:
        cut = end
    else:
        low = int(limit * 0.8)
        cut = text.rfind("\n", low, limit)
        cut = cut if cut > 0 else text.rfind(" ", low, limit)
        cut = cut if cut > 0 else limit
    return text[:cut].rstrip() + " …", len(text) - cut


def chunks(text: str, limit: int = 1_500, max_lines: int = 25) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters and ``max_lines`` lines, cut at
    line breaks or words: a table row must fit on one page, a long text need not."""
    rest = clean(text).strip()
    out = []
    while rest:
        piece, left_out = shorten(rest, limit, max_lines)
        if not left_out:
            out.append(rest)
            break
        piece = piece.removesuffix(" …")
        out.append(piece)
        rest = rest[len(piece) :].strip()
    return out


def date(value: dt.date | dt.datetime | None) -> str:
    """``15 Nov 2026`` (UK style, no leading zero); a dash when there is none."""
    if value is None:
        return DASH
    if isinstance(value, dt.datetime):
        value = utc(value).date()
    return f"{value.day} {value:%b %Y}"


def utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def generated(value: dt.datetime) -> str:
    """When a product was made, in UTC and in this computer's local time, saying which:
    ``26 Nov 2026 20:39 UTC (21:39 local time, UTC+01:00)``."""
    when = utc(value)
    local = when.astimezone()
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "local zone unknown"
    local_text = f"{local:%H:%M}" if local.date() == when.date() else f"{date(local)} {local:%H:%M}"
    return f"{date(when)} {when:%H:%M} UTC ({local_text} local time, {offset})"
