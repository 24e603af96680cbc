"""What is inside a built TOEX Desk executable, and how big. Run by ``make.py exe`` with the
.venv's Python (it reads the archive with PyInstaller's own reader):

    python build/exe_report.py build/dist/toexdesk [--top 15] [--json FILE]

For a one-file build: the file's size and SHA-256, the largest items of its archive by their
stored (compressed) size, and the same grouped by package. For a one-folder build: the
folder's total and its largest files."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path, PurePosixPath


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def mb(n: int) -> str:
    return f"{n / 1e6:6.1f} MB"


def group_of(name: str) -> str:
    """The package (or library) an archive item belongs to, for the by-package view."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts:
        return name
    if parts[0] in {"PySide6", "shiboken6"} and len(parts) > 2 and parts[1] == "Qt":
        return f"{parts[0]}/Qt/{parts[2]}"  # Qt/lib, Qt/plugins
    if parts[0].endswith(".libs"):
        return parts[0]  # vendored libraries (pillow.libs, …)
    if len(parts) == 1:
        return "top level: " + ("python" if "python3" in name.lower() else "libraries")
    return parts[0]


def onefile_items(exe: Path) -> list[dict]:
    from PyInstaller.archive.readers import CArchiveReader
    from PyInstaller.loader.pyimod01_archive import ZlibArchiveReader

    archive = CArchiveReader(str(exe))
    items = []
    for name, (_offset, stored, size, _flag, typecode) in archive.toc.items():
        items.append({"name": name, "stored": stored, "size": size, "type": typecode})
        if typecode == "z":  # the PYZ: every Python module, compressed one by one
            pyz = archive.open_embedded_archive(name)
            assert isinstance(pyz, ZlibArchiveReader)
            for module, (_kind, _off, length) in pyz.toc.items():
                items.append(
                    {
                        "name": f"{name}:{module}",
                        "stored": length,
                        "size": length,
                        "type": "pyz-module",
                    }
                )
    return items


def report(target: Path, top: int) -> dict:
    if target.is_dir():
        # symbolic links (Linux: libraries linked into place) are not counted twice
        files = [p for p in target.rglob("*") if p.is_file() and not p.is_symlink()]
        total = sum(p.stat().st_size for p in files)
        largest = sorted(files, key=lambda p: p.stat().st_size, reverse=True)[:top]
        by_group: Counter[str] = Counter()
        for p in files:
            rel = p.relative_to(target).as_posix().removeprefix("_internal/")
            by_group[group_of(rel)] += p.stat().st_size
        return {
            "kind": "onedir",
            "path": str(target),
            "size": total,
            "files": len(files),
            "largest": [
                {"name": p.relative_to(target).as_posix(), "stored": p.stat().st_size}
                for p in largest
            ],
            "groups": by_group.most_common(top),
        }
    items = onefile_items(target)
    archive_items = [i for i in items if i["type"] != "pyz-module"]
    modules = [i for i in items if i["type"] == "pyz-module"]
    by_group = Counter()
    for item in archive_items:
        if item["type"] != "z":
            by_group[group_of(item["name"])] += item["stored"]
    for item in modules:
        package = item["name"].split(":", 1)[1].split(".")[0]
        by_group[f"{package} (Python code)"] += item["stored"]
    largest = sorted(archive_items, key=lambda i: i["stored"], reverse=True)[:top]
    return {
        "kind": "onefile",
        "path": str(target),
        "size": target.stat().st_size,
        "sha256": sha256(target),
        "items": len(archive_items),
        "modules": len(modules),
        # what the one-file executable writes to its temporary folder at every start (the
        # Python modules stay in the archive, read in place)
        "unpacked": sum(i["size"] for i in archive_items if i["type"] in {"b", "x"}),
        "largest": largest,
        "groups": by_group.most_common(top),
    }


def print_report(data: dict, top: int) -> None:
    if data["kind"] == "onefile":
        print(
            f"{data['path']}: {mb(data['size'])} ({data['size']:,} bytes), "
            f"{data['items']} items + {data['modules']} Python modules, "
            f"{mb(data['unpacked']).strip()} unpacked at every start"
        )
        print(f"SHA-256  {data['sha256']}")
        print(f"\n{top} largest items inside (stored, compressed / unpacked):")
        for item in data["largest"]:
            print(f"  {mb(item['stored'])}  {mb(item['size'])}  {item['name']}")
    else:
        print(f"{data['path']}/: {mb(data['size'])} in {data['files']} files")
        print(f"\n{top} largest files:")
        for item in data["largest"]:
            print(f"  {mb(item['stored'])}  {item['name']}")
    print(f"\nBy package ({'stored' if data['kind'] == 'onefile' else 'on disk'}):")
    for group, size in data["groups"]:
        print(f"  {mb(size)}  {group}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="the one-file executable or one-folder build")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    data = report(args.target, args.top)
    print_report(data, args.top)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
