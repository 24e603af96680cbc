"""Outlook .msg files (MS-OXMSG) read with olefile: the properties text extraction needs, and
nothing else. Each property is a stream ``__substg1.0_IIIITTTT`` (id, type), or for a
fixed-size one a 16-byte record in the storage's ``__properties_version1.0`` stream.
Recipients and attachments are sub-storages with the same layout. Every stream is read up to
a cap, and at most ``MAX_ITEMS`` recipients and attachments are read."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import olefile
from olefile.olefile import OleDirectoryEntry

from .codepages import codec_for
from .result import ExtractionFailed

BODY_BYTES = 20 * 1024 * 1024  # the most read of a body stream (plain text, HTML or RTF)
FIELD_BYTES = 64 * 1024  # subject, sender, the display lists of recipients
NAME_BYTES = 4 * 1024  # one recipient's or attachment's name or address
PROPERTY_BYTES = 1024 * 1024  # a property stream: 16 bytes a property
MAX_ITEMS = 500  # recipients read, attachments listed

NOT_A_MESSAGE = "Not an Outlook message: an OLE compound file without message streams"
DAMAGED_OLE = "Not a valid Outlook message: damaged OLE compound file"
PROPERTIES_DAMAGED = "Outlook message property stream is damaged: date and code page not read"
PROPERTIES_MISSING = "Outlook message has no property stream: date and code page not read"

# Property ids (MS-OXPROPS).
SUBJECT, BODY, BODY_HTML, RTF_COMPRESSED = 0x0037, 0x1000, 0x1013, 0x1009
_SENDERS = (  # name, SMTP address, address of another kind (e.g. Exchange)
    (0x0C1A, 0x5D01, 0x0C1F),  # PidTagSender*
    (0x0042, 0x5D02, 0x0065),  # PidTagSentRepresenting* (a draft, or sent on behalf)
)
_DISPLAY_TO, _DISPLAY_CC = 0x0E04, 0x0E03
_CLIENT_SUBMIT_TIME, _MESSAGE_DELIVERY_TIME = 0x0039, 0x0E06
_INTERNET_CODEPAGE, _MESSAGE_CODEPAGE = 0x3FDE, 0x3FFD
_RECIPIENT_TYPE, _DISPLAY_NAME, _EMAIL_ADDRESS, _SMTP_ADDRESS = 0x0C15, 0x3001, 0x3003, 0x39FE
_ATTACH_LONG_FILENAME, _ATTACH_FILENAME = 0x3707, 0x3704
_TO, _CC = 1, 2

_UNICODE, _STRING8, _BINARY, _INTEGER32, _TIME = 0x001F, 0x001E, 0x0102, 0x0003, 0x0040
# Every property type of MS-OXCDATA 2.11.1, single and multiple valued.
_TYPES = frozenset(
    {0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x000A, 0x000B, 0x000D,
     0x0014, 0x001E, 0x001F, 0x0040, 0x0048, 0x00FB, 0x00FD, 0x00FE, 0x0102, 0x1002, 0x1003,
     0x1004, 0x1005, 0x1006, 0x1007, 0x1014, 0x101E, 0x101F, 0x1040, 0x1048, 0x1102}
)  # fmt: skip
_ROOT_HEADER, _ITEM_HEADER = 32, 8  # bytes before the records of a property stream
_PROPERTIES = "__PROPERTIES_VERSION1.0"
_RECIPIENT, _ATTACHMENT = "__RECIP_VERSION1.0_#", "__ATTACH_VERSION1.0_#"
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


class MessageFile:
    """An open .msg file; ``close()`` (or ``with``) lets it go."""

    def __init__(self, stream: BinaryIO) -> None:
        try:
            self.ole = olefile.OleFileIO(stream)
        except (OSError, ValueError, IndexError, KeyError, struct.error) as exc:
            raise ExtractionFailed(DAMAGED_OLE) from exc
        try:
            self.root = _Storage(self, self.ole.root)
            if _PROPERTIES not in self.root.streams and not any(
                name.startswith("__SUBSTG1.0_") for name in self.root.streams
            ):
                raise ExtractionFailed(NOT_A_MESSAGE)
            self.note = ""
            self.codec = "cp1252"
            self.body_codec = "cp1252"
            properties = self.root.properties(_ROOT_HEADER, strict=True)
            if properties is None:
                self.note = PROPERTIES_DAMAGED
            elif _PROPERTIES not in self.root.streams:
                self.note = PROPERTIES_MISSING
            else:
                message_cp = _codec(properties, _MESSAGE_CODEPAGE)
                internet_cp = _codec(properties, _INTERNET_CODEPAGE)
                self.codec = message_cp or internet_cp or self.codec
                self.body_codec = internet_cp or message_cp or self.codec
            self.fixed = properties or {}
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> MessageFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.ole.close()

    # --- headers ------------------------------------------------------------------------
    def headers(self) -> list[tuple[str, str]]:
        """From, To, Cc, Date and Subject, those that the message has, on one line each."""
        to, cc, more = self._recipients()
        to = to or [self.root.text(_DISPLAY_TO, FIELD_BYTES, self.codec)]
        cc = cc or [self.root.text(_DISPLAY_CC, FIELD_BYTES, self.codec)]
        if more:
            to.append(f"(and {more} more recipients)")
        fields = [
            ("From", self._sender()),
            ("To", "; ".join(item for item in to if item)),
            ("Cc", "; ".join(item for item in cc if item)),
            ("Date", self._date()),
            ("Subject", self.root.text(SUBJECT, FIELD_BYTES, self.codec)),
        ]
        return [(name, _one_line(value)) for name, value in fields if _one_line(value)]

    def _sender(self) -> str:
        for name_id, smtp_id, address_id in _SENDERS:
            name = self.root.text(name_id, NAME_BYTES, self.codec)
            address = self.root.text(smtp_id, NAME_BYTES, self.codec) or self.root.text(
                address_id, NAME_BYTES, self.codec
            )
            if name or address:
                return _person(name, address)
        return ""

    def _recipients(self) -> tuple[list[str], list[str], int]:
        """The To and Cc recipients as "Name <address>", and how many were not read."""
        to: list[str] = []
        cc: list[str] = []
        storages, more = self.root.storages(_RECIPIENT)
        for storage in storages:
            properties = storage.properties(_ITEM_HEADER) or {}
            kind = _integer(properties, _RECIPIENT_TYPE)
            if kind not in (_TO, _CC):
                continue
            name = storage.text(_DISPLAY_NAME, NAME_BYTES, self.codec)
            address = storage.text(_SMTP_ADDRESS, NAME_BYTES, self.codec) or storage.text(
                _EMAIL_ADDRESS, NAME_BYTES, self.codec
            )
            (to if kind == _TO else cc).append(_person(name, address))
        return to, cc, more

    def _date(self) -> str:
        for property_id in (_CLIENT_SUBMIT_TIME, _MESSAGE_DELIVERY_TIME):
            raw = self.fixed.get(property_id << 16 | _TIME)
            value = 0 if raw is None else struct.unpack_from("<Q", raw)[0]
            if value:
                try:
                    moment = _FILETIME_EPOCH + timedelta(microseconds=value // 10)
                except OverflowError:  # past the year 9999
                    continue
                return str(moment.replace(microsecond=0))
        return ""

    # --- body -----------------------------------------------------------------------------
    def plain_body(self) -> tuple[str, bool]:
        """PidTagBody, and whether it was cut at ``BODY_BYTES``."""
        return self.root.text_capped(BODY, BODY_BYTES, self.body_codec)

    def html_body(self) -> tuple[str | bytes, bool]:
        """PidTagBodyHtml: bytes as stored (decoded when the code page is known: the HTML's
        own charset declaration decides otherwise), or text when stored as a string."""
        entry = self.root.entry(BODY_HTML, _BINARY)
        if entry is None:
            return self.root.text_capped(BODY_HTML, BODY_BYTES, self.body_codec)
        data, cut = self.root.read(entry, BODY_BYTES)
        internet_cp = _codec(self.fixed, _INTERNET_CODEPAGE)
        return (data.decode(internet_cp, errors="replace") if internet_cp else data), cut

    def rtf_body(self) -> tuple[bytes, bool] | None:
        """PidTagRtfCompressed as stored and whether it was cut (None: there is none)."""
        entry = self.root.entry(RTF_COMPRESSED, _BINARY)
        return None if entry is None else self.root.read(entry, BODY_BYTES)

    # --- attachments ------------------------------------------------------------------------
    def attachment_names(self) -> tuple[list[str], int]:
        """The attachments' file names (or display names), and how many more there are."""
        storages, more = self.root.storages(_ATTACHMENT)
        names = []
        for storage in storages:
            for property_id in (_ATTACH_LONG_FILENAME, _ATTACH_FILENAME, _DISPLAY_NAME):
                name = _one_line(storage.text(property_id, NAME_BYTES, self.codec))
                if name:
                    break
            names.append(name or "(unnamed attachment)")
        return names, more


