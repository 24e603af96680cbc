"""What spotting returns: one :class:`Spot` per occurrence, grouped by :func:`distinct`."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from toexdesk.core.enums import EntityKind, _Coded

# A bank account has no entity kind yet. When EntityKind gains BANK_ACCOUNT (code
# "bank_account", label "Bank account": no migration, kinds are stored as codes), IBANs and
# sort code + account pairs map onto it; until then they map onto None and the UI asks.
_BANK: EntityKind | None = getattr(EntityKind, "BANK_ACCOUNT", None)


class SpotKind(_Coded):
    """Spotted pattern kind."""

    PHONE = ("phone", "Phone number", EntityKind.PHONE)
    EMAIL = ("email", "E-mail address", EntityKind.ONLINE_ACCOUNT)
    URL = ("url", "Web address", EntityKind.ONLINE_ACCOUNT)
    HANDLE = ("handle", "Social media handle", EntityKind.ONLINE_ACCOUNT)
    POSTCODE = ("postcode", "Postcode", EntityKind.LOCATION)
    VEHICLE = ("vehicle", "Vehicle registration", EntityKind.VEHICLE)
    IBAN = ("iban", "IBAN", _BANK)
    SORT_CODE_ACCOUNT = ("sort_code_account", "Sort code and account number", _BANK)

    @classmethod
    def _extra_fields(cls) -> tuple[str, ...]:
        return ("entity_kind",)


class Confidence(enum.IntEnum):
    """How sure the spotter is that the match is what its kind says (higher is surer)."""

    LOW = 1  # older formats, failed check digits: worth a look, not a one-click add
    MEDIUM = 2  # right shape, written unusually (no space, lower case, pager range...)
    HIGH = 3  # right shape, passes every check, written the usual way

    @property
    def label(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True, slots=True)
class Spot:
    """One occurrence of a pattern in a text.

    ``value`` is the text as written and always equals ``text[start:end]``; ``normalised`` is
    the key that makes two spellings the same (E.164 phone, upper-case postcode with one
    space, registration without spaces, compact IBAN, e-mail with a lower-case domain...);
    ``display`` is how people write it and the name an entity added from it gets
    (``07700 900123``, ``SW1A 1AA``, ``AB12 CDE``, ``GB82 WEST 1234 5698 7654 32``).
    ``validated`` says whether the checks that exist for the kind passed (numbering plan,
    postcode letter rules, registration age identifier, IBAN mod-97); ``detail`` is a short
    sub-kind code such as ``mobile``, ``landline``, ``current``, ``prefix``.
    """

    kind: SpotKind
    value: str
    normalised: str
    display: str
    start: int
    end: int
    confidence: Confidence = Confidence.HIGH
    validated: bool = True
    detail: str = ""

    @property
    def entity_kind(self) -> EntityKind | None:
        """The entity kind "add as entity" creates; None when there is none yet (banks)."""
        return self.kind.entity_kind

    @property
    def entity_name(self) -> str:
        return self.display

    @property
    def key(self) -> tuple[SpotKind, str]:
        return (self.kind, self.normalised)

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class SpotGroup:
    """Every occurrence of one thing (same kind and normalised form) in a text."""

    kind: SpotKind
    normalised: str
    display: str
    confidence: Confidence  # the best of the occurrences
    validated: bool
    detail: str
    spans: tuple[tuple[int, int], ...]  # in text order: "where it was seen"
    values: tuple[str, ...]  # the distinct spellings, in order of first appearance

    @property
    def entity_kind(self) -> EntityKind | None:
        return self.kind.entity_kind

    @property
    def entity_name(self) -> str:
        return self.display

    @property
    def count(self) -> int:
        return len(self.spans)


def distinct(spots: Iterable[Spot]) -> list[SpotGroup]:
    """Group occurrences by (kind, normalised), keeping every span; groups are in order of
    first occurrence. :func:`spot` itself keeps one Spot per occurrence so that the UI can
    highlight each; this is the list a "spotted in this text" panel shows."""
    groups: dict[tuple[SpotKind, str], list[Spot]] = {}
    for s in sorted(spots, key=lambda s: s.start):
        groups.setdefault(s.key, []).append(s)
    out = []
    for (kind, normalised), members in groups.items():
        best = max(members, key=lambda s: (s.confidence, s.validated))
        values = tuple(dict.fromkeys(s.value for s in members))
        out.append(
            SpotGroup(
                kind,
                normalised,
                best.display,
                best.confidence,
                best.validated,
                best.detail,
                tuple(s.span for s in members),
                values,
            )
        )
    return out


def snippet(text: str, start: int, end: int, width: int = 40) -> tuple[str, str, str]:
    """(before, match, after) around a span, cut at ``width`` characters each side and with
    line breaks shown as spaces: a "seen in" line for the UI."""

    def flat(s: str) -> str:
        return " ".join(s.split())

    before = text[max(0, start - width) : start]
    after = text[end : end + width]
    lead = "…" if start > width else ""
    tail = "…" if end + width < len(text) else ""
    b, a = flat(before), flat(after)
    if before[-1:].isspace() and b:
        b += " "
    if after[:1].isspace() and a:
        a = " " + a
    return lead + b, text[start:end], a + tail
