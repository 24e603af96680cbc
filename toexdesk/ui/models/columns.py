"""What a table column is: header, cell text for each role, and a sort key.

Columns read frozen service dataclasses (``TaskInfo``, ``SourceInfo``…) only, so a table
model never needs an ORM object or a session. ``display`` and ``sort_key`` also run on the
light key records a pane sorts and filters with (``TaskKey``, ``SourceKey``), in workers:
they may read only attributes those records have, and must not touch Qt.
"""

from __future__ import annotations

import datetime as dt
import html
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QStyle

SortKey = str | int | float

# Sorts an unknown date after every real one (ascending).
NO_DATE_KEY = sys.maxsize


@dataclass(frozen=True)
class Column:
    """One column of a pane. Every callable takes the row's info dataclass.

    ``sort_key`` must give one type per column (str, int or float) so that keys compare;
    by default it is the display text, case-folded. ``accessible`` defaults to
    "header: text", so a screen reader hears which column a value belongs to."""

    key: str
    header: str
    display: Callable[[Any], str]
    sort_key: Callable[[Any], SortKey] | None = None
    tooltip: Callable[[Any], str | None] | None = None
    accessible: Callable[[Any], str] | None = None
    icon: Callable[[Any], QStyle.StandardPixmap | None] | None = None
    header_tooltip: str = ""
    numeric: bool = False

    def key_of(self, info: Any) -> SortKey:
        if self.sort_key is not None:
            return self.sort_key(info)
        return self.display(info).casefold()

    def accessible_of(self, info: Any) -> str:
        if self.accessible is not None:
            return self.accessible(info)
        return f"{self.header}: {self.display(info) or 'none'}"


def date_text(day: dt.date | None) -> str:
    """Dates as the forms take them (YYYY-MM-DD): unambiguous for every locale."""
    return day.isoformat() if day is not None else ""


def date_key(day: dt.date | None) -> int:
    return day.toordinal() if day is not None else NO_DATE_KEY


def one_line(text: str, limit: int = 300) -> str:
    """Free text as one table line: whitespace collapsed, cut at ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def plain_tooltip(text: str) -> str | None:
    """A tooltip that shows user text literally.

    Qt renders a tooltip as HTML when it merely looks like HTML, so text such as ``<b>``
    typed by a user would be interpreted; user text is data, never markup. Escaping it
    inside an explicit rich-text wrapper shows it exactly as typed (line breaks kept)."""
    if not text.strip():
        return None
    body = html.escape(text.strip()).replace("\n", "<br>")
    return f"<qt>{body}</qt>"
