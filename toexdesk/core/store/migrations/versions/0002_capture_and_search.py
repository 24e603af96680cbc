"""Capture and search: file bytes stored once per workspace, attachment provenance and
extraction status, and the full-text index kept up to date by triggers.

- ``blob`` / ``blob_chunk`` hold a file's bytes once, keyed by SHA-256; attachments refer
  to a blob, and one source holds a given file at most once (``uq_attachment_source_blob``).
  A trigger deletes a blob when its last attachment goes (erasure really erases).
- ``attachment`` gains provenance (``obtained_from``, ``obtained_at``, ``exhibit_ref``), the
  type detected from the content, and the extraction status, reason and truncation flag
  (``extraction_error`` becomes ``extraction_reason``). The extracted text moves to
  ``attachment_text``, in segments of a few thousand characters.
- ``search_index`` is an FTS5 table over tasks, sources, findings, entities and attachments.
  Triggers keep it in step inside the same transaction as the data; existing rows are
  indexed here. Its rowid is ``(2^40 - id) * 8 + type code``: a trigger finds a record's row
  by rowid, and reading matches in rowid order reads the newest first (the search ranks a
  very broad query among its newest matches, and FTS5 reads forwards far faster than
  backwards). The record type and task are indexed too (filters go into the MATCH); the
  record id is kept unindexed for reading.

No release could capture files into a 0001 workspace, so its ``attachment_chunk`` table is
empty in practice; any rows are still moved, one blob per distinct SHA-256.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# What is indexed per record, as SQL over the row ``{r}`` (NEW in a trigger, the table when
# indexing existing rows). Frozen here on purpose: a later revision that changes what is
# indexed writes its own triggers. ``store.search_index.INDEXED`` is the current copy.
# Plain columns where possible: under SQLCipher's memory security every string a trigger
# builds (a concatenation, a replace) costs a locked allocation, per row, in bulk imports.
# table: (type code, record type, record id, task id, title, body, extra, columns watched)
INDEXED = {
    "task": (
        1,
        "task",
        "{r}.id",
        "{r}.id",
        "{r}.reference || ' ' || {r}.title",
        "{r}.research_questions || char(10) || {r}.gaps",
        "{r}.requester",
        "reference, title, requester, research_questions, gaps",
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
        "task_id, title, description, reference, handling_conditions",
    ),
    "finding": (3, "finding", "{r}.id", "{r}.task_id", "''", "{r}.text", "''", "task_id, text"),
    "entity": (4, "entity", "{r}.id", "''", "{r}.name", "{r}.notes", "''", "name, notes"),
    "attachment": (
        5,
        "attachment",
        "{r}.id",
        "(SELECT s.task_id FROM source AS s WHERE s.id = {r}.source_id)",
        "CASE WHEN {r}.exhibit_ref = '' THEN {r}.original_name "
        "ELSE {r}.original_name || ' ' || {r}.exhibit_ref END",
        "''",
        "{r}.obtained_from",
        "source_id, original_name, exhibit_ref, obtained_from",
    ),
    # Extracted text is indexed a segment (a couple of thousand characters) per row, so
    # ranking and snippets never work through a whole long document at once.
    "attachment_text": (
        6,
        "attachment",
        "{r}.attachment_id",
        "(SELECT s.task_id FROM attachment AS a JOIN source AS s ON s.id = a.source_id "
        "WHERE a.id = {r}.attachment_id)",
        "''",
        "{r}.body",
        "''",
        "attachment_id, body",
    ),
}
COLUMNS = "rowid, record_type, task_id, record_id, title, body, extra"

# Letters that unicode61 keeps apart from their plain look-alikes (they have no decomposition
# for remove_diacritics to strip): a text holding any of them is indexed a second time,
# folded, after FOLD_SEPARATOR (control characters: no token), so "lukasz" finds "Łukasz".
# Readers show only what precedes the separator.
FOLDED_LETTERS = {
    "Ł": "L", "ł": "l", "ı": "i", "ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Ø": "O",
    "ø": "o", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "Œ": "OE", "œ": "oe", "Þ": "TH",
    "þ": "th",
}  # fmt: skip
FOLD_SEPARATOR = "char(1, 31, 1)"


def _folded(expr: str) -> str:
    # A literal GLOB pattern: cheap, and no string is built unless a letter is there.
    letters = "".join(FOLDED_LETTERS)
    folded = expr
    for letter, plain in FOLDED_LETTERS.items():
        folded = f"replace({folded}, '{letter}', '{plain}')"
    return (
        f"CASE WHEN {expr} GLOB '*[{letters}]*' THEN {expr} || {FOLD_SEPARATOR} || {folded} "
        f"ELSE {expr} END"
    )


def _rowid(row: str, code: int) -> str:
    return f"(1099511627776 - {row}.id) * 8 + {code}"  # 2^40


def _values(table: str, row: str) -> str:
    code, kind, record_id, task_id, *texts, _ = INDEXED[table]
    indexed = ", ".join(_folded(t.format(r=row)) for t in texts)
    return (
        f"{_rowid(row, code)}, '{kind}', coalesce({task_id.format(r=row)}, ''), "
        f"{record_id.format(r=row)}, {indexed}"
    )


def _create_search_index() -> None:
    # record_type and task_id are indexed so that filters are part of the MATCH (a type or
    # task filter narrows the search itself); user words are confined to the text columns.
    op.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "record_type, task_id, record_id UNINDEXED, title, body, extra, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    # A title match counts four times a body match, a reference or requester twice; the
    # filter columns count nothing.
    op.execute(
        "INSERT INTO search_index(search_index, rank) "
        "VALUES ('rank', 'bm25(0.0, 0.0, 0.0, 4.0, 1.0, 2.0)')"
    )
    for table, (code, *_, watched) in INDEXED.items():
        insert = f"INSERT INTO search_index({COLUMNS}) SELECT {_values(table, 'NEW')};"
        delete = f"DELETE FROM search_index WHERE rowid = {_rowid('OLD', code)};"  # noqa: S608
        op.execute(
            f"CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN {insert} END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_update AFTER UPDATE OF {watched} ON {table} "
            f"BEGIN {delete} {insert} END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table} BEGIN {delete} END"
        )
        existing = f"SELECT {_values(table, 'x')} FROM {table} AS x"  # noqa: S608 (constants)
        op.execute(f"INSERT INTO search_index({COLUMNS}) {existing}")


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blob")),
        sa.UniqueConstraint("sha256", name=op.f("uq_blob_sha256")),
    )
    op.create_table(
        "blob_chunk",
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["blob.id"], name=op.f("fk_blob_chunk_blob_id_blob"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("blob_id", "seq", name=op.f("pk_blob_chunk")),
    )
    # Existing bytes move to blobs: one per distinct SHA-256, from its first attachment.
    op.execute(
        "INSERT INTO blob (sha256, size, created_at) "
        "SELECT sha256, max(size), min(created_at) FROM attachment GROUP BY sha256"
    )
    op.execute(
        "INSERT INTO blob_chunk (blob_id, seq, data) "
        "SELECT b.id, c.seq, c.data FROM attachment_chunk AS c "
        "JOIN attachment AS a ON a.id = c.attachment_id "
        "JOIN blob AS b ON b.sha256 = a.sha256 "
        "WHERE a.id = (SELECT min(id) FROM attachment WHERE sha256 = a.sha256)"
    )
    op.drop_table("attachment_chunk")

    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("blob_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "detected_type", sa.String(length=16), nullable=False, server_default="unknown"
            )
        )
        batch.add_column(
            sa.Column("obtained_from", sa.String(length=2000), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("obtained_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("exhibit_ref", sa.String(length=100), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "extraction_status", sa.String(length=32), nullable=False, server_default="pending"
            )
        )
        batch.add_column(
            sa.Column(
                "extraction_truncated", sa.Boolean(), nullable=False, server_default=sa.text("0")
            )
        )
        batch.alter_column(
            "extraction_error", new_column_name="extraction_reason", existing_type=sa.Text()
        )
    op.execute(
        "UPDATE attachment SET "
        "blob_id = (SELECT id FROM blob WHERE blob.sha256 = attachment.sha256), "
        "extraction_status = CASE WHEN extracted_text IS NOT NULL THEN 'ok' "
        "WHEN extraction_reason IS NOT NULL THEN 'failed' ELSE 'pending' END, "
        "extraction_reason = coalesce(extraction_reason, '')"
    )
    # Rebuilding the attachment table deletes its old rows, which would cascade to any table
    # referring to it: the text waits in memory (temp_store=MEMORY) until the rebuild is done.
    op.execute(
        "CREATE TEMP TABLE legacy_text AS SELECT id, extracted_text FROM attachment "
        "WHERE length(extracted_text) > 0"
    )
    with op.batch_alter_table("attachment") as batch:
        batch.drop_column("extracted_text")
        batch.alter_column("blob_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column(
            "extraction_reason", existing_type=sa.Text(), nullable=False, server_default=""
        )
        batch.create_foreign_key(op.f("fk_attachment_blob_id_blob"), "blob", ["blob_id"], ["id"])
        batch.create_unique_constraint("uq_attachment_source_blob", ["source_id", "blob_id"])
        batch.create_index(op.f("ix_attachment_blob_id"), ["blob_id"], unique=False)

    op.create_table(
        "attachment_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_attachment_text_attachment_id_attachment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment_text")),
        sa.UniqueConstraint("attachment_id", "seq", name="uq_attachment_text_segment"),
    )
    op.execute(
        "INSERT INTO attachment_text (attachment_id, seq, body) "
        "SELECT id, 0, extracted_text FROM temp.legacy_text"
    )
    op.execute("DROP TABLE temp.legacy_text")
    # Erasing the last attachment of a file erases its bytes (secure_delete zeroes them).
    op.execute(
        "CREATE TRIGGER blob_release AFTER DELETE ON attachment "
        "WHEN NOT EXISTS (SELECT 1 FROM attachment WHERE blob_id = OLD.blob_id) "
        "BEGIN DELETE FROM blob WHERE id = OLD.blob_id; END"
    )
    _create_search_index()


def downgrade() -> None:
    # Workspaces are never downgraded: the pre-upgrade backup is the way back.
    raise NotImplementedError
