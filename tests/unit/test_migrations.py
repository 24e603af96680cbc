"""Schema versions: migrations match the models, old workspaces open, upgrades are safe."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
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
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
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


EXTRA_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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
        (location / "versions" / "0002_next.py").write_text(EXTRA_REVISION.format(tail=tail))
        monkeypatch.setattr(migrations, "script_location", lambda: str(location))
        monkeypatch.setattr(migrations, "HEAD_REVISION", "0002")
        return location

    return install


def test_upgrade_makes_an_encrypted_backup_first(fixture_0001, next_schema):
    next_schema()
    original = sha(fixture_0001)
    with open_workspace(fixture_0001, FIXTURE_PASSPHRASE) as ws:
        assert len(tasks.list_tasks(ws)) == 2
        assert workspace.verify(ws).ok
    assert raw_revision(fixture_0001, FIXTURE_PASSPHRASE) == "0002"
    (backup,) = fixture_0001.parent.glob("old.before-0002-*.toex")
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
