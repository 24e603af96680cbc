"""Audit anchoring: a workspace's trail must still extend the head an earlier backup or
export recorded, so even a rewrite of the whole chain (which ``verify`` cannot see) shows."""

from __future__ import annotations

import contextlib
import json

import pytest
from conftest import ANALYST, PASSPHRASE

from toexdesk.core import errors
from toexdesk.core.services import anchors, backups, restore, tasks, workspace
from toexdesk.core.store import audit
from toexdesk.core.store.engine import create_workspace, open_workspace


def add_task(ws, title: str = "Task") -> None:
    tasks.create_task(ws, tasks.TaskDraft(title=title, requester="DS Patel", thematic="other"))


@contextlib.contextmanager
def raw(ws):
    """A raw DBAPI connection in autocommit mode, as someone with the key could get."""
    with ws.engine.connect() as conn:
        yield conn.connection.dbapi_connection


def rewrite_chain(ws, from_seq: int, analyst: str = "Someone Else") -> None:
    """What someone with the passphrase could do: edit an event and re-hash every event
    from it onwards, and the recorded head, so that the chain verifies again."""
    with raw(ws) as con:
        _rewrite(con, from_seq, analyst)


def _rewrite(con, from_seq: int, analyst: str) -> None:
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_event SET analyst = ? WHERE seq = ?", (analyst, from_seq))
    cols = ", ".join(audit.HASHED_FIELDS)
    rows = con.execute(f"SELECT seq, prev_hash, {cols} FROM audit_event ORDER BY seq").fetchall()  # noqa: S608
    prev = audit.GENESIS
    for row in rows:
        seq, fields = row[0], dict(zip(audit.HASHED_FIELDS, row[2:], strict=True))
        if seq >= from_seq:
            digest = audit.chain_hash(prev, fields)
            con.execute(
                "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq)
            )
            prev = digest
        else:
            prev = con.execute("SELECT hash FROM audit_event WHERE seq = ?", (seq,)).fetchone()[0]
    con.execute("UPDATE workspace SET audit_head_hash = ?", (prev,))


@pytest.fixture
def anchored(ws, tmp_path):
    """A workspace with some history, a backup (and its anchor), then more history."""
    for i in range(3):
        add_task(ws, f"Task {i}")
    folder = tmp_path / "backups"
    folder.mkdir()
    info = backups.backup_workspace(ws, folder)
    add_task(ws, "Later")
    return ws, info


def test_untouched_workspace_extends_its_backup_anchor(anchored):
    ws, info = anchored
    for source in (info.anchor_path, info.path):
        check = anchors.verify_against(ws, source)
        assert check.ok and check.kind == "extends", check.message
        assert f"event #{info.anchor.head_seq}" in check.message
        assert "2 events since" in check.message  # the backup's disclosure and one task


def test_rewritten_chain_passes_verify_but_not_the_anchor(anchored):
    ws, info = anchored
    rewrite_chain(ws, from_seq=2)
    assert workspace.verify(ws).ok  # the rewrite is self-consistent…
    for source in (info.anchor_path, info.path):
        check = anchors.verify_against(ws, source)
        assert not check.ok and check.kind == "differs"  # …but not with what was anchored
        assert check.message.startswith("DOES NOT extend")
        assert f"event #{info.anchor.head_seq}'s hash differs" in check.message


def test_rewrite_after_the_anchor_still_extends_it(anchored):
    ws, info = anchored
    rewrite_chain(ws, from_seq=info.anchor.head_seq + 1)
    assert anchors.verify_against(ws, info.anchor_path).ok


def test_edit_before_the_anchor_without_rehash_breaks_the_chain(anchored):
    ws, info = anchored
    with raw(ws) as con:
        con.execute("DROP TRIGGER audit_event_no_update")
        con.execute("UPDATE audit_event SET analyst = 'X' WHERE seq = 2")
    check = anchors.verify_against(ws, info.anchor_path)
    assert not check.ok and check.kind == "broken"
    assert "event #2 was edited" in check.message


