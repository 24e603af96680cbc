"""SQLAlchemy 2 models of the workspace. Only services import these; the UI never does.

Schema changes need an Alembic revision under ``store/migrations/versions`` (a test compares
the migrated schema with these models)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from toexdesk.core import enums

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class CodedEnum(TypeDecorator):
    """Stores an enum's short code (its value), so labels can change without a migration."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_cls: type[enums._Coded]):
        super().__init__()
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else self.enum_cls.parse(value).value

    def process_result_value(self, value: str | None, dialect):
        return None if value is None else self.enum_cls(value)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes, stored naive in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class _Tracked:
    """Stable id for exchange between workspaces, and the usual timestamps."""

    # The uid is set before INSERT, so it doubles as the "sentinel" that lets SQLAlchemy
    # batch many INSERT … RETURNING rows in one statement and match ids back to objects.
    uid: Mapped[str] = mapped_column(
        String(32), unique=True, insert_sentinel=True, default=lambda: uuid.uuid4().hex
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WorkspaceMeta(Base):
    """The one row that describes this workspace."""

    __tablename__ = "workspace"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32))
    analyst: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_version: Mapped[str] = mapped_column(String(32))
    # The audit head is kept here too, so cutting events off the end of the chain shows.
    audit_head_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head_hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class ReferenceCounter(Base):
    """Last task number issued per year; never goes down, so references are never reused."""

    __tablename__ = "reference_counter"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


