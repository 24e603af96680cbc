"""What every service needs: validation helpers, record lookup and the audit call."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from toexdesk.core import enums
from toexdesk.core.errors import FieldError, RecordNotFound, ValidationError
from toexdesk.core.model import Tag, utcnow
from toexdesk.core.store import audit
from toexdesk.core.store.engine import Workspace

M = TypeVar("M")
E = TypeVar("E", bound=enums._Coded)

# Lone surrogates (e.g. from a Linux file name's undecodable bytes) are not text: SQLite
# cannot store them (UTF-8 refuses them) and the driver's error would quote the record.
_SURROGATE = re.compile("[\ud800-\udfff]")


def not_text(value: str) -> bool:
    """Whether ``value`` holds a lone surrogate, which no UTF-8 store can take."""
    return _SURROGATE.search(value) is not None


def storable(value: str) -> str:
    """``value`` with any lone surrogate as U+FFFD (for names taken from the file system)."""
    return _SURROGATE.sub("\ufffd", value)


def shown(value: Any, limit: int = 40) -> str:
    """A value quoted for a message: its repr, cut short (a message stays one short line)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def new_uid() -> str:
    return uuid.uuid4().hex


def today() -> dt.date:
    return dt.date.today()


def record(
    s: Session,
    ws: Workspace,
    action: enums.AuditAction,
    record_type: str,
    record_id: int | None,
    record_ref: str,
    *,
    justification: str = "",
    recipient: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Write the audit event for this unit of work, in its transaction."""
    for name, value in (("justification", justification), ("recipient", recipient)):
        if "\x00" in value or not_text(value):
            # Raised inside the caller's transaction: its changes roll back with it.
            raise ValidationError(
                FieldError(name, f"The {name} contains characters that are not text.")
            )
    audit.append(
        s,
        analyst=ws.analyst,
        os_user=ws.os_user,
        action=action,
        record_type=record_type,
        record_id=record_id,
        record_ref=record_ref,
        justification=justification,
        recipient=recipient,
        details=details,
    )


def fetch(s: Session, model: type[M], record_id: int, what: str) -> M:
    obj = s.get(model, record_id)
    if obj is None:
        raise RecordNotFound(f"There is no {what} with id {record_id}.")
    return obj


class Checker:
    """Collects every field problem of a draft, so the UI can show them all at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def text(self, field: str, value: Any, label: str, *, max_len: int, required=True) -> str:
        if not isinstance(value, str):
            self.fail(field, f"{label} must be text.")
            return ""
        value = value.strip()
        if required and not value:
            self.fail(field, f"{label} is required.")
        elif len(value) > max_len:
            self.fail(field, f"{label} is too long ({len(value)} characters; at most {max_len}).")
        elif "\x00" in value:
            self.fail(field, f"{label} contains a NUL character.")
        elif not_text(value):
            self.fail(field, f"{label} contains characters that are not text (lone surrogates).")
        return value

    def choice(self, field: str, enum_cls: type[E], value: Any, label: str) -> E | None:
        try:
            return enum_cls.parse(value)
        except (ValueError, TypeError):
            choices = ", ".join(m.value for m in enum_cls)
            self.fail(field, f"{label}: {shown(value)} is not one of {choices}.")
            return None

    def date(self, field: str, value: Any, label: str, *, not_future=False) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                self.fail(field, f"{label}: {shown(value)} is not a date (use YYYY-MM-DD).")
                return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.fail(field, f"{label} must be a date.")
            return None
        if not_future and value > today():
            self.fail(field, f"{label} cannot be in the future.")
        return value

    def tags(self, field: str, values: Iterable[str]) -> tuple[str, ...]:
        out: list[str] = []
        for raw in values or ():
            name = " ".join(str(raw).split())
            if not name:
                continue
            if len(name) > 80:
                self.fail(field, f"Tag {name[:20]!r}… is too long (at most 80 characters).")
            elif "\x00" in name or not_text(name):
                self.fail(field, "A tag contains characters that are not text.")
            elif name.casefold() not in (t.casefold() for t in out):
                out.append(name)
        return tuple(out)

    def done(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def resolve_tags(s: Session, names: Iterable[str]) -> list[Tag]:
    # Tags seen in this unit of work, by folded name (names are case-insensitive).
    known: dict[str, Tag] = s.info.setdefault("toex_tags", {})
    tags = []
    for name in names:
        tag = known.get(name.casefold())
        if tag is None:
            tag = s.execute(select(Tag).where(Tag.name == name)).scalar_one_or_none()
            if tag is None:
                tag = Tag(name=name)
                s.add(tag)
            known[name.casefold()] = tag
        tags.append(tag)
    return tags


def apply(obj: object, values: dict[str, Any]) -> list[str]:
    """Set attributes that differ; return the names of the fields that changed."""
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def check_unknown(changes: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError([FieldError(name, f"{name} cannot be changed.") for name in unknown])


def set_archived(
    s: Session,
    ws: Workspace,
    obj: Any,
    record_type: str,
    ref: str,
    archived: bool,
    justification: str,
) -> None:
    """Archive (or restore) a record: it leaves the working lists but nothing is deleted."""
    if (obj.archived_at is not None) != archived:
        obj.archived_at = utcnow() if archived else None
        record(
            s,
            ws,
            enums.AuditAction.ALTERATION,
            record_type,
            obj.id,
            ref,
            justification=justification,
            details={"fields": ["archived"], "archived": archived},
        )
