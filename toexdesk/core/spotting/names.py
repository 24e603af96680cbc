"""Name folding and near-duplicate suggestions (rapidfuzz).

:func:`fold` is the entity service's ``normalise`` (the folded form stored with every
entity, which ``same_name`` compares exactly); :func:`name_key` goes further for fuzzy
matching and drops punctuation, so "O'Brien, Dritë" and "Drite OBrien" compare well.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from toexdesk.core.enums import EntityKind
from toexdesk.core.spotting.model import SpotKind

# Letters that carry no combining mark to strip, so NFKD alone would keep them apart.
# (The same table as toexdesk.core.services.entities: a test keeps the two in step.)
_FOLD = str.maketrans({"đ": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ħ": "h", "ı": "i"})
_APOSTROPHES = re.compile(r"['’ʼ`´]")


def fold(name: str) -> str:
    """Case- and accent-folded, space-collapsed form: "Nguyễn  Văn" → "nguyen van"."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(stripped.translate(_FOLD).split())


# ASCII fast path of name_key: apostrophes dropped, other punctuation to a space.
_ASCII_KEY = str.maketrans(
    {chr(c): (None if chr(c) in "'`" else " ") for c in range(128) if not chr(c).isalnum()}
)


@functools.lru_cache(maxsize=1 << 17)
def name_key(name: str) -> str:
    """:func:`fold`, then apostrophes dropped and other punctuation read as a space:
    "  Dritë  Çeka-O'Neill." → "drite ceka oneill"."""
    if name.isascii():
        return " ".join(name.lower().translate(_ASCII_KEY).split())
    text = _APOSTROPHES.sub("", fold(name))
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


def compact_key(name: str) -> str:
    """Letters and digits only, folded: for numbers, registrations, handles and addresses,
    where spacing and punctuation carry no meaning ("AB12 CDE" = "ab12cde")."""
    return "".join(ch for ch in fold(name) if ch.isalnum())


# Kinds whose names are identifiers: compared character by character, whole.
_IDENTIFIERS = frozenset({EntityKind.PHONE, EntityKind.VEHICLE, EntityKind.ONLINE_ACCOUNT})


def _kind(kind: EntityKind | SpotKind | str | None) -> EntityKind | None:
    if kind is None or isinstance(kind, EntityKind):
        return kind
    if isinstance(kind, SpotKind):
        return kind.entity_kind
    for parse in (EntityKind.parse, lambda k: SpotKind.parse(k).entity_kind):
        try:
            return parse(kind)
        except ValueError:
            pass
    return None  # an unknown code: compare as a name


def _phone_key(name: str) -> str:
    digits = "".join(ch for ch in name if ch.isdigit())
    if digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    return digits


def _subset_bonus(a: str, b: str, score_cutoff: float = 0) -> float:
    """token_set_ratio scaled by 0.9 when the shorter name has two words or more: "Drite
    Ceka" inside "Drite Ceka Gashi" scores 90, a lone "Ali" inside "Ali Khan" does not."""
    if min(a.count(" "), b.count(" ")) < 1:
        return 0.0
    score = 0.9 * fuzz.token_set_ratio(a, b)
    return score if score >= score_cutoff else 0.0


def similar_names(
    name: str,
    existing: Sequence[tuple[int, str]],
    *,
    kind: EntityKind | SpotKind | str | None = None,
    limit: int = 5,
    threshold: float = 85,
) -> list[tuple[int, str, float]]:
    """Existing ``(id, name)`` pairs that look like ``name``, best first, as
    ``(id, name, score)`` with the score 0-100 (100: the same once folded).

    People, organisations and places are compared on :func:`name_key` by token_sort_ratio
    (word order does not matter: "Ceka, Drite" = "Drite Ceka"; a typo costs a few points:
    "Drita Ceka" 90), or by 0.9 x token_set_ratio when the shorter name has two words or
    more ("Drite Ceka Gashi" 90). WRatio is not used: its partial matching scores a stranger
    who shares a surname ("Person 000123 Ceka") above 85. Phones, vehicles and online
    accounts (``kind``: an entity or spot kind) are compared whole by plain ratio on letters
    and digits only, phones with +44 read as 0. Ties go to the closer plain ratio, then to
    the lower id. The caller passes the entities of one kind.
    """
    wanted = _kind(kind)
    identifier = wanted in _IDENTIFIERS
    key = (_phone_key if wanted is EntityKind.PHONE else compact_key) if identifier else name_key
    query = key(name)
    if not query or limit <= 0 or not existing:
        return []
    keys = [key(n) for _, n in existing]
    scores: dict[int, float] = {}
    if identifier:
        passes = ((fuzz.ratio, threshold),)
    else:
        passes = ((fuzz.token_sort_ratio, threshold), (fuzz.token_set_ratio, threshold / 0.9))
    for scorer, cutoff in passes:
        if cutoff > 100:
            continue
        for _, score, i in process.extract(
            query, keys, scorer=scorer, processor=None, score_cutoff=cutoff, limit=None
        ):
            if scorer is fuzz.token_set_ratio:
                score = _subset_bonus(query, keys[i])
                if score < threshold:
                    continue
            scores[i] = max(score, scores.get(i, 0.0))
    ranked = sorted(
        scores.items(),
        key=lambda hit: (-hit[1], -fuzz.ratio(query, keys[hit[0]]), existing[hit[0]][0]),
    )
    return [(existing[i][0], existing[i][1], round(float(score), 1)) for i, score in ranked[:limit]]
