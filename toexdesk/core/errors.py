"""Errors a person can act on. Each message is one clear line, safe to show and to log:
it never carries a passphrase and never the content of a record."""

from __future__ import annotations

from dataclasses import dataclass


class ToexError(Exception):
    """Base for errors whose message is written for the user."""


class WorkspaceError(ToexError):
    """The workspace file cannot be created or opened as asked."""


class WorkspaceNotFound(WorkspaceError):
    pass


class WorkspaceExists(WorkspaceError):
    pass


class FolderMissing(WorkspaceError):
    pass


class WorkspaceReadOnly(WorkspaceError):
    pass


class NotAWorkspace(WorkspaceError):
    """The file is not a TOEX workspace (empty, plain SQLite, foreign or random data)."""


class WrongPassphrase(WorkspaceError):
    pass


class WorkspaceDamaged(WorkspaceError):
    pass


class WorkspaceTooNew(WorkspaceError):
    """The file was written by a newer TOEX Desk whose schema this one does not know."""


class PassphraseRejected(ToexError):
    """A new passphrase does not meet the rules."""


class RecordNotFound(ToexError):
    pass


class ExportFailed(ToexError):
    """A file could not be written where the user asked; nothing partial was left there."""


class Cancelled(ToexError):
    """The user stopped a long operation; what it wrote before that is kept or rolled back
    as the operation documents."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ValidationError(ToexError):
    """One or more fields are invalid; ``errors`` says which, for messages beside the fields."""

    def __init__(self, errors: list[FieldError] | FieldError):
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(e.message for e in self.errors))

    def for_field(self, field: str) -> str | None:
        return next((e.message for e in self.errors if e.field == field), None)
