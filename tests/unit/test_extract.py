"""Text extraction: type detection by content, real files of every supported type, and
hostile ones (issue 7, requirement 6). Each hostile case must end with one clear reason, no
exception, the parent process fine and no file left behind."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import sys
import tempfile
import time

import extract_factory as make
import ole_writer
import pytest

from toexdesk.core.extract import (
    HEAD_BYTES,
    Extraction,
    Extractor,
    FileType,
    detect_type,
    extract_text,
    extract_text_bytes,
    runner,
)
from toexdesk.core.extract.limits import JobLimits


# --- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def extractor():
    """One extractor for the well-formed files: a child serves several of them (the hostile
    cases below each get a fresh child through ``extract_text``)."""
    with Extractor(files_per_helper=50) as shared:
        yield shared


@pytest.fixture
def nothing_left_behind(tmp_path, tmp_path_factory, monkeypatch):
    """No file in the temp folder (a private one, for this process and the children it
    starts) or beside the input, and no new child process left running."""
    private = tmp_path_factory.mktemp("temp")
    for variable in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(variable, str(private))
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    assert tempfile.gettempdir() == str(private)
    beside = set(os.listdir(tmp_path))
    children = set(multiprocessing.active_children())  # the shared extractor's
    yield
    assert set(multiprocessing.active_children()) <= children
    assert (os.listdir(private), set(os.listdir(tmp_path))) == ([], beside)


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def failed(result: Extraction, reason_start: str) -> bool:
    assert not result.ok, result
    assert result.text == ""
    assert result.reason.startswith(reason_start), result.reason
    assert "\n" not in result.reason
    return True


# --- detection by content ---------------------------------------------------------------
CSV = b"name,phone\nAda,07700 900123\nBram,07700 900456\n"
PROSE = b"Hi, Ada.\nSee you at ten, by the depot, ok?\n"
DETECTION_CASES = [
    ("pdf named docx", make.pdf_bytes, "report.docx", FileType.PDF),
    ("docx named pdf", make.docx_bytes, "report.pdf", FileType.DOCX),
    ("xlsx named csv", make.xlsx_bytes, "calls.csv", FileType.XLSX),
    ("eml named txt", make.eml_bytes, "mail.txt", FileType.EML),
    ("mht", make.mht_bytes, "page.mht", FileType.MHT),
    ("html named txt", make.html_bytes, "page.txt", FileType.HTML),
    ("msg", make.msg_bytes, "mail.msg", FileType.MSG),
    ("ole named msg", make.ole_not_msg_bytes, "mail.msg", FileType.OLE),
    ("png named jpg", lambda: make.image_bytes("PNG"), "photo.jpg", FileType.PNG),
    ("jpeg named png", lambda: make.image_bytes("JPEG"), "photo.png", FileType.JPEG),
    ("csv named txt", lambda: CSV, "a.txt", FileType.CSV),
    ("semicolon csv", lambda: b"name;phone\nAda;07700 900123\n", "a.dat", FileType.CSV),
    ("prose with commas", lambda: PROSE, "a.csv", FileType.TXT),
    ("utf-16 text", lambda: "\ufeffCaf\u00e9 notes\r\n".encode("utf-16"), "a.txt", FileType.TXT),
    ("cp1252 text", lambda: "Caf\u00e9 \u2013 notes\n".encode("cp1252"), "a.txt", FileType.TXT),
    ("empty", lambda: b"", "a.pdf", FileType.EMPTY),
    ("binary", lambda: bytes(range(256)) * 8, "a.txt", FileType.UNKNOWN),
]  # fmt: skip


@pytest.mark.parametrize(
    ("maker", "name", "expected"),
    [case[1:] for case in DETECTION_CASES],
    ids=[case[0] for case in DETECTION_CASES],
)
def test_type_is_detected_by_content_whatever_the_extension(maker, name, expected):
    assert detect_type(maker(), name) == expected


def test_a_docx_is_recognised_from_its_first_bytes_alone():
    assert detect_type(make.docx_bytes()[:4096], "x.bin") == FileType.DOCX
    assert detect_type(make.xlsx_bytes()[:4096]) == FileType.XLSX


def test_a_plain_zip_is_a_zip_not_an_office_file():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "Ada Quill")
    assert detect_type(buffer.getvalue(), "notes.docx") == FileType.ZIP


def test_every_type_code_has_a_label():
    assert all(kind.label and kind.label != kind.value for kind in FileType)
    assert FileType("pdf") is FileType.PDF and FileType.PDF == "pdf"


# --- well-formed files ------------------------------------------------------------------
def test_pdf_text_comes_from_every_page(extractor, tmp_path):
    result = extractor.extract_text(write(tmp_path, "note.pdf", make.pdf_bytes()))
    assert result.ok and result.type_code == "pdf" and result.reason == ""
    assert "Ada Quill phoned 07700 900123" in result.text
    assert "Second page: depot on Mill Lane" in result.text


def test_docx_gives_paragraphs_tables_and_header(extractor, tmp_path):
    result = extractor.extract_text(write(tmp_path, "note.docx", make.docx_bytes()))
    assert result.ok and result.type_code == "docx"
    text = result.text
    assert "Ada Quill was seen at the depot and phoned 07700 900123." in text
    assert "Name\tPhone\nBram Fellow\t07700 900456\n" in text
    assert text.index("Bram Fellow") < text.index("After the table.")
    assert "OFFICIAL-SENSITIVE" in text


def test_xlsx_gives_each_sheet_and_its_cells(extractor, tmp_path):
    result = extractor.extract_text(write(tmp_path, "calls.xlsx", make.xlsx_bytes()))
    assert result.ok and result.type_code == "xlsx"
    assert "Sheet: Calls\nCaller\tNumber\tWhen\tMinutes\n" in result.text
    assert "Ada Quill\t07700 900123\t2026-01-05\t12\n" in result.text
    assert "Bram Fellow\t07700 900456\t2026-01-06\t3.5\n" in result.text
    assert "Sheet: Notes\nSeen at Mill Lane depot" in result.text


def test_eml_gives_headers_plain_body_and_attachment_names(extractor, tmp_path):
    result = extractor.extract_text(write(tmp_path, "mail.eml", make.eml_bytes()))
    assert result.ok and result.type_code == "eml"
    assert "From: Ada Quill <ada.quill@example.org>\n" in result.text
    assert "Subject: Depot meeting – Thursday\n" in result.text
    assert "Date: Thu, 08 Jan 2026 09:30:00 +0000\n" in result.text
    assert "Meet at the depot. Call me on 07700 900123." in result.text
    assert "<p>" not in result.text
    assert "Attachments: plan.pdf" in result.text


def test_html_only_eml_is_made_readable_without_scripts(extractor, tmp_path):
    result = extractor.extract_text(write(tmp_path, "mail.eml", make.eml_bytes(html_only=True)))
    assert result.ok and "Call 07700 900123" in result.text
    assert "alert" not in result.text and "<" not in result.text.split("Subject")[1]


def test_mht_gives_the_page_text_and_where_it_was_saved_from(extractor, tmp_path):
    result = extractor.extract_text(write(tmp_path, "page.mht", make.mht_bytes()))
    assert result.ok and result.type_code == "mht"
    assert "Saved from: https://example.org/forum/thread-17" in result.text
    assert "Selling phones, text 07700 900123" in result.text
    assert "var x" not in result.text and "color:red" not in result.text


def test_html_drops_scripts_and_styles_and_keeps_lines(extractor, tmp_path):
    result = extractor.extract_text(write(tmp_path, "page.html", make.html_bytes()))
    assert result.ok and result.type_code == "html"
    assert "Ada Quill\nMobile: 07700 900123" in result.text
    assert "Handle\t@quill_ada" in result.text
    assert "hidden" not in result.text and "font:" not in result.text


def test_msg_gives_sender_recipients_subject_body_and_attachments(extractor, tmp_path):
    result = extractor.extract_text(write(tmp_path, "mail.msg", make.msg_bytes()))
    assert result.ok and result.type_code == "msg" and not result.reason, result
    assert result.text == (
        "From: Ada Quill <ada.quill@example.org>\n"
        "To: Bram Fellow <bram.fellow@example.org>\n"
        "Cc: Cara Mint <cara.mint@example.org>\n"
        "Date: 2026-01-01 00:00:00+00:00\n"
        "Subject: Depot meeting\n"
        "\n"
        "Call me on 07700 900123.\nAda\n"
        "Attachments: route-map.pdf; NOTES.TXT\n"
    )


def msg_with(changes: dict, drop=(), **build) -> bytes:
    """The standard test message with some properties changed or dropped."""
    parts = make.msg_parts()
    message = parts["message"]
    for key in drop:
        del message[key]
    message.update(changes)
    return make.build_msg(parts, **build)


def read_outlook(extractor, tmp_path, data: bytes) -> Extraction:
    result = extractor.extract_text(write(tmp_path, "mail.msg", data))
    assert result.ok and result.type_code == "msg", result
    return result


def test_msg_without_recipient_tables_uses_the_display_lists_and_the_delivery_time(
    extractor, tmp_path
):
    parts = make.msg_parts()
    parts["recipients"] = []
    message = parts["message"]
    for key in ((0x5D01, make.UNICODE), (0x0C1F, make.UNICODE), (0x0039, make.TIME)):
        del message[key]
    message[(0x0E06, make.TIME)] = make.filetime(make.SUBMITTED + 90)  # delivery time
    text = read_outlook(extractor, tmp_path, make.build_msg(parts)).text
    assert text.startswith(
        "From: Ada Quill\nTo: Bram Fellow\nCc: Cara Mint\nDate: 2026-01-01 00:01:30+00:00\n"
    )


@pytest.mark.parametrize(
    ("codepages", "encoding", "subject", "body"),
    [
        ({make.INTERNET_CODEPAGE: 1251, make.MESSAGE_CODEPAGE: 1251}, "cp1251",
         "Встреча в депо", "Позвоните 07700 900123, Ада"),
        ({make.MESSAGE_CODEPAGE: 1250}, "cp1250", "Schůzka v Łódźi", "Zavolej 07700 900123"),
        ({make.INTERNET_CODEPAGE: 65001}, "utf-8", "Café ✓", "Zoë – 07700 900123 ✓"),
        ({}, "cp1252", "Café – depot", "Zoë phoned 07700 900123 • ok"),
    ],
    ids=["cp1251", "cp1250 message code page", "utf-8", "no code page: cp1252"],
)  # fmt: skip
def test_msg_8_bit_strings_are_decoded_in_the_message_code_page(
    extractor, tmp_path, codepages, encoding, subject, body
):
    changes = {(property_id, make.INT32): value for property_id, value in codepages.items()}
    changes[(make.SUBJECT, make.STRING8)] = subject.encode(encoding) + b"\0"
    changes[(make.BODY, make.STRING8)] = (body + "\r\nA.").encode(encoding)
    data = msg_with(changes, drop=[(make.SUBJECT, make.UNICODE), (make.BODY, make.UNICODE)])
    text = read_outlook(extractor, tmp_path, data).text
    assert f"\nSubject: {subject}\n\n{body}\nA.\n" in text


def test_msg_unicode_body_keeps_every_character(extractor, tmp_path):
    body = "Zoë Ślęk – café ✓ 😀 Привет 07700 900124"
    data = msg_with({(make.BODY, make.UNICODE): body + "\0"})
    assert f"\n\n{body}\nAttachments:" in read_outlook(extractor, tmp_path, data).text


@pytest.mark.parametrize(
    ("html", "codepage"),
    [
        (f"<html><body><p>Café at {make.PHONE}</p><script>alert(1)</script></body></html>"
         .encode("cp1252"), 1252),
        ('<html><head><meta charset="utf-8"><style>p{color:red}</style></head>'
         f"<body><p>Café at {make.PHONE}</p></body></html>".encode(), None),
        (f"<p>Café at {make.PHONE}</p>", None),  # stored as a string (type 001F)
    ],
    ids=["binary in the internet code page", "binary with its charset", "unicode string"],
)  # fmt: skip
def test_msg_html_only_body_is_made_readable(extractor, tmp_path, html, codepage):
    kind = make.UNICODE if isinstance(html, str) else make.BINARY
    changes = {(make.BODY_HTML, kind): html}
    if codepage:
        changes[(make.INTERNET_CODEPAGE, make.INT32)] = codepage
    text = read_outlook(extractor, tmp_path, msg_with(changes, drop=[(make.BODY, make.UNICODE)]))
    assert f"Subject: Depot meeting\n\nCafé at {make.PHONE}\n" in text.text
    assert "alert" not in text.text and "color" not in text.text and "<p>" not in text.text


def test_msg_plain_body_is_preferred_to_html(extractor, tmp_path):
    data = msg_with({(make.BODY_HTML, make.BINARY): b"<p>HTML version</p>"})
    text = read_outlook(extractor, tmp_path, data).text
    assert "Call me on 07700 900123." in text and "HTML version" not in text


RTF_BODY = (
    rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}"
    rb"{\colortbl;\red255\green0\blue0;}{\*\generator Riched20 10.0;}"
    rb"\pard\f0\fs20 Caf\'e9 at the depot \u8212\'97 call 07700 900125\par"
    rb"{\pict\pngblip 89504e470d0a}{\field{\*\fldinst HYPERLINK https://example.org}"
    rb"{\fldrslt map link}}\tab done\par}"
)


def test_msg_rtf_only_body_is_decompressed_and_read_as_text(extractor, tmp_path):
    changes = {(make.RTF_COMPRESSED, make.BINARY): make.rtf_literal(RTF_BODY)}
    text = read_outlook(extractor, tmp_path, msg_with(changes, drop=[(make.BODY, make.UNICODE)]))
    assert "Subject: Depot meeting\n\nCafé at the depot — call 07700 900125\nmap link\tdone\n" in (
        text.text
    )
    assert "Arial" not in text.text and "Riched" not in text.text and "HYPERLINK" not in text.text
    assert "89504e" not in text.text
    assert text.text.endswith("\nAttachments: route-map.pdf; NOTES.TXT\n")


def test_msg_damaged_rtf_body_is_named_and_the_rest_kept(extractor, tmp_path):
    compressed = bytearray(make.rtf_literal(RTF_BODY))
    compressed[40] ^= 0xFF  # the checksum no longer matches
    changes = {(make.RTF_COMPRESSED, make.BINARY): bytes(compressed)}
    data = msg_with(changes, drop=[(make.BODY, make.UNICODE)])
    result = read_outlook(extractor, tmp_path, data)
    assert result.reason == "Outlook message body (compressed RTF) is damaged: text not extracted"
    assert "Subject: Depot meeting\n\n\nAttachments: route-map.pdf" in result.text


def test_msg_attachments_are_listed_by_name_only(extractor, tmp_path):
    parts = make.msg_parts()
    parts["attachments"] = [
        make.attachment("Long name – plan.docx", "PLAN~1.DOC"),
        {(0x3704, make.UNICODE): "SHORT.TXT"},
        {(0x3001, make.UNICODE): "Forwarded: depot rota", (0x3705, make.INT32): 5},
        {(0x3705, make.INT32): 1, (0x3701, make.BINARY): b"no name at all"},
    ]
    result = read_outlook(extractor, tmp_path, make.build_msg(parts))
    assert result.text.endswith(
        "Attachments: Long name – plan.docx; SHORT.TXT; Forwarded: depot rota; "
        "(unnamed attachment)\n"
    )
    assert "not really" not in result.text and "no name at all" not in result.text


def test_msg_attachment_and_recipient_lists_are_capped(extractor, tmp_path):
    from toexdesk.core.extract.msg import MAX_ITEMS

    parts = make.msg_parts()
    parts["attachments"] = [{(0x3707, make.UNICODE): f"f{n}.txt"} for n in range(MAX_ITEMS + 3)]
    parts["recipients"] = [
        make.recipient(f"Person {n}", f"p{n}@example.org", 1) for n in range(MAX_ITEMS + 2)
    ]
    text = read_outlook(extractor, tmp_path, make.build_msg(parts)).text
    to = text.split("\n")[1]
    assert to.startswith("To: Person 0 <p0@example.org>; Person 1 <p1@example.org>; ")
    last = MAX_ITEMS - 1
    assert to.endswith(f"; Person {last} <p{last}@example.org>; (and 2 more recipients)")
    assert text.endswith(f"; f{MAX_ITEMS - 1}.txt; (and 3 more)\n")
    assert f"f{MAX_ITEMS}.txt" not in text


def test_msg_huge_body_stream_is_read_only_up_to_the_cap(tmp_path):
    from toexdesk.core.extract.msg import BODY_BYTES

    line = f"{make.PERSON} {make.PHONE} "
    body = line * (BODY_BYTES * 5 // 4 // 2 // len(line))  # 25 MB in UTF-16
    path = write(tmp_path, "mail.msg", msg_with({(make.BODY, make.UNICODE): body}))
    result = extract_text(path, max_chars=20_000_000)  # room for more than the cap
    assert result.ok and result.truncated and not result.reason, result.reason
    start = result.text.index("\n\n") + 2
    end = result.text.index("\nAttachments: route-map.pdf; NOTES.TXT\n")
    assert end - start == BODY_BYTES // 2 and result.text[start:end] == body[: BODY_BYTES // 2]


@pytest.mark.parametrize(
    "properties",
    [
        b"\x17" * 5,  # shorter than the header
        b"\0" * 32 + b"\x03\0\x07\x0e" + b"\0" * 10,  # a partial record
        bytes(range(32)) + bytes(range(200, 248)),  # records of types that do not exist
    ],
    ids=["too short", "partial record", "unknown types"],
)
def test_msg_with_a_garbage_property_stream_says_so_and_keeps_the_strings(
    extractor, tmp_path, properties
):
    data = make.build_msg(make.msg_parts(), properties=properties)
    result = read_outlook(extractor, tmp_path, data)
    assert result.reason == (
        "Outlook message property stream is damaged: date and code page not read"
    )
    assert "Subject: Depot meeting\n" in result.text and "Date:" not in result.text
    assert "Call me on 07700 900123." in result.text


def test_msg_without_a_property_stream_says_so(extractor, tmp_path):
    streams = {"__substg1.0_0037001F": "Depot meeting".encode("utf-16-le")}
    result = read_outlook(extractor, tmp_path, ole_writer.build(streams))
    assert result.reason == "Outlook message has no property stream: date and code page not read"
    assert result.text == "Subject: Depot meeting\n\n"


def test_ole_file_with_message_streams_only_in_a_sub_storage_is_not_a_message(tmp_path):
    streams = {"Other/__substg1.0_0037001F": "Depot meeting".encode("utf-16-le")}
    result = extract_text_bytes(ole_writer.build(streams), "mail.msg")
    assert failed(result, "Not an Outlook message: an OLE compound file without message streams")


def test_msg_parser_refuses_content_that_is_not_ole():
    from toexdesk.core.extract.mail import parse_msg
    from toexdesk.core.extract.result import ExtractionFailed, TextSink
    from toexdesk.core.extract.source import Source

    source = Source("mail.msg", data=make.msg_bytes()[:600])
    with pytest.raises(ExtractionFailed, match=r"^Not a valid Outlook message: damaged OLE"):
        parse_msg(source, TextSink(1000))


@pytest.mark.parametrize(("compressed", "expected"), make.RTF_SPEC_EXAMPLES)
def test_compressed_rtf_spec_examples_decompress(compressed, expected):
    from toexdesk.core.extract import rtf

    data = bytes.fromhex(compressed)
    assert rtf.decompress(data, 1000) == expected
    assert rtf.decompress(data, 10) == expected[:10]
    with pytest.raises(rtf.RtfDamaged):
        rtf.decompress(data[:-1] + b"\0", 1000)
    assert rtf.decompress(make.rtf_literal(expected), 1000) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (rb"{\rtf1\ansi\ansicpg1251 \'cf\'f0\'e8\'e2\'e5\'f2\par}", "Привет\n"),
        (rb"{\rtf1\ansi\ansicpg932 \'82\'a0\'82\'a2}", "あい"),
        (rb"{\rtf1\uc1 a\u-10179?\u-8704?b\uc0\u233 c{\uc2\u233 xxd}e}", "a😀béc\u00e9de"),
        (rb"{\rtf1 \{x\}\\ \emdash\~\-y\line z\bin3 {{{w}", "{x}\\ — y\nzw"),
        (rb"{\rtf1{\*\htmltag19 <style>p{}</style>}\htmlrtf{\htmlrtf0 Hi Ada}\htmlrtf\par}",
         "Hi Ada\n"),
        (rb"{\rtf1 " + b"{" * 5000 + b"deep" + b"}" * 5000 + b"}", "deep"),
    ],
    ids=["code page", "double-byte code page", "unicode and fallbacks", "symbols and \\bin",
         "encapsulated html", "deep groups"],
)  # fmt: skip
def test_rtf_is_read_as_plain_text(source, expected):
    from toexdesk.core.extract import rtf

    parts = []
    rtf.rtf_to_text(source, parts.append)
    assert "".join(parts) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Café notes 07700 900123\r\nline two".encode(), "Café notes 07700 900123\nline two"),
        ("Café – notes".encode("cp1252"), "Café – notes"),
        ("Café notes".encode("utf-16"), "Café notes"),
        ("\ufeffCafé notes".encode(), "Café notes"),
    ],
    ids=["utf-8", "cp1252", "utf-16 bom", "utf-8 bom"],
)
def test_text_is_decoded_by_bom_utf8_or_cp1252(extractor, tmp_path, data, expected):
    result = extractor.extract_text(write(tmp_path, "note.txt", data))
    assert result.ok and result.type_code == "txt" and result.text == expected


def test_csv_is_kept_as_its_text(extractor, tmp_path):
    data = b"name,phone\nAda Quill,07700 900123\n"
    result = extractor.extract_text(write(tmp_path, "calls.csv", data))
    assert result.ok and result.type_code == "csv" and result.text == data.decode()


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_images_give_no_text_but_their_size(extractor, tmp_path, kind):
    path = write(tmp_path, f"photo.{kind.lower()}", make.image_bytes(kind, (640, 480)))
    result = extractor.extract_text(path)
    assert result.ok and result.text == "" and result.image_size == (640, 480)
    assert result.reason == "Image: no text extraction (640 × 480 px)"


def test_bytes_are_extracted_like_the_file_without_a_temp_file(tmp_path, nothing_left_behind):
    data = make.docx_bytes()
    with Extractor(files_per_helper=2) as extractor:
        from_bytes = extractor.extract_text_bytes(data, "note.docx")
        from_file = extractor.extract_text(write(tmp_path, "note.docx", data))
    assert from_bytes == from_file and from_bytes.ok
    (tmp_path / "note.docx").unlink()  # written by this test, not by the extraction


def test_a_lying_extension_is_named_in_the_reason_and_the_content_wins(tmp_path):
    with Extractor(files_per_helper=2) as extractor:
        pdf_as_docx = extractor.extract_text(write(tmp_path, "report.docx", make.pdf_bytes()))
        docx_as_pdf = extractor.extract_text(write(tmp_path, "report.pdf", make.docx_bytes()))
    assert pdf_as_docx.ok and pdf_as_docx.type_code == "pdf" and "Ada Quill" in pdf_as_docx.text
    assert pdf_as_docx.reason == "Named .docx, but the content is a PDF document"
    assert docx_as_pdf.ok and docx_as_pdf.type_code == "docx" and "Ada Quill" in docx_as_pdf.text
    assert docx_as_pdf.reason == "Named .pdf, but the content is a Word document (DOCX)"


# --- bad input (requirement 6) ----------------------------------------------------------
def test_an_empty_file_is_refused_with_its_size(tmp_path, nothing_left_behind):
    path = write(tmp_path, "empty.pdf", b"")
    assert failed(extract_text(path), "Empty file (0 bytes)")
    assert extract_text(path).type_code == "empty"
    assert failed(extract_text_bytes(b"", "empty.pdf"), "Empty file (0 bytes)")
    path.unlink()


@pytest.fixture(scope="module")
def real_zip_bomb() -> bytes:
    """A DOCX with a member that really inflates to 300 MB, from about 300 KB."""
    return make.add_member_streaming(make.docx_bytes(), "word/media/blob.bin", 300 * 2**20)


def test_a_docx_zip_bomb_is_refused_before_inflating(tmp_path, real_zip_bomb, nothing_left_behind):
    assert len(real_zip_bomb) < 1_000_000
    path = write(tmp_path, "bomb.docx", real_zip_bomb)
    started = time.monotonic()
    result = extract_text(path)
    assert failed(result, "ZIP bomb: expands beyond 200 MB") and result.type_code == "docx"
    assert time.monotonic() - started < 5
    path.unlink()


@pytest.mark.parametrize(
    ("archive", "member", "size", "reason"),
    [
        (make.docx_bytes, "word/document.xml", 300 * 2**20, "ZIP bomb: expands beyond 200 MB"),
        (make.xlsx_bytes, "xl/worksheets/sheet1.xml", 150 * 2**20, "ZIP bomb: a member expands"),
    ],
    ids=["docx declares 300 MB", "xlsx member ratio"],
)
def test_declared_sizes_and_ratios_are_checked(tmp_path, archive, member, size, reason):
    data = make.declare_size(archive(), member, size)
    assert failed(extract_text_bytes(data, "x.zip"), reason)


@pytest.mark.parametrize(
    ("maker", "name", "label"),
    [
        (make.billion_laughs_docx, "laughs.docx", "Word document"),
        (make.billion_laughs_xlsx, "laughs.xlsx", "Excel workbook"),
    ],
)
def test_xml_entity_expansion_is_refused(tmp_path, nothing_left_behind, maker, name, label):
    path = write(tmp_path, name, maker())
    started = time.monotonic()
    result = extract_text(path, memory_mb=256)
    assert failed(result, f"Refused {label}: XML entity declarations")
    assert "lol" not in result.text and time.monotonic() - started < 10
    path.unlink()


def test_a_pdf_whose_xref_can_be_rebuilt_gives_text_and_says_so(tmp_path):
    result = extract_text_bytes(make.pdf_with_broken_xref(recoverable=True), "a.pdf")
    assert result.ok and "Ada Quill phoned 07700 900123" in result.text
    assert result.reason == "Damaged PDF: cross-reference table rebuilt, text may be incomplete"


def test_a_pdf_with_a_broken_xref_is_refused(tmp_path, nothing_left_behind):
    path = write(tmp_path, "broken.pdf", make.pdf_with_broken_xref(recoverable=False))
    result = extract_text(path)
    assert failed(result, "Not a valid PDF: broken cross-reference table")
    assert result.type_code == "pdf"
    path.unlink()


def test_a_truncated_pdf_is_refused(tmp_path):
    data = make.pdf_bytes()
    result = extract_text_bytes(data[: len(data) // 2], "cut.pdf")
    assert failed(result, "Not a valid PDF: the file is cut short (no end-of-file marker)")


def test_an_encrypted_pdf_needs_its_password(tmp_path, nothing_left_behind):
    path = write(tmp_path, "locked.pdf", make.encrypted_pdf_bytes())
    assert failed(extract_text(path), "Encrypted PDF: no text without its password")
    path.unlink()


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_pdf_with_only_an_owner_password_opens(algorithm):
    if algorithm.startswith("AES"):
        pytest.importorskip("cryptography")
    data = make.encrypted_pdf_bytes(user_password="", algorithm=algorithm)
    result = extract_text_bytes(data, "open.pdf")
    assert result.ok and "Ada Quill" in result.text


def test_an_aes_pdf_without_the_cryptography_package_says_so(stand_in_parser):
    stand_in_parser("pdf_without_aes")
    data = make.encrypted_pdf_bytes(user_password="", algorithm="AES-256")
    assert failed(extract_text_bytes(data, "a.pdf"), "Encrypted PDF: this build cannot decrypt")


def test_a_huge_single_line_is_cut_at_max_chars(tmp_path, nothing_left_behind):
    path = tmp_path / "one-line.txt"
    with path.open("wb") as out:
        block = b"Ada Quill 07700 900123 " * 45_590  # ~1 MB, no newline anywhere
        for _ in range(20):
            out.write(block)
    assert path.stat().st_size > 20_000_000
    started = time.monotonic()
    result = extract_text(path)
    elapsed = time.monotonic() - started
    assert result.ok and result.truncated and result.type_code == "txt"
    assert len(result.text) == 5_000_000 and result.text.startswith("Ada Quill 07700 900123 ")
    assert elapsed < 10
    path.unlink()


def test_a_text_under_max_chars_is_whole_and_not_truncated(tmp_path):
    result = extract_text_bytes(b"x" * 999, "a.txt", max_chars=1000)
    assert result.ok and not result.truncated and len(result.text) == 999
    result = extract_text_bytes(b"x" * 1001, "a.txt", max_chars=1000)
    assert result.ok and result.truncated and len(result.text) == 1000


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes(range(256)) * 4, "Not an Outlook message: the content is not an OLE compound file"),
        (make.ole_not_msg_bytes(), "Not an Outlook message: an OLE compound file without"),
    ],
    ids=["not ole", "ole but not msg"],
)
def test_an_msg_that_is_not_a_message_is_refused(tmp_path, nothing_left_behind, data, reason):
    path = write(tmp_path, "mail.msg", data)
    assert failed(extract_text(path), reason)
    path.unlink()


def test_an_old_office_file_is_unsupported_with_advice():
    result = extract_text_bytes(make.ole_not_msg_bytes(), "old.doc")
    assert failed(result, "Unsupported type: older Office file (OLE compound file)")
    assert result.type_code == "ole"


def test_unknown_content_is_unsupported():
    assert failed(extract_text_bytes(bytes(range(256)) * 4, "blob.bin"), "Unsupported type")


def test_a_path_that_vanished_before_extraction(tmp_path, nothing_left_behind):
    path = write(tmp_path, "gone.pdf", make.pdf_bytes())
    path.unlink()
    assert failed(extract_text(path), "File not found: moved or deleted before extraction")


def test_a_path_that_vanished_once_the_child_had_it(tmp_path, monkeypatch, nothing_left_behind):
    path = tmp_path / "gone.pdf"  # never there: the parent's size look-up is faked
    monkeypatch.setattr(runner, "_size_of", lambda _path: 1234)
    assert failed(extract_text(path), "File not found: moved or deleted before extraction")


def test_a_folder_is_not_a_file(tmp_path):
    folder = tmp_path / "folder.pdf"
    folder.mkdir()
    assert failed(extract_text(folder), "Not a file")


# --- the child process's limits ---------------------------------------------------------
@pytest.fixture
def stand_in_parser(monkeypatch):
    def use(name: str) -> None:
        monkeypatch.setattr(runner, "_test_parser", f"extract_hooks:{name}")

    return use


def test_a_parser_that_hangs_is_stopped_at_the_timeout(
    tmp_path, stand_in_parser, nothing_left_behind
):
    stand_in_parser("hang")
    path = write(tmp_path, "slow.txt", b"any text")
    started = time.monotonic()
    result = extract_text(path, timeout_s=1)
    elapsed = time.monotonic() - started
    assert failed(result, "Timed out after 1 s") and result.type_code == "txt"
    assert elapsed < 1 + 5  # one second of parsing, plus start-up and the kill
    path.unlink()


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS does not enforce RLIMIT_AS")
def test_a_parser_that_allocates_too_much_is_stopped(
    tmp_path, stand_in_parser, nothing_left_behind
):
    stand_in_parser("hog_memory")
    result = extract_text(write(tmp_path, "big.txt", b"any text"), memory_mb=256)
    assert failed(result, "Too much memory (limit 256 MB)")
    (tmp_path / "big.txt").unlink()


def test_a_parser_that_crashes_the_child_is_reported(stand_in_parser, nothing_left_behind):
    stand_in_parser("crash")
    assert failed(extract_text_bytes(b"any text", "a.txt"), "The parser crashed on this file")


def test_the_parent_carries_on_and_a_failed_child_is_replaced(
    tmp_path, monkeypatch, stand_in_parser
):
    children = set(multiprocessing.active_children())
    path = write(tmp_path, "note.txt", b"Ada Quill 07700 900123")
    with Extractor(timeout_s=1, files_per_helper=10) as extractor:
        assert extractor.extract_text(path).ok
        first = extractor._helper.process.pid
        assert extractor.extract_text(path).ok
        assert extractor._helper.process.pid == first  # a healthy child serves on
        stand_in_parser("hang")
        assert failed(extractor.extract_text(path), "Timed out after 1 s")
        monkeypatch.setattr(runner, "_test_parser", None)
        result = extractor.extract_text(path)
        assert extractor._helper.process.pid != first
    assert result.ok and result.text == "Ada Quill 07700 900123"
    assert set(multiprocessing.active_children()) <= children


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS does not enforce RLIMIT_AS")
def test_a_memory_failure_in_a_reused_child_is_tried_once_more_in_a_fresh_one(
    tmp_path, monkeypatch, stand_in_parser
):
    path = write(tmp_path, "note.txt", b"Ada Quill")
    starts = []
    real_helper = runner._Helper

    def counting_helper(memory_mb):
        starts.append(memory_mb)
        return real_helper(memory_mb)

    monkeypatch.setattr(runner, "_Helper", counting_helper)
    with Extractor(memory_mb=256, files_per_helper=5) as extractor:
        extractor._prestart = False
        assert extractor.extract_text(path).ok
        stand_in_parser("hog_memory")
        result = extractor.extract_text(path)
    assert failed(result, "Too much memory (limit 256 MB)")
    assert len(starts) == 2  # the reused child, then one fresh retry, and no more


def test_bytes_too_large_for_the_memory_limit_are_refused_without_a_child():
    result = extract_text_bytes(b"x" * (65 * 2**20), "big.txt", memory_mb=256)
    assert failed(result, "Too large to extract: 65 MB (limit 64 MB with 256 MB of memory)")


@pytest.mark.parametrize(
    ("kind", "size", "refused"),
    [
        (FileType.PDF, 256 * 2**20, False),
        (FileType.PDF, 257 * 2**20, True),
        (FileType.HTML, 65 * 2**20, True),
        (FileType.TXT, 2 * 2**30, False),  # read in bounded chunks whatever its size
    ],
)
def test_types_parsed_whole_in_memory_are_refused_past_a_share_of_the_limit(kind, size, refused):
    from toexdesk.core.extract.child import _check_size
    from toexdesk.core.extract.result import ExtractionFailed

    if refused:
        with pytest.raises(ExtractionFailed, match=r"^Too large to extract: \d+ MB \(limit"):
            _check_size(kind, size, 512)
    else:
        _check_size(kind, size, 512)


def test_the_windows_job_limit_structure_has_the_documented_size():
    assert ctypes.sizeof(JobLimits) == (144 if ctypes.sizeof(ctypes.c_void_p) == 8 else 112)


def test_head_bytes_is_what_detection_documents():
    assert HEAD_BYTES == 64 * 1024
