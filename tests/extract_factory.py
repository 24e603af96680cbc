"""Real files for the extraction tests, made with the libraries that write each format.
Names, numbers and addresses are invented (phone numbers from Ofcom's 07700 900xxx drama
range, e-mail at example.org)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import ole_writer

PERSON = "Ada Quill"
PHONE = "07700 900123"


# --- PDF --------------------------------------------------------------------------------
def pdf_bytes(pages: list[str] | None = None) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in pages or [f"{PERSON} phoned {PHONE}", "Second page: depot on Mill Lane"]:
        pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf_bytes(
    user_password: str = "open-sesame",  # noqa: S107 (fiction)
    algorithm: str = "RC4-128",
) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt(user_password, owner_password="owner-secret", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_broken_xref(recoverable: bool) -> bytes:
    """Recoverable: every offset in the xref table is wrong (as after an edit that changed
    line ends), the objects intact, so a reader can rebuild the table by scanning.
    Not recoverable: the table is junk and the objects are damaged too."""
    data = pdf_bytes()
    xref, trailer = data.find(b"\nxref\n") + 1, data.rfind(b"trailer")
    if recoverable:
        return data[:xref] + data[xref:trailer].replace(b"0000000", b"9999999") + data[trailer:]
    body = data[:xref].replace(b" obj", b" job")
    return body + b"xref\n0 9\n0000 junk 0000\n" + data[trailer:]


# --- Office -----------------------------------------------------------------------------
def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "OFFICIAL-SENSITIVE"
    document.add_heading("Research note TX-2026-0042", level=1)
    document.add_paragraph(f"{PERSON} was seen at the depot and phoned {PHONE}.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Name", "Phone"
    table.cell(1, 0).text, table.cell(1, 1).text = "Bram Fellow", "07700 900456"
    document.add_paragraph("After the table.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Calls"
    sheet.append(["Caller", "Number", "When", "Minutes"])
    sheet.append([PERSON, PHONE, datetime.date(2026, 1, 5), 12])
    sheet.append(["Bram Fellow", "07700 900456", datetime.date(2026, 1, 6), 3.5])
    book.create_sheet("Notes")["A1"] = "Seen at Mill Lane depot"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def replace_member(archive: bytes, name: str, content: bytes) -> bytes:
    """The same ZIP with one member's content replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = content if info.filename == name else source.read(info)
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def add_member_streaming(archive: bytes, name: str, size: int) -> bytes:
    """The same ZIP plus a member of ``size`` zero bytes, deflated as it is written (a
    300 MB member costs a few hundred KB and no 300 MB buffer)."""
    out = io.BytesIO(archive)
    block = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open(name, "w", force_zip64=True) as member,
    ):
        for _ in range(size // len(block)):
            member.write(block)
    return out.getvalue()


def declare_size(archive: bytes, name: str, size: int) -> bytes:
    """The same ZIP with ``name``'s uncompressed size in the central directory set to
    ``size`` (a bomb that only declares)."""
    data = bytearray(archive)
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len].decode() == name:
            struct.pack_into("<I", data, pos + 24, size)
            return bytes(data)
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise KeyError(name)


BILLION_LAUGHS_DTD = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def billion_laughs_docx() -> bytes:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{BILLION_LAUGHS_DTD}'
        f'<w:document xmlns:w="{ns}"><w:body><w:p><w:r><w:t>start &lol9; end</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    return replace_member(docx_bytes(), "word/document.xml", xml.encode())


def billion_laughs_xlsx() -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{BILLION_LAUGHS_DTD}'
        f'<worksheet xmlns="{ns}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        "&lol9;</t></is></c></row></sheetData></worksheet>"
    )
    return replace_member(xlsx_bytes(), "xl/worksheets/sheet1.xml", xml.encode())


