"""Review and retention, the research log, the unused-material schedule and exchange
between workspaces.

- ``task.review_on`` / ``source.review_on``: the MoPI review date (NULL: none set yet).
- ``task.last_schedule_number``: schedule item numbers are never reused.
- ``research_log``: per task, append-only (no UPDATE; no DELETE while the task exists, so
  erasing the task still erases its log).
- ``schedule_item``: the stable number each scheduled source or log entry was given.
- ``exchange_state``: per record uid, the content hash last sent or received in a bundle.
- ``received_event``: audit events of other workspaces received with a bundle.
- ``ix_source_task_archived`` / ``ix_finding_task_archived``: a task list counts each task's
  current sources and findings from these indexes alone (at 100,000 sources, reading every
  row to count them cost over a second).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(
            sa.Column("last_schedule_number", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("review_on", sa.Date(), nullable=True))
        batch.create_index(batch.f("ix_task_review_on"), ["review_on"], unique=False)
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("review_on", sa.Date(), nullable=True))
        batch.create_index(batch.f("ix_source_review_on"), ["review_on"], unique=False)
    op.create_index("ix_source_task_archived", "source", ["task_id", "archived_at"])
    op.create_index("ix_finding_task_archived", "finding", ["task_id", "archived_at"])

    op.create_table(
        "research_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("analyst", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("system", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_research_log_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_log")),
        sa.UniqueConstraint("uid", name=op.f("uq_research_log_uid")),
    )
    op.create_index(op.f("ix_research_log_task_id"), "research_log", ["task_id"], unique=False)
    op.execute(
        "CREATE TRIGGER research_log_no_update BEFORE UPDATE ON research_log "
        "BEGIN SELECT RAISE(ABORT, 'the research log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER research_log_no_delete BEFORE DELETE ON research_log "
        "WHEN EXISTS (SELECT 1 FROM task WHERE id = OLD.task_id) "
        "BEGIN SELECT RAISE(ABORT, 'the research log is append-only'); END"
    )

    op.create_table(
        "schedule_item",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("item_uid", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_schedule_item_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "number", name=op.f("pk_schedule_item")),
        sa.UniqueConstraint("task_id", "item_uid", name="uq_schedule_item_uid"),
    )
    op.create_table(
        "exchange_state",
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("exchanged_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_exchange_state")),
    )
    op.create_table(
        "received_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin_workspace", sa.String(length=32), nullable=False),
        sa.Column("origin_seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("analyst", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_uid", sa.String(length=32), nullable=False),
        sa.Column("record_ref", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_event")),
        sa.UniqueConstraint("origin_workspace", "origin_seq", name="uq_received_event_origin"),
    )
    op.create_index(
        op.f("ix_received_event_record_uid"), "received_event", ["record_uid"], unique=False
    )


def downgrade() -> None:
    # Workspaces are never downgraded: the pre-upgrade backup is the way back.
    raise NotImplementedError
