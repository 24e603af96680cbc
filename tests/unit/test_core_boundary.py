"""The core is Qt-free: the command line and the tests use it without a GUI stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "toexdesk" / "core"
QT_PACKAGES = ("PySide6", "PyQt5", "PyQt6", "shiboken6")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_core_module_imports_qt():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 10  # the walk really found the core
    offenders = {
        str(path.relative_to(CORE)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in QT_PACKAGES
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_every_core_module_loads_no_qt():
    modules = [
        ".".join(("toexdesk", "core", *p.relative_to(CORE).with_suffix("").parts))
        for p in CORE.rglob("*.py")
        if "versions" not in p.parts and p.name != "env.py"
    ]
    modules = [m.removesuffix(".__init__") for m in modules]
    script = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_PACKAGES!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=CORE.parents[1],
    )
    assert out.stdout.strip() == "[]"
