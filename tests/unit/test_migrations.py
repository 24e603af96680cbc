"""Schema versions: migrations match the models, old workspaces open, upgrades are safe."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlcipher3
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from toexdesk.core import errors
from toexdesk.core.model import Base
from toexdesk.core.services import entities, findings, sources, tasks, workspace
from toexdesk.core.store import migrations
from toexdesk.core.store.engine import open_workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_PASSPHRASE = "fixture passphrase 0001"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def raw_revision(path: Path, passphrase: str) -> str:
    con = sqlcipher3.connect(str(path))
    try:
        con.execute(f"PRAGMA key = '{passphrase}'")
        return con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def fixture_0001(tmp_path) -> Path:
    path = tmp_path / "old.toex"
    shutil.copyfile(FIXTURES / "workspace-0001.toex", path)
    return path


def test_head_constant_is_alembic_head():
    cfg = Config()
    cfg.set_main_option("script_location", migrations.script_location())
    assert ScriptDirectory.from_config(cfg).get_current_head() == migrations.HEAD_REVISION


def test_migrated_schema_matches_the_models(ws):
    with ws.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": migrations.include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_frozen_0001_workspace_opens_with_its_data(fixture_0001):
    with open_workspace(fixture_0001, FIXTURE_PASSPHRASE, check_integrity=True) as ws:
        assert workspace.verify(ws).ok
        listed = {t.reference: t for t in tasks.list_tasks(ws)}
        assert [t.title for t in listed.values()] == [
            "Line 'KESTREL' supply into Marlow Fen",
            "Car wash labour in Hallam Vale",
        ]
        first = listed["TX-2026-0001"]
        assert first.status.value == "in_progress" and first.tags == ("kestrel",)
        assert [s.grading for s in sources.list_sources(ws, first.id)] == ["1/A/P", "2/B/C"]
        cites = [f.citations for f in findings.list_findings(ws, first.id)]
        assert [[c.text for c in row] for row in cites] == [
            ["[S1 · 1/A/P]", "[S2 · 2/B/C]"],
            ["[S2 · 2/B/C]"],
        ]
        assert sorted(e.name for e in entities.list_entities(ws)) == [
            "07700 900417",
            "Łukasz Wiśniewski",
        ]
        assert tasks.research_marking(ws, first.id).value == "OFFICIAL-SENSITIVE"


CURRENT_HEAD = migrations.HEAD_REVISION
NEXT_REVISION = f"{int(CURRENT_HEAD) + 1:04d}"


def test_frozen_0002_workspace_opens_with_its_files_and_index(tmp_path):
    from fixtures.make_workspace_fixture import ADVERT_HTML, CALL_LOG

    from toexdesk.core.services import attachments, search

    path = tmp_path / "0002.toex"
    shutil.copyfile(FIXTURES / "workspace-0002.toex", path)
    with open_workspace(path, "fixture passphrase 0002", check_integrity=True) as ws:
        assert workspace.verify(ws).ok
        first = tasks.list_tasks(ws)[0]
        s1, s2 = sources.list_sources(ws, first.id)
        files = attachments.list_attachments(ws, s1.id)
        assert [(a.original_name, a.detected_type.value) for a in files] == [
            ("call log 0417.txt", "txt"),
            ("advert.pdf", "html"),
        ]
        assert files[1].extraction_reason == "Named .pdf, but the content is a Web page (HTML)"
        assert (files[0].obtained_from, files[0].exhibit_ref) == ("PND-2026-00417", "AR/3")
        (shared,) = attachments.list_attachments(ws, s2.id)
        assert shared.sha256 == files[0].sha256 == hashlib.sha256(CALL_LOG).hexdigest()
        assert b"".join(attachments.read_attachment(ws, shared.id)) == CALL_LOG
        assert b"".join(attachments.read_attachment(ws, files[1].id)) == ADVERT_HTML
        assert {h.label for h in search.search(ws, "ravenscar")} == {
            "TX-2026-0001/S1",
            "TX-2026-0001/S2",
        }
        assert [h.record_type.value for h in search.search(ws, "drite hoxha")] == ["attachment"] * 2


def test_attachments_of_a_0001_workspace_move_to_shared_blobs(fixture_0001):
    """No release could capture into 0001, but its tables existed: any rows there move."""
    from toexdesk.core.services import attachments, search

    data = b"Legacy note: meeting at Quayside car wash.\n" * 3
    digest = hashlib.sha256(data).hexdigest()
    con = sqlcipher3.connect(str(fixture_0001))
    con.execute(f"PRAGMA key = '{FIXTURE_PASSPHRASE}'")
    for n, source_id in enumerate((1, 2), start=1):  # the same file on two sources
        con.execute(
            "INSERT INTO attachment (id, source_id, original_name, media_type, size, sha256, "
            "captured_by, extracted_text, extraction_error, uid, created_at, updated_at) "
            "VALUES (?, ?, 'legacy.txt', 'text/plain', ?, ?, 'Fixture Analyst', ?, NULL, ?, "
            "'2026-11-01 10:00:00', '2026-11-01 10:00:00')",
            (n, source_id, len(data), digest, data.decode(), f"{n:032x}"),
        )
        con.execute(
            "INSERT INTO attachment_chunk (attachment_id, seq, data) VALUES (?, 0, ?)", (n, data)
        )
    con.commit()
    con.close()
    with open_workspace(fixture_0001, FIXTURE_PASSPHRASE, check_integrity=True) as ws:
        with ws.engine.connect() as conn:
            counts = [
                conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in ("blob", "blob_chunk", "attachment", "attachment_text")
            ]
        assert counts == [1, 1, 2, 2]
        (first,) = attachments.list_attachments(ws, 1)
        assert first.extraction_status.value == "ok" and first.sha256 == digest
        assert b"".join(attachments.read_attachment(ws, first.id)) == data
        assert attachments.attachment_text(ws, first.id) == data.decode()
        assert len(search.search(ws, "quayside")) == 2


EXTRA_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("scratch", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("extra", sa.Text, nullable=False, server_default=""))
    {tail}
"""


