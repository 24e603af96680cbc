"""The look of every PDF product: A4 page geometry, colours, paragraph and table styles.

Quiet and print-first: dark navy headings that photocopy as black, light grey fills, one
family (DejaVu Sans). Colour is never the only signal: every marking and grading is text.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from toexdesk.core.render.fonts import SANS, SANS_BOLD, SANS_ITALIC, register_fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
FRAME_TOP = PAGE_HEIGHT - 24 * mm  # below the header: marking, running head, rule
FRAME_BOTTOM = 22 * mm  # above the footer: rule, generation time and page, marking
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

INK = colors.HexColor("#1F2A44")  # headings and rules: navy, prints as near-black
TEXT = colors.HexColor("#1A1A1A")
GREY = colors.HexColor("#5A5A5A")
RULE = colors.HexColor("#8C95A8")
HEAD_FILL = colors.HexColor("#DDE1E8")
LABEL_FILL = colors.HexColor("#F0F2F5")
STRIPE = colors.HexColor("#F7F8FA")
GRID = colors.HexColor("#C3C8D2")
BOX_EDGE = colors.HexColor("#8A5A00")  # handling conditions: amber edge, with a heading
BOX_FILL = colors.HexColor("#FFF7E0")

# Long words and URLs: split a URL at its slashes and dots when it would leave more than
# 30 % of a line empty, and any other overlong word wherever it must be split.
_WRAP = {"splitLongWords": 1, "uriWasteReduce": 0}


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    kicker: ParagraphStyle
    title: ParagraphStyle
    h1: ParagraphStyle
    finding: ParagraphStyle
    finding_meta: ParagraphStyle
    note: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_head: ParagraphStyle
    cell_small: ParagraphStyle
    box_title: ParagraphStyle
    cover_kicker: ParagraphStyle
    cover_title: ParagraphStyle
    cover_marking: ParagraphStyle
    toc: ParagraphStyle
    toc_page: ParagraphStyle


def _style(name: str, **kw) -> ParagraphStyle:
    base = {
        "fontName": SANS,
        "fontSize": 9,
        "leading": 12.5,
        "textColor": TEXT,
        "alignment": TA_LEFT,
        **_WRAP,
    }
    return ParagraphStyle(name, **(base | kw))


def make_styles() -> Styles:
    register_fonts()
    finding_indent = 10 * mm
    return Styles(
        body=_style("body", spaceAfter=5),
        kicker=_style(
            "kicker", fontName=SANS_BOLD, fontSize=8, leading=10, textColor=GREY, spaceAfter=3
        ),
        title=_style(
            "title", fontName=SANS_BOLD, fontSize=16, leading=20, textColor=INK, spaceAfter=8
        ),
        h1=_style(
            "h1",
            fontName=SANS_BOLD,
            fontSize=11.5,
            leading=14,
            textColor=INK,
            spaceBefore=13,
            spaceAfter=5,
        ),
        finding=_style(
            "finding",
            leftIndent=finding_indent,
            bulletIndent=0,
            bulletFontName=SANS_BOLD,
            bulletFontSize=9,
            spaceAfter=1.5,
        ),
        finding_meta=_style(
            "finding_meta",
            fontSize=8,
            leading=11,
            textColor=GREY,
            leftIndent=finding_indent,
            spaceAfter=8,
        ),
        note=_style("note", fontName=SANS_ITALIC, textColor=GREY, spaceAfter=5),
        cell=_style("cell", fontSize=7.5, leading=9.5),
        cell_bold=_style("cell_bold", fontName=SANS_BOLD, fontSize=7.5, leading=9.5),
        cell_head=_style("cell_head", fontName=SANS_BOLD, fontSize=7.5, leading=9.5, textColor=INK),
        cell_small=_style("cell_small", fontSize=7, leading=9, textColor=GREY),
        box_title=_style(
            "box_title", fontName=SANS_BOLD, fontSize=9, leading=12, textColor=BOX_EDGE
        ),
        cover_kicker=_style(
            "cover_kicker", fontName=SANS_BOLD, fontSize=10, leading=13, textColor=GREY
        ),
        cover_title=_style(
            "cover_title",
            fontName=SANS_BOLD,
            fontSize=24,
            leading=30,
            textColor=INK,
            spaceBefore=4,
            spaceAfter=14,
        ),
        cover_marking=_style(
            "cover_marking",
            fontName=SANS_BOLD,
            fontSize=16,
            leading=20,
            textColor=TEXT,
            alignment=TA_CENTER,
        ),
        toc=_style("toc", fontSize=9.5, leading=12.5),
        toc_page=_style("toc_page", fontSize=9.5, leading=12.5, alignment=TA_RIGHT),
    )


def listing_style() -> TableStyle:
    """A listing with a heading row (the source register, the research log, the schedule):
    the heading shaded and ruled, rows striped and ruled thinly, cells top-aligned."""
    return table_style(
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, STRIPE]),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    )


def table_style(*commands) -> TableStyle:
    """A TableStyle whose cells default to the bundled font (reportlab's default is
    Helvetica, which would otherwise be named in every PDF even with no text in it)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), *commands])
