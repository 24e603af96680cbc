"""Full-text search over a 100,000-source workspace with attachments' text: p50/p95/max.

    PYTHONPATH=. python tests/perf/bench_search.py [--sources 100000] [--files 2000]
        [--workspace PATH] [--json out.json]

Builds (once, then cached under the temp folder, or at ``--workspace``) a workspace of
fictional records: 100 tasks, ``--sources`` sources (titles and 30-60 word descriptions
mixing common words with invented names, places, phone numbers and references), 10,000
findings, 2,000 entities and ``--files`` attachments of ~20,000 characters of extracted
text each (indexed in segments, as capture stores them). Everything goes in through SQL in
blocks, with the search triggers live, so the index is built the way the app builds it.
The build runs in a child process with SQLCipher's memory security off (it only makes the
build slow); the queries run here with the app's own settings (memory security ON).

The query set mixes what researchers type: surnames and full names, places, phone numbers,
references, word starts as typed (prefix), phrases, pairs of common words, single common
words (thousands of matches) and accent-free spellings. Each query runs twice; the first
pass (cold: just after unlocking) and the second (warm) are reported separately. Not part
of the normal test run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench passphrase for search"
BUDGET_MS = 50.0


def _words(text: str) -> list[str]:
    return text.split()


COMMON = _words(
    """the and of to in a was is for on with at by from that this as were be are has had
have not but they an which or one been their there all would when who will more no if out
so what up into than them can only other new some time could these two may then do first
any my now such like our over man me even most made after also did many before must
through back years where much your way well down should because each just those people how
too little state good very make world still own see men work long get here between both
life being under never day same another know while last might us great old year off come
since against go came right used take three vehicle address phone seen arrested male
female property cash drugs knife meeting contact report stated observed premises bank
account transfer travel train station car registered keeper driver passenger flat house
road street lane close avenue night morning evening weekend mobile handset sim top-up
message call calls texts cannabis cocaine heroin deal line runner victim witness officer
custody interview search warrant referral school college missing exploitation debt"""
)
FIRST = _words(
    """Ada Alex Amira Ben Bogdan Carys Chen Dritë Elena Erik Fatima Gareth Hana Ibrahim
Iwona Jamal Jonas Kemal Lena Łukasz Marek Maya Mehmet Nadia Nguyễn Olu Omar Petra Priya
Rhys Rosa Sami Şükrü Tamsin Teodor Ugo Vera Wanjiru Yusuf Zofia Aled Bryony Dmitri Eilidh
Farid Gintarė Hamza Iris Jovan"""
)
SURNAMES = _words(
    """Abbott Achterberg Baptiste Brennan Çelik Dąbrowski Ekwueme Ferreira Gashi Hoxha
Ivanov Jablonski Kaczmarek Lindqvist MacAulay Nowakowski Okafor Petrović Quinlan Rahman
Sørensen Tkachenko Uddin Vasilescu Wiśniewski Xhaka Yılmaz Zielińska Adeyemi Bianchi Costa
Dimitrov Evans Fitzgerald Grant Horvath Ilunga Jovanović Kovač Lewandowski Mensah Novak
O'Connor Pereira Quigley Rossi Szabó Tanaka Urquhart Varga"""
)
PLACES = _words(
    """Marlow-Fen Eastbrook Hallam-Vale Kestrel-Point Osprey-Yard Ravenscar Quayside
Westgate Northmoor Southwick Ashby-Cross Bramley Cobb-End Dunmere Elmstead Fairholm
Greywell Hartlow Ivyford Juniper-Row Kingsmead Larkhill Millbrook Nettlefold Oakhurst
Pennock Quarrendon Rushworth Saltmarsh Thornbury Upperfield Valebridge Wexcombe Yarrowby
Zennor-Cross Amberley Birchmoor Cinderford Dovecote Eskdale"""
)

