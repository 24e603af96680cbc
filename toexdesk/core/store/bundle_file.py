"""The exchange bundle's container (``*.toexb``): one file that opens only with its own
passphrase, and that shows a change to any of its bytes before anything in it is used.

Layout (integers big-endian)::

    magic        8 bytes   b"TOEXBNDL"
    version      2 bytes   container format (1)
    header_len   4 bytes
    header       JSON (UTF-8): format, content version, the KDF with its parameters and salt,
                 when it was made (UTC) and counts. Never a title, reference or name.
    body_len     8 bytes
    key_check   32 bytes   HMAC-SHA256(master key, "key check")
    prefix_sha  32 bytes   SHA-256 of all the above
    body                   the content: an SQLCipher 4 database under a raw key
    mac         32 bytes   HMAC-SHA256(MAC key, everything before it)

The master key is Argon2id(passphrase, salt, t, m, p); the SQLCipher key, the MAC key and
the key check are HMAC-SHA256 of it under their own labels. SQLCipher is what encrypts
(AES-256 with an HMAC-SHA512 per page) because the app already ships it; the trailing MAC
covers the whole file, so truncation, appended bytes and swapped pages show too.

Opening reads the prefix first, because the KDF's parameters are in it: the prefix's SHA-256
tells a damaged header from a wrong passphrase, and parameters outside sane bounds are
refused before the KDF could be asked for absurd memory. Then the key check (a wrong
passphrase), then the MAC over every byte, streamed, while the body is copied into a
private temporary folder: the copy is the encrypted database, never plaintext, and it is
what gets opened, so what was authenticated is what is read. The folder always goes."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import sqlcipher3
from argon2.low_level import Type, hash_secret_raw

from toexdesk.core.errors import Cancelled, PassphraseRejected, ToexError
from toexdesk.core.store import keys
from toexdesk.core.store.engine import Workspace, raw_connect

SUFFIX = ".toexb"
MAGIC = b"TOEXBNDL"
CONTAINER_VERSION = 1
CONTENT_VERSION = 1  # the body's schema (services.bundles reads it)
FORMAT = "toex-bundle"
APPLICATION_ID = 0x544F4542  # "TOEB" in the body database's header
_FIXED = struct.Struct(">8sHI")  # magic, version, header length
_BODY_LEN = struct.Struct(">Q")
DIGEST = 32
MAX_HEADER = 16 * 1024
CHUNK = 1024 * 1024
SALT_BYTES = 16

# What a bundle may ask of the KDF: at most 1 GiB of memory and a few seconds' work; a
# hostile header cannot make us allocate 100 GB or spin for an hour.
MAX_MEMORY_KIB = 1024 * 1024
MAX_TIME_COST = 16
MAX_PARALLELISM = 16

_ENC_LABEL = b"TOEX bundle v1: SQLCipher key"
_MAC_LABEL = b"TOEX bundle v1: file MAC"
_CHECK_LABEL = b"TOEX bundle v1: key check"


class BundleError(ToexError):
    """A bundle cannot be made or read; nothing was imported or written."""


class NotABundle(BundleError):
    pass


class BundleDamaged(BundleError):
    """Truncated, extended or altered: some byte is not what was written."""


class WrongBundlePassphrase(BundleError):
    pass


class BundleTooNew(BundleError):
    pass


@dataclass(frozen=True)
class KdfParams:
    """Argon2id's costs. The defaults are RFC 9106's second recommended setting; tests pass
    lower ones explicitly."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 2

    def problem(self) -> str:
        """Why these parameters are refused ("" when they are acceptable)."""
        values = (self.time_cost, self.memory_kib, self.parallelism)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "they are not whole numbers"
        if not 1 <= self.parallelism <= MAX_PARALLELISM:
            return f"parallelism {self.parallelism} (1 to {MAX_PARALLELISM} accepted)"
        if not 1 <= self.time_cost <= MAX_TIME_COST:
            return f"{self.time_cost} passes (1 to {MAX_TIME_COST} accepted)"
        if not 8 * self.parallelism <= self.memory_kib <= MAX_MEMORY_KIB:
            return (
                f"{_kib_text(self.memory_kib)} of memory "
                f"(at most {_kib_text(MAX_MEMORY_KIB)} accepted)"
            )
        return ""


def _kib_text(kib: int) -> str:
    if kib >= 1024 * 1024:
        return f"{kib / (1024 * 1024):,.0f} GiB"
    return f"{kib / 1024:,.0f} MiB" if kib >= 1024 else f"{kib} KiB"


