"""What the full-text index holds, and how to rebuild it.

Migration 0002's triggers keep ``search_index`` in step with the data; ``INDEXED`` here is
the current copy of what they index, for ``rebuild`` (a test keeps the two equal). Long
extracted text is stored and indexed in segments (``text_segments``)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

# --- extracted text -----------------------------------------------------------------------
SEGMENT_CHARS = 2_000


def text_segments(value: str, size: int = SEGMENT_CHARS) -> list[str]:
    """``value`` cut into pieces of at most ``size`` characters, between words where there
    is a space or line break in the second half of a piece; joined, they give it back."""
    pieces, start, end_of_text = [], 0, len(value)
    while start < end_of_text:
        end = min(start + size, end_of_text)
        if end < end_of_text:
            cut = max(value.rfind(sep, start + size // 2, end) for sep in (" ", "\n", "\t"))
            if cut > start:
                end = cut + 1
        pieces.append(value[start:end])
        start = end
    return pieces


# --- rebuilding -------------------------------------------------------------------------
# The current copy of migration 0002's INDEXED (what its triggers index), as SQL over the
# row ``{r}``. table: (type code, record type, record id, task id, title, body, extra)
INDEXED = {
    "task": (
        1,
        "task",
        "{r}.id",
        "{r}.id",
        "{r}.reference || ' ' || {r}.title",
        "{r}.research_questions || char(10) || {r}.gaps",
        "{r}.requester",
    ),
    "source": (
        2,
        "source",
        "{r}.id",
        "{r}.task_id",
        "{r}.title",
        "{r}.description",
        "CASE WHEN {r}.handling_conditions = '' THEN {r}.reference "
        "ELSE {r}.reference || char(10) || {r}.handling_conditions END",
    ),
    "finding": (3, "finding", "{r}.id", "{r}.task_id", "''", "{r}.text", "''"),
    "entity": (4, "entity", "{r}.id", "''", "{r}.name", "{r}.notes", "''"),
    "attachment": (
        5,
        "attachment",
        "{r}.id",
        "(SELECT s.task_id FROM source AS s WHERE s.id = {r}.source_id)",
        "CASE WHEN {r}.exhibit_ref = '' THEN {r}.original_name "
        "ELSE {r}.original_name || ' ' || {r}.exhibit_ref END",
        "''",
        "{r}.obtained_from",
    ),
    "attachment_text": (
        6,
        "attachment",
        "{r}.attachment_id",
        "(SELECT s.task_id FROM attachment AS a JOIN source AS s ON s.id = a.source_id "
        "WHERE a.id = {r}.attachment_id)",
        "''",
        "{r}.body",
        "''",
    ),
}
_COLUMNS = "rowid, record_type, task_id, record_id, title, body, extra"
ROWID_BASE = 2**40  # rowid = (ROWID_BASE - id) * 8 + type code: newest first in rowid order

# Letters that unicode61 keeps apart from their plain look-alikes (no decomposition for
# remove_diacritics to strip): a text holding any of them is indexed a second time, folded,
# after FOLD_SEPARATOR, so "lukasz" finds "Łukasz". Readers show what precedes it.
FOLDED_LETTERS = {
    "Ł": "L", "ł": "l", "ı": "i", "ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Ø": "O",
    "ø": "o", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "Œ": "OE", "œ": "oe", "Þ": "TH",
    "þ": "th",
}  # fmt: skip
FOLD_SEPARATOR = "\x01\x1f\x01"


def _folded(expr: str) -> str:
    letters = "".join(FOLDED_LETTERS)
    folded = expr
    for letter, plain in FOLDED_LETTERS.items():
        folded = f"replace({folded}, '{letter}', '{plain}')"
    return (
        f"CASE WHEN {expr} GLOB '*[{letters}]*' THEN {expr} || char(1, 31, 1) || {folded} "
        f"ELSE {expr} END"
    )


# As migration 0002 created it (the same words: a test compares them).
CREATE_TABLE = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "record_type, task_id, record_id UNINDEXED, title, body, extra, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
RANKING = (
    "INSERT INTO search_index(search_index, rank) "
    "VALUES ('rank', 'bm25(0.0, 0.0, 0.0, 4.0, 1.0, 2.0)')"
)


def rebuild(conn: Connection) -> int:
    """Make the index afresh and index every record again (repair); returns the rows
    indexed. Runs in the caller's transaction. The table is dropped and created again (not
    emptied), so a damaged index is replaced too; the triggers that keep it up to date are
    on the data tables and stay."""
    conn.execute(text("DROP TABLE IF EXISTS search_index"))
    conn.execute(text(CREATE_TABLE))
    conn.execute(text(RANKING))
    for table, (code, kind, record_id, task_id, *texts) in INDEXED.items():
        indexed = ", ".join(_folded(t.format(r="x")) for t in texts)
        rows = (
            f"SELECT ({ROWID_BASE} - x.id) * 8 + {code}, '{kind}', "  # noqa: S608 (constants)
            f"coalesce({task_id.format(r='x')}, ''), {record_id.format(r='x')}, {indexed} "
            f"FROM {table} AS x"
        )
        conn.execute(text(f"INSERT INTO search_index({_COLUMNS}) {rows}"))
    conn.execute(text("INSERT INTO search_index(search_index) VALUES ('optimize')"))
    return conn.execute(text("SELECT count(*) FROM search_index")).scalar_one()


_PLURAL = {"entity": "entities", "attachment_text": "segments of extracted text"} | {
    t: f"{t}s" for t in ("task", "source", "finding", "attachment")
}


def problems(conn: Connection) -> list[str]:
    """Records missing from the index and index entries whose record is gone, counted per
    table; empty when every record is in it once. (The index's own structure is checked by
    ``PRAGMA integrity_check``, which covers FTS5 tables.) Reads only; ``rebuild`` repairs."""
    found: list[str] = []
    for table, (code, *_rest) in INDEXED.items():
        missing = conn.execute(
            text(
                f"SELECT count(*) FROM {table} AS x WHERE NOT EXISTS "  # noqa: S608 (constants)
                f"(SELECT 1 FROM search_index WHERE rowid = ({ROWID_BASE} - x.id) * 8 + {code})"
            )
        ).scalar_one()
        stale = conn.execute(
            text(
                f"SELECT count(*) FROM search_index AS i WHERE i.rowid % 8 = {code} "  # noqa: S608
                f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = {ROWID_BASE} - i.rowid / 8)"
            )
        ).scalar_one()
        what = _PLURAL.get(table, table)
        if missing:
            found.append(f"search index: {missing} {what} are not in it")
        if stale:
            found.append(f"search index: {stale} entries point to {what} that no longer exist")
    return found