# --- mail and web -----------------------------------------------------------------------
def eml_bytes(html_only: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = f"{PERSON} <ada.quill@example.org>"
    message["To"] = "Bram Fellow <bram.fellow@example.org>"
    message["Subject"] = "Depot meeting – Thursday"
    message["Date"] = "Thu, 08 Jan 2026 09:30:00 +0000"
    message["Message-ID"] = "<test-0001@example.org>"
    if html_only:
        message.set_content(
            f"<html><body><p>Call {PHONE}</p><script>alert('x')</script></body></html>",
            subtype="html",
        )
    else:
        message.set_content(f"Meet at the depot. Call me on {PHONE}.\n")
        message.add_alternative(f"<p>Meet at the depot. Call me on {PHONE}.</p>", subtype="html")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="plan.pdf"
    )
    return message.as_bytes()


def mht_bytes() -> bytes:
    message = MIMEMultipart("related", type="text/html")
    message["From"] = "<Saved by Blink>"
    message["Snapshot-Content-Location"] = "https://example.org/forum/thread-17"
    message["Subject"] = "Forum thread 17"
    message["Date"] = "Fri, 09 Jan 2026 10:00:00 -0000"
    html = (
        "<html><head><title>Forum thread 17</title><style>p{color:red}</style></head>"
        f"<body><p>Selling phones, text {PHONE}</p><script>var x = 1;</script></body></html>"
    )
    part = MIMEText(html, "html", "utf-8")
    part["Content-Location"] = "https://example.org/forum/thread-17"
    message.attach(part)
    return message.as_bytes()


def html_bytes() -> bytes:
    return (
        "<!DOCTYPE html><html><head><title>Open source page</title>"
        "<style>body { font: 12px serif }</style><script>document.write('hidden')</script>"
        f"</head><body><h1>Profile</h1><p>{PERSON}<br>Mobile: {PHONE}</p>"
        "<table><tr><td>Handle</td><td>@quill_ada</td></tr></table></body></html>"
    ).encode()


# --- Outlook MSG --------------------------------------------------------------------------
# A storage's properties by (id, type): strings (type 001F: str; 001E: bytes already in the
# message's code page) and binaries (0102) become __substg1.0_ streams, the rest 16-byte
# records of __properties_version1.0 (as Outlook writes them, variable-size ones have a
# record too: their size).
UNICODE, STRING8, BINARY, INT32, TIME = 0x001F, 0x001E, 0x0102, 0x0003, 0x0040
SUBJECT, BODY, BODY_HTML, RTF_COMPRESSED = 0x0037, 0x1000, 0x1013, 0x1009
INTERNET_CODEPAGE, MESSAGE_CODEPAGE = 0x3FDE, 0x3FFD
SUBMITTED = 1767225600  # 2026-01-01 00:00 UTC, as a Unix time
Properties = dict[tuple[int, int], "str | bytes | int"]


def filetime(unix_time: int) -> int:
    return (unix_time + 11644473600) * 10_000_000


def msg_parts() -> dict:
    """An Outlook message with a subject, a sender, To and Cc recipients, a submit time, a
    plain body and two attachments; change it, then ``build_msg``."""
    return {
        "message": {
            (0x001A, UNICODE): "IPM.Note",
            (0x0E07, INT32): 1,  # message flags: read
            (0x0039, TIME): filetime(SUBMITTED),  # client submit time
            (SUBJECT, UNICODE): "Depot meeting",
            (0x0C1A, UNICODE): PERSON,  # sender name
            (0x0C1E, UNICODE): "SMTP",
            (0x0C1F, UNICODE): "ada.quill@example.org",
            (0x5D01, UNICODE): "ada.quill@example.org",
            (0x0E04, UNICODE): "Bram Fellow",  # display To
            (0x0E03, UNICODE): "Cara Mint",  # display Cc
            (BODY, UNICODE): f"Call me on {PHONE}.\r\nAda",
        },
        "recipients": [
            recipient("Bram Fellow", "bram.fellow@example.org", 1),
            recipient("Cara Mint", "cara.mint@example.org", 2),
        ],
        "attachments": [
            attachment("route-map.pdf", "ROUTE~1.PDF"),
            {(0x3705, INT32): 1, (0x3704, UNICODE): "NOTES.TXT", (0x3701, BINARY): b"notes"},
        ],
    }


