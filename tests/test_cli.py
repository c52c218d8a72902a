"""The `minformer` console script and the package import."""

import subprocess
import sys

import minformer
from minformer.cli.main import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "minformer.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


def test_version_and_help():
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"minformer {minformer.__version__}"
    helped = run("--help")
    assert helped.returncode == 0 and "usage: minformer" in helped.stdout and "backends" in helped.stdout


def test_backends_lists_eager_and_sdpa(capsys):
    assert main(["backends"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["eager", "available"] and lines[1].split()[:2] == ["sdpa", "available"]


def test_import_is_silent_and_does_not_load_xformers():
    code = "import sys, minformer; print(sorted(m for m in sys.modules if m.startswith('xformers')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n" and result.stderr == ""
