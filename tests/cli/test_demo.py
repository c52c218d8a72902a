"""`minformer demo` end to end at a tiny scale (the README runs it at full scale)."""

import json

from minformer.cli.main import main


def test_demo_writes_everything_into_one_folder(tmp_path, capsys):
    output = tmp_path / "demo"
    assert main(["demo", "--output", str(output), "--minutes", "0.3"]) == 0
    printed = capsys.readouterr().out
    assert "decoder test perplexity" in printed and "unigram model of the same tokens" in printed
    assert "classifier test accuracy" in printed and "majority class" in printed
    for name in ("report.md", "metrics.json", "decoder/loss.png", "encoder/loss.png", "classifier/loss.png",
                 "decoder/model.safetensors", "tokenizer-decoder/tokenizer.json", "classifier/config.json"):
        assert (output / name).is_file(), name
    metrics = json.loads((output / "metrics.json").read_text())
    assert len(metrics["samples"]) == 3 and metrics["decoder"]["unigram_perplexity"] > 1
    # planned from this machine's speed: the plan is printed before each run and kept with the actual times
    assert "plan for the decoder:" in printed and "FLOP/s measured here" in printed and "(budget 0.3 min)" in printed
    for run in ("decoder", "encoder", "classifier"):
        plan = metrics["plan"][run]
        assert plan["steps"] == metrics["training"][run]["steps"] >= 2 and plan["actual_seconds"] > 0
    assert main(["demo", "--output", str(output), "--minutes", "0.3"]) == 2  # refuses to clobber without --overwrite
