"""`minformer plan` and `minformer scaling` from the command line, offline on the built-in corpus."""

import json
import math

import pytest

from minformer.cli.main import main
from minformer.scaling import CHINCHILLA, tokens_per_parameter_rule

TINY_SWEEP = ["scaling", "--builtin", "--sizes", "1x16", "1x32", "2x32", "--tokens", "4096", "8192", "16384",
              "--block-size", "32", "--batch-size", "8", "--vocab-size", "300", "--bootstrap", "10"]


def test_plan_prints_both_allocations_and_the_config(capsys):
    assert main(["plan", "--flops", "5.76e23", "--flops-per-second", "2.5e11", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    n, d = CHINCHILLA.optimal(5.76e23)
    assert math.isclose(result["parametric_parameters"], n) and math.isclose(result["parametric_tokens"], d)
    assert math.isclose(result["rule_parameters"], tokens_per_parameter_rule(5.76e23)[0])
    assert math.isclose(result["seconds"], result["config_tokens"] * result["config_flops_per_token"] / 2.5e11)
    assert math.isclose(result["config_parameters"], n, rel_tol=0.1)
    assert main(["plan", "--flops", "1e15", "--flops-per-second", "2.5e11"]) == 0
    out = capsys.readouterr().out
    assert "parametric fit (Approach 3)" in out and "20 tokens per parameter" in out and "embeddings included" in out
    assert "wall time on this machine: 1.2 h at 2.5e+11" in out  # 1e15 FLOPs of a 3.4 M-parameter decoder


def test_plan_by_hours_measures_this_machine(capsys):
    assert main(["plan", "--hours", "0.01", "--vocab-size", "512", "--block-size", "32", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert math.isfinite(result["flops_per_second"]) and result["flops_per_second"] > 0  # measured, not given
    assert math.isclose(result["seconds"], 36.0, rel_tol=1e-9)  # the budget is what 0.01 h buys here


@pytest.mark.parametrize("argv, message", [
    (["plan", "--flops", "-3"], "positive number of FLOPs"),
    (["plan", "--hours", "0"], "--hours must be positive"),
    (["plan", "--flops", "1e15", "--block-size", "0"], "--block-size must be a positive integer"),
    (["plan", "--flops", "1e15", "--law", "/nonexistent/scaling.json"], "no such file"),
])
def test_plan_errors(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_scaling_sweep_fits_and_plots(tmp_path, capsys):
    output = tmp_path / "sweep"
    assert main([*TINY_SWEEP, "--output", str(output)]) == 0
    result = json.loads((output / "scaling.json").read_text())
    assert len(result["runs"]) == 9 and "not Hoffmann" in result["note"]
    for size in ("1x16", "1x32", "2x32"):  # more tokens, lower loss, for every size
        losses = [r["validation_loss"] for r in result["runs"] if r["size"] == size]
        assert losses == sorted(losses, reverse=True)
    law = result["fit"]["law"]
    assert set(law) == {"E", "A", "B", "alpha", "beta"} and all(math.isfinite(v) for v in law.values())
    assert (output / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "α =" in out and "±" in out and "not the paper's" in out
    # the fitted law plans too, and an existing sweep is never replaced without --overwrite
    assert main(["plan", "--flops", "1e12", "--law", str(output / "scaling.json"), "--flops-per-second", "1e11"]) == 0
    assert f"fitted in {output / 'scaling.json'}" in capsys.readouterr().out
    before = (output / "scaling.json").read_bytes()
    assert main([*TINY_SWEEP, "--output", str(output)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (output / "scaling.json").read_bytes() == before


@pytest.mark.parametrize("extra, message", [
    (["--sizes", "2by32"], "LAYERSxWIDTH"),
    (["--tokens", "16"], "below one batch"),
])
def test_scaling_errors(extra, message, tmp_path, capsys):
    assert main([*TINY_SWEEP, *extra, "--output", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
