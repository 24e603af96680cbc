"""A briefing pack's own pages: the cover and the contents; then each task's summary."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
)
from reportlab.platypus.doctemplate import IndexingFlowable

from toexdesk.core.render import styles as st
from toexdesk.core.render.page import Heading
from toexdesk.core.render.summary import Part, summary_story, toc_entry
from toexdesk.core.render.text import DASH, date, generated, markup, one_line
from toexdesk.core.services.reports import BriefingPack


def _cover(pack: BriefingPack, s: st.Styles) -> list[Flowable]:
    n = len(pack.summaries)
    researchers = sorted({x.researcher for x in pack.summaries if x.researcher})
    rows = [
        ("Prepared for", pack.recipient or DASH),
        ("Prepared by", ", ".join(researchers) or DASH),
        ("Date", date(pack.generated_at)),
        ("Generated", generated(pack.generated_at)),
        ("Contents", f"{n} research {'summary' if n == 1 else 'summaries'}"),
    ]
    details = Table(
        [[Paragraph(k, s.cell_bold), Paragraph(markup(v), s.body)] for k, v in rows],
        colWidths=[34 * st.mm, st.TEXT_WIDTH - 34 * st.mm],
        hAlign="LEFT",
    )
    details.setStyle(
        st.table_style(
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, st.GRID),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
        )
    )
    notice = (
        "This pack carries the highest protective marking of the material in it. "
        "Each part states its own marking and the handling conditions of the sources it "
        "cites; observe both before sharing any part of it."
    )
    marking = Table(
        [
            [Paragraph(markup(pack.marking.label), s.cover_marking)],
            [Paragraph(notice, s.cell)],
        ],
        colWidths=[st.TEXT_WIDTH],
    )
    marking.setStyle(
        st.table_style(
            ("BOX", (0, 0), (-1, -1), 1.2, st.INK),
            ("LINEBELOW", (0, 0), (-1, 0), 0.4, st.GRID),
            ("TOPPADDING", (0, 0), (-1, -1), 8),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ("RIGHTPADDING", (0, 0), (-1, -1), 10),
        )
    )
    return [
        Spacer(1, 55 * st.mm),
        Paragraph("BRIEFING PACK", s.cover_kicker),
        Paragraph(markup(pack.title), s.cover_title),
        details,
        Spacer(1, 18 * st.mm),
        marking,
        PageBreak(),
    ]


class Contents(IndexingFlowable):
    """The contents: one row per task (reference, title and marking, page), each a link.

    Page numbers come from the previous layout pass (``multiBuild`` repeats the layout until
    they stop changing). The first pass lays out the known rows with no page numbers, so
    the contents already takes the room it will need."""

    def __init__(self, s: st.Styles, expected: list[tuple]):
        super().__init__()
        self._s = s
        self._expected = expected
        self._entries: list[tuple] = []
        self._last: list[tuple] = []
        self._table: Table | None = None

    def isIndexing(self):
        return 1

    def isSatisfied(self):
        return self._entries == self._last

    def beforeBuild(self):
        self._last, self._entries = self._entries, []

    def notify(self, kind, stuff):
        if kind == "TOCEntry":
            self._entries.append(stuff)

    def _rows(self) -> list[list]:
        s = self._s
        rows = []
        for _level, (ref, title), page, key in self._last or self._expected:
            link = f'<a href="#{key}">'
            rows.append(
                [
                    Paragraph(f"{link}<b>{ref}</b></a>", s.toc),
                    Paragraph(f"{link}{title}</a>", s.toc),
                    Paragraph(f"{link}{page or ''}</a>", s.toc_page),
                ]
            )
        return rows or [[Paragraph("No research summaries.", s.note), "", ""]]

    def wrap(self, availWidth, availHeight):
        widths = [31 * st.mm, availWidth - 43 * st.mm, 12 * st.mm]
        self._table = Table(self._rows(), colWidths=widths, hAlign="LEFT")
        self._table.setStyle(
            st.table_style(
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, st.GRID),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            )
        )
        return self._table.wrapOn(self.canv, availWidth, availHeight)

    def split(self, availWidth, availHeight):
        self.wrap(availWidth, availHeight)
        return self._table.splitOn(self.canv, availWidth, availHeight)

    def drawOn(self, canvas, x, y, _sW=0):
        self._table.drawOn(canvas, x, y, _sW)


def _contents(pack: BriefingPack, s: st.Styles) -> list[Flowable]:
    expected = [
        (
            0,
            toc_entry(
                markup(one_line(x.task.reference)),
                markup(one_line(x.task.title)),
                x.marking.label,
            ),
            0,
            f"t{n}",
        )
        for n, x in enumerate(pack.summaries, start=1)
    ]
    return [
        Heading("Contents", s.title, key="contents", outline=(0, "Contents")),
        Spacer(1, 2),
        Contents(s, expected),
    ]


def pack_story(pack: BriefingPack, s: st.Styles, check: Callable[[], None]) -> list[Flowable]:
    story = [*_cover(pack, s), *_contents(pack, s)]
    for n, summary in enumerate(pack.summaries, start=1):
        check()
        story.append(PageBreak())
        story += summary_story(summary, s, Part(key=f"t{n}", level=1, in_pack=True), check)
    return story
