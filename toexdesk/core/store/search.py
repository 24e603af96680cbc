"""Full-text search over the workspace: one FTS5 table inside the encrypted file.

The ``search_index`` table (migration 0002; see ``search_index``) holds, per task, source,
finding, entity, attachment and segment of extracted text, a title, a body and an extra
column (references, requester, where a file came from), tokenised with ``unicode61
remove_diacritics 2`` (so "drite" finds "Dritë"). Triggers keep it in step in the same
transaction as the data; archived records stay indexed and are left out at query time, so
restoring one needs no re-indexing.

User text never reaches MATCH as syntax: ``parse_query`` splits it into words and "quoted
phrases", ``match_expression`` quotes each one (FTS5 then tokenises it as a phrase, whatever
characters it holds), joins them with AND and lets the last word match as a prefix.
Operators (AND/OR/NOT/NEAR, column filters, ``*``, ``^``) are therefore plain words.

Snippets come back as plain text with highlight ranges, never markup: the UI escapes."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.engine import Connection

from toexdesk.core.store.search_index import FOLD_SEPARATOR, ROWID_BASE

MAX_QUERY_CHARS = 1_000
MAX_TERMS = 24
PREFIX_MIN_CHARS = 3  # a shorter last word matches whole: "a*" would fan out over the index
SNIPPET_TOKENS = 16
_ELLIPSIS = "…"


class RecordType(StrEnum):
    """What a search hit is; the value is the ``record_type`` stored in the index."""

    TASK = "task"
    SOURCE = "source"
    FINDING = "finding"
    ENTITY = "entity"
    ATTACHMENT = "attachment"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class GradingFilter:
    """3x5x2 codes to keep (empty: any). A grading filter keeps only sources and the
    attachments of matching sources."""

    evaluations: tuple[str, ...] = ()
    assessments: tuple[str, ...] = ()
    handling: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.evaluations or self.assessments or self.handling)


@dataclass(frozen=True)
class SearchHit:
    """One ranked result. ``snippet`` is plain text with the matched words at
    ``highlights`` (start, end) character ranges: the UI escapes the text and marks the
    ranges itself, so nothing in a record can inject markup."""

    record_type: RecordType
    record_id: int
    label: str  # "TX-2026-0001", "TX-2026-0001/S3", "TX-2026-0001/F2", "E12"
    title: str  # the task or source title, the entity name, the file name, a finding's start
    title_highlights: tuple[tuple[int, int], ...]
    task_id: int | None
    task_reference: str
    source_id: int | None  # a source's own id, or the source an attachment belongs to
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    score: float  # higher is better (negated bm25)
    archived: bool


# --- the query language -------------------------------------------------------------------
_PIECES = re.compile(r'"([^"]*)"?|([^\s"]+)')
# FTS5 reads a NUL as the end of the query ("unterminated string"), and a lone surrogate
# (undecodable bytes pasted from a file name) cannot be passed to SQLite at all: both
# separate words, like a space.
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
_TOKEN = re.compile(r"[^\W_]+")  # roughly what unicode61 takes as a word


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool  # typed in quotes
    prefix: bool  # the word being typed: matches words that start with it


def _has_token(term: str) -> bool:
    """Whether unicode61 would find a token in ``term`` (letters, digits, private use)."""
    return any(
        unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co" for ch in term
    )


def parse_query(query: str) -> list[Term]:
    """Words and "quoted phrases" of what a person typed (an unclosed quote runs to the end).
    The last bare word of at least ``PREFIX_MIN_CHARS`` is a prefix, unless the text ends
    with a space: typing "kestr" finds "KESTREL". Pieces without letters or digits go."""
    query = _NOT_TEXT.sub(" ", (query or "")[:MAX_QUERY_CHARS])
    terms: list[Term] = []
    for match in _PIECES.finditer(query):
        phrase, word = match.group(1), match.group(2)
        piece = phrase if phrase is not None else word
        if piece and _has_token(piece):
            terms.append(Term(" ".join(piece.split()), phrase is not None, False))
    if not terms:
        return []
    last = terms[-1]
    typing = not query[-1:].isspace() and len(terms) <= MAX_TERMS
    tokens = _TOKEN.findall(last.text)
    if typing and not last.phrase and tokens and len(tokens[-1]) >= PREFIX_MIN_CHARS:
        terms[-1] = Term(last.text, False, True)
    return terms[:MAX_TERMS]


def _quoted(text_: str) -> str:
    return '"' + text_.replace('"', '""') + '"'


def match_expression(
    terms: list[Term],
    record_types: Collection[RecordType] | None = None,
    task_id: int | None = None,
) -> str | None:
    """The FTS5 MATCH expression: every term quoted (FTS5 tokenises a quoted string as a
    phrase, whatever it holds), ANDed, confined to the text columns; the type and task
    filters as column filters. None when nothing can match."""
    if not terms or (record_types is not None and not record_types):
        return None
    words = " AND ".join(_quoted(t.text) + (" *" if t.prefix else "") for t in terms)
    parts = [f"{{title body extra}} : ({words})"]
    if record_types is not None and set(record_types) != set(RecordType):
        kinds = " OR ".join(_quoted(RecordType(r).value) for r in sorted(record_types))
        parts.append(f"record_type : ({kinds})")
    if task_id is not None:
        parts.append(f"task_id : {_quoted(str(int(task_id)))}")
    return " AND ".join(parts)


class Markers:
    """Match markers for one query: random, so no text in the workspace can contain them
    and fake a highlight."""

    def __init__(self) -> None:
        tag = secrets.token_hex(6)
        self.start, self.end = f"\x02{tag}\x02", f"\x03{tag}\x03"
        self._split = re.compile(f"({re.escape(self.start)}|{re.escape(self.end)})")

    def parse(self, marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
        """One line of plain text and its highlight ranges. Runs of white space (line
        breaks too) become one space; other control characters go."""
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        start = None
        for piece in self._split.split(marked):
            if piece == self.start:
                start = len(out)
            elif piece == self.end:
                if start is not None and len(out) > start:
                    spans.append((start, len(out)))
                start = None
            else:
                for ch in piece:
                    if ch.isspace():
                        if out and out[-1] != " ":
                            out.append(" ")
                    elif ch >= " " and ch != "\x7f":
                        out.append(ch)
        while out and out[-1] == " ":
            out.pop()
        end = len(out)
        clipped = tuple((a, min(b, end)) for a, b in spans if a < end)
        return "".join(out), clipped


# --- the query ----------------------------------------------------------------------------
# Ranking (bm25) costs time for every match, and far more with SQLCipher's memory security
# (every allocation is locked and wiped): tens of µs a match, so ranking the 100 k matches
# of a common word would take seconds. So a query is ranked among its first RANK_WINDOW
# matches in rowid order, which is newest record first (rowids count down as ids go up);
# a narrower query is ranked in full. If filters leave too few hits, the window grows 8x.
RANK_WINDOW = 400

# Step one ranks by bm25 alone in one pass: the window's matches are read forwards (FTS5
# reads a prefix query backwards pathologically slowly under memory security) and sorted on
# the bm25() expression (half the cost of FTS5's own ``ORDER BY rank``, which runs the
# query again in a nested statement). No other column of the index is read.
_SCORE = """
SELECT rowid, score, count(*) OVER () FROM (
    SELECT rowid, bm25(search_index, 0.0, 0.0, 0.0, 4.0, 1.0, 2.0) AS score FROM search_index
    WHERE search_index MATCH :match LIMIT :window)
