"""Reading a rendered PDF back the way a recipient's viewer would (pypdfium2): the text of
each page, of its header and footer bands, the bookmarks, and the annotations."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

MM = 72 / 25.4
BAND = 20 * MM  # header and footer: the top and bottom 20 mm of the page


@dataclass(frozen=True)
class PageText:
    text: str  # the whole page
    body: str  # the page without its header and footer bands
    header: str  # the top band
    footer: str  # the bottom band
    annotations: tuple[str, ...]  # one per annotation: "link to page 3", "uri", "launch"…
    max_right: float  # the right edge of the rightmost character, in points
    width: float


@dataclass(frozen=True)
class Bookmark:
    level: int
    title: str
    page: int  # 1-based


def _tidy(text: str) -> str:
    """Line ends as \\n and no-break spaces as spaces, as a reader would copy them."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")


_ACTIONS = {
    pdfium_c.PDFACTION_GOTO: "link to page",
    pdfium_c.PDFACTION_URI: "uri",
    pdfium_c.PDFACTION_LAUNCH: "launch",
    pdfium_c.PDFACTION_REMOTEGOTO: "remote goto",
    pdfium_c.PDFACTION_EMBEDDEDGOTO: "embedded goto",
}


def _annotations(page) -> tuple[str, ...]:
    """What each annotation on the page is: for a link, where it goes."""
    kinds = []
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, i)
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) != pdfium_c.FPDF_ANNOT_LINK:
                kinds.append(f"annotation subtype {pdfium_c.FPDFAnnot_GetSubtype(annot)}")
                continue
            link = pdfium_c.FPDFAnnot_GetLink(annot)
            action = pdfium_c.FPDFLink_GetAction(link)
            if action:
                kinds.append(_ACTIONS.get(pdfium_c.FPDFAction_GetType(action), "unsupported"))
            else:
                dest = pdfium_c.FPDFLink_GetDest(page.pdf.raw, link)
                index = pdfium_c.FPDFDest_GetDestPageIndex(page.pdf.raw, dest) if dest else -1
                kinds.append(f"link to page {index + 1}" if index >= 0 else "link to nowhere")
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return tuple(kinds)


def read(data: bytes) -> tuple[list[PageText], list[Bookmark]]:
    pdf = pdfium.PdfDocument(data)
    try:
        pages = []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            try:
                width, height = page.get_size()
                boxes = [textpage.get_charbox(i) for i in range(textpage.count_chars())]
                pages.append(
                    PageText(
                        text=_tidy(textpage.get_text_range()),
                        body=_tidy(textpage.get_text_bounded(bottom=BAND, top=height - BAND)),
                        header=_tidy(textpage.get_text_bounded(bottom=height - BAND, top=height)),
                        footer=_tidy(textpage.get_text_bounded(bottom=0, top=BAND)),
                        annotations=_annotations(page),
                        max_right=max((b[2] for b in boxes), default=0.0),
                        width=width,
                    )
                )
            finally:
                textpage.close()
                page.close()
        marks = []
        for item in pdf.get_toc():
            dest = item.get_dest()
            marks.append(Bookmark(item.level, item.get_title(), dest.get_index() + 1))
        return pages, marks
    finally:
        pdf.close()


def squash(text: str) -> str:
    """Text with every run of whitespace removed: what survives line wrapping."""
    return re.sub(r"\s+", "", text)


def one_spaced(text: str) -> str:
    return " ".join(text.split())