task_tag = Table(
    "task_tag",
    Base.metadata,
    Column("task_id", ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)
source_tag = Table(
    "source_tag",
    Base.metadata,
    Column("source_id", ForeignKey("source.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)
finding_tag = Table(
    "finding_tag",
    Base.metadata,
    Column("finding_id", ForeignKey("finding.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)
finding_entity = Table(
    "finding_entity",
    Base.metadata,
    Column("finding_id", ForeignKey("finding.id", ondelete="CASCADE"), primary_key=True),
    Column("entity_id", ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True),
)
source_entity = Table(
    "source_entity",
    Base.metadata,
    Column("source_id", ForeignKey("source.id", ondelete="CASCADE"), primary_key=True),
    Column("entity_id", ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    __tablename__ = "tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80, collation="NOCASE"), unique=True)


class Task(_Tracked, Base):
    __tablename__ = "task"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    requester: Mapped[str] = mapped_column(String(200))
    thematic: Mapped[enums.Thematic] = mapped_column(CodedEnum(enums.Thematic))
    priority: Mapped[enums.Priority] = mapped_column(CodedEnum(enums.Priority))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[enums.TaskStatus] = mapped_column(CodedEnum(enums.TaskStatus))
    research_questions: Mapped[str] = mapped_column(Text, default="")
    gaps: Mapped[str] = mapped_column(Text, default="")
    marking: Mapped[enums.Marking] = mapped_column(CodedEnum(enums.Marking))
    # Per-task counters for S1, S2… and F1, F2…: numbers are never reused within a task.
    last_source_number: Mapped[int] = mapped_column(Integer, default=0)
    last_finding_number: Mapped[int] = mapped_column(Integer, default=0)
    # Unused-material schedule item numbers, never reused (they stay stable across versions).
    last_schedule_number: Mapped[int] = mapped_column(Integer, default=0)
    # MoPI: when the task must next be reviewed for retention (None: no date set).
    review_on: Mapped[dt.date | None] = mapped_column(Date, index=True)

    sources: Mapped[list[Source]] = relationship(back_populates="task", passive_deletes=True)
    findings: Mapped[list[Finding]] = relationship(back_populates="task", passive_deletes=True)
    tags: Mapped[list[Tag]] = relationship(secondary=task_tag)


class Source(_Tracked, Base):
    __tablename__ = "source"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    source_type: Mapped[enums.SourceType] = mapped_column(CodedEnum(enums.SourceType))
    description: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(2000), default="")
    obtained_on: Mapped[dt.date | None] = mapped_column(Date)
    evaluation: Mapped[enums.SourceEvaluation] = mapped_column(CodedEnum(enums.SourceEvaluation))
    assessment: Mapped[enums.IntelligenceAssessment] = mapped_column(
        CodedEnum(enums.IntelligenceAssessment)
    )
    handling: Mapped[enums.HandlingCode] = mapped_column(CodedEnum(enums.HandlingCode))
    handling_conditions: Mapped[str] = mapped_column(Text, default="")
    marking: Mapped[enums.Marking] = mapped_column(CodedEnum(enums.Marking))
    review_on: Mapped[dt.date | None] = mapped_column(Date, index=True)

    task: Mapped[Task] = relationship(back_populates="sources")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="source", passive_deletes=True
    )
    entities: Mapped[list[Entity]] = relationship(secondary=source_entity)
    tags: Mapped[list[Tag]] = relationship(secondary=source_tag)
    __table_args__ = (
        UniqueConstraint("task_id", "number", name="uq_source_task_number"),
        # Counting a task's current sources reads this index alone, not every source row.
        Index("ix_source_task_archived", "task_id", "archived_at"),
        CheckConstraint(
            "handling <> 'C' OR length(trim(handling_conditions)) > 0", name="c_needs_conditions"
        ),
    )


class Finding(_Tracked, Base):
    __tablename__ = "finding"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    phia: Mapped[enums.Phia] = mapped_column(CodedEnum(enums.Phia))
    marking: Mapped[enums.Marking] = mapped_column(CodedEnum(enums.Marking))

    task: Mapped[Task] = relationship(back_populates="findings")
    links: Mapped[list[FindingSource]] = relationship(
        back_populates="finding", cascade="all, delete-orphan", passive_deletes=True
    )
    entities: Mapped[list[Entity]] = relationship(secondary=finding_entity)
    tags: Mapped[list[Tag]] = relationship(secondary=finding_tag)
    __table_args__ = (
        UniqueConstraint("task_id", "number", name="uq_finding_task_number"),
        Index("ix_finding_task_archived", "task_id", "archived_at"),
    )


class FindingSource(Base):
    """A finding cites a source as supporting, contradicting or giving context."""

    __tablename__ = "finding_source"
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("finding.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("source.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    relation: Mapped[enums.LinkRelation] = mapped_column(CodedEnum(enums.LinkRelation))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="links")
    source: Mapped[Source] = relationship()


class Entity(_Tracked, Base):
    __tablename__ = "entity"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[enums.EntityKind] = mapped_column(CodedEnum(enums.EntityKind))
    name: Mapped[str] = mapped_column(String(300))
    # Case- and accent-folded form used to spot duplicates ("Nguyễn" ~ "NGUYEN").
    normalised: Mapped[str] = mapped_column(String(300), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    marking: Mapped[enums.Marking] = mapped_column(CodedEnum(enums.Marking))


class Blob(Base):
    """The bytes of a captured file, stored once per workspace in chunks, however many
    sources it is attached to (attachments refer to it by its SHA-256)."""

    __tablename__ = "blob"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlobChunk(Base):
    __tablename__ = "blob_chunk"
    blob_id: Mapped[int] = mapped_column(
        ForeignKey("blob.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(_Tracked, Base):
    """A captured file on a source, with its provenance; the bytes are a shared ``Blob``.

    A blob that no attachment refers to any more is deleted by a trigger (erasure)."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    blob_id: Mapped[int] = mapped_column(ForeignKey("blob.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(120))
    detected_type: Mapped[str] = mapped_column(String(16), default="unknown")  # FileType code
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_modified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    captured_by: Mapped[str] = mapped_column(String(200))
    # Provenance: where and when the researcher obtained it (``created_at`` is the capture).
    obtained_from: Mapped[str] = mapped_column(String(2000), default="")
    obtained_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    exhibit_ref: Mapped[str] = mapped_column(String(100), default="")
    extraction_status: Mapped[enums.ExtractionStatus] = mapped_column(
        CodedEnum(enums.ExtractionStatus), default=enums.ExtractionStatus.PENDING
    )
    extraction_reason: Mapped[str] = mapped_column(Text, default="")
    extraction_truncated: Mapped[bool] = mapped_column(Boolean, default=False)

    source: Mapped[Source] = relationship(back_populates="attachments")
    blob: Mapped[Blob] = relationship()
    __table_args__ = (UniqueConstraint("source_id", "blob_id", name="uq_attachment_source_blob"),)


class AttachmentText(Base):
    """The extracted text of an attachment, in segments of a few thousand characters (cut
    between words), each indexed for search on its own."""

    __tablename__ = "attachment_text"
    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("attachment_id", "seq", name="uq_attachment_text_segment"),)


class AuditEvent(Base):
    """One append-only, hash-chained record of who did what to which record, when and why.

    Holds field names, never field values, so erasing a record erases its personal data."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC, exactly as hashed
    analyst: Mapped[str] = mapped_column(String(200))
    os_user: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int | None] = mapped_column(Integer)
    record_ref: Mapped[str] = mapped_column(String(64), default="")
    justification: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_audit_event_record", "record_type", "record_id"),)


class ResearchLogEntry(Base):
    """One line of a task's research log: a search run (written automatically), a system
    checked (entered by the researcher, nil returns included) or a decision with its reason.

    Append-only: triggers refuse UPDATE, and DELETE while its task exists (erasing the
    task erases its log)."""

    __tablename__ = "research_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid.uuid4().hex)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    analyst: Mapped[str] = mapped_column(String(200))
    kind: Mapped[enums.LogKind] = mapped_column(CodedEnum(enums.LogKind))
    system: Mapped[str] = mapped_column(String(300), default="")  # system or place checked
    detail: Mapped[str] = mapped_column(Text, default="")  # what was searched / decided
    outcome: Mapped[enums.CheckOutcome | None] = mapped_column(CodedEnum(enums.CheckOutcome))
    reason: Mapped[str] = mapped_column(Text, default="")
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)


class ScheduleItem(Base):
    """A numbered item of a task's unused-material schedule. The number is given the first
    time the item is scheduled and never changes or is reused."""

    __tablename__ = "schedule_item"
    task_id: Mapped[int] = mapped_column(
        ForeignKey("task.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[enums.ScheduleItemKind] = mapped_column(CodedEnum(enums.ScheduleItemKind))
    item_uid: Mapped[str] = mapped_column(String(32))
    __table_args__ = (UniqueConstraint("task_id", "item_uid", name="uq_schedule_item_uid"),)


class ExchangeState(Base):
    """The content hash of a record as last exchanged in a bundle (sent or received): the
    common base that tells "changed here", "changed there" and "changed on both sides"."""

    __tablename__ = "exchange_state"
    uid: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    exchanged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReceivedEvent(Base):
    """An audit event of another workspace, received with a bundle: the history of the
    records it carried, kept as it was (this workspace's own chain records the combination).
    Field names only, never values, like ``AuditEvent``."""

    __tablename__ = "received_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    origin_workspace: Mapped[str] = mapped_column(String(32))
    origin_seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(32))
    analyst: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    record_type: Mapped[str] = mapped_column(String(32))
    record_uid: Mapped[str] = mapped_column(String(32), default="", index=True)
    record_ref: Mapped[str] = mapped_column(String(64), default="")
    justification: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        UniqueConstraint("origin_workspace", "origin_seq", name="uq_received_event_origin"),
    )
