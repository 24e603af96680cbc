"""Windows code page numbers (as Outlook and RTF store them) to Python codecs."""

from __future__ import annotations

import codecs

_NAMES = {
    936: "gbk",
    1200: "utf-16-le",
    1201: "utf-16-be",
    10000: "mac_roman",
    10006: "mac_greek",
    10007: "mac_cyrillic",
    10029: "mac_latin2",
    10079: "mac_iceland",
    10081: "mac_turkish",
    20127: "ascii",
    20866: "koi8_r",
    20932: "euc_jp",
    21866: "koi8_u",
    50220: "iso2022_jp",
    50221: "iso2022_jp",
    50222: "iso2022_jp",
    50225: "iso2022_kr",
    51932: "euc_jp",
    51936: "gb2312",
    51949: "euc_kr",
    52936: "hz",
    54936: "gb18030",
    65000: "utf-7",
    65001: "utf-8",
}


def codec_for(codepage: int) -> str | None:
    """The codec of a Windows code page, or None when Python has none for it."""
    if 28591 <= codepage <= 28606:
        name = f"iso8859_{codepage - 28590}"
    else:
        name = _NAMES.get(codepage, f"cp{codepage:03d}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
