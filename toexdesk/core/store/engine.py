"""The one engine factory: the only code that knows the workspace is SQLCipher.

It checks a file before keying it, applies the key before anything else, sets the PRAGMAs
that keep plaintext off the disk, runs migrations, and hands out sessions."""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from toexdesk import __version__
from toexdesk.core import errors
from toexdesk.core.store import checks, keys

APPLICATION_ID = 0x544F4558  # "TOEX" in the SQLite header's application_id field
PAGE_SIZE = 4096
SQLITE_MAGIC = checks.SQLITE_MAGIC
SUFFIX = ".toex"

# Applied on every connection, after the key. DELETE journal mode: SQLCipher encrypts the
# rollback journal like the database, and the journal is gone after each commit, so the
# workspace stays one file on disk. WAL would leave -wal/-shm files beside it.
CONNECTION_PRAGMAS = (
    "PRAGMA journal_mode = DELETE",
    "PRAGMA synchronous = FULL",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA secure_delete = ON",
    "PRAGMA foreign_keys = ON",
    "PRAGMA cache_size = -32000",
    "PRAGMA busy_timeout = 10000",
)


@dataclass(frozen=True)
class CipherSettings:
    """Settings worth measuring; the defaults are what the app uses.

    ``memory_security`` (SQLCipher's mlock-and-wipe allocator) is one switch for the whole
    process and cannot be turned off again once on: only a fresh process measures OFF."""

    memory_security: bool = True


def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


def raw_connect(
    path: Path,
    key: keys.RawKey | None,
    *,
    mode: str = "rw",
    set_salt: bool = False,
    settings: CipherSettings | None = None,
) -> sqlcipher3.Connection:
    """A DBAPI connection with the key applied first, then the PRAGMAs.

    ``key=None`` opens without encryption: used only by the benchmark that measures what
    encryption costs on the same driver build."""
    settings = settings or CipherSettings()
    con = sqlcipher3.connect(
        _uri(path, mode), uri=True, check_same_thread=False, isolation_level=None, timeout=10
    )
    try:
        # SQLCipher logs decryption failures to stderr; we report them ourselves, once.
        con.execute("PRAGMA cipher_log_level = NONE")
        if key is not None:
            con.execute(f"PRAGMA key = {key.pragma_value(with_salt=set_salt)}")
            con.execute(
                f"PRAGMA cipher_memory_security = {'ON' if settings.memory_security else 'OFF'}"
            )
        for pragma in CONNECTION_PRAGMAS:
            if mode == "ro" and "journal_mode" in pragma:
                continue
            con.execute(pragma).fetchall()
    except BaseException:
        con.close()
        raise
    return con


def _probe(
    path: Path, key: keys.RawKey, *, read_only: bool, settings: CipherSettings | None = None
) -> None:
    """Classify why a file does not open, before an engine is built over it."""
    try:
        con = raw_connect(path, key, mode="ro" if read_only else "rw", settings=settings)
    except sqlcipher3.DatabaseError as exc:
        # The first read decrypts page 1: an HMAC failure there is a wrong key or not ours.
        raise checks.classify_open_error(path, exc) from None
    try:
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise checks.classify_open_error(path, exc) from None
        version = con.execute("PRAGMA cipher_version").fetchone()
        if not version or not str(version[0]).startswith("4."):
            raise errors.WorkspaceError(
                f"TOEX Desk needs SQLCipher 4, but this build has {version and version[0]!r}."
            )
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise errors.NotAWorkspace(
                f"{path} is an encrypted database, but not a TOEX workspace."
            )
    finally:
        con.close()


