"""IBANs (mod-97 checked, with the length of each country) and UK sort code + account
number pairs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toexdesk.core.spotting.model import Confidence, Spot, SpotKind

# IBAN lengths by country (ISO 13616 registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

# Upper case, compact or in groups of four separated by single spaces.
IBAN = re.compile(
    r"(?P<iban>[A-Z](?<![\w\-/].)[A-Z]\d{2}"
    r"(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?))(?![\w\-/])"
)
_GB = re.compile(r"GB\d{2}[A-Z]{4}\d{14}")

# A sort code: 12-34-56, 12 34 56 or 123456 (one kind of separator), not inside a longer
# number. The patterns start at its first digit (digits are rare, so this scan is fast).
SORT_CODE = re.compile(
    r"\d(?<![\w\-/.].)\d(?P<d>[-\u2013 ]?)\d\d(?P=d)\d\d"  # 12-34-56, 12 34 56, 123456
    r"(?![\w\-/]|[.\u2013]\d)"
)
# What comes before a labelled one: "sort code", "sort-code no.", "s/c:" (read at the end of a
# short window before the digits).
_LABEL = re.compile(r"(?<!\w)(?i:sort[ \t-]?code|s/c)[ \t]*(?i:no\.?|number)?[ \t]*[:.#=]?[ \t]*\Z")
_ACCOUNT = r"(?P<acc>\d{8})(?![\w\-/]|[.\-]?\d)"
_ACC_WORD = r"(?i:a/c|acc(?:oun)?t?|ac)(?:[ \t]*(?i:no\.?|number|num|#))?[ \t]*[:.#]?"
# After a labelled sort code the account may follow within 30 characters without digits
# ("sort code 12-34-56, account number 12345678"); after a bare hyphenated one it must be
# right there ("12-34-56 12345678", "12-34-56, a/c 12345678").
LABELLED_ACCOUNT = re.compile(rf"(?P<gap>[^\d\n]{{0,30}}?){_ACCOUNT}")
BARE_ACCOUNT = re.compile(
    rf"(?P<gap>[ \t]{{0,3}}[,;/|]?[ \t]{{0,3}}(?:{_ACC_WORD}[ \t]{{0,3}})?){_ACCOUNT}"
)


def iban_valid(iban: str) -> bool:
    """ISO 7064 mod 97-10 over the compact IBAN (country and check digits moved last)."""
    text = iban[4:] + iban[:4]
    if not text.isalnum() or not text.isascii():
        return False
    return int("".join(str(int(ch, 36)) for ch in text)) % 97 == 1


def iban_display(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def find_ibans(text: str) -> Iterator[Spot]:
    for m in IBAN.finditer(text):
        written = m.group("iban")
        compact = written.replace(" ", "")
        length = IBAN_LENGTHS.get(compact[:2])
        if length is None:
            continue
        if len(compact) > length and " " in written:
            # a group written after a spaced IBAN: keep the IBAN's own groups
            kept: list[str] = []
            for group in written.split(" "):
                if sum(map(len, kept)) >= length:
                    break
                kept.append(group)
            written = " ".join(kept)
            compact = written.replace(" ", "")
        if len(compact) != length:
            continue
        start = m.start("iban")
        end = start + len(written)
        if iban_valid(compact):
            yield Spot(
                SpotKind.IBAN, written, compact, iban_display(compact), start, end, detail="valid"
            )
        elif _GB.fullmatch(compact):
            # A UK-shaped IBAN whose check digits are wrong: perhaps mistyped, worth a look.
            yield Spot(
                SpotKind.IBAN,
                written,
                compact,
                iban_display(compact),
                start,
                end,
                Confidence.LOW,
                False,
                "bad_check_digits",
            )


def find_sort_code_accounts(text: str) -> Iterator[Spot]:
    for m in SORT_CODE.finditer(text):
        start = m.start()
        labelled = _LABEL.search(text, max(0, start - 24), start) is not None
        if labelled:
            acc = LABELLED_ACCOUNT.match(text, m.end())
        elif m.group("d") == "-":
            acc = BARE_ACCOUNT.match(text, m.end())
        else:
            continue
        if acc is None:
            continue
        digits = m.group().replace(m.group("d"), "") if m.group("d") else m.group()
        normalised = f"{digits[:2]}-{digits[2:4]}-{digits[4:]} {acc.group('acc')}"
        worded = labelled or any(ch.isalpha() for ch in acc.group("gap"))
        end = acc.end("acc")
        yield Spot(
            SpotKind.SORT_CODE_ACCOUNT,
            text[start:end],
            normalised,
            normalised,
            start,
            end,
            Confidence.HIGH if worded else Confidence.MEDIUM,
        )
