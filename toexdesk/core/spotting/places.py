"""UK postcodes and GB vehicle registrations."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toexdesk.core.spotting.model import Confidence, Spot, SpotKind


def _ci(letters: str) -> str:
    """A character class of these upper-case letters (ranges allowed) in either case: the
    patterns spell both cases out instead of using re.IGNORECASE, which stops the regex
    engine from skipping fast to a possible first character."""
    return f"[{letters}{letters.lower()}]"


# The official letter rules: the first letter of the area is never Q, V or X, the second
# never I, J or Z; a letter in the third place of A9A is one of ABCDEFGHJKPSTUW, in the
# fourth place of AA9A one of ABEHMNPRVWXY; the inward part is a digit and two letters
# other than C, I, K, M, O and V. GIR 0AA is the one exception. Any case, one space or none,
# not glued to a word; a match whose letters mix cases ("SW1A 1aa") is dropped afterwards.
_AREA2 = _ci("A-HK-Y")
_OUTWARD = (
    rf"(?:{_AREA2}\d{_ci('ABEHMNPRV-Y')}|\d{_ci('A-HJKPSTUW')}"
    rf"|{_AREA2}\d{{1,2}}|\d{{1,2}})"
)
POSTCODE = re.compile(
    rf"(?P<out>{_ci('A-PR-UWYZ')}(?<![\w\-/].)(?:{_OUTWARD}|(?<=[Gg])(?i:ir)))"
    rf"(?P<sep>[ \u00a0]?)(?P<in>\d{_ci('ABD-HJLNP-UW-Z')}{{2}})(?![\w\-/])"
)

# Current format (since 2001): memory tag (first letter not I J Q T U X Z, second not I Q Z),
# age identifier (02-29 March, 51-79 September), three random letters (no I or Q).
CURRENT = re.compile(
    rf"(?P<tag>{_ci('A-HK-PRSVWY')}(?<![\w\-/].){_ci('A-HJ-PR-Y')})(?P<age>\d\d)"
    rf"(?P<sep>[ \u00a0]?)(?P<rand>{_ci('A-HJ-PR-Z')}{{3}})(?![\w\-/])"
)
# Older formats, upper case only and with less confidence: prefix (1983-2001) "A123 BCD"
# and suffix (1963-1983) "ABC 123D". The year letter is never I, O, Q, U or Z.
PREFIX = re.compile(
    r"(?P<year>[A-HJ-NPR-TV-Y])(?<![\w\-/].)(?P<num>[1-9]\d{0,2})(?P<sep> ?)"
    r"(?P<letters>[A-Z]{3})(?![\w\-/])"
)
SUFFIX = re.compile(
    r"(?P<letters>[A-Z](?<![\w\-/].)[A-Z]{2})(?P<sep> ?)(?P<num>[1-9]\d{0,2})"
    r"(?P<year>[A-HJ-NPR-TV-Y])(?![\w\-/])"
)
# Three-letter words and abbreviations that make "M1 AND", "A40 THE", "ABC 123D"-like
# strings in capitals ordinary text rather than registrations.
_WORDS = frozenset(
    """
    AND THE FOR ARE BUT NOT YOU ALL ANY CAN HAD HER WAS ONE OUR OUT DAY GET HAS HIM HIS
    HOW MAN NEW NOW OLD SEE TWO WAY WHO BOY DID ITS LET PUT SAY SHE TOO USE VIA PER AGE
    AGO AIR ASK BAD BIG BOX CAR CUT DUE END FAR FEW GOT LAW LOW MAY NOR OFF OWN RAN RED
    RUN SET SIX TEN TOP TRY WAR WON YES YET NHS NCA ROC OCG DOB TEL MOB REF VOL NOS FIG
    TAB APP PDF DOC XLS MSG EML TXT JPG PNG GBP EUR USD ONS ETC UTC GMT BST AGE JAN FEB
    MAR APR JUN JUL AUG SEP OCT NOV DEC MON TUE WED THU FRI SAT SUN
    """.split()  # noqa: SIM905
)


# Every postcode and registration starts a word with one to three letters followed by a
# digit (after a space for "ABC 123D" and "GIR 0AA"). One scan finds those word starts, and
# only the patterns that fit the number of letters are tried there: the work stays small
# in prose and in letter-and-digit soup alike (hashes, base64).
_WORD = re.compile(r"\b(?P<letters>[A-Za-z]{1,3})(?P<space>[ \u00a0]?)\d")
_TRIES = {
    (1, False): (POSTCODE, PREFIX),  # "M1 1AE", "W1A 0AX", "A123 BCD"
    (2, False): (POSTCODE, CURRENT),  # "SW1A 1AA", "AB12 CDE"
    (3, False): (SUFFIX, POSTCODE),  # "ABC123D", "GIR0AA"
    (3, True): (SUFFIX, POSTCODE),  # "ABC 123D", "GIR 0AA"
}


def _one_case(value: str) -> bool:
    return value == value.upper() or value == value.lower()


def _age_ok(age: str) -> bool:
    n = int(age)
    return 2 <= n <= 29 or 51 <= n <= 79


def _postcode(m: re.Match) -> Spot | None:
    value = m.group()
    outward, inward = m.group("out").upper(), m.group("in").upper()
    if (outward == "GIR" and inward != "0AA") or not _one_case(value):
        return None
    usual = bool(m.group("sep")) and value == value.upper()
    normalised = f"{outward} {inward}"
    confidence = Confidence.HIGH if usual else Confidence.MEDIUM
    return Spot(SpotKind.POSTCODE, value, normalised, normalised, m.start(), m.end(), confidence)


def _current(m: re.Match) -> Spot | None:
    value = m.group()
    if not _age_ok(m.group("age")) or not _one_case(value):
        return None
    tag, age, rand = m.group("tag").upper(), m.group("age"), m.group("rand").upper()
    confidence = Confidence.HIGH if value == value.upper() else Confidence.MEDIUM
    return Spot(
        SpotKind.VEHICLE,
        value,
        f"{tag}{age}{rand}",
        f"{tag}{age} {rand}",
        m.start(),
        m.end(),
        confidence,
        True,
        "current",
    )


def _older(m: re.Match) -> Spot | None:
    letters = m.group("letters")
    if letters in _WORDS or "Q" in letters or "I" in letters:
        return None
    if m.re is PREFIX:
        detail, display = "prefix", f"{m.group('year')}{m.group('num')} {letters}"
    else:
        detail, display = "suffix", f"{letters} {m.group('num')}{m.group('year')}"
    return Spot(
        SpotKind.VEHICLE,
        m.group(),
        display.replace(" ", ""),
        display,
        m.start(),
        m.end(),
        Confidence.LOW,
        True,
        detail,
    )


_MAKE = {POSTCODE: _postcode, CURRENT: _current, PREFIX: _older, SUFFIX: _older}


def find(text: str) -> Iterator[Spot]:
    """Postcodes and vehicle registrations, in text order."""
    for word in _WORD.finditer(text):
        start = word.start()
        for pattern in _TRIES.get((len(word.group("letters")), bool(word.group("space"))), ()):
            m = pattern.match(text, start)
            found = _MAKE[pattern](m) if m is not None else None
            if found is not None:
                yield found
                break


def find_postcodes(text: str) -> Iterator[Spot]:
    return (s for s in find(text) if s.kind is SpotKind.POSTCODE)


def find_vehicles(text: str) -> Iterator[Spot]:
    return (s for s in find(text) if s.kind is SpotKind.VEHICLE)
