"""UK phone numbers: mobiles (07...) and landlines (01, 02, 03), national or +44.

A regular expression only finds where a number may start and takes a bounded run of
phone-like characters; a small parser then reads exactly ten digits after the trunk ``0``
(or ``+44``), in at most four groups with one kind of separator, and the numbering plan is
checked. So dates, amounts, references and longer digit runs are not read as numbers, and
nothing can backtrack badly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from toexdesk.core.spotting.model import Confidence, Spot, SpotKind

_SEPS = " \u00a0.-"  # space, no-break space, dot, hyphen
# Where a number may start: at a 0, + or (, not glued to a word, an @, a # or a +, nor to a
# word through a hyphen (INV-07700900123, TX-2026-0001) or to a digit through a dot
# (01.02.2026); "Tel.07700 900123" is a number. A slash is no separator, so
# 12/07/2026 never reads as a number but "07700 900123/07700 900456" gives two. The first
# character is matched (so the regex engine can skip to candidates fast) and lookbehinds
# look at the one before it; the rest is read through a lookahead, so a rejected candidate
# never hides a number that starts inside its run. The run is bounded.
_START = re.compile(
    r"[0+(](?<![\w@#+£$€].)(?<!\w-.)(?<!\d\..)"  # the first character, then before it
    r"(?=(?P<rest>[\d \u00a0.\-()]{9,26}))"
)
_AFTER_BAD = re.compile(r"[\w@]|[.\-]\d")  # a longer number or a word glued on
_GEO_02 = frozenset("03489")  # 020 London, 023, 024, 028, 029; 021/022/025-027 unused
_NONGEO_03 = frozenset("0347")  # 030, 033, 034, 037


def _is_sep(ch: str) -> bool:
    return ch != "" and ch in _SEPS


def _read(prefix: str, rest: str) -> tuple[str, int] | None:
    """(ten national digits, characters read after the prefix) or None."""
    intl = prefix != "0" and prefix != "(0"
    i = 0
    if intl:
        if _is_sep(rest[:1]):
            i += 1
        if rest[i : i + 3] == "(0)":
            i += 3
            if _is_sep(rest[i : i + 1]):
                i += 1
        elif rest[i : i + 1] == "0":
            i += 1  # "+44 07700 900123": a trunk 0 kept by mistake
    bracket = prefix == "(0"  # "(020) 7946 0123", "(01632) 960123"
    digits: list[str] = []
    groups: list[int] = []  # lengths of digit groups, the leading 0 counted in the first
    seps: set[str] = set()
    lead = 0 if intl else 1
    size = lead
    n = len(rest)
    while True:
        j = i
        while j < n and rest[j].isdigit() and rest[j].isascii():
            j += 1
        if j == i:
            return None
        digits.extend(rest[i:j])
        size += j - i
        if len(digits) > 10:
            return None  # the group runs past ten digits: part of a longer number
        i = j
        if len(digits) == 10:
            groups.append(size)
            break
        ch = rest[i : i + 1]
        if bracket and ch == ")":
            bracket = False
            groups.append(size)
            size = 0
            i += 1
            if rest[i : i + 1] == " ":
                i += 1
            continue
        if not _is_sep(ch):
            return None
        groups.append(size)
        size = 0
        seps.add(ch)
        i += 1
    if bracket or len(seps) > 1 or len(groups) > 4 or min(groups) < 2:
        return None
    return "".join(digits), i


def _plan(nsn: str) -> tuple[str, Confidence] | None:
    """Check the ten-digit national significant number against the UK numbering plan."""
    a, b = nsn[0], nsn[1]
    if a == "7":
        if b == "0":
            return "personal", Confidence.MEDIUM
        if b == "6" and not nsn.startswith("7624"):
            return "pager", Confidence.MEDIUM
        return "mobile", Confidence.HIGH
    if a == "1":
        return ("landline", Confidence.HIGH) if b != "0" else None
    if a == "2":
        return ("landline", Confidence.HIGH) if b in _GEO_02 else None
    if a == "3":
        return ("non_geographic", Confidence.HIGH) if b in _NONGEO_03 else None
    return None


def national(nsn: str) -> str:
    """The usual national way of writing a number: 07700 900123, 020 7946 0123,
    0161 496 0123, 01632 960123, 0300 123 4567."""
    n = "0" + nsn
    if nsn[0] in "2":
        return f"{n[:3]} {n[3:7]} {n[7:]}"
    if nsn[0] == "3" or (nsn[0] == "1" and "1" in nsn[1:3]):
        return f"{n[:4]} {n[4:7]} {n[7:]}"
    return f"{n[:5]} {n[5:]}"


def _prefix(run: str) -> str | None:
    for prefix in ("+44", "0044", "(0", "0"):
        if run.startswith(prefix):
            return prefix
    return None


def find(text: str) -> Iterator[Spot]:
    taken = 0
    for m in _START.finditer(text):
        start = m.start()
        if start < taken:
            continue
        run = m.group() + m.group("rest")
        prefix = _prefix(run)
        if prefix is None:
            continue
        got = _read(prefix, run[len(prefix) :])
        if got is None:
            continue
        nsn, used = got
        end = start + len(prefix) + used
        # One space then digits may follow (a list of numbers); nothing else glued on.
        if _AFTER_BAD.match(text, end):
            continue
        checked = _plan(nsn)
        if checked is None:
            continue
        detail, confidence = checked
        taken = end
        yield Spot(
            SpotKind.PHONE,
            text[start:end],
            "+44" + nsn,
            national(nsn),
            start,
            end,
            confidence,
            True,
            detail,
        )