class _Storage:
    """One storage of the message: the root, a recipient or an attachment."""

    def __init__(self, message: MessageFile, entry: OleDirectoryEntry) -> None:
        self.message = message
        self.streams = {}
        self.children = {}
        for kid in entry.kids:
            if kid.entry_type == olefile.STGTY_STREAM:
                self.streams[kid.name.upper()] = kid
            elif kid.entry_type == olefile.STGTY_STORAGE:
                self.children[kid.name.upper()] = kid

    def storages(self, prefix: str) -> tuple[list[_Storage], int]:
        """The sub-storages named ``prefix``#number, in order, up to ``MAX_ITEMS``, and how
        many more there are."""
        names = sorted(name for name in self.children if name.startswith(prefix))
        kept = [_Storage(self.message, self.children[name]) for name in names[:MAX_ITEMS]]
        return kept, len(names) - len(kept)

    def entry(self, property_id: int, kind: int) -> OleDirectoryEntry | None:
        return self.streams.get(f"__SUBSTG1.0_{property_id:04X}{kind:04X}")

    def read(self, entry: OleDirectoryEntry, cap: int) -> tuple[bytes, bool]:
        """A stream's first ``cap`` bytes, and whether there was more. olefile's public
        ``openstream`` reads a whole stream, whatever its size: its ``_open`` with a smaller
        size follows the same sector chain and stops there."""
        size = entry.size
        if size <= 0:
            return b"", False
        ole = self.message.ole
        big = size >= ole.minisectorcutoff  # where the stream lives follows its real size
        with ole._open(entry.isectStart, min(size, cap), force_FAT=big) as stream:
            return stream.read(cap), size > cap

    def text_capped(self, property_id: int, cap: int, codec: str) -> tuple[str, bool]:
        """A string property, Unicode (UTF-16LE) or 8-bit in ``codec``, and whether it was
        cut at ``cap`` bytes."""
        entry = self.entry(property_id, _UNICODE)
        if entry is not None:
            data, cut = self.read(entry, cap)
            return data[: len(data) & ~1].decode("utf-16-le", errors="replace").rstrip("\0"), cut
        entry = self.entry(property_id, _STRING8)
        if entry is not None:
            data, cut = self.read(entry, cap)
            return data.rstrip(b"\0").decode(codec, errors="replace"), cut
        return "", False

    def text(self, property_id: int, cap: int, codec: str) -> str:
        return self.text_capped(property_id, cap, codec)[0]

    def properties(self, header: int, *, strict: bool = False) -> dict[int, bytes] | None:
        """The fixed-size properties by tag (id << 16 | type): each an 8-byte value. None when
        the stream is damaged (too short, a partial record, a type that does not exist).
        Empty when there is no property stream (``strict``: then None only if damaged)."""
        entry = self.streams.get(_PROPERTIES)
        if entry is None:
            return {}
        data, _ = self.read(entry, PROPERTY_BYTES)
        if len(data) < header or (strict and (entry.size - header) % 16):
            return None
        records: dict[int, bytes] = {}
        for offset in range(header, len(data) - 15, 16):
            (tag,) = struct.unpack_from("<I", data, offset)
            if tag & 0xFFFF not in _TYPES:
                return None
            records[tag] = data[offset + 8 : offset + 16]
        return records


def _integer(properties: dict[int, bytes], property_id: int) -> int | None:
    raw = properties.get(property_id << 16 | _INTEGER32)
    return None if raw is None else struct.unpack_from("<i", raw)[0]


def _codec(properties: dict[int, bytes], property_id: int) -> str | None:
    codepage = _integer(properties, property_id)
    return None if codepage is None else codec_for(codepage)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _person(name: str, address: str) -> str:
    name, address = _one_line(name), _one_line(address)
    if name and address and name.lower() != address.lower():
        return f"{name} <{address}>"
    return name or address
