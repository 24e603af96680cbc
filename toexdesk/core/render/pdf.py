"""Research summaries and briefing packs as PDF (reportlab platypus).

    pages = render_summary_pdf(summary, Path("summary.pdf"), progress=..., cancelled=...)
    pages = render_pack_pdf(pack, io.BytesIO())

Both take the dataclasses of ``services.reports`` and nothing else. Given a path, the file
is written to a temporary name in the same folder, synced and renamed over the target, so
a failure or a cancel never leaves a partial file (the temporary one is removed); given a
binary stream, the PDF is written to it when complete. ``progress(done, total)`` is called
as the layout advances and ``cancelled()`` is asked between flowables: when it returns true
the render stops with :class:`~toexdesk.core.errors.Cancelled`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from reportlab.platypus import Flowable

from toexdesk.core.render.pack import pack_story
from toexdesk.core.render.page import Cancel, Furniture, ProductDoc, Progress
from toexdesk.core.render.styles import Styles, make_styles
from toexdesk.core.render.summary import Part, summary_story
from toexdesk.core.render.text import generated, one_line
from toexdesk.core.services.exports import write_atomically
from toexdesk.core.services.reports import BriefingPack, ResearchSummary

__all__ = ["render_pack_pdf", "render_summary_pdf"]

Output = BinaryIO | Path | str | os.PathLike
StoryMaker = Callable[[Styles, Callable[[], None]], list[Flowable]]


def render_summary_pdf(
    summary: ResearchSummary,
    out: Output,
    *,
    progress: Progress = None,
    cancelled: Cancel = None,
) -> int:
    """Write one task's research summary as a PDF; returns the number of pages."""
    ref = one_line(summary.task.reference)
    furniture = Furniture(
        marking=summary.marking,
        running_head=f"Research summary {ref}",
        generated=generated(summary.generated_at),
    )

    def story(s: Styles, check: Callable[[], None]) -> list[Flowable]:
        return summary_story(summary, s, Part(key="s", level=0), check)

    return _render(out, furniture, f"Research summary {ref}", story, progress, cancelled)


def render_pack_pdf(
    pack: BriefingPack,
    out: Output,
    *,
    progress: Progress = None,
    cancelled: Cancel = None,
) -> int:
    """Write a briefing pack (cover, contents, each task's summary) as a PDF; returns the
    number of pages. Every page carries the pack's marking, the highest of its parts."""
    furniture = Furniture(
        marking=pack.marking,
        running_head=f"Briefing pack: {one_line(pack.title)}",
        generated=generated(pack.generated_at),
    )

    def story(s: Styles, check: Callable[[], None]) -> list[Flowable]:
        return pack_story(pack, s, check)

    return _render(out, furniture, "Briefing pack", story, progress, cancelled)


def _render(
    out: Output,
    furniture: Furniture,
    title: str,
    story: StoryMaker,
    progress: Progress,
    cancelled: Cancel,
) -> int:
    if isinstance(out, str | os.PathLike):
        pages = 0

        def write(fh: BinaryIO) -> None:
            nonlocal pages
            pages = _build(fh, furniture, title, story, progress, cancelled)

        write_atomically(Path(out), write, overwrite=True)
        return pages
    return _build(out, furniture, title, story, progress, cancelled)


def _build(
    fh: BinaryIO,
    furniture: Furniture,
    title: str,
    story: StoryMaker,
    progress: Progress,
    cancelled: Cancel,
) -> int:
    doc = ProductDoc(fh, furniture, title=title, progress=progress, cancelled=cancelled)
    doc.check()
    flowables = story(make_styles(), doc.check)
    doc.set_plan(len(flowables))
    # Repeated until "Page X of Y" and the contents agree with the layout (see page.py).
    doc.multiBuild(flowables, maxPasses=6)
    doc.report_done()
    return furniture.pages