ORDER BY score LIMIT :rows
"""
# Step two reads the best rows' records (and tasks) for labels, archived state and the
# filters: rowid lookups for a few dozen rows. The index row itself is not read (a text
# segment can be long): its rowid says which record it is (``(2^40 - id) * 8 + type code``).
_RECORDS = f"""
WITH i(rid, code, oid, record_type) AS (
    SELECT value, value & 7, {ROWID_BASE} - (value >> 3), CASE value & 7 WHEN 1 THEN 'task'
        WHEN 2 THEN 'source' WHEN 3 THEN 'finding' WHEN 4 THEN 'entity' ELSE 'attachment' END
    FROM json_each(:rowids))
SELECT i.rid, i.record_type, CASE i.code WHEN 6 THEN x.attachment_id ELSE i.oid END, t.id,
       t.reference, t.archived_at,
       s.id, s.number, s.archived_at,
       f.number, substr(f.text, 1, 200), f.archived_at,
       e.archived_at,
       a.original_name, a.archived_at
FROM i
LEFT JOIN attachment_text AS x ON i.code = 6 AND x.id = i.oid
LEFT JOIN attachment AS a ON i.code IN (5, 6)
    AND a.id = CASE i.code WHEN 6 THEN x.attachment_id ELSE i.oid END
