"""E-mail addresses, web addresses and social media handles.

Each search starts from something rare and cheap to find (an ``@``, ``://`` or ``www.``)
and looks behind it: a pattern never starts inside a run of the characters it consumes, so
a long run is scanned once, not once per position, and nothing can backtrack badly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from toexdesk.core.spotting.model import Confidence, Spot, SpotKind

_LOCAL_CHARS = "A-Za-z0-9_%+\\-"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
# The @ and the domain; the local part is read backwards from the @ (at most 64 characters,
# as RFC 5321 allows), so a huge run of letters before an @ costs one bounded look.
_AT_DOMAIN = re.compile(
    rf"@(?<=[{_LOCAL_CHARS}]@)(?P<domain>(?:{_LABEL}\.)+[A-Za-z]{{2,63}})"
    r"(?![A-Za-z0-9\-@]|\.[A-Za-z0-9])"
)
_LOCAL_REVERSED = re.compile(rf"[{_LOCAL_CHARS}]+(?:\.[{_LOCAL_CHARS}]+)*")
_BEFORE_LOCAL = re.compile(r"[\w.%+\-@/]")

# Scheme or www., a host of dotted labels (letters of any script), an optional port, then a
# bounded path; trailing punctuation and unbalanced closing brackets are cut off afterwards.
_HOST = r"(?P<host>[\w\-]+(?:\.[\w\-]+)+|localhost|\[[0-9A-Fa-f:.]{2,45}\])"
_PATH = r"(?P<port>:\d{1,5})?(?P<path>[/?#][^\s<>\"\x00-\x1f\x7f]{0,4096})?"
URL_SCHEME = re.compile(
    r"(?P<scheme>[hH](?<![\w.\-/@].)(?i:ttps?))://"
    r"(?:[^\s/@:<>\"]{1,64}(?::[^\s/@<>\"]{0,64})?@)?" + _HOST + _PATH
)
URL_WWW = re.compile(
    r"(?P<host>[wW](?<![\w.\-/@].)(?i:ww)\.[\w\-]+(?:\.[\w\-]+)+)"  # www.host.tld
    + _PATH
)
_HOST_END = re.compile(r"\[[^\]]*\]|[^/?#:]*")
_DOTTED = re.compile(r"[\w\-]+(?:\.[\w\-]+)+")
_TRAILING = ".,;:!?'\"*…’”"
_PAIRS = {")": "(", "]": "[", "}": "{"}

# @name, 1-30 characters of letters, digits, underscores and inner dots, with at least one
# letter; not an e-mail's @ (nothing word-like before it), not "@ 5pm" nor "@5pm".
HANDLE = re.compile(
    r"@(?<![\w@.+\-/=#&%~]@)(?P<name>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)"
    r"(?![A-Za-z0-9_@\-]|\.[A-Za-z0-9_])"
)
_TIME = re.compile(r"\d{1,2}(?:[.:]\d{2})?(?:am|pm|hrs?|h)?", re.IGNORECASE)
_DOMAINISH = re.compile(r".*\.(?:com|net|org|uk|io|co|me|info|biz|gov|ac)", re.IGNORECASE)


def find_emails(text: str) -> Iterator[Spot]:
    for m in _AT_DOMAIN.finditer(text):
        at = m.start()
        window = text[max(0, at - 64) : at][::-1]
        local = _LOCAL_REVERSED.match(window)
        if local is None:
            continue
        start = at - local.end()
        if start > 0 and _BEFORE_LOCAL.match(text, start - 1):
            continue  # glued to a word, or a local part longer than 64 characters
        address = f"{text[start:at]}@{m.group('domain').lower()}"
        yield Spot(SpotKind.EMAIL, text[start : m.end()], address, address, start, m.end())


def _trim(url: str) -> str:
    while url:
        last = url[-1]
        unbalanced = last in _PAIRS and url.count(last) > url.count(_PAIRS[last])
        if last not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def _url(m: re.Match, scheme: str | None) -> Spot | None:
    value = _trim(m.group())
    head = value[: m.start("host") - m.start()]
    host = _HOST_END.match(value, len(head)).group()
    rest = value[len(head) + len(host) :]
    if not (_DOTTED.fullmatch(host) or host.lower() == "localhost" or host[:1] == "["):
        return None
    if scheme:
        head = scheme.lower() + head[len(scheme) :]
    normalised = head + host.lower() + ("" if rest == "/" else rest)
    confidence = Confidence.HIGH if scheme else Confidence.MEDIUM
    start = m.start()
    return Spot(SpotKind.URL, value, normalised, value, start, start + len(value), confidence)


def _hits(text: str, needle: str) -> Iterator[int]:
    at = text.find(needle)
    while at >= 0:
        yield at
        at = text.find(needle, at + 1)


def find_urls(text: str) -> Iterator[Spot]:
    # str.find for "://" and "www." is far faster than a regex trying every h and w.
    taken = 0
    for at in _hits(text, "://"):
        if at < taken:
            continue
        for size in (5, 4):  # https, http
            if at >= size and text[at - size : at].lower() in ("https", "http"):
                m = URL_SCHEME.match(text, at - size)
                found = _url(m, m.group("scheme")) if m else None
                if found is not None:
                    taken = m.end()
                    yield found
                break
    for needle in ("www.", "WWW."):
        for at in _hits(text, needle):
            m = URL_WWW.match(text, at)
            found = _url(m, None) if m else None
            if found is not None:
                yield found


def find_handles(text: str) -> Iterator[Spot]:
    for m in HANDLE.finditer(text):
        name = m.group("name")
        if not any(c.isalpha() for c in name) or _TIME.fullmatch(name):
            continue
        if _DOMAINISH.fullmatch(name):
            continue  # "@example.co.uk" is the end of an address, not a handle
        confidence = Confidence.HIGH if len(name) >= 3 else Confidence.MEDIUM
        yield Spot(
            SpotKind.HANDLE,
            m.group(),
            "@" + name.lower(),
            "@" + name,
            m.start(),
            m.end(),
            confidence,
        )
