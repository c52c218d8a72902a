"""`minformer pretrain` end to end on the built-in corpus with tiny models."""

import json
import math

import torch
from transformers import AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer, pipeline

from minformer.data import causal_lm_collator, load_text, pack_blocks, tokenize
from tests.training.conftest import logged_losses

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