LEFT JOIN source AS s ON s.id = CASE i.code WHEN 2 THEN i.oid WHEN 5 THEN a.source_id
    WHEN 6 THEN a.source_id END
LEFT JOIN finding AS f ON i.code = 3 AND f.id = i.oid
LEFT JOIN entity AS e ON i.code = 4 AND e.id = i.oid
LEFT JOIN task AS t ON t.id = CASE i.code WHEN 1 THEN i.oid WHEN 3 THEN f.task_id
    WHEN 4 THEN NULL ELSE s.task_id END
WHERE 1
"""  # noqa: S608 (a constant)
# Step three marks the matched words in the chosen rows only. It walks the matches between
# the lowest and highest chosen rowid (cheap) rather than looking each row up: a lookup
# runs the whole query again, prefix expansion included. ``+rowid`` keeps the list from
# being turned into such lookups.
_MARKS = """
SELECT rowid, highlight(search_index, 3, :mark_start, :mark_end),
       snippet(search_index, 4, :mark_start, :mark_end, :ellipsis, :tokens),
       highlight(search_index, 5, :mark_start, :mark_end)
FROM search_index
WHERE search_index MATCH :match AND rowid BETWEEN :low AND :high AND +rowid IN ({chosen})
"""
_NOT_ARCHIVED = (
    "t.archived_at IS NULL AND s.archived_at IS NULL AND a.archived_at IS NULL "
    "AND f.archived_at IS NULL AND e.archived_at IS NULL"
)
# The date a hit is filtered by: when a source or file was obtained (else recorded).
_RECORD_DATE = """CASE i.record_type
    WHEN 'source' THEN coalesce(s.obtained_on, date(s.created_at))
    WHEN 'attachment' THEN date(coalesce(a.obtained_at, a.created_at))
    WHEN 'task' THEN date(t.created_at)
    WHEN 'finding' THEN date(f.created_at)
    ELSE date(e.created_at) END"""


def _in(column: str, name: str, values: Iterable[str], params: dict) -> str:
    names = []
    for n, value in enumerate(values):
        params[f"{name}{n}"] = str(value)
        names.append(f":{name}{n}")
    return f"{column} IN ({', '.join(names)})" if names else "0"


def run_search(
    conn: Connection,
    query: str,
    *,
    record_types: Collection[RecordType | str] | None = None,
    task_id: int | None = None,
    grading: GradingFilter | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 50,
    include_archived: bool = False,
) -> list[SearchHit]:
    """Ranked hits for what a person typed (see ``parse_query``); [] when it has no words."""
    types = None if record_types is None else {RecordType(r) for r in record_types}
    if grading is not None and grading.active:
        types = (types or set(RecordType)) & {RecordType.SOURCE, RecordType.ATTACHMENT}
    terms = parse_query(query)
    match = match_expression(terms, types, task_id)
    if match is None or limit <= 0:
        return []
    markers = Markers()
    params: dict = {
        "match": match,
        "mark_start": markers.start,
        "mark_end": markers.end,
        "ellipsis": _ELLIPSIS,
        "tokens": SNIPPET_TOKENS,
    }
    where = []
    if grading is not None and grading.active:
        for column, values in (
            ("s.evaluation", grading.evaluations),
            ("s.assessment", grading.assessments),
            ("s.handling", grading.handling),
        ):
            if values:
                where.append(_in(column, column[2:5], values, params))
    if date_from is not None:
        where.append(f"{_RECORD_DATE} >= :date_from")
        params["date_from"] = date_from.isoformat()
    if date_to is not None:
        where.append(f"{_RECORD_DATE} <= :date_to")
        params["date_to"] = date_to.isoformat()
    if not include_archived:
        where.append(_NOT_ARCHIVED)
    for window in (RANK_WINDOW, RANK_WINDOW * 8):
        hits, complete = _ranked(conn, where, params, markers, window, limit)
        if complete or len(hits) >= limit:
            break
    return hits


def _ranked(
    conn: Connection, where: list[str], params: dict, markers: Markers, window: int, limit: int
) -> tuple[list[SearchHit], bool]:
    """The best ``limit`` hits in the window, and whether the window held every match."""
    records_sql = _RECORDS + "".join(f" AND {c}" for c in where)
    # Extracted text is indexed a segment per row: one file can fill several rows, and is
    # shown once, at its best segment. Filters can drop rows too: fetch more if needed.
    best: dict[tuple[str, int], tuple] = {}
    rows = limit + 10
    while True:
        scored = conn.execute(text(_SCORE), {**params, "window": window, "rows": rows}).all()
        found = {
            row[0]: row
            for row in conn.execute(
                text(records_sql), {**params, "rowids": json.dumps([r[0] for r in scored])}
            )
        }
        for rowid, score, _ in scored:
            row = found.get(rowid)
            if row is not None:
                best.setdefault((row[1], row[2]), (score, row))
        if len(best) >= limit or len(scored) < rows:
            break
        best.clear()
        rows *= 4
    chosen = list(best.values())[:limit]
    complete = not scored or scored[0][2] < window  # the window held every match
    if not chosen:
        return [], complete
    rowids = [row[0] for _, row in chosen]
    marks_sql = _MARKS.format(chosen=", ".join(str(int(r)) for r in rowids))
    marks = {
        rowid: texts
        for rowid, *texts in conn.execute(
            text(marks_sql), {**params, "low": min(rowids), "high": max(rowids)}
        )
    }
    hits = [_hit(markers, score, row, *marks.get(row[0], ("", "", ""))) for score, row in chosen]
    return hits, complete


def _hit(markers: Markers, rank: float, row, *marked: str | None) -> SearchHit:
    title_marked, body_marked, extra_marked = (m or "" for m in marked)
    _rowid, kind, record_id, task_id = row[:4]
    task_ref, task_arch, source_id, source_no, source_arch = row[4:9]
    finding_no, finding_text, finding_arch, entity_arch, file_name, file_arch = row[9:15]
    kind = RecordType(kind)
    task_ref = task_ref or ""
    # The text as written: its folded copy, if any, is not for display.
    title, title_spans = markers.parse(title_marked.split(FOLD_SEPARATOR, 1)[0])
    if kind is RecordType.TASK:
        label = task_ref
        if title.startswith(task_ref + " "):  # the reference is indexed with the title
            cut = len(task_ref) + 1
            title = title[cut:]
            title_spans = tuple((a - cut, b - cut) for a, b in title_spans if a >= cut)
    elif kind is RecordType.SOURCE:
        label = f"{task_ref}/S{source_no}"
    elif kind is RecordType.FINDING:
        label, title, title_spans = f"{task_ref}/F{finding_no}", _first_line(finding_text), ()
    elif kind is RecordType.ENTITY:
        label = f"E{record_id}"
    else:
        label = f"{task_ref}/S{source_no}"
        if not title.strip():  # a hit in the extracted text: the row has no title
            title, title_spans = file_name or "", ()
    snippet, spans = markers.parse(body_marked)
    if not spans:  # the words matched a reference, requester or source of the file instead
        extra, extra_spans = markers.parse(extra_marked.split(FOLD_SEPARATOR, 1)[0])
        if extra_spans:
            snippet, spans = extra, extra_spans
    archived = any(
        x is not None for x in (task_arch, source_arch, finding_arch, entity_arch, file_arch)
    )
    return SearchHit(
        record_type=kind,
        record_id=int(record_id),
        label=label,
        title=title.strip(),
        title_highlights=title_spans,
        task_id=int(task_id) if task_id not in (None, "") else None,
        task_reference=task_ref,
        source_id=source_id,
        snippet=snippet,
        highlights=spans,
        score=-float(rank),
        archived=archived,
    )


def _first_line(value: str | None, width: int = 120) -> str:
    line = (value or "").strip().split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1].rstrip() + _ELLIPSIS