@dataclass(frozen=True)
class BundleKeys:
    enc: bytes = field(repr=False)
    mac: bytes = field(repr=False)
    check: bytes = field(repr=False)


def derive_keys(passphrase: str, salt: bytes, kdf: KdfParams) -> BundleKeys:
    master = hash_secret_raw(
        keys.normalise_passphrase(passphrase),
        salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_kib,
        parallelism=kdf.parallelism,
        hash_len=32,
        type=Type.ID,
    )

    def sub(label: bytes) -> bytes:
        return hmac.new(master, label, hashlib.sha256).digest()

    return BundleKeys(sub(_ENC_LABEL), sub(_MAC_LABEL), sub(_CHECK_LABEL))


def check_bundle_passphrase(passphrase: str, ws: Workspace | None = None) -> None:
    """The rules of a workspace passphrase, and not the workspace's own passphrase (the
    recipient of the bundle must not learn it). Raises PassphraseRejected."""
    keys.check_new_passphrase(passphrase)
    if ws is not None and is_workspace_passphrase(ws, passphrase):
        raise PassphraseRejected(
            "Choose a passphrase for the bundle other than the workspace's own: the "
            "recipient will know it."
        )


def is_workspace_passphrase(ws: Workspace, passphrase: str) -> bool:
    """One PBKDF2 run against the open workspace's key (about a quarter of a second)."""
    key = ws._key
    if key is None or not key.key:
        return False
    return hmac.compare_digest(keys.derive_key(passphrase, key.salt).key, key.key)


@dataclass(frozen=True)
class BundleHeader:
    """What the plaintext header says: no personal data, only how to open the rest."""

    container_version: int
    content_version: int
    kdf: KdfParams
    salt: bytes = field(repr=False)
    created_utc: str
    counts: dict[str, int]


def _private_folder() -> Path:
    # mkdtemp makes the folder readable by its owner only.
    return Path(tempfile.mkdtemp(prefix="toex-bundle-"))


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