@pytest.fixture
def next_schema(tmp_path, monkeypatch):
    """A copy of the migrations with one more revision, as a later release would have."""

    def install(tail: str = "pass") -> Path:
        location = tmp_path / "migrations"
        shutil.copytree(
            migrations.script_location(), location, ignore=shutil.ignore_patterns("__pycache__")
        )
        source = EXTRA_REVISION.format(tail=tail, revision=NEXT_REVISION, head=CURRENT_HEAD)
        (location / "versions" / f"{NEXT_REVISION}_next.py").write_text(source)
        monkeypatch.setattr(migrations, "script_location", lambda: str(location))
        monkeypatch.setattr(migrations, "HEAD_REVISION", NEXT_REVISION)
        return location

    return install


def test_upgrade_makes_an_encrypted_backup_first(fixture_0001, next_schema):
    next_schema()
    original = sha(fixture_0001)
    with open_workspace(fixture_0001, FIXTURE_PASSPHRASE) as ws:
        assert len(tasks.list_tasks(ws)) == 2
        assert workspace.verify(ws).ok
    assert raw_revision(fixture_0001, FIXTURE_PASSPHRASE) == NEXT_REVISION
    (backup,) = fixture_0001.parent.glob(f"old.before-{NEXT_REVISION}-*.toex")
    assert sha(backup) == original  # the exact, still encrypted, pre-upgrade file
    assert not backup.read_bytes().startswith(b"SQLite format 3")


def test_failed_upgrade_leaves_the_workspace_as_it_was(fixture_0001, next_schema):
    next_schema(tail='raise RuntimeError("upgrade bug")')
    original = sha(fixture_0001)
    with pytest.raises(errors.WorkspaceError, match="left as it was"):
        open_workspace(fixture_0001, FIXTURE_PASSPHRASE)
    assert sha(fixture_0001) == original
    assert raw_revision(fixture_0001, FIXTURE_PASSPHRASE) == "0001"


def test_workspace_from_a_newer_release_is_refused(fixture_0001):
    con = sqlcipher3.connect(str(fixture_0001))
    con.execute(f"PRAGMA key = '{FIXTURE_PASSPHRASE}'")
    con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.commit()
    con.close()
    before = sha(fixture_0001)
    with pytest.raises(errors.WorkspaceTooNew, match="newer TOEX Desk"):
        open_workspace(fixture_0001, FIXTURE_PASSPHRASE)
    assert sha(fixture_0001) == before
