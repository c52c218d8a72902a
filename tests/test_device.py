"""minformer on an accelerator: every backend against eager (xformers included), generation against the CPU, one
bf16 training step of each workflow, and the chunked backend's memory against sdpa's.

The device is CUDA unless MINFORMER_TEST_DEVICE names another one (`MINFORMER_TEST_DEVICE=cpu` runs the same
checks on the CPU, which is how this file itself is checked on a machine without a GPU). Without the device every
test is skipped, with the reason shown. `benchmarks/gpu.py` runs this file and the GPU throughput table.
"""

import json
import os

import pytest
import torch

import minformer
from minformer.cli.main import main
from tests.conftest import decoder_config, encoder_config
from tests.training.conftest import TINY_MODEL

DEVICE = torch.device(os.environ.get("MINFORMER_TEST_DEVICE", "cuda"))
ON_CUDA = DEVICE.type == "cuda"
if ON_CUDA and not torch.cuda.is_available():
    pytestmark = pytest.mark.skip(reason="no CUDA GPU here (torch.cuda.is_available() is False); "
                                         "MINFORMER_TEST_DEVICE=cpu runs these checks on the CPU")


def backends() -> list:
    names = ["sdpa", "chunked", "flex_attention"]
    return names + [pytest.param("xformers", marks=pytest.mark.skipif(
        not ON_CUDA, reason="xformers has no CPU kernels: its parity is checked on CUDA only"))]


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("family", ["decoder", "encoder"])
def test_every_backend_matches_eager_on_the_device(family, backend):
    if family == "decoder":
        model = minformer.MinformerDecoderForCausalLM(decoder_config(attention_query_chunk_size=4,
                                                                     attention_key_chunk_size=5))
        mask_side = slice(0, 3)  # left padding, as for generation
    else:
        model = minformer.MinformerEncoderForMaskedLM(encoder_config(attention_query_chunk_size=4,
                                                                     attention_key_chunk_size=5))
        mask_side = slice(9, None)
    model = model.to(DEVICE).eval()
    ids = torch.randint(3, 97, (2, 13), device=DEVICE)
    mask = torch.ones_like(ids)
    mask[0, mask_side] = 0
    logits = {}
    for name in ("eager", backend):
        model.set_attn_implementation(name)
        with torch.no_grad():
            logits[name] = model(ids, attention_mask=mask).logits
    keep = mask.bool()
    torch.testing.assert_close(logits[backend][keep], logits["eager"][keep], atol=1e-4, rtol=1e-4)


def test_generation_on_the_device_matches_the_cpu():
    model = minformer.MinformerDecoderForCausalLM(decoder_config()).eval()
    model.generation_config.eos_token_id = None
    ids = torch.randint(3, 97, (2, 7))
    mask = torch.ones_like(ids)
    mask[0, :2] = 0
    on_cpu = model.generate(ids, attention_mask=mask, max_new_tokens=12, do_sample=False, pad_token_id=0)
    model.to(DEVICE)
    on_device = model.generate(ids.to(DEVICE), attention_mask=mask.to(DEVICE), max_new_tokens=12, do_sample=False,
                               pad_token_id=0)
    assert torch.equal(on_device.cpu(), on_cpu)


@pytest.mark.skipif(not ON_CUDA, reason="torch 2.13 has no flex_attention backward on CPU, and its CPU decoding "
                                        "kernel fails to compile (tests/modeling/test_attention_backends.py)")
def test_flex_attention_generates_and_trains_as_eager():
    model = minformer.MinformerDecoderForCausalLM(decoder_config()).to(DEVICE)
    model.generation_config.eos_token_id = None
    ids = torch.randint(3, 97, (2, 9), device=DEVICE)
    mask = torch.ones_like(ids)
    mask[0, :2] = 0
    generated, gradients = {}, {}
    for name in ("eager", "flex_attention"):
        model.set_attn_implementation(name)
        model.eval()
        generated[name] = model.generate(ids, attention_mask=mask, max_new_tokens=8, do_sample=False, pad_token_id=0)
        model.train()
        model.zero_grad()
        model(ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)).loss.backward()
        gradients[name] = model.model.embeddings.embed_tokens.weight.grad.clone()
    assert torch.equal(generated["flex_attention"], generated["eager"])
    torch.testing.assert_close(gradients["flex_attention"], gradients["eager"], atol=1e-4, rtol=1e-4)


@pytest.fixture(scope="module")
def bf16_encoder(tmp_path_factory):
    output = tmp_path_factory.mktemp("device") / "encoder"
    assert main(["pretrain", "--builtin", "--family", "encoder", *TINY_MODEL, "--max-steps", "2", "--batch-size",
                 "4", "--bf16", "--output", str(output)]) == 0
    return output


def trained_on_the_device(output) -> None:
    summary = json.loads((output / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["tokens_seen"] > 0
    options = json.loads((output / "training_options.json").read_text())
    assert options["bf16"] is True
    if ON_CUDA:
        assert torch.cuda.get_device_name(0) in options["hardware"]


@pytest.mark.parametrize("workflow", ["pretrain-decoder", "pretrain-encoder", "sequence-classification",
                                      "token-classification", "seq2seq"])
def test_one_bf16_training_step_of_each_workflow(workflow, bf16_encoder, tiny_decoder, tmp_path):
    output = tmp_path / workflow
    quick = ["--max-steps", "2", "--batch-size", "4", "--bf16", "--output", str(output)]
    if workflow == "pretrain-encoder":
        output = bf16_encoder
    elif workflow == "pretrain-decoder":
        assert main(["pretrain", "--builtin", "--family", "decoder", *TINY_MODEL, *quick]) == 0
    elif workflow == "seq2seq":
        assert main(["finetune", str(bf16_encoder), "--task", "seq2seq", "--decoder", str(tiny_decoder), "--builtin",
                     "--max-length", "32", *quick]) == 0
    else:
        assert main(["finetune", str(bf16_encoder), "--task", workflow, "--builtin", "--max-length", "32",
                     *quick]) == 0
    trained_on_the_device(output)


@pytest.mark.skipif(not ON_CUDA, reason="peak memory is read from torch.cuda's allocator statistics")
def test_chunked_memory_stays_within_sdpas_and_grows_linearly():
    """Forward + backward of one causal layer stack at 4k and 8k tokens: chunked attention never holds a (T, T) map,
    so its peak memory grows about linearly with T, like sdpa's memory-efficient kernels."""
    config = decoder_config(vocab_size=512, hidden_size=256, num_attention_heads=4, num_hidden_layers=2,
                            max_position_embeddings=8192)
    model = minformer.MinformerDecoderForCausalLM(config).to(DEVICE)
    peaks = {}
    for backend in ("sdpa", "chunked"):
        model.set_attn_implementation(backend)
        for length in (4096, 8192):
            ids = torch.randint(3, 512, (1, length), device=DEVICE)
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            model(ids, labels=ids).loss.backward()
            model.zero_grad(set_to_none=True)
            torch.cuda.synchronize()
            peaks[backend, length] = torch.cuda.max_memory_allocated() - base
    assert peaks["chunked", 8192] <= 1.5 * peaks["sdpa", 8192], peaks
    assert peaks["chunked", 8192] <= 2.5 * peaks["chunked", 4096], peaks