class Workspace:
    """An open workspace: the engine and what identifies who is working in it."""

    def __init__(
        self,
        path: Path,
        engine: Engine,
        key: keys.RawKey | None,
        *,
        read_only: bool,
        settings: CipherSettings | None = None,
    ):
        self.path = path
        self.settings = settings
        self.engine = engine
        self.read_only = read_only
        # Plain (unkeyed) workspaces exist only in the encryption-cost benchmark.
        self.encrypted = key is not None
        self._key: keys.RawKey | None = key if key is not None else keys.RawKey(b"", b"")
        self._read_sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            engine.execution_options(toex_write=True), expire_on_commit=False
        )
        self.os_user = _os_user()
        self.analyst = ""

    def __repr__(self) -> str:
        return f"<Workspace {self.path.name}{' (read-only)' if self.read_only else ''}>"

    @property
    def closed(self) -> bool:
        return self._key is None

    def require_writable(self) -> None:
        if self.closed:
            raise errors.WorkspaceError("The workspace is closed.")
        if self.read_only:
            raise errors.WorkspaceReadOnly(f"{self.path.name} is open read-only.")

    def _rebuild(self, key: keys.RawKey) -> None:
        self.engine.dispose()
        self._key = key
        self.engine = _build_engine(
            self.path, key, read_only=self.read_only, settings=self.settings
        )
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(toex_write=True), expire_on_commit=False
        )

    def close(self) -> None:
        self.engine.dispose()
        self._key = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment: still log something stable
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _build_engine(
    path: Path,
    key: keys.RawKey | None,
    *,
    read_only: bool,
    settings: CipherSettings | None = None,
) -> Engine:
    mode = "ro" if read_only else "rw"

    def creator():
        return raw_connect(path, key, mode=mode, settings=settings)

    # The plain pysqlite dialect over the sqlcipher3 module: the pysqlcipher dialect would
    # want the passphrase in the URL and run its own KDF on every connection.
    engine = create_engine(
        "sqlite://",
        module=sqlcipher3.dbapi2,
        creator=creator,
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take the write lock at BEGIN, so two writers wait for each other
        # instead of one failing half-way with "database is locked".
        write = conn.get_execution_options().get("toex_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextlib.contextmanager
def session_scope(ws: Workspace, *, write: bool = True) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    if write:
        ws.require_writable()
    elif ws.closed:
        raise errors.WorkspaceError("The workspace is closed.")
    session = (ws._write_sessions if write else ws._read_sessions)()
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        raise checks.storage_error(ws.path.name, exc) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _load_identity(ws: Workspace) -> None:
    from toexdesk.core.model import WorkspaceMeta

    with session_scope(ws, write=False) as s:
        meta = s.execute(select(WorkspaceMeta)).scalar_one_or_none()
        if meta is None:
            raise errors.WorkspaceDamaged(f"{ws.path} has no workspace record.")
        ws.analyst = meta.analyst


def lay_out(
    path: Path,
    key: keys.RawKey | None,
    analyst: str,
    *,
    record_ref: str,
    settings: CipherSettings | None = None,
) -> None:
    """Turn a new, empty file into a workspace: page size, application id, the schema, the
    workspace row and the first audit event. (``key=None``: the benchmark's plain twin.)"""
    from toexdesk.core.store import audit, migrations

    con = raw_connect(path, key, mode="rwc", set_salt=key is not None, settings=settings)
    try:
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    finally:
        con.close()
    engine = _build_engine(path, key, read_only=False, settings=settings)
    ws = Workspace(path, engine, key, read_only=False, settings=settings)
    try:
        migrations.upgrade_to_head(ws.engine)
        with session_scope(ws) as s:
            audit.initialise(s, analyst=analyst, version=__version__, uid=uuid.uuid4().hex)
            audit.append(
                s,
                analyst=analyst,
                os_user=ws.os_user,
                action="collection",
                record_type="workspace",
                record_id=1,
                record_ref=record_ref,
                details={"event": "workspace created"},
            )
    finally:
        ws.close()


def create_workspace(path: Path | str, passphrase: str, analyst: str) -> Workspace:
    """Create a new, empty, encrypted workspace. It appears at ``path`` only when complete."""
    path = Path(path)
    keys.check_new_passphrase(passphrase)
    analyst = analyst.strip()
    if not analyst:
        raise errors.ValidationError(errors.FieldError("analyst", "Enter the analyst's name."))
    if not path.parent.is_dir():
        raise errors.FolderMissing(f"The folder {path.parent} does not exist.")
    if path.exists():
        raise errors.WorkspaceExists(f"{path} already exists; choose another name.")
    checks.require_writable_folder(path.parent)

    key = keys.derive_key(passphrase, keys.new_salt())
    building = path.with_name(f".{path.name}.creating-{secrets.token_hex(4)}")
    try:
        lay_out(building, key, analyst, record_ref=path.name)
        checks.fsync_file(building)
        if path.exists():
            raise errors.WorkspaceExists(f"{path} already exists; choose another name.")
        os.replace(building, path)
        checks.fsync_dir(path.parent)
    except BaseException:
        for leftover in (building, building.with_name(building.name + "-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
    return open_workspace(path, passphrase)


def open_workspace(
    path: Path | str,
    passphrase: str,
    *,
    read_only: bool = False,
    check_integrity: bool = False,
    settings: CipherSettings | None = None,
) -> Workspace:
    """Unlock a workspace. Every failure leaves the file byte-for-byte as it was."""
    from toexdesk.core.store import migrations

    path = Path(path)
    head = checks.inspect_file(path)
    if not read_only:
        checks.require_writable(path)
    key = keys.derive_key(passphrase, head[: keys.SALT_BYTES])
    _probe(path, key, read_only=read_only, settings=settings)
    engine = _build_engine(path, key, read_only=read_only, settings=settings)
    ws = Workspace(path, engine, key, read_only=read_only, settings=settings)
    try:
        migrations.ensure_current(ws.engine, path=path, read_only=read_only)
        if check_integrity:
            problems = integrity_problems(ws)
            if problems:
                raise errors.WorkspaceDamaged(f"{path} is damaged: {problems[0]}")
        _load_identity(ws)
        if not read_only:
            _discard_cold_journal(ws)
    except errors.ToexError:
        ws.close()
        raise
    except sqlcipher3.DatabaseError as exc:
        ws.close()
        raise errors.WorkspaceDamaged(f"{path} is damaged ({checks.one_line(exc)}).") from None
    except BaseException:
        ws.close()
        raise
    return ws


def _discard_cold_journal(ws: Workspace) -> None:
    """Remove a rollback journal that a process killed early in a transaction left behind.

    Killed before its journal was complete, a writer leaves a journal SQLite ignores (not
    "hot": the database file was not touched yet) and replaces only at the next write, so
    after a crash and an open that only reads, the workspace would stay two files. Under
    the write lock no other writer can own a journal, and a hot one has been rolled back
    by then: what is left is stale. Busy (the workspace is being written elsewhere): left."""
    journal = ws.path.with_name(ws.path.name + "-journal")
    if not journal.exists():
        return
    with ws.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlcipher3.OperationalError:
            return  # another process is writing: the journal may be its own
        else:
            with contextlib.suppress(OSError):  # best effort: the next write replaces it
                journal.unlink()
            raw.execute("ROLLBACK")
        finally:
            raw.execute(next(p for p in CONNECTION_PRAGMAS if "busy_timeout" in p))


def open_as_is(
    path: Path | str,
    passphrase: str | None = None,
    *,
    like: Workspace | None = None,
    read_only: bool = True,
) -> Workspace:
    """Open a workspace file without migrating it: for checking and copying backups, whose
    schema may be older (the next ordinary open upgrades them). A copy of the open workspace
    ``like`` (same salt) is tried with its key first, which spares the KDF; then
    ``passphrase``. A schema newer than this build knows is refused. Read-only, the file is
    never changed."""
    from toexdesk.core.store import migrations

    path = Path(path)
    salt = checks.inspect_file(path)[: keys.SALT_BYTES]
    key = like._key if like is not None else None
    candidates = [key] if key is not None and key.salt == salt else []
    if passphrase is not None:
        candidates.append(None)  # derived only if needed: the KDF is the slow part
    if not candidates:
        raise errors.WrongPassphrase(
            f"{path.name} is not encrypted with this workspace's key; give its passphrase."
        )
    for i, candidate in enumerate(candidates):
        if candidate is None:
            assert passphrase is not None
            candidate = keys.derive_key(passphrase, salt)
        try:
            _probe(path, candidate, read_only=read_only)
        except errors.WrongPassphrase:
            if i + 1 == len(candidates):
                raise
            continue
        key = candidate
        break
    assert key is not None
    ws = Workspace(path, _build_engine(path, key, read_only=read_only), key, read_only=read_only)
    try:
        with ws.engine.connect() as conn:
            revision = migrations.current_revision(conn)
        if revision is None:
            raise errors.WorkspaceDamaged(f"{path} has no schema version: it is damaged.")
        if revision != migrations.HEAD_REVISION and revision not in migrations.known_revisions():
            raise errors.WorkspaceTooNew(
                f"{path} was written by a newer TOEX Desk (schema {revision}); "
                "update TOEX Desk to use it."
            )
        _load_identity(ws)
    except errors.ToexError:
        ws.close()
        raise
    except (sqlcipher3.DatabaseError, DBAPIError) as exc:
        ws.close()
        orig = getattr(exc, "orig", None) or exc
        raise errors.WorkspaceDamaged(f"{path} is damaged ({checks.one_line(orig)}).") from None
    except BaseException:
        ws.close()
        raise
    return ws


def integrity_problems(ws: Workspace) -> list[str]:
    """Run SQLCipher's page HMAC check and SQLite's integrity and foreign-key checks."""
    problems: list[str] = []
    with ws.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        try:
            if ws.encrypted:
                rows = raw.execute("PRAGMA cipher_integrity_check").fetchall()
                problems += [f"encrypted page check: {r[0]}" for r in rows]
            rows = raw.execute("PRAGMA integrity_check").fetchall()
            problems += [f"integrity check: {r[0]}" for r in rows if r[0] != "ok"]
            rows = raw.execute("PRAGMA foreign_key_check").fetchall()
            problems += [f"foreign key check: table {r[0]} row {r[1]} → {r[2]}" for r in rows]
        except sqlcipher3.DatabaseError as exc:
            problems.append(f"the file could not be read to the end ({checks.one_line(exc)})")
    return problems


def change_passphrase(ws: Workspace, old: str, new: str) -> None:
    """Re-encrypt every page under a key from the new passphrase.

    The audit event and SQLCipher's rekey share one transaction (rekey commits the open
    transaction with the re-encrypted pages), so a crash leaves either the old key and no
    event, or the new key and its event; never a mix."""
    from toexdesk.core.store import audit

    ws.require_writable()
    assert ws._key is not None
    if keys.derive_key(old, ws._key.salt).key != ws._key.key:
        raise errors.WrongPassphrase("The current passphrase is wrong; nothing was changed.")
    keys.check_new_passphrase(new)
    if new == old:
        raise errors.PassphraseRejected("The new passphrase is the same as the current one.")
    new_key = keys.derive_key(new, ws._key.salt)
    # Connections keyed with the old key must not outlive the rekey.
    ws.engine.dispose()
    with ws.engine.connect() as conn, Session(bind=conn.execution_options(toex_write=True)) as s:
        audit.append(
            s,
            analyst=ws.analyst,
            os_user=ws.os_user,
            action="alteration",
            record_type="workspace",
            record_id=1,
            record_ref=ws.path.name,
            details={"event": "passphrase changed"},
        )
        s.flush()
        conn.exec_driver_sql(f"PRAGMA rekey = {new_key.pragma_value(with_salt=False)}")
        s.commit()
        conn.invalidate()  # never hand this connection back to the pool
    ws._rebuild(new_key)
