"""Page furniture and the document template shared by summaries and packs.

Every page carries the product's protective marking centred at the very top and the very
bottom, a running head (product and task reference), the generation time in UTC and local
time, and "Page X of Y".

Y is only known once the layout is done, so every product is laid out at least twice
(``multiBuild``): each pass prints the page count of the pass before, and the layout is
repeated until that count and the pack's contents (page numbers from the pass before) stop
changing. Drawing the furniture at the end instead, on held-back pages, would point every
bookmark and contents link at page 1: reportlab ties them to the page being written.

The template also turns headings into PDF bookmarks (and, in a pack, contents entries),
reports layout progress and stops with ``Cancelled`` when asked to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

from toexdesk import APP_NAME, __version__
from toexdesk.core.enums import Marking
from toexdesk.core.errors import Cancelled
from toexdesk.core.render import styles as st
from toexdesk.core.render.fonts import SANS, SANS_BOLD
from toexdesk.core.render.text import one_line

Progress = Callable[[int, int], None] | None
Cancel = Callable[[], bool] | None

MARKING_SIZE = 10
SMALL = 7.5


@dataclass
class Furniture:
    """What the header and footer of every page say."""

    marking: Marking
    running_head: str  # left of the header, e.g. "Research summary TX-2026-0042"
    generated: str  # "26 Nov 2026 20:39 UTC (20:39 local time, UTC+00:00)"
    pages: int = 0  # Y of "Page X of Y": the page count of the previous layout pass
    laid_out: int = 0  # pages of the current pass so far
    part: str = ""  # right of the header: the task whose summary is on the page (packs)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def draw_furniture(canv: Canvas, info: Furniture, page: int) -> None:
    width, height = st.PAGE_WIDTH, st.PAGE_HEIGHT
    left, right, centre = st.MARGIN_X, width - st.MARGIN_X, width / 2
    marking = info.marking.label
    canv.saveState()
    # Header: marking at the top edge, running head below it, then a rule.
    canv.setFillColor(st.TEXT)
    canv.setFont(SANS_BOLD, MARKING_SIZE)
    canv.drawCentredString(centre, height - 11 * st.mm, marking)
    canv.setFont(SANS, SMALL)
    canv.setFillColor(st.GREY)
    part = info.part
    head_room = st.TEXT_WIDTH - (stringWidth(part, SANS, SMALL) + 12 if part else 0)
    canv.drawString(left, height - 16.5 * st.mm, _fit(info.running_head, SANS, SMALL, head_room))
    if part:
        canv.drawRightString(right, height - 16.5 * st.mm, part)
    canv.setStrokeColor(st.RULE)
    canv.setLineWidth(0.5)
    canv.line(left, height - 18.5 * st.mm, right, height - 18.5 * st.mm)
    # Footer: a rule, generation time and page number, then the marking at the bottom edge.
    canv.line(left, 17 * st.mm, right, 17 * st.mm)
    page_text = f"Page {page} of {info.pages or '?'}"
    canv.drawRightString(right, 13 * st.mm, page_text)
    room = st.TEXT_WIDTH - stringWidth(page_text, SANS, SMALL) - 12
    canv.drawString(left, 13 * st.mm, _fit(f"Generated {info.generated}", SANS, SMALL, room))
    canv.setFillColor(st.TEXT)
    canv.setFont(SANS_BOLD, MARKING_SIZE)
    canv.drawCentredString(centre, 7.5 * st.mm, marking)
    canv.restoreState()


class Heading(Paragraph):
    """A paragraph that is also a bookmark (``outline`` = level, text) and, in a pack,
    a contents entry (``toc`` = the row's reference and title, as markup)."""

    def __init__(
        self,
        text: str,
        style,
        *,
        key: str,
        outline: tuple[int, str],
        toc: tuple[str, str] | None = None,
        part: str | None = None,
    ):
        super().__init__(text, style)
        self.key = key
        self.outline = outline
        self.toc = toc
        self.part = part  # the task reference whose pages start here (packs)


class ProductDoc(BaseDocTemplate):
    """A4 portrait, one frame; bookmarks, contents entries, progress and cancel."""

    def __init__(
        self,
        out,
        furniture: Furniture,
        *,
        title: str,
        progress: Progress = None,
        cancelled: Cancel = None,
    ):
        super().__init__(
            out,
            pagesize=(st.PAGE_WIDTH, st.PAGE_HEIGHT),
            leftMargin=st.MARGIN_X,
            rightMargin=st.MARGIN_X,
            topMargin=st.PAGE_HEIGHT - st.FRAME_TOP,
            bottomMargin=st.FRAME_BOTTOM,
            title=title,
            author=APP_NAME,
            subject=furniture.marking.label,
            creator=f"{APP_NAME} {__version__}",
            lang="en-GB",
            pageCompression=1,
            initialFontName=SANS,
        )
        frame = Frame(
            st.MARGIN_X,
            st.FRAME_BOTTOM,
            st.TEXT_WIDTH,
            st.FRAME_TOP - st.FRAME_BOTTOM,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=self._page_end)])
        self.furniture = furniture
        self._progress = progress
        self._cancelled = cancelled
        self._remaining: list = []
        self._story_length = 1
        self._passes_done = 0
        self._reported = -1

    def _page_end(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        self.furniture.laid_out = doc.page
        if doc.page == 1:
            canv.showOutline()  # open with the bookmarks shown
        draw_furniture(canv, self.furniture, doc.page)

    # --- cancel and progress --------------------------------------------------------------
    def check(self) -> None:
        if self._cancelled is not None and self._cancelled():
            raise Cancelled("Stopped: the PDF was not written.")

    def set_plan(self, story_length: int) -> None:
        self._story_length = max(story_length, 1)

    def _report(self) -> None:
        if self._progress is None:
            return
        # Two passes are the rule (the first counts the pages); a third, rare, adds a third.
        per_pass = self._story_length
        total = per_pass * max(2, self._passes_done + 1)
        done = self._passes_done * per_pass + max(0, per_pass - len(self._remaining))
        done = min(max(done, self._reported), total)
        if done != self._reported:
            self._reported = done
            self._progress(done, total)

    def report_done(self) -> None:
        if self._progress is not None:
            total = max(self._reported, 1)
            self._progress(total, total)

    def build(self, flowables, **kw):
        self.furniture.pages = self.furniture.laid_out  # Y: the count of the pass before
        self.furniture.laid_out = 0
        self.furniture.part = ""
        self._remaining = flowables  # the story; reportlab consumes it in place
        try:
            super().build(flowables, **kw)
        finally:
            self._passes_done += 1

    def _allSatisfied(self):
        return super()._allSatisfied() and self.furniture.pages == self.furniture.laid_out

    def afterFlowable(self, flowable):
        if isinstance(flowable, Heading):
            canv = self.canv
            level, text = flowable.outline
            canv.bookmarkPage(flowable.key)
            canv.addOutlineEntry(one_line(text), flowable.key, level=level, closed=level > 0)
            if flowable.toc is not None:
                self.notify("TOCEntry", (0, flowable.toc, self.page, flowable.key))
            if flowable.part is not None:
                self.furniture.part = flowable.part
        self._report()
        self.check()
