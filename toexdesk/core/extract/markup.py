"""HTML to readable text with BeautifulSoup over lxml: scripts, styles and other
non-content dropped, block elements on their own lines, table cells tab-separated."""

from __future__ import annotations

import re

from .result import TextSink
from .source import Source

_DROP = ("script", "style", "noscript", "template", "svg", "math", "object", "embed", "iframe")
_BLOCKS = (
    "p", "div", "section", "article", "header", "footer", "aside", "nav", "main", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "tr", "table", "blockquote",
    "pre", "address", "figcaption", "title", "hr", "ul", "ol", "dl",
)  # fmt: skip
_SPACES = re.compile(r"[ \u00a0\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def html_to_text(markup: bytes | str) -> str:
    """The visible text of an HTML document (bytes: its own charset declaration decides)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(("td", "th")):
        tag.insert_after("\t")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    lines = (_SPACES.sub(" ", line).strip(" ") for line in text.split("\n"))
    text = "\n".join(line.strip("\t") if not line.strip() else line for line in lines)
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"


def parse_html(source: Source, sink: TextSink) -> None:
    sink.add(html_to_text(source.read_all()))
