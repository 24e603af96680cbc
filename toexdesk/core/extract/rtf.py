"""Outlook's compressed RTF (MS-OXRTFCP) and a plain reading of RTF: its text, without
formatting, pictures, fields' codes, embedded objects or anything in an ignorable group.
Both are bounded: decompression stops at ``limit`` bytes, and the reading is one pass over
the RTF with a flat group stack, emitting text in chunks to a callback (the text sink)."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable

from .codepages import codec_for

# The dictionary's initial content (MS-OXRTFCP 2.1.2.1); the rest of its 4,096 bytes are
# spaces, as other writers assume.
_PREFIX = (
    b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
    b"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
    b"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"
)
_DICTIONARY = 4096
_COMPRESSED, _UNCOMPRESSED = 0x75465A4C, 0x414C454D  # "LZFu", "MELA"


class RtfDamaged(ValueError):
    """The compressed RTF is not readable (bad header, unknown kind, checksum mismatch)."""


def decompress(data: bytes, limit: int, *, verify: bool = True) -> bytes:
    """The RTF in a PidTagRtfCompressed value, at most ``limit`` bytes of it. ``verify``
    False: ``data`` is only the start of the value, its checksum cannot be checked."""
    if len(data) < 16:
        raise RtfDamaged("too short")
    size, raw_size, kind, crc = struct.unpack_from("<IIII", data)
    body = data[16 : 4 + size]
    if kind == _UNCOMPRESSED:
        return body[: min(raw_size, limit)]
    if kind != _COMPRESSED:
        raise RtfDamaged("unknown compression")
    # The spec's CRC-32 has no pre- and post-inversion: undo zlib's.
    if verify and zlib.crc32(body, 0xFFFFFFFF) ^ 0xFFFFFFFF != crc:
        raise RtfDamaged("checksum mismatch")
    # The output is kept whole after the prefix, so dictionary cell c is the latest output
    # byte at a position p with p % 4096 == c (none yet: a space).
    out = bytearray(_PREFIX)
    start = len(_PREFIX)
    end = start + limit
    pos, count = 0, len(body)
    while pos < count and len(out) < end:
        control = body[pos]
        pos += 1
        for bit in range(8):
            if not control >> bit & 1:
                if pos >= count:
                    break
                out.append(body[pos])
                pos += 1
                continue
            if pos + 2 > count:
                pos = count
                break
            token = body[pos] << 8 | body[pos + 1]
            pos += 2
            distance = (len(out) - (token >> 4)) % _DICTIONARY
            if distance == 0:  # a reference to the write position marks the end
                return bytes(out[start:end])
            source, length = len(out) - distance, (token & 0xF) + 2
            if source >= 0 and length <= distance:
                out += out[source : source + length]
            else:  # overlapping its own output, or reaching cells never written
                for index in range(source, source + length):
                    out.append(out[index] if index >= 0 else 0x20)
    return bytes(out[start:end])


# --- RTF to text ----------------------------------------------------------------------------
_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?[0-9]{1,10})? ?"  # control word, its parameter, one space
    rb"|\\'([0-9a-fA-F]{2})"  # a byte in the document's code page
    rb"|\\(.)"  # control symbol
    rb"|([{}])"
    rb"|[\r\n]+"  # line ends in RTF source mean nothing
    rb"|([^\\{}\r\n]+)",
    re.DOTALL,
)
# Groups whose content is not text: tables, metadata, pictures, objects, field codes.
_SKIPPED = frozenset(
    b"fonttbl colortbl stylesheet info pict object objdata themedata colorschememapping "
    b"latentstyles datastore xmlnstbl listtable listoverridetable rsidtbl generator filetbl "
    b"revtbl pgdsctbl mmathPr fldinst header headerl headerr headerf footer footerl footerr "
    b"footerf bkmkstart bkmkend xe tc txe nonshppict shpinst ftnsep ftnsepc ftncn aftnsep "
    b"aftnsepc aftncn defchp defpap panose falt leveltext levelnumbers docvar userprops "
    b"background passwordhash protusertbl wgrffmtfilter".split()
)
_WORDS = {
    b"par": "\n", b"line": "\n", b"sect": "\n", b"page": "\n", b"row": "\n",
    b"cell": "\t", b"nestcell": "\t", b"tab": "\t",
    b"emdash": "\u2014", b"endash": "\u2013", b"bullet": "\u2022",
    b"emspace": " ", b"enspace": " ", b"qmspace": " ",
    b"lquote": "\u2018", b"rquote": "\u2019", b"ldblquote": "\u201c", b"rdblquote": "\u201d",
}  # fmt: skip
_SYMBOLS = {b"~": " ", b"_": "-", b"\n": "\n", b"\r": "\n"}
_CHARSETS = {b"ansi": "cp1252", b"mac": "mac_roman", b"pc": "cp437", b"pca": "cp850"}
_MAX_DEPTH = 1000
_CHUNK = 64 * 1024


def rtf_to_text(data: bytes, write: Callable[[str], None]) -> None:
    """The text of an RTF document, handed to ``write`` in chunks (which may raise to stop)."""
    reader = _Reader(write)
    pos, size = 0, len(data)
    while pos < size:
        match = _TOKEN.match(data, pos)
        if match is None:  # a lone backslash at the end
            break
        pos = match.end()
        word, parameter, hex_byte, symbol, brace, text = match.groups()
        if text is not None:
            reader.text(text)
        elif word is not None:
            number = int(parameter) if parameter is not None else None
            if word == b"bin":  # raw bytes follow: step over them
                pos = min(size, pos + max(number or 0, 0))
            reader.word(word, number)
        elif hex_byte is not None:
            reader.byte(int(hex_byte, 16))
        elif brace is not None:
            reader.open_group() if brace == b"{" else reader.close_group()
        elif symbol is not None:
            reader.symbol(symbol)
    reader.flush()


class _Reader:
    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.skip = False
        self.uc = 1  # how many fallback characters follow a \uN
        self.stack: list[tuple[bool, int]] = []
        self.overflow = 0  # groups past _MAX_DEPTH: counted, they inherit the state
        self.group_start = False
        self.fallback = 0  # fallback characters still to drop
        self.codec = "cp1252"
        self.pending = bytearray()  # text bytes not yet decoded (DBCS pairs stay together)
        self.parts: list[str] = []
        self.size = 0
        self.surrogates = False

    def emit(self, text: str) -> None:
        self.decode()
        self.parts.append(text)
        self.size += len(text)
        if self.size >= _CHUNK:
            self.flush()

    def decode(self) -> None:
        if self.pending:
            text = self.pending.decode(self.codec, errors="replace")
            self.pending.clear()
            self.parts.append(text)
            self.size += len(text)

    def flush(self) -> None:
        self.decode()
        if not self.parts:
            return
        text = "".join(self.parts)
        self.parts.clear()
        self.size = 0
        if self.surrogates:  # \u pairs for characters past U+FFFF
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        self.write(text)

    def text(self, raw: bytes) -> None:
        self.group_start = False
        if self.skip:
            return
        if self.fallback:
            dropped = min(self.fallback, len(raw))
            self.fallback -= dropped
            raw = raw[dropped:]
        self.pending += raw
        if len(self.pending) >= _CHUNK:
            self.flush()

    def byte(self, value: int) -> None:
        self.group_start = False
        if self.skip:
            return
        if self.fallback:
            self.fallback -= 1
            return
        self.pending.append(value)

    def word(self, word: bytes, number: int | None) -> None:
        if self.group_start:
            self.group_start = False
            if word in _SKIPPED:
                self.skip = True
        if self.skip:
            return
        if word == b"u" and number is not None:
            code = number + 0x10000 if number < 0 else number
            if 0 <= code <= 0xFFFF:
                self.surrogates |= 0xD800 <= code <= 0xDFFF
                self.emit(chr(code))
            self.fallback = self.uc
        elif word == b"uc" and number is not None:
            self.uc = min(max(number, 0), 10)
        elif word == b"ansicpg" and number is not None:
            self.decode()
            self.codec = codec_for(number) or self.codec
        elif word in _CHARSETS:
            self.decode()
            self.codec = _CHARSETS[word]
        elif word in _WORDS:
            self.emit(_WORDS[word])

    def symbol(self, symbol: bytes) -> None:
        if symbol == b"*":  # an ignorable destination: skipped by readers that don't know it
            if self.group_start:
                self.skip = True
            return
        self.group_start = False
        if self.skip:
            return
        if symbol in b"\\{}":
            self.pending += symbol
        elif symbol in _SYMBOLS:
            self.emit(_SYMBOLS[symbol])

    def open_group(self) -> None:
        if len(self.stack) < _MAX_DEPTH:
            self.stack.append((self.skip, self.uc))
        else:
            self.overflow += 1
        self.group_start = True
        self.fallback = 0

    def close_group(self) -> None:
        self.group_start = False
        self.fallback = 0
        if self.overflow:
            self.overflow -= 1
        elif self.stack:
            self.skip, self.uc = self.stack.pop()
