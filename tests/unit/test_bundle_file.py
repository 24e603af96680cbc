"""The bundle container on real files: it round-trips; a wrong passphrase is named as such;
every kind of damage or tampering (a flipped bit anywhere, truncation, appended bytes, an
edited header, absurd KDF parameters, a file that is no bundle at all) is refused with its
own clear message before anything is decrypted, and the workspace file is not touched."""

from __future__ import annotations

import hashlib
import json
import struct
import tempfile
from pathlib import Path

import pytest

from toexdesk.core.services import bundles, tasks
from toexdesk.core.store import bundle_file
from toexdesk.core.store.bundle_file import (
    BundleDamaged,
    BundleTooNew,
    KdfParams,
    NotABundle,
    WrongBundlePassphrase,
)

BUNDLE_PASSPHRASE = "hand-off passphrase 4417"
FAST = KdfParams(time_cost=1, memory_kib=64, parallelism=1)  # tests only
MARKER = "KESTREL-07700-900555"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def bundle(demo_ws, tmp_path) -> Path:
    task = tasks.list_tasks(demo_ws)[0]
    tasks.update_task(demo_ws, task.id, gaps=f"Nothing yet on {MARKER}")
    out = tmp_path / "handoff.toexb"
    bundles.write_bundle(demo_ws, [task.id], out, BUNDLE_PASSPHRASE, kdf=FAST)
    return out


def layout(data: bytes) -> dict[str, int]:
    """Offsets of the container's parts."""
    (header_len,) = struct.unpack(">I", data[10:14])
    header_end = 14 + header_len
    return {
        "header": 14,
        "body_len": header_end,
        "key_check": header_end + 8,
        "prefix_sha": header_end + 40,
        "body": header_end + 72,
        "mac": len(data) - 32,
    }


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def with_header(data: bytes, edit, *, fix_checksum: bool = True) -> bytes:
    at = layout(data)
    header = json.loads(data[at["header"] : at["body_len"]])
    edit(header)
    new = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    prefix = data[:10] + struct.pack(">I", len(new)) + new + data[at["body_len"] : at["prefix_sha"]]
    checksum = (
        hashlib.sha256(prefix).digest() if fix_checksum else data[at["prefix_sha"] : at["body"]]
    )
    return prefix + checksum + data[at["body"] :]


def refused(ws, path: Path, kind: type[Exception], match: str) -> None:
    """The import is refused as ``kind`` with ``match`` in its message; the workspace file
    and the bundle are untouched."""
    before, bundle_before = sha(ws.path), sha(path)
    with pytest.raises(kind, match=match) as caught:
        bundles.import_bundle(ws, path, BUNDLE_PASSPHRASE)
    message = str(caught.value)
    assert "\n" not in message and BUNDLE_PASSPHRASE not in message
    with pytest.raises(kind):
        bundles.preview_bundle(ws, path, BUNDLE_PASSPHRASE)
    assert sha(ws.path) == before and sha(path) == bundle_before


# --- what is in the file ------------------------------------------------------------------
def test_round_trip_and_the_plaintext_header_holds_no_personal_data(bundle, ws):
    data = bundle.read_bytes()
    assert data.startswith(bundle_file.MAGIC)
    assert MARKER.encode() not in data and b"TX-20" not in data
    header = bundle_file.read_header(bundle)
    assert header.kdf == FAST and len(header.salt) == 16
    at = layout(data)
    plain = json.loads(data[at["header"] : at["body_len"]])
    assert set(plain) == {"format", "content_version", "kdf", "created_utc", "counts"}
    assert set(plain["counts"]) <= {
        "tasks",
        "sources",
        "findings",
        "entities",
        "attachments",
        "research_log_entries",
        "audit_events",
    }
    preview = bundles.preview_bundle(ws, bundle, BUNDLE_PASSPHRASE)
    assert [i.action for i in preview.items if i.kind == "task"] == ["new"]


def test_the_work_file_is_encrypted_and_always_removed(bundle, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with bundle_file.open_bundle(bundle, BUNDLE_PASSPHRASE) as opened:
        (folder,) = scratch.iterdir()
        work = folder / "body.db"
        on_disk = work.read_bytes()
        assert not on_disk.startswith(b"SQLite format 3") and MARKER.encode() not in on_disk
        assert folder.stat().st_mode & 0o077 == 0  # private to this user
        gaps = opened.con.execute("SELECT data FROM record WHERE kind = 'task'").fetchone()[0]
        assert MARKER in gaps
    assert list(scratch.iterdir()) == []
    with pytest.raises(WrongBundlePassphrase), bundle_file.open_bundle(bundle, "wrong one 12345"):
        pass
    damaged = tmp_path / "damaged.toexb"
    damaged.write_bytes(flip(bundle.read_bytes(), layout(bundle.read_bytes())["body"] + 99))
    with pytest.raises(BundleDamaged), bundle_file.open_bundle(damaged, BUNDLE_PASSPHRASE):
        pass
    assert list(scratch.iterdir()) == []


def test_a_wrong_passphrase_is_named_as_such(bundle, ws):
    before = sha(ws.path)
    with pytest.raises(WrongBundlePassphrase, match="Wrong bundle passphrase"):
        bundles.import_bundle(ws, bundle, "another passphrase 1234")
    assert sha(ws.path) == before


# --- tampering and damage -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("part", "offset", "match"),
    [
        ("header", 5, "altered or damaged header"),
        ("body_len", 7, "altered or damaged header"),
        ("key_check", 3, "altered or damaged header"),
        ("prefix_sha", 0, "altered or damaged header"),
        ("body", 0, "authentication code does not match"),
        ("body", 5000, "authentication code does not match"),
        ("mac", 31, "authentication code does not match"),
    ],
)
def test_a_flipped_bit_anywhere_is_refused(bundle, ws, tmp_path, part, offset, match):
    data = bundle.read_bytes()
    bad = tmp_path / "bad.toexb"
    bad.write_bytes(flip(data, layout(data)[part] + offset))
    refused(ws, bad, BundleDamaged, match)


