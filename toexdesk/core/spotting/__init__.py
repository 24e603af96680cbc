"""Entity spotting: phone numbers, e-mail addresses, URLs, social handles, postcodes,
vehicle registrations, IBANs and sort code + account numbers in extracted text and notes,
and near-duplicate name suggestions. Pure Python, no Qt and no database.

=====================  =======================  ==========================================
spot kind (code)       entity kind when added   normalised form
=====================  =======================  ==========================================
``phone``              PHONE                    E.164, ``+447700900123``
``email``              ONLINE_ACCOUNT           local part as written, domain lower case
``url``                ONLINE_ACCOUNT           scheme and host lower case
``handle``             ONLINE_ACCOUNT           ``@`` + name, lower case
``postcode``           LOCATION                 upper case, one space: ``SW1A 1AA``
``vehicle``            VEHICLE                  upper case, no space: ``AB12CDE``
``iban``               (bank account: none yet) compact upper case
``sort_code_account``  (bank account: none yet) ``12-34-56 12345678``
=====================  =======================  ==========================================

:func:`spot` returns one :class:`Spot` per occurrence, sorted by offset, with
``text[start:end] == value`` (highlighting, "seen here"); overlaps are settled so that the
longer spot wins (a phone number inside a URL is part of the URL). :func:`distinct` groups
them by (kind, normalised) and keeps every span. :func:`similar_names` suggests existing
entities whose names are near-duplicates; :func:`fold` is the entity service's normalise.
"""

from __future__ import annotations

from toexdesk.core.spotting.banking import iban_valid
from toexdesk.core.spotting.engine import canonical, resolve, spot
from toexdesk.core.spotting.model import (
    Confidence,
    Spot,
    SpotGroup,
    SpotKind,
    distinct,
    snippet,
)
from toexdesk.core.spotting.names import compact_key, fold, name_key, similar_names

__all__ = [
    "Confidence",
    "Spot",
    "SpotGroup",
    "SpotKind",
    "canonical",
    "compact_key",
    "distinct",
    "fold",
    "iban_valid",
    "name_key",
    "resolve",
    "similar_names",
    "snippet",
    "spot",
]