def test_chain_cut_short_does_not_extend(anchored):
    ws, info = anchored
    seq = info.anchor.head_seq
    with raw(ws) as con:
        con.execute("DROP TRIGGER audit_event_no_delete")
        con.execute("DELETE FROM audit_event WHERE seq >= ?", (seq,))
        last = con.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
        con.execute("UPDATE workspace SET audit_head_seq = ?, audit_head_hash = ?", last)
    assert workspace.verify(ws).ok
    check = anchors.verify_against(ws, info.anchor_path)
    assert not check.ok and check.kind == "shorter"
    assert f"the anchor is at #{seq}" in check.message


def test_anchor_of_another_workspace_does_not_extend(anchored, tmp_path):
    ws, _ = anchored
    with create_workspace(tmp_path / "other.toex", PASSPHRASE, ANALYST) as other:
        foreign = tmp_path / "other.anchor.json"
        foreign.write_text(anchors.anchor_text(other), encoding="utf-8")
    check = anchors.verify_against(ws, foreign)
    assert not check.ok and check.kind == "other_workspace"
    assert "another workspace" in check.message


def test_restore_to_an_earlier_backup_explains_a_later_anchor(anchored, tmp_path):
    ws, info = anchored
    later = tmp_path / "later.anchor.json"
    later.write_text(anchors.anchor_text(ws), encoding="utf-8")
    path = ws.path
    ws.close()
    restore.restore_workspace(path, info.path, PASSPHRASE)
    with open_workspace(path, PASSPHRASE) as restored:
        assert anchors.verify_against(restored, info.anchor_path).ok
        check = anchors.verify_against(restored, later)
    assert not check.ok and check.kind in ("differs", "shorter")
    assert "was restored" in check.message
    assert f"ends at event #{info.anchor.head_seq}" in check.message


def test_anchor_embedded_in_manifests_is_found(anchored, tmp_path):
    ws, _ = anchored
    anchor = anchors.current_anchor(ws, source="export")
    as_line = tmp_path / "manifest.sha256"
    as_line.write_text(f"# TOEX Desk export manifest\n# {anchor.line()}\nabc  file.pdf\n")
    nested = tmp_path / "manifest.json"
    nested.write_text(json.dumps({"files": [], "audit_anchor": anchor.to_dict()}))
    legacy = tmp_path / "legacy.sha256"
    legacy.write_text(
        "# Exported: 2026-03-01T10:00:00Z\n"
        f"# Audit chain head: #{anchor.head_seq} {anchor.head_hash}\n"
    )
    for source in (as_line, nested, legacy):
        read = anchors.read_anchor(source)
        assert (read.head_seq, read.head_hash) == (anchor.head_seq, anchor.head_hash)
        assert anchors.verify_against(ws, source).ok
    assert anchors.read_anchor(legacy).when == "2026-03-01 10:00 UTC"
    assert anchors.read_anchor(as_line).workspace_uid == anchor.workspace_uid


def test_anchor_text_round_trips(ws):
    text = anchors.anchor_text(ws)
    data = json.loads(text)
    assert data["format"] == anchors.ANCHOR_FORMAT and data["source"] == "export"
    assert anchors.Anchor.from_dict(data, "x") == anchors.current_anchor(ws, source="export")


@pytest.mark.parametrize(
    "content, message",
    [
        ("just some notes\n", "holds no TOEX Desk audit anchor"),
        ('{"format": "toexdesk-audit-anchor", "version": 2}', "version 2"),
        (
            '{"format": "toexdesk-audit-anchor", "version": 1, "workspace_uid": "x", '
            '"head_seq": 1, "head_hash": "00"}',
            "malformed",
        ),
    ],
)
def test_files_without_a_usable_anchor_are_refused(ws, tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(errors.ToexError, match=message):
        anchors.verify_against(ws, bad)


def test_binary_non_workspace_and_missing_files_are_refused(ws, tmp_path):
    with pytest.raises(errors.ToexError, match="There is no file"):
        anchors.verify_against(ws, tmp_path / "nothing.json")
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\x01" * 1000)
    with pytest.raises(errors.ToexError, match="neither an audit anchor"):
        anchors.verify_against(ws, blob)


def test_backup_made_under_an_old_passphrase_needs_that_passphrase(anchored):
    ws, info = anchored
    workspace.change_passphrase(ws, PASSPHRASE, "a brand new passphrase 42")
    with pytest.raises(errors.WrongPassphrase):
        anchors.verify_against(ws, info.path)
    assert anchors.verify_against(ws, info.path, passphrase=PASSPHRASE).ok
