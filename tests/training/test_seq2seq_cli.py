"""`minformer pretrain --family seq2seq` and `finetune --task seq2seq` end to end on the built-in task."""

import json

import torch
from transformers import AutoModelForSeq2SeqLM

from minformer.cli.main import main
from minformer.training.optimizers import muon_parameter_names
from tests.training.conftest import TINY_RUN


def test_seq2seq_from_scratch_on_the_builtin_task(tmp_path, capsys):
    output = tmp_path / "s2s"
    assert main(["pretrain", "--family", "seq2seq", "--builtin", "--preset", "tiny", "--vocab-size", "400",
                 "--block-size", "24", *TINY_RUN, "--max-steps", "40", "--output", str(output)]) == 0
    summary = json.loads((output / "summary.json").read_text())
    for key in ("test_exact_match", "test_bleu", "copy_baseline_exact_match", "copy_baseline_bleu"):
        assert 0.0 <= summary[key] <= 1.0
    assert summary["copy_baseline_exact_match"] == 0.0  # reversing is never copying (3+ distinct words)
    losses = [e["loss"] for e in json.loads((output / "trainer_state.json").read_text())["log_history"] if "loss" in e]
    assert losses[-1] < losses[0]
    model = AutoModelForSeq2SeqLM.from_pretrained(output)
    assert type(model.encoder).__name__ == "MinformerEncoderModel"
    assert type(model.decoder).__name__ == "MinformerDecoderForCausalLM"


def test_seq2seq_warm_started_from_pretrained_encoder_and_decoder(tiny_encoder, tiny_decoder, tmp_path):
    output = tmp_path / "warm"
    assert main(["finetune", str(tiny_encoder), "--task", "seq2seq", "--decoder", str(tiny_decoder), "--builtin",
                 "--max-length", "24", *TINY_RUN, "--max-steps", "10", "--optimizer", "muon",
                 "--output", str(output)]) == 0
    assert json.loads((output / "summary.json").read_text())["steps"] == 10
    # Muon took the matrices of both halves' blocks (cross-attention included), AdamW the rest
    state = torch.load(output / "checkpoint-10" / "optimizer.pt", weights_only=True)
    muon = [len(group["params"]) for group in state["param_groups"] if group["muon"]]
    assert muon == [len(muon_parameter_names(AutoModelForSeq2SeqLM.from_pretrained(output)))]
    assert muon[0] == 6 + 10  # encoder: q, k, v, o, up, down; decoder: the same plus cross-attention's q, k, v, o


def test_seq2seq_needs_a_decoder(tiny_encoder, tmp_path, capsys):
    assert main(["finetune", str(tiny_encoder), "--task", "seq2seq", "--builtin", "--output", str(tmp_path)]) == 2
    assert "--task seq2seq needs --decoder" in capsys.readouterr().err
