"""Run every matcher over a text and settle overlaps."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator

from toexdesk.core.spotting import banking, online, phones, places
from toexdesk.core.spotting.model import Spot, SpotKind

Finder = Callable[[str], Iterator[Spot]]

FINDERS: tuple[Finder, ...] = (
    online.find_urls,
    online.find_emails,
    banking.find_ibans,
    banking.find_sort_code_accounts,
    phones.find,
    online.find_handles,
    places.find,  # postcodes and vehicle registrations: one scan for both
)
# When two spans overlap the longer one wins (a URL holding a phone number or a postcode, an
# e-mail address whose domain starts with www.); between equally long ones, this order.
PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        (
            SpotKind.URL,
            SpotKind.EMAIL,
            SpotKind.IBAN,
            SpotKind.SORT_CODE_ACCOUNT,
            SpotKind.PHONE,
            SpotKind.HANDLE,
            SpotKind.POSTCODE,
            SpotKind.VEHICLE,
        )
    )
}


def _settle(cluster: list[Spot]) -> list[Spot]:
    """Greedy on one run of overlapping spots: longest (then priority, then confidence)
    first, each kept when it overlaps nothing kept."""
    if len(cluster) == 1:
        return cluster
    order = sorted(
        cluster, key=lambda s: (-(s.end - s.start), PRIORITY[s.kind], -s.confidence, s.start)
    )
    starts: list[int] = []
    ends: list[int] = []
    kept: list[Spot] = []
    for s in order:
        i = bisect.bisect_right(starts, s.start)
        if i and ends[i - 1] > s.start:
            continue  # overlaps the kept span that starts at or before it
        if i < len(starts) and starts[i] < s.end:
            continue  # overlaps the kept span that starts after it
        starts.insert(i, s.start)
        ends.insert(i, s.end)
        kept.insert(i, s)
    return kept


def resolve(candidates: Iterable[Spot]) -> list[Spot]:
    """Keep spots that do not overlap a longer (or, as long, higher-priority) one; the
    result is sorted by offset. Candidates are cut into runs of overlapping spans first, so
    the work stays linear in the number of candidates."""
    kept: list[Spot] = []
    cluster: list[Spot] = []
    reach = -1
    for s in sorted(candidates, key=lambda s: (s.start, s.end)):
        if cluster and s.start >= reach:
            kept.extend(_settle(cluster))
            cluster = []
        cluster.append(s)
        reach = max(reach, s.end) if len(cluster) > 1 else s.end
    if cluster:
        kept.extend(_settle(cluster))
    return kept


def spot(text: str, kinds: Iterable[SpotKind | str] | None = None) -> list[Spot]:
    """Every phone number, e-mail address, URL, handle, postcode, vehicle registration, IBAN
    and sort code + account in ``text``, one :class:`Spot` per occurrence, sorted by offset,
    with overlaps settled (see :func:`resolve`). ``kinds`` limits the search; overlaps are
    settled among all kinds first, so asking for phones alone still leaves out the numbers
    inside URLs. Use :func:`~toexdesk.core.spotting.model.distinct` to group repeats."""
    if not text:
        return []
    found = resolve(s for finder in FINDERS for s in finder(text))
    if kinds is None:
        return found
    wanted = {SpotKind.parse(k) for k in kinds}
    return [s for s in found if s.kind in wanted]


def canonical(value: str, kind: SpotKind | str | None = None) -> Spot | None:
    """The spot that is the whole of ``value`` (surrounding spaces aside), e.g. to compare
    an existing entity's name with spotted ones: ``canonical("+44 7700 900123").normalised
    == "+447700900123"``. None when ``value`` is not exactly one spot (of that kind)."""
    text = value.strip()
    found = spot(text)
    if len(found) != 1 or found[0].start != 0 or found[0].end != len(text):
        return None
    if kind is not None and found[0].kind is not SpotKind.parse(kind):
        return None
    return found[0]