KINDS = ("Partner return", "Custody record", "Intel log", "Open source page", "Witness account")
FINDINGS = 10_000
ENTITIES = 2_000
TASKS = 100
TEXT_CHARS = 20_000


# --- building -----------------------------------------------------------------------------
class Words:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        weights = [1 / (rank + 1) for rank in range(len(COMMON))]
        self.cumulative = list(__import__("itertools").accumulate(weights))

    def common(self, n: int) -> list[str]:
        return self.rng.choices(COMMON, cum_weights=self.cumulative, k=n)

    def name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(SURNAMES)}"

    def phone(self) -> str:
        return f"07700 900{self.rng.randrange(1000):03d}"

    def place(self) -> str:
        return self.rng.choice(PLACES).replace("-", " ")

    def sentence(self, n: int) -> str:
        words = self.common(n)
        for _ in range(max(1, n // 15)):
            extra = self.rng.choice((self.name, self.place, self.phone, self.place))()
            words.insert(self.rng.randrange(len(words) + 1), extra)
        return " ".join(words).capitalize() + "."

    def paragraph(self, chars: int) -> str:
        out, size = [], 0
        while size < chars:
            piece = self.sentence(self.rng.randint(8, 24))
            out.append(piece)
            size += len(piece) + 1
        return " ".join(out)


BUILD = """
import sys
sys.path.insert(0, {root!r})
from tests.perf.bench_search import build_here
build_here({path!r}, {sources}, {files}, {seed}, **{shape!r})
"""


def build(path: Path, sources: int, files: int, seed: int = 7, **shape: int) -> None:
    """Build in a child process: memory security is one switch per process, off there.
    ``shape``: ``tasks``, ``findings``, ``entities`` and ``cites`` (sources each finding
    cites) instead of the search benchmark's fixed 100 / 10,000 / 2,000 / 0."""
    code = BUILD.format(
        root=str(ROOT), path=str(path), sources=sources, files=files, seed=seed, shape=shape
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def build_here(
    path: str,
    n_sources: int,
    n_files: int,
    seed: int,
    *,
    tasks: int = TASKS,
    findings: int = FINDINGS,
    entities: int = ENTITIES,
    cites: int = 0,
) -> None:
    from sqlalchemy import text

    from toexdesk.core.store import keys
    from toexdesk.core.store.engine import CipherSettings, lay_out, open_workspace, session_scope
    from toexdesk.core.store.search_index import text_segments

    started = time.perf_counter()
    target = Path(path)
    plain = CipherSettings(memory_security=False)
    key = keys.derive_key(PASSPHRASE, keys.new_salt())
    lay_out(target, key, "Bench Analyst", record_ref=target.name, settings=plain)
    w = Words(seed)
    ws = open_workspace(target, PASSPHRASE, settings=plain)
    stamp = "2026-06-01 09:00:00.000000"
    with session_scope(ws) as s:
        s.execute(
            text(
                "INSERT INTO task (reference, title, requester, thematic, priority, status, "
                "research_questions, gaps, marking, last_source_number, last_finding_number, "
                "uid, created_at, updated_at) VALUES (:ref, :title, :req, 'ocg', 'P3', "
                "'in_progress', :rq, '', 'OFFICIAL', 0, 0, :uid, :at, :at)"
            ),
            [
                dict(
                    ref=f"TX-2026-{n:04d}",
                    title=f"{w.place()} {' '.join(w.common(3))}",
                    req=f"DS {w.name()}",
                    rq=w.sentence(20),
                    uid=f"t{n:031d}",
                    at=stamp,
                )
                for n in range(1, tasks + 1)
            ],
        )
    block = 2_000
    for start in range(0, n_sources, block):
        rows = []
        for n in range(start, min(start + block, n_sources)):
            rows.append(
                dict(
                    task=n % tasks + 1,
                    number=n // tasks + 1,
                    title=f"{w.rng.choice(KINDS)} {w.name()}",
                    desc=w.sentence(w.rng.randint(30, 60)),
                    ref=f"PND-2026-{n:06d}",
                    uid=f"s{n:031d}",
                    at=stamp,
                )
            )
        with session_scope(ws) as s:
            s.execute(
                text(
                    "INSERT INTO source (task_id, number, title, source_type, description, "
                    "reference, evaluation, assessment, handling, handling_conditions, "
                    "marking, uid, created_at, updated_at) VALUES (:task, :number, :title, "
                    "'partner_agency', :desc, :ref, '2', 'B', 'P', '', 'OFFICIAL', :uid, :at, :at)"
                ),
                rows,
            )
    with session_scope(ws) as s:
        s.execute(
            text(
                "INSERT INTO finding (task_id, number, position, text, phia, marking, uid, "
                "created_at, updated_at) VALUES (:task, :number, :number, :text, 'likely', "
                "'OFFICIAL', :uid, :at, :at)"
            ),
            [
                dict(
                    task=n % tasks + 1,
                    number=n // tasks + 1,
                    text=w.sentence(w.rng.randint(15, 40)),
                    uid=f"f{n:031d}",
                    at=stamp,
                )
                for n in range(findings)
            ],
        )
        s.execute(
            text(
                "INSERT INTO entity (kind, name, normalised, notes, marking, uid, created_at, "
                "updated_at) VALUES ('person', :name, lower(:name), :notes, 'OFFICIAL', :uid, "
                ":at, :at)"
            ),
            [
                dict(name=w.name(), notes=w.sentence(10), uid=f"e{n:031d}", at=stamp)
                for n in range(entities)
            ],
        )
    per_task = max(1, n_sources // tasks)
    links = [
        dict(finding=n + 1, source=(n % tasks) + ((n // tasks * cites + k) % per_task) * tasks + 1)
        for n in range(findings)
        for k in range(cites)
    ]
    with session_scope(ws) as s:
        s.execute(
            text(
                "INSERT OR IGNORE INTO finding_source (finding_id, source_id, relation, "
                "created_at) VALUES (:finding, :source, 'supports', '2026-06-01 09:00:00')"
            ),
            links,
        )
    for start in range(0, n_files, 200):
        with session_scope(ws) as s:
            for n in range(start, min(start + 200, n_files)):
                blob = s.execute(
                    text(
                        "INSERT INTO blob (sha256, size, created_at) VALUES (:sha, 1, :at) "
                        "RETURNING id"
                    ),
                    dict(sha=f"{n:064x}", at=stamp),
                ).scalar_one()
                attachment = s.execute(
                    text(
                        "INSERT INTO attachment (source_id, blob_id, original_name, media_type, "
                        "detected_type, size, sha256, captured_by, obtained_from, exhibit_ref, "
                        "extraction_status, extraction_reason, extraction_truncated, uid, "
                        "created_at, updated_at) VALUES (:source, :blob, :name, 'text/plain', "
                        "'txt', 1, :sha, 'Bench Analyst', '', '', 'ok', '', 0, :uid, :at, :at) "
                        "RETURNING id"
                    ),
                    dict(
                        source=(n * 37) % n_sources + 1,
                        blob=blob,
                        name=f"download {n:05d} {w.rng.choice(SURNAMES)}.txt",
                        sha=f"{n:064x}",
                        uid=f"a{n:031d}",
                        at=stamp,
                    ),
                ).scalar_one()
                segments = text_segments(w.paragraph(TEXT_CHARS))
                s.execute(
                    text(
                        "INSERT INTO attachment_text (attachment_id, seq, body) "
                        "SELECT :id, key, value FROM json_each(:segments)"
                    ),
                    dict(id=attachment, segments=json.dumps(segments, ensure_ascii=False)),
                )
    ws.close()
    print(f"built {target.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


# --- measuring ----------------------------------------------------------------------------
def queries(seed: int = 11) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for _ in range(30):
        out.append(("surname", rng.choice(SURNAMES)))
    for _ in range(20):
        out.append(("full name", f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}"))
    for _ in range(20):
        out.append(("place", rng.choice(PLACES).replace("-", " ")))
    for _ in range(25):
        out.append(("phone", f"07700 900{rng.randrange(1000):03d}"))
    for _ in range(15):
        out.append(("reference", f"PND-2026-{rng.randrange(100_000):06d}"))
    for _ in range(30):
        word = rng.choice(SURNAMES + PLACES).replace("-", " ")
        out.append(("prefix (typing)", word[: rng.randint(3, 5)]))
    for _ in range(15):
        a, b = rng.sample(COMMON[40:], 2)
        out.append(("two common words", f"{a} {b}"))
    for _ in range(10):
        out.append(
            ("phrase", f'"{rng.choice(COMMON[60:])} {rng.choice(PLACES).replace("-", " ")}"')
        )
    for _ in range(10):
        out.append(("common word", rng.choice(COMMON[100:])))
    for query in ("drite", "lukasz", "wisniewski", "sukru", "celik", "dabrowski", "petrovic"):
        out.append(("accent-free", query))
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(path: Path) -> dict:
    from toexdesk.core.services import search
    from toexdesk.core.store.engine import open_workspace

    ws = open_workspace(path, PASSPHRASE)  # the app's settings: memory security ON
    try:
        from sqlalchemy import text

        with ws.engine.connect() as conn:
            memsec = conn.execute(text("PRAGMA cipher_memory_security")).scalar()
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in ("source", "finding", "entity", "attachment", "attachment_text")
            }
            counts["index_rows"] = conn.execute(text("SELECT count(*) FROM search_index")).scalar()
        qs = queries()
        passes = {}
        per_query = []
        for name in ("cold", "warm"):
            times = []
            for kind, query in qs:
                started = time.perf_counter()
                hits = search.search(ws, query)
                elapsed = (time.perf_counter() - started) * 1000
                times.append(elapsed)
                if name == "warm":
                    per_query.append((kind, query, len(hits), elapsed))
            passes[name] = times
        by_kind: dict[str, list[float]] = {}
        for kind, _, _, elapsed in per_query:
            by_kind.setdefault(kind, []).append(elapsed)
        return {
            "workspace": str(path),
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "memory_security": str(memsec),
            "counts": counts,
            "queries": len(qs),
            **{
                f"{name}_ms": {
                    "p50": round(statistics.median(t), 1),
                    "p95": round(percentile(t, 95), 1),
                    "max": round(max(t), 1),
                }
                for name, t in passes.items()
            },
            "warm_by_kind_ms": {
                kind: {"p50": round(statistics.median(t), 1), "max": round(max(t), 1)}
                for kind, t in by_kind.items()
            },
            "slowest": sorted(per_query, key=lambda q: -q[3])[:8],
        }
    finally:
        ws.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--workspace", type=Path, help="where to build or reuse the workspace")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    path = args.workspace or Path(tempfile.gettempdir()) / (
        f"toex-bench-search-{args.sources}-{args.files}.toex"
    )
    if not path.exists():
        build(path, args.sources, args.files)
    figures = measure(path)
    for name in ("cold_ms", "warm_ms"):
        f = figures[name]
        verdict = "PASS" if f["p95"] < BUDGET_MS else "FAIL"
        print(
            f"{name[:-3]:>5}: p50 {f['p50']} ms, p95 {f['p95']} ms, max {f['max']} ms "
            f"(budget p95 < {BUDGET_MS:g} ms: {verdict})"
        )
    for kind, f in figures["warm_by_kind_ms"].items():
        print(f"  {kind:<18} p50 {f['p50']:>6} ms  max {f['max']:>6} ms")
    print("slowest (warm):")
    for kind, query, n, ms in figures["slowest"]:
        print(f"  {ms:7.1f} ms  {n:>3} hits  {kind:<18} {query!r}")
    print(json.dumps({k: v for k, v in figures.items() if k != "slowest"}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
