"""The supported transformers range is tested at both ends: the Makefile's second venv installs exactly the floor
that pyproject.toml declares."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_lowest_venv_installs_pyprojects_floor():
    (floor,) = re.findall(r'^\s*"transformers>=([\w.]+)', (ROOT / "pyproject.toml").read_text(), re.M)
    lowest = re.search(r"^LOWEST_TRANSFORMERS\s*\?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert lowest == floor, f"Makefile tests transformers {lowest}, pyproject.toml's floor is {floor}"
