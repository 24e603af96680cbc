"""What an install carries: every package listed in pyproject.toml, and the top-level
``resources/`` folder reachable as ``toexdesk.resources`` (fonts with their licence)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_is_listed_for_the_wheel():
    listed = set(CONFIG["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "toexdesk").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    for name in listed:
        folder = CONFIG["package-dir"].get(name) or name.replace(".", "/")
        assert (ROOT / folder).is_dir(), name


def test_resources_install_as_a_package_with_the_fonts_and_not_the_screenshots():
    assert CONFIG["package-dir"]["toexdesk.resources"] == "resources"
    data = CONFIG["package-data"]["toexdesk.resources"]
    assert "fonts/*.ttf" in data and not any("screenshots" in pattern for pattern in data)
    assert "screenshots/*" in CONFIG["exclude-package-data"]["toexdesk.resources"]
    fonts = resources.files("toexdesk.resources") / "fonts"
    names = {item.name for item in fonts.iterdir()}
    assert {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"} <= names
    assert "Bitstream Vera" in (fonts / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")


def test_the_installed_project_finds_its_resources_from_any_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = (
        "import importlib.resources as r, importlib.util as u\n"
        "if u.find_spec('toexdesk') is None: raise SystemExit(77)\n"
        "print((r.files('toexdesk.resources') / 'fonts' / 'DejaVuSans.ttf').is_file())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if proc.returncode == 77:
        pytest.skip("the project is not installed in this environment (pip install -e .)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