def recipient(name: str, address: str, kind: int) -> Properties:
    return {
        (0x0C15, INT32): kind,  # 1 To, 2 Cc, 3 Bcc
        (0x3001, UNICODE): name,
        (0x3002, UNICODE): "SMTP",
        (0x3003, UNICODE): address,
        (0x39FE, UNICODE): address,
    }


def attachment(long_name: str, short_name: str = "") -> Properties:
    return {
        (0x3705, INT32): 1,  # attach by value
        (0x3707, UNICODE): long_name,
        **({(0x3704, UNICODE): short_name} if short_name else {}),
        (0x3701, BINARY): b"%PDF-1.4 not really",
    }


def build_msg(parts: dict, *, properties: bytes | None = None) -> bytes:
    """The .msg file of ``msg_parts``-like parts; ``properties`` replaces the message's
    property stream as written."""
    recipients, attachments = parts.get("recipients", []), parts.get("attachments", [])
    header = struct.pack("<8xIIII8x", *(len(recipients), len(attachments)) * 2)
    streams = _storage_streams("", parts["message"], header)
    if properties is not None:
        streams["__properties_version1.0"] = properties
    for prefix, items in (
        ("__recip_version1.0_#", recipients),
        ("__attach_version1.0_#", attachments),
    ):
        for number, item in enumerate(items):
            streams.update(_storage_streams(f"{prefix}{number:08X}/", item, b"\0" * 8))
    return ole_writer.build(streams)


def _storage_streams(path: str, properties: Properties, header: bytes) -> dict[str, bytes]:
    streams, records = {}, [header]
    for (property_id, kind), value in properties.items():
        tag = property_id << 16 | kind
        if kind in (UNICODE, STRING8, BINARY):
            data = value.encode("utf-16-le") if isinstance(value, str) else value
            streams[f"{path}__substg1.0_{tag:08X}"] = data
            value = len(data) + (2 if kind == UNICODE else 1 if kind == STRING8 else 0)
        records.append(struct.pack("<IIQ", tag, 6, value))  # flags: readable, writable
    streams[f"{path}__properties_version1.0"] = b"".join(records)
    return streams


def msg_bytes() -> bytes:
    return build_msg(msg_parts())


def rtf_literal(rtf: bytes) -> bytes:
    """``rtf`` as compressed RTF (MS-OXRTFCP) of literals only, then the end marker."""
    groups = [b"\0" + rtf[start : start + 8] for start in range(0, len(rtf), 8)]
    end = struct.pack(">H", (207 + len(rtf)) % 4096 << 4)  # a reference to the write position
    if len(rtf) % 8 == 0:
        groups.append(b"\x01" + end)
    else:
        last = groups[-1]
        groups[-1] = bytes([1 << (len(last) - 1)]) + last[1:] + end
    body = b"".join(groups)
    crc = zlib.crc32(body, 0xFFFFFFFF) ^ 0xFFFFFFFF
    return struct.pack("<IIII", len(body) + 12, len(rtf), 0x75465A4C, crc) + body


# The two examples of MS-OXRTFCP 3.1 (the second's reference overlaps its own output).
RTF_SPEC_EXAMPLES = [
    (
        "2d0000002b0000004c5a4675f1c5c7a703000a00726370673132354232"
        "0af32068656c090020627705b06c647d0a800fa0",
        b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n",
    ),
    (
        "1a0000001c0000004c5a4675e2d44b51410004205758595a0d6e7d010eb0",
        b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}",
    ),
]


def ole_not_msg_bytes() -> bytes:
    """An OLE compound file without message streams (like an old .doc)."""
    return ole_writer.build(
        {"WordDocument": b"\xec\xa5" + b"\0" * 600, "\x05SummaryInformation": b"\0" * 64}
    )


# --- images -----------------------------------------------------------------------------
def image_bytes(kind: str, size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()