def test_a_flipped_bit_in_the_last_byte_of_the_body_is_refused(bundle, ws, tmp_path):
    data = bundle.read_bytes()
    bad = tmp_path / "bad.toexb"
    bad.write_bytes(flip(data, layout(data)["mac"] - 1))
    refused(ws, bad, BundleDamaged, "authentication code")


@pytest.mark.parametrize(
    ("cut", "kind", "match"),
    [
        (0, NotABundle, r"empty \(0 bytes\)"),
        (5, BundleDamaged, "truncated"),
        (12, BundleDamaged, "truncated"),
        ("header", BundleDamaged, "truncated"),
        ("body", BundleDamaged, "bytes are missing"),
        (-1, BundleDamaged, "1 bytes are missing"),
        (-32, BundleDamaged, "32 bytes are missing"),
    ],
)
def test_a_truncated_bundle_is_refused(bundle, ws, tmp_path, cut, kind, match):
    data = bundle.read_bytes()
    at = layout(data)
    length = {"header": at["header"] + 20, "body": at["body"] + 4096}.get(cut, cut)
    bad = tmp_path / "cut.toexb"
    bad.write_bytes(data[:length])
    refused(ws, bad, kind, match)


def test_appended_bytes_are_refused(bundle, ws, tmp_path):
    bad = tmp_path / "longer.toexb"
    bad.write_bytes(bundle.read_bytes() + b"\x00" * 7)
    refused(ws, bad, BundleDamaged, "7 bytes more")


def test_edited_header_parameters_are_refused(bundle, ws, tmp_path):
    data = bundle.read_bytes()

    def more_passes(header):
        header["kdf"]["time_cost"] = 2

    bad = tmp_path / "edited.toexb"
    bad.write_bytes(with_header(data, more_passes, fix_checksum=False))
    refused(ws, bad, BundleDamaged, "altered or damaged header")
    # With the header's checksum made to match, the derived keys differ: refused still.
    bad.write_bytes(with_header(data, more_passes))
    refused(ws, bad, WrongBundlePassphrase, "Wrong bundle passphrase")

    def other_counts(header):
        header["counts"]["tasks"] = 99

    bad.write_bytes(with_header(data, other_counts))
    refused(ws, bad, BundleDamaged, "authentication code does not match")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("memory_kib", 100 * 1024 * 1024, "100 GiB of memory"),
        ("time_cost", 10_000, "10000 passes"),
        ("parallelism", 0, "parallelism 0"),
        ("memory_kib", -1, "memory"),
        ("time_cost", "3", "not whole numbers"),
    ],
)
def test_absurd_kdf_parameters_are_refused_before_deriving(
    bundle, ws, tmp_path, monkeypatch, field, value, match
):
    def absurd(header):
        header["kdf"][field] = value

    bad = tmp_path / "absurd.toexb"
    bad.write_bytes(with_header(bundle.read_bytes(), absurd))

    def never(*args, **kwargs):
        raise AssertionError("the KDF ran on refused parameters")

    monkeypatch.setattr(bundle_file, "hash_secret_raw", never)
    refused(ws, bad, BundleDamaged, match)


def test_a_newer_format_is_named(bundle, ws, tmp_path):
    data = bundle.read_bytes()
    bad = tmp_path / "newer.toexb"
    bad.write_bytes(data[:8] + struct.pack(">H", 2) + data[10:])
    refused(ws, bad, BundleTooNew, "newer TOEX Desk")

    def newer_content(header):
        header["content_version"] = 9

    bad.write_bytes(with_header(data, newer_content))
    refused(ws, bad, BundleTooNew, "content version 9")


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7\n" + b"x" * 2000, b"TOEXBNDX" + b"\x00" * 200, bytes(range(256)) * 4, b"x"],
)
def test_a_file_that_is_not_a_bundle_is_named(ws, tmp_path, content):
    bad = tmp_path / "other.toexb"
    bad.write_bytes(content)
    refused(ws, bad, NotABundle, "not a TOEX exchange bundle")


def test_a_workspace_or_a_folder_is_not_a_bundle(ws, demo_ws, tmp_path):
    refused(ws, demo_ws.path, NotABundle, "not a TOEX exchange bundle")
    folder = tmp_path / "folder.toexb"
    folder.mkdir()
    with pytest.raises(NotABundle, match="is a folder"):
        bundles.import_bundle(ws, folder, BUNDLE_PASSPHRASE)
    with pytest.raises(bundle_file.BundleError, match="There is no file"):
        bundles.import_bundle(ws, tmp_path / "missing.toexb", BUNDLE_PASSPHRASE)


def test_default_kdf_costs_are_not_weakened():
    assert KdfParams() == KdfParams(time_cost=3, memory_kib=64 * 1024, parallelism=2)
    assert not KdfParams().problem()