# --- writing ------------------------------------------------------------------------------
class BodyDraft:
    """A new bundle's body database being filled (``con``), then sealed into a container."""

    def __init__(self, folder: Path, keys_: BundleKeys, kdf: KdfParams, salt: bytes):
        self.path = folder / "body.db"
        self._keys, self._kdf, self._salt = keys_, kdf, salt
        self.con: sqlcipher3.Connection | None = raw_connect(
            self.path, keys.RawKey(keys_.enc, b""), mode="rwc"
        )
        self.con.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def header_bytes(self, counts: dict[str, int]) -> bytes:
        header = {
            "format": FORMAT,
            "content_version": CONTENT_VERSION,
            "kdf": {
                "name": "argon2id",
                "version": 19,
                "time_cost": self._kdf.time_cost,
                "memory_kib": self._kdf.memory_kib,
                "parallelism": self._kdf.parallelism,
                "salt": self._salt.hex(),
            },
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "counts": {str(k): int(v) for k, v in counts.items()},
        }
        return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def write_to(
        self,
        fh: BinaryIO,
        counts: dict[str, int],
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        """Close the body and write the whole container into ``fh``, streaming the body."""
        self.close()
        header = self.header_bytes(counts)
        size = self.path.stat().st_size
        prefix = (
            _FIXED.pack(MAGIC, CONTAINER_VERSION, len(header))
            + header
            + _BODY_LEN.pack(size)
            + self._keys.check
        )
        prefix += hashlib.sha256(prefix).digest()
        mac = hmac.new(self._keys.mac, prefix, hashlib.sha256)
        fh.write(prefix)
        written = 0
        with open(self.path, "rb") as body:
            for block in iter(lambda: body.read(CHUNK), b""):
                if cancelled is not None and cancelled():
                    raise Cancelled("The bundle was not written.")
                mac.update(block)
                fh.write(block)
                written += len(block)
        if written != size:  # the body is ours and closed: this is a bug, not a condition
            raise RuntimeError("the bundle body changed while it was being written")
        fh.write(mac.digest())


@contextlib.contextmanager
def new_body(passphrase: str, *, kdf: KdfParams | None = None) -> Iterator[BodyDraft]:
    """A new, empty, encrypted body in a private temporary folder, deleted afterwards."""
    kdf = kdf or KdfParams()
    problem = kdf.problem()
    if problem:
        raise BundleError(f"These key-derivation settings cannot be used: {problem}.")
    salt = secrets.token_bytes(SALT_BYTES)
    derived = derive_keys(passphrase, salt, kdf)
    folder = _private_folder()
    draft = None
    try:
        draft = BodyDraft(folder, derived, kdf, salt)
        yield draft
    finally:
        if draft is not None:
            draft.close()
        _remove(folder)


# --- reading ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Prefix:
    header: BundleHeader
    raw: bytes = field(repr=False)  # every byte before the body, as read
    key_check: bytes = field(repr=False)
    body_len: int
    size: int


def _refusal(name: str, what: str) -> BundleDamaged:
    return BundleDamaged(f"{name} {what}; nothing was imported.")


def _read(fh: BinaryIO, n: int) -> bytes:
    data = fh.read(n)
    return data if data is not None else b""


def _open_file(path: Path) -> BinaryIO:
    try:
        if path.is_dir():
            raise NotABundle(f"{path.name} is a folder, not a bundle file.")
        return open(path, "rb")
    except FileNotFoundError:
        raise BundleError(f"There is no file {path}.") from None
    except PermissionError:
        raise BundleError(f"{path.name} cannot be read: permission denied.") from None
    except OSError as exc:
        raise BundleError(f"{path.name} cannot be read ({exc.strerror}).") from None


def _read_prefix(fh: BinaryIO, name: str) -> _Prefix:
    size = os.fstat(fh.fileno()).st_size
    if size == 0:
        raise NotABundle(f"{name} is empty (0 bytes): it is not a TOEX exchange bundle.")
    fixed = _read(fh, _FIXED.size)
    if fixed[: len(MAGIC)] != MAGIC:
        if len(fixed) < len(MAGIC) and MAGIC.startswith(fixed):
            raise _refusal(name, "is truncated (it stops inside its first bytes)")
        raise NotABundle(f"{name} is not a TOEX exchange bundle ({SUFFIX}).")
    if len(fixed) < _FIXED.size:
        raise _refusal(name, "is truncated (it stops inside its header)")
    _magic, version, header_len = _FIXED.unpack(fixed)
    if version > CONTAINER_VERSION:
        raise BundleTooNew(
            f"{name} was made by a newer TOEX Desk (bundle format {version}); update TOEX "
            "Desk to import it."
        )
    if version < 1 or header_len > MAX_HEADER:
        raise _refusal(name, "has a damaged header (it was altered or is not a bundle)")
    rest = _read(fh, header_len + _BODY_LEN.size + 2 * DIGEST)
    if len(rest) < header_len + _BODY_LEN.size + 2 * DIGEST:
        raise _refusal(name, "is truncated (it stops inside its header)")
    raw = fixed + rest[:-DIGEST]
    if not hmac.compare_digest(hashlib.sha256(raw).digest(), rest[-DIGEST:]):
        raise _refusal(name, "has an altered or damaged header")
    header_bytes = rest[:header_len]
    (body_len,) = _BODY_LEN.unpack(rest[header_len : header_len + _BODY_LEN.size])
    key_check = rest[header_len + _BODY_LEN.size : header_len + _BODY_LEN.size + DIGEST]
    header = _parse_header(header_bytes, version, name)
    expected = len(raw) + DIGEST + body_len + DIGEST
    if size < expected:
        raise _refusal(name, f"is truncated: {expected - size:,} bytes are missing")
    if size > expected:
        raise _refusal(
            name, f"has {size - expected:,} bytes more than it was written with (altered)"
        )
    return _Prefix(header, raw + rest[-DIGEST:], key_check, body_len, size)


def _parse_header(data: bytes, version: int, name: str) -> BundleHeader:
    def bad(why: str) -> BundleDamaged:
        return _refusal(name, f"has a header TOEX Desk cannot use ({why})")

    try:
        header = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad("not JSON") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise bad("not a TOEX bundle header")
    content_version = header.get("content_version")
    if not isinstance(content_version, int) or content_version < 1:
        raise bad("no content version")
    if content_version > CONTENT_VERSION:
        raise BundleTooNew(
            f"{name} was made by a newer TOEX Desk (content version {content_version}); "
            "update TOEX Desk to import it."
        )
    kdf = header.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id" or kdf.get("version") != 19:
        raise bad("an unknown key derivation")
    try:
        salt = bytes.fromhex(kdf.get("salt", ""))
    except (TypeError, ValueError):
        raise bad("a malformed salt") from None
    if not 16 <= len(salt) <= 64:
        raise bad("a salt of the wrong size")
    params = KdfParams(kdf.get("time_cost"), kdf.get("memory_kib"), kdf.get("parallelism"))
    problem = params.problem()
    if problem:
        raise BundleDamaged(
            f"{name} asks for key-derivation settings TOEX Desk refuses ({problem}): it "
            "was not made by TOEX Desk, or it was altered; nothing was imported."
        )
    counts = header.get("counts", {})
    if not isinstance(counts, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in counts.items()
    ):
        raise bad("malformed counts")
    created = header.get("created_utc", "")
    return BundleHeader(
        version, content_version, params, salt, created if isinstance(created, str) else "", counts
    )


def read_header(path: Path | str) -> BundleHeader:
    """The header of a bundle, checked (no passphrase needed; nothing decrypted)."""
    path = Path(path)
    with _open_file(path) as fh:
        return _read_prefix(fh, path.name).header


@dataclass
class OpenedBundle:
    """A verified bundle, its body open read-only (``con``) until the context ends."""

    path: Path
    header: BundleHeader
    con: sqlcipher3.Connection
    size: int
    sha256: str


@contextlib.contextmanager
def open_bundle(
    path: Path | str,
    passphrase: str,
    *,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[OpenedBundle]:
    """Verify a bundle (header, passphrase, MAC over every byte) and open its body."""
    path = Path(path)
    folder = _private_folder()
    try:
        header, derived, size, sha256 = _verified_copy(path, passphrase, folder, cancelled)
        con = _open_body(folder / "body.db", derived, path.name)
        try:
            yield OpenedBundle(path, header, con, size, sha256)
        finally:
            con.close()
    finally:
        _remove(folder)


def _verified_copy(
    path: Path, passphrase: str, folder: Path, cancelled: Callable[[], bool] | None
) -> tuple[BundleHeader, BundleKeys, int, str]:
    """Check the prefix and the passphrase, then copy the body into ``folder`` while the
    MAC runs over it; refuse unless every byte is as it was written."""
    name = path.name
    with _open_file(path) as fh:
        prefix = _read_prefix(fh, name)
        derived = derive_keys(passphrase, prefix.header.salt, prefix.header.kdf)
        if not hmac.compare_digest(derived.check, prefix.key_check):
            raise WrongBundlePassphrase(
                "Wrong bundle passphrase (the one chosen when the bundle was made); "
                "nothing was imported."
            )
        file_sha = hashlib.sha256(prefix.raw)
        mac = hmac.new(derived.mac, prefix.raw, hashlib.sha256)
        left = prefix.body_len
        with open(folder / "body.db", "xb") as out:
            while left:
                if cancelled is not None and cancelled():
                    raise Cancelled("The bundle was not read.")
                block = _read(fh, min(CHUNK, left))
                if not block:
                    raise _refusal(name, "is truncated (it changed while being read)")
                mac.update(block)
                file_sha.update(block)
                out.write(block)
                left -= len(block)
        tag = _read(fh, DIGEST + 1)  # one byte more: it must not be there
    file_sha.update(tag[:DIGEST])
    if len(tag) != DIGEST or not hmac.compare_digest(mac.digest(), tag):
        raise _refusal(
            name,
            "was altered or damaged after it was made (its authentication code does not match)",
        )
    return prefix.header, derived, prefix.size, file_sha.hexdigest()


def _open_body(body: Path, derived: BundleKeys, name: str) -> sqlcipher3.Connection:
    try:
        con = raw_connect(body, keys.RawKey(derived.enc, b""), mode="ro")
    except sqlcipher3.DatabaseError:
        raise _refusal(name, "has a body that does not open") from None
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise _refusal(name, "has a body that is not a bundle's")
    except sqlcipher3.DatabaseError:
        con.close()
        raise _refusal(name, "has a body that does not open") from None
    except BaseException:
        con.close()
        raise
    return con


def header_summary(header: BundleHeader) -> dict[str, Any]:
    """The header as plain values, for ``info``-style output."""
    return {
        "created_utc": header.created_utc,
        "kdf": (
            f"Argon2id, {header.kdf.time_cost} passes, {_kib_text(header.kdf.memory_kib)}, "
            f"{header.kdf.parallelism} lanes"
        ),
        "counts": dict(header.counts),
    }
