"""`minformer pretrain` end to end on the built-in corpus with tiny models."""

import json
import math

import torch
from transformers import AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer, pipeline

from minformer.cli.main import main
from minformer.data import causal_lm_collator, load_text, pack_blocks, tokenize
from tests.training.conftest import logged_losses, pretrain_args

RUN_FILES = {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
             "trainer_state.json", "summary.json", "loss.png"}


def test_decoder_run_learns_and_writes_a_standard_checkpoint(tiny_decoder):
    assert RUN_FILES <= {p.name for p in tiny_decoder.iterdir()}
    assert (tiny_decoder / "checkpoint-30").is_dir() and not (tiny_decoder / ".checkpoint-staging").exists()
    losses = [loss for _, loss in logged_losses(tiny_decoder)]
    assert losses[-1] < losses[0] - 0.5  # the loss goes down
    summary = json.loads((tiny_decoder / "summary.json").read_text())
    assert summary["steps"] == 30 and summary["tokens_seen"] == 30 * 8 * 32
    assert summary["validation_perplexity"] < summary["unigram_perplexity"] * 1.5
    model = AutoModelForCausalLM.from_pretrained(tiny_decoder)
    assert type(model).__name__ == "MinformerDecoderForCausalLM"
    assert type(AutoModel.from_pretrained(tiny_decoder / "checkpoint-30")).__name__ == "MinformerDecoderModel"
    generator = pipeline("text-generation", model=str(tiny_decoder))
    assert generator("Return the", max_new_tokens=5, do_sample=False)[0]["generated_text"].startswith("Return the")


def test_decoder_perplexity_is_exp_of_mean_nll_computed_by_hand(tiny_decoder):
    summary = json.loads((tiny_decoder / "summary.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(tiny_decoder)
    model = AutoModelForCausalLM.from_pretrained(tiny_decoder).eval()
    data = load_text(builtin="corpus")
    blocks = pack_blocks(tokenize(data, tokenizer)["validation"], 32, tokenizer.eos_token_id)
    nll, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(blocks), 64):
            ids = torch.tensor(blocks[start:start + 64]["input_ids"])
            logits = model(ids).logits[:, :-1]
            nll += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                                                     reduction="sum").item()
            tokens += ids[:, 1:].numel()
    assert math.isclose(summary["validation_perplexity"], math.exp(nll / tokens), rel_tol=1e-4)


def test_encoder_run_learns_masked_lm(tiny_encoder):
    assert RUN_FILES - {"generation_config.json"} <= {p.name for p in tiny_encoder.iterdir()}
    losses = [loss for _, loss in logged_losses(tiny_encoder)]
    assert losses[-1] < losses[0] - 0.5
    model = AutoModelForMaskedLM.from_pretrained(tiny_encoder)
    assert type(model).__name__ == "MinformerEncoderForMaskedLM"
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    assert tokenizer.padding_side == "right" and tokenizer("x")["input_ids"][-1] == tokenizer.eos_token_id
    fill = pipeline("fill-mask", model=str(tiny_encoder))
    assert len(fill("Return the <mask> of the list.")) == 5


def test_collator_used_for_decoder_training_masks_nothing(tiny_decoder):
    tokenizer = AutoTokenizer.from_pretrained(tiny_decoder)
    batch = causal_lm_collator(tokenizer)([{"input_ids": [2, 10, 11, 3]}])
    assert batch["labels"].tolist() == [[2, 10, 11, 3]]


def test_sparse_prediction_trains_the_same_encoder(tiny_encoder, tmp_path):
    """The default speed-up must not change training: same seed, same data, the same logged losses as the dense
    head (--no-sparse-prediction)."""
    assert json.loads((tiny_encoder / "config.json").read_text())["sparse_prediction"] is True  # pretrain's default
    output = tmp_path / "dense"
    assert main(pretrain_args("encoder", output, extra=["--no-sparse-prediction"])) == 0
    assert json.loads((output / "config.json").read_text())["sparse_prediction"] is False
    sparse, dense = logged_losses(tiny_encoder), logged_losses(output)
    assert [step for step, _ in sparse] == [step for step, _ in dense]
    for (step, a), (_, b) in zip(dense, sparse):
        assert math.isclose(a, b, rel_tol=1e-3), (step, a, b)


def test_sparse_prediction_is_refused_for_a_decoder(tmp_path, capsys):
    assert main(pretrain_args("decoder", tmp_path / "run", extra=["--sparse-prediction"])) == 2
    assert "--family encoder" in capsys.readouterr().err


def test_bf16_autocast_trains_close_to_float32(tiny_decoder, tmp_path):
    """--bf16 reaches the Trainer (recorded with the run) and trains like float32 within bfloat16's precision."""
    output = tmp_path / "bf16"
    assert main(pretrain_args("decoder", output, extra=["--bf16"])) == 0
    assert json.loads((output / "training_options.json").read_text())["bf16"] is True
    fp32, bf16 = logged_losses(tiny_decoder), logged_losses(output)
    assert math.isclose(bf16[0][1], fp32[0][1], rel_tol=0.02)
    assert math.isclose(bf16[-1][1], fp32[-1][1], rel_tol=0.05)
    assert bf16[-1][1] < bf16[0][1] - 0.5
