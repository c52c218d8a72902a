"""`minformer lens`, `fit-lens` and `attention-maps` on a tiny trained decoder and a tiny encoder, offline: the
tables, the PNGs, the saved lens, and the one-line errors (exit code 2) that say what to do."""

import json
import os
import re

import pytest

from minformer.cli.main import main
from minformer.lens.tuned_lens import INFO_FILE, LENS_FOLDER, WEIGHTS_FILE
from tests.training.conftest import cli

PNG = b"\x89PNG\r\n\x1a\n"
TEXT = "Return the value of the attribute."


def _png(path):
    return path.is_file() and path.read_bytes()[:8] == PNG


def _one_line_error(capsys, argv, command, *fragments):
    assert main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]  # after transformers' loading progress, if any
    assert error.startswith(f"minformer {command}: error: "), error
    assert all(fragment in error for fragment in fragments), error


def test_lens_then_fit_lens_then_lens_with_the_tuned_lens(trained_decoder, tmp_path, capsys):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    heatmap = tmp_path / "lens.png"
    assert main(["lens", str(trained_decoder), TEXT, "--top-k", "2", "--output", str(heatmap)]) == 0
    out = capsys.readouterr().out
    rows = {cells[0]: cells for cells in (re.split(r"\s{2,}", line.strip()) for line in out.splitlines()[1:-1])}
    assert list(rows) == ["input", "-----------", "embeddings", "block 1", "actual next"]
    assert rows["input"][1] == "<s>" and rows["input"][-1] == "CE logit lens" and "CE tuned lens" not in out
    assert rows["actual next"][1:-1] == rows["input"][2:-1] and rows["actual next"][-1] == "—"  # shifted by one
    assert len(rows["embeddings"]) == len(rows["input"]) and all("/" in cell for cell in rows["embeddings"][1:-1])
    assert float(rows["block 1"][-1]) < float(rows["embeddings"][-1])  # the block has learned something
    assert _png(heatmap) and f"wrote {heatmap}" in out

    assert main(["fit-lens", str(trained_decoder), "--builtin", "--steps", "30"]) == 0
    out = capsys.readouterr().out
    folder = trained_decoder / LENS_FOLDER
    assert {WEIGHTS_FILE, INFO_FILE, "kl.png"} <= {f.name for f in folder.iterdir()} and _png(folder / "kl.png")
    info = json.loads((folder / INFO_FILE).read_text())
    assert info["num_hidden_layers"] == 1 and info["hidden_size"] == 32 and info["steps"] == 30
    assert "built-in corpus" in info["text_source"] and "held-out" in info["kl_evaluated_on"]
    logit_kl, tuned_kl = info["kl_per_layer"]["logit_lens"], info["kl_per_layer"]["tuned_lens"]
    assert tuned_kl[0] < logit_kl[0] and tuned_kl[-1] == logit_kl[-1] == 0
    assert f"saved the tuned lens to {folder}" in out and "embeddings" in out

    _one_line_error(capsys, ["fit-lens", str(trained_decoder), "--builtin", "--steps", "1"], "fit-lens",
                    "already holds a tuned lens", "--overwrite")
    assert json.loads((folder / INFO_FILE).read_text())["steps"] == 30  # untouched

    assert main(["lens", str(trained_decoder), TEXT, "--output", str(heatmap)]) == 0  # finds the tuned lens itself
    out = capsys.readouterr().out
    assert "CE logit lens  CE tuned lens" in out and _png(heatmap)
    assert main(["lens", str(trained_decoder), TEXT, "--no-tuned", "--output", str(heatmap)]) == 0
    assert "CE tuned lens" not in capsys.readouterr().out


def test_attention_maps_of_a_decoder_and_an_encoder(trained_decoder, encoder_folder, tmp_path, capsys):
    for folder, layer in ((trained_decoder, 1), (encoder_folder, 2)):
        picture = tmp_path / f"{folder.name}.png"
        assert main(["attention-maps", str(folder), TEXT, "--layer", str(layer), "--output", str(picture)]) == 0
        assert _png(picture) and f"of block {layer} over" in capsys.readouterr().out


def test_fit_lens_on_the_users_files(trained_decoder, tmp_path, capsys):
    corpus = tmp_path / "notes.txt"
    corpus.write_text("\n\n".join(f"Paragraph {i}: return the value of the attribute named x{i}." for i in range(12)))
    assert main(["fit-lens", str(trained_decoder), str(corpus), "--steps", "5", "--batch-size", "2"]) == 0
    info = json.loads((trained_decoder / LENS_FOLDER / INFO_FILE).read_text())
    assert info["text_source"] == "local files: notes.txt" and info["steps"] == 5 and info["batch_size"] == 2
    assert info["kl_evaluated_on"].startswith("the training text")  # 12 short paragraphs: the 5% held out by position is shorter than a block
    assert "on the training text" in capsys.readouterr().out


@pytest.mark.parametrize("argv, command, fragments", [
    (["lens", "{decoder}", ""], "lens", ["text is empty"]),
    (["lens", "{decoder}", "word " * 40], "lens", ["reads at most 32 (max_position_embeddings)", "shorten"]),
    (["lens", "{decoder}", TEXT, "--tuned"], "lens", ["has no tuned lens", "minformer fit-lens"]),
    (["lens", "{decoder}", TEXT, "--top-k", "0"], "lens", ["--top-k must be at least 1"]),
    (["lens", "{encoder}", TEXT], "lens", ["minformer_encoder", "decoder", "attention-maps"]),
    (["attention-maps", "{decoder}", TEXT, "--layer", "0"], "attention-maps", ["layer 0 is out of range",
                                                                              "from 1 to 1"]),
    (["attention-maps", "{encoder}", "  ", "--layer", "1"], "attention-maps", ["text is empty"]),
    (["fit-lens", "{encoder}", "--builtin"], "fit-lens", ["minformer_encoder", "decoder"]),
    (["fit-lens", "{decoder}"], "fit-lens", ["exactly one text source"]),
    (["fit-lens", "{decoder}", "--builtin", "--steps", "0"], "fit-lens", ["need --steps >= 1"]),
])
def test_user_errors_are_one_line_with_the_fix(argv, command, fragments, trained_decoder, encoder_folder, capsys):
    argv = [arg.format(decoder=trained_decoder, encoder=encoder_folder) for arg in argv]
    _one_line_error(capsys, argv, command, *fragments)


def test_the_console_command_fails_in_one_line_without_a_traceback(trained_decoder):
    failed = cli("lens", str(trained_decoder), TEXT, "--tuned", env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert failed.stderr.strip().splitlines()[-1].startswith("minformer lens: error: ")
    assert "minformer fit-lens" in failed.stderr
