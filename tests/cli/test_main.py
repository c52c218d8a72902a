"""The `minformer` console script and the package import."""

import subprocess
import sys

import torch

import minformer
from minformer.cli.main import main
from tests.warm_cli import run_minformer


def run(*args):
    return subprocess.run([sys.executable, "-m", "minformer.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


def test_version_and_help():
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"minformer {minformer.__version__}"
    helped = run_minformer(["--help"])
    assert helped.returncode == 0 and "usage: minformer" in helped.stdout and "backends" in helped.stdout


def test_backends_lists_every_backend_and_why_xformers_cannot_run_here(capsys):
    assert main(["backends"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [["eager", "available"], ["sdpa", "available"],
                                                       ["chunked", "available"]]
    if not torch.cuda.is_available():  # this CI machine: no GPU
        assert lines[3].split()[:2] == ["xformers", "unavailable"] and "why: " in lines[4] and "CUDA" in lines[4]


def test_import_is_silent_and_does_not_load_xformers():
    code = "import sys, minformer; print(sorted(m for m in sys.modules if m.startswith('xformers')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n" and result.stderr == ""


def test_backends_check_loads_a_model_under_each_backend_by_name(tmp_path, capsys):
    from tests.conftest import decoder_config

    minformer.MinformerDecoderForCausalLM(decoder_config()).save_pretrained(tmp_path)
    assert main(["backends", "--check", str(tmp_path), "--attn-implementation", "sdpa", "chunked",
                 "--length", "24"]) == 0
    report = [line.split() for line in capsys.readouterr().out.splitlines() if "max |output - eager|" in line]
    assert [row[0] for row in report] == ["eager", "sdpa", "chunked"]
    assert all(float(row[6]) <= 1e-5 for row in report)
