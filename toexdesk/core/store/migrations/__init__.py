"""Versioned schema migrations (Alembic), run automatically on open.

Before any upgrade of an existing workspace, an encrypted copy of the file is made beside it;
the upgrade itself runs in one transaction, so it either completes or leaves the old schema."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from importlib import resources
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from toexdesk.core import errors

# The newest revision this build knows. A unit test keeps it equal to Alembic's head, so the
# common case (nothing to do) needs no Alembic import at start-up.
HEAD_REVISION = "0003"


# The full-text index (an FTS5 virtual table and its shadow tables) is made by migration SQL,
# not by the models: schema comparisons leave it out.
SEARCH_INDEX_PREFIX = "search_index"


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic's ``include_name`` hook: everything but the full-text index tables."""
    return not (type_ == "table" and name and name.startswith(SEARCH_INDEX_PREFIX))


def script_location() -> str:
    return str(resources.files(__name__))


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _alembic_config(conn: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", script_location())
    cfg.attributes["connection"] = conn
    return cfg


def known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", script_location())
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def upgrade_to_head(engine: Engine) -> None:
    from alembic import command

    with engine.connect().execution_options(toex_write=True) as conn, conn.begin():
        command.upgrade(_alembic_config(conn), "head")


def ensure_current(engine: Engine, *, path: Path, read_only: bool) -> Path | None:
    """Bring an opened workspace to the current schema; return the backup made, if any."""
    with engine.connect() as conn:
        revision = current_revision(conn)
    if revision == HEAD_REVISION:
        return None
    if revision is None:
        raise errors.WorkspaceDamaged(f"{path} has no schema version: it is damaged.")
    if revision not in known_revisions():
        raise errors.WorkspaceTooNew(
            f"{path} was written by a newer TOEX Desk (schema {revision}); "
            "update TOEX Desk to open it."
        )
    if read_only:
        raise errors.WorkspaceReadOnly(
            f"{path} needs a schema upgrade (from {revision}), which cannot be done read-only."
        )
    backup = backup_copy(engine, path, f"before-{HEAD_REVISION}")
    try:
        upgrade_to_head(engine)
    except Exception as exc:
        raise errors.WorkspaceError(
            f"Upgrading {path.name} from schema {revision} failed ({type(exc).__name__}); "
            f"it was left as it was. A copy made before the attempt is {backup.name}."
        ) from exc
    return backup


def backup_copy(engine: Engine, path: Path, label: str) -> Path:
    """Copy the (encrypted) file beside itself while holding a read lock, so no writer
    can change it mid-copy. The copy appears only when complete."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.{label}-{stamp}{path.suffix}")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
            with open(path, "rb") as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise errors.WorkspaceError(
            f"Could not make a backup before upgrading {path.name}: {exc.strerror}. "
            "Nothing was changed."
        ) from exc
    return target
