"""Capturing 1,000 mixed documents in one batch (budget: under 60 s on the reference box).

    PYTHONPATH=. python tests/perf/bench_capture.py [--files 1000] [--json out.json]

Generates ``--files`` distinct documents of every supported kind (PDF, DOCX, XLSX, CSV,
EML, MSG, HTML, MHT, TXT, PNG, JPEG) with the libraries that write each format, all with
invented names and 07700 900xxx numbers, then captures them onto one source as *Attach
files…* does: one ``capture_files`` batch, each file streamed into the encrypted workspace
with its text extracted in child processes (time and memory limits, reused for 25 files).
Reports the wall time of the capture alone, files per second, the slowest file, what was
stored/failed, and checks every file is found by a word of its own text afterwards (a
sample of 50). Not part of the normal test run.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import extract_factory as f  # noqa: E402  (needs the paths above when run as a script)

BUDGET_S = 60.0
PASSPHRASE = "bench passphrase for capture"
# Shares of each kind, roughly what a research task collects.
MIX = {
    "pdf": 20, "docx": 15, "xlsx": 8, "csv": 8, "eml": 10, "msg": 6, "html": 8, "mht": 4,
    "txt": 11, "png": 5, "jpg": 5,
}  # fmt: skip


def marker(n: int) -> str:
    return f"zqmark{n:05d}"  # one searchable word per file


def make(kind: str, n: int) -> bytes:
    rng = random.Random(n)
    phone = f"07700 900{rng.randrange(1000):03d}"
    line = f"Note {marker(n)}: courier seen with {phone} near Mill Lane depot."
    if kind == "pdf":
        return f.pdf_bytes([line, f"Page two of document {n}: vehicle AB{n % 90 + 10} XYZ"])
    if kind == "docx":
        import docx

        document = docx.Document()
        document.add_heading(f"Research note {n}", level=1)
        document.add_paragraph(line)
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Caller", "Number", "Note"])
        for row in range(20):
            sheet.append([f"Caller {row}", f"07700 900{(n + row) % 1000:03d}", line])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    if kind == "csv":
        rows = [f"{i},07700 900{(n + i) % 1000:03d},{line}" for i in range(40)]
        return ("id,number,note\n" + "\n".join(rows)).encode()
    if kind == "eml":
        return f.eml_bytes().replace(b"Meet at the depot.", line.encode())
    if kind == "msg":
        parts = f.msg_parts()
        parts["message"][(f.BODY, f.UNICODE)] = line
        return f.build_msg(parts)
    if kind == "html":
        return f"<html><body><h1>Forum {n}</h1><p>{line}</p></body></html>".encode()
    if kind == "mht":
        return f.mht_bytes().replace(b"Forum thread 17", f"Forum thread {marker(n)}".encode())
    if kind == "txt":
        return "\n".join([line] * rng.randrange(5, 200)).encode()
    colour = (n % 256, (n * 7) % 256, (n * 13) % 256)
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64 + n % 64, 48), colour).save(
        buffer, format="PNG" if kind == "png" else "JPEG"
    )
    return buffer.getvalue()


def generate(folder: Path, count: int) -> list[Path]:
    # One of each kind first, then the mix, interleaved (not 200 PDFs in a row).
    mixed = [k for _, k in sorted(((i + 0.5) / s, k) for k, s in MIX.items() for i in range(s))]
    paths = []
    for n in range(count):
        kind = list(MIX)[n] if n < len(MIX) else mixed[(n - len(MIX)) % len(mixed)]
        path = folder / f"doc-{n:05d}.{kind}"
        path.write_bytes(make(kind, n))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from toexdesk.core.services import capture, search, sources, tasks
    from toexdesk.core.store.engine import create_workspace

    with tempfile.TemporaryDirectory(prefix="toex-bench-capture-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        (folder / "in").mkdir()
        paths = generate(folder / "in", args.files)
        made = time.perf_counter() - started
        size = sum(p.stat().st_size for p in paths)
        print(f"generated {len(paths):,} files, {size / 1e6:.1f} MB, in {made:.1f} s")
        slowest = [0.0, ""]
        last = [time.perf_counter()]

        def progress(done: int, total: int, message: str) -> None:
            now = time.perf_counter()
            if now - last[0] > slowest[0]:
                slowest[:] = [now - last[0], message]
            last[0] = now

        with create_workspace(folder / "bench.toex", PASSPHRASE, "Bench") as ws:
            task = tasks.create_task(ws, tasks.TaskDraft("Capture bench", "DS Example", "other"))
            src = sources.create_source(
                ws, task.id, sources.SourceDraft("Bulk return", "document", "2", "B", "P")
            )
            started = last[0] = time.perf_counter()
            results = capture.capture_files(ws, src.id, paths, progress=progress)
            took = time.perf_counter() - started
            outcomes: dict[str, int] = {}
            for r in results:
                outcomes[r.outcome.value] = outcomes.get(r.outcome.value, 0) + 1
            failed = [f"{Path(r.path).name}: {r.message}" for r in results if not r.ok]
            texty = [n for n, p in enumerate(paths) if p.suffix not in (".png", ".jpg")]
            texty = texty[:: max(1, len(texty) // 50)]
            unfound = [n for n in texty if not search.search(ws, marker(n))]
    figures = {
        "files": len(paths),
        "megabytes": round(size / 1e6, 1),
        "capture_s": round(took, 1),
        "files_per_s": round(len(paths) / took, 1),
        "slowest_file_s": round(slowest[0], 2),
        "outcomes": outcomes,
        "failed": failed[:10],
        "searched": len(texty),
        "not_found": len(unfound),
        "budget_s": BUDGET_S,
    }
    verdict = "within" if took < BUDGET_S else "OVER"
    print(
        f"captured {len(paths):,} files in {took:.1f} s ({len(paths) / took:.1f}/s; slowest "
        f"step {slowest[0]:.2f} s) — {verdict} the {BUDGET_S:.0f} s budget"
    )
    print(f"outcomes {outcomes}; {len(texty) - len(unfound)}/{len(texty)} sampled files found")
    for line in failed[:10]:
        print(f"  failed: {line}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if took < BUDGET_S and not unfound and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
