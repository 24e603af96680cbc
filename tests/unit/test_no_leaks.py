"""Proof that it is encrypted, and that the core never touches the network."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import PASSPHRASE
from sqlalchemy import text

from toexdesk.core.services import entities, findings, sources, tasks

ROOT = Path(__file__).resolve().parents[2]

MARKERS = [
    "ZEBRA-MARKER-7731",
    "Wiśniewska-Łódź-znacznik",
    "Nguyễn-Thị-Hồng-dấu",
    "Dritë-Çela-shënjë",
    "Коваленко-маркер",
    "07700 900417",
]


def encodings(marker: str) -> list[bytes]:
    return [marker.encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be")]


def hits(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {m}" for m in MARKERS for b in encodings(m) if b in data]
    return found


WRITE_MARKERS = textwrap.dedent(
    """
    import sys
    from toexdesk.core.store.engine import create_workspace, session_scope
    from toexdesk.core.services import entities, findings, sources, tasks
    from sqlalchemy import text
    markers = {markers!r}
    ws = create_workspace(sys.argv[1], {passphrase!r}, "Marker Analyst")
    t = tasks.create_task(ws, tasks.TaskDraft(" ".join(markers), markers[1], "ocg",
                          research_questions="\\n".join(markers * 50)))
    src = sources.create_source(ws, t.id, sources.SourceDraft(
        markers[0], "human", "2", "B", "C", handling_conditions=markers[2],
        description=" ".join(markers) * 200))
    f = findings.create_finding(ws, t.id, findings.FindingDraft(markers[3], "likely"),
                                [(src.id, "supports")])
    e = entities.create_entity(ws, entities.EntityDraft("person", markers[4]))
    entities.mention(ws, e.id, finding_id=f.id)
    tasks.update_task(ws, t.id, title=markers[5])
    # A sort with no index makes SQLite build temporary b-trees: they must stay in memory.
    with session_scope(ws, write=False) as s:
        s.execute(text("SELECT description FROM source ORDER BY lower(description)")).all()
    ws.close()
    """
)


def test_markers_never_reach_disk_in_plaintext(tmp_path):
    work, tmp, data = tmp_path / "ws", tmp_path / "tmp", tmp_path / "data"
    for folder in (work, tmp, data):
        folder.mkdir()
    script = WRITE_MARKERS.format(markers=MARKERS, passphrase=PASSPHRASE)
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        TMPDIR=str(tmp),
        SQLITE_TMPDIR=str(tmp),
        TEMP=str(tmp),
        TMP=str(tmp),
        TOEX_DATA_DIR=str(data),
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(work / "m.toex")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in work.iterdir()] == ["m.toex"]
    # The markers really were written (a scan of nothing would prove nothing).
    assert (work / "m.toex").stat().st_size > 100_000
    assert hits(work) == [] and hits(tmp) == [] and hits(data) == []
    # ...and the scan does find a marker where one is in plaintext.
    (tmp / "control.txt").write_bytes(MARKERS[1].encode("utf-16-le"))
    assert hits(tmp) == [f"control.txt: {MARKERS[1]}"]


def test_rollback_journal_is_encrypted_too(ws, ws_path):
    task = tasks.create_task(ws, tasks.TaskDraft(MARKERS[0], MARKERS[1], "modern_slavery"))
    sources.create_source(
        ws,
        task.id,
        sources.SourceDraft(MARKERS[2], "open_source", "3", "D", "P", description=MARKERS[3] * 100),
    )
    entities.create_entity(ws, entities.EntityDraft("person", MARKERS[4]))
    findings.list_findings(ws, task.id)
    journal = ws_path.with_name(ws_path.name + "-journal")
    with ws.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("BEGIN IMMEDIATE")
        # Rewriting the pages that hold the markers copies the old pages into the journal.
        raw.execute("UPDATE task SET title = 'overwritten'")
        raw.execute("UPDATE source SET description = 'overwritten'")
        raw.execute("UPDATE entity SET name = 'overwritten'")
        try:
            assert journal.exists() and journal.stat().st_size > 0
            assert hits(ws_path.parent) == []
        finally:
            raw.execute("ROLLBACK")
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT title FROM task")).scalar() == MARKERS[0]


NO_NETWORK = textwrap.dedent(
    """
    import os, sys
    def hook(event, args):
        # Any socket at all, even a local one: the core has no reason to make one.
        if event.startswith("socket."):
            sys.stderr.write(f"NETWORK {{event}}\\n")
            sys.stderr.flush()
            os._exit(99)
    sys.addaudithook(hook)
    from toexdesk.cli import main
    sys.exit(main(["demo", sys.argv[1]]))
    """
)


def test_full_demo_build_opens_no_socket(tmp_path):
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        TOEX_DATA_DIR=str(tmp_path / "data"),
        TOEX_PASSPHRASE=PASSPHRASE,
    )
    proc = subprocess.run(
        [sys.executable, "-c", NO_NETWORK.format(), str(tmp_path / "d.toex")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "NETWORK" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert "Sources" in proc.stdout  # the summary of a real, populated workspace
