"""Attention: the eager reference against a float64 computation, eager vs sdpa on whole models (forward and
gradients), backend selection and refusal."""

import pytest
import torch
from transformers import AutoModelForCausalLM

import minformer
from minformer.modeling.attention import eager_attention_forward
from tests.conftest import VARIANTS, decoder_config, encoder_config


def reference_attention(q, k, v, mask):
    """softmax(q kᵀ / sqrt(hs) + mask) v in float64, written out by hand."""
    q, k, v = q.double(), k.double(), v.double()
    scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
    scores = scores.masked_fill(~mask, float("-inf"))
    return (scores.softmax(-1) @ v).transpose(1, 2)


def test_eager_matches_float64_reference_with_bool_and_additive_masks():
    B, nh, T, S, hs = 2, 3, 5, 7, 8
    q, k, v = torch.randn(B, nh, T, hs), torch.randn(B, nh, S, hs), torch.randn(B, nh, S, hs)
    mask = torch.rand(B, 1, T, S) > 0.3
    mask[..., 0] = True  # every query sees at least one key
    expected = reference_attention(q, k, v, mask)
    module = torch.nn.Module()
    out_bool, weights = eager_attention_forward(module, q, k, v, mask, scaling=hs**-0.5)
    additive = torch.zeros(mask.shape).masked_fill(~mask, torch.finfo(torch.float32).min)
    out_add, _ = eager_attention_forward(module, q, k, v, additive, scaling=hs**-0.5)
    assert out_bool.shape == (B, T, nh, hs) and weights.shape == (B, nh, T, S)
    torch.testing.assert_close(out_bool.double(), expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(out_add.double(), expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, nh, T))


def _padded_batch(vocab_size=97, left=False):
    ids = torch.randint(3, vocab_size, (3, 9))
    mask = torch.ones_like(ids)
    if left:
        mask[0, :4], mask[1, :1] = 0, 0
    else:
        mask[0, 5:], mask[1, 8:] = 0, 0
    return ids, mask


def _forward_and_grads(model, ids, mask, backend):
    model.set_attn_implementation(backend)
    model.zero_grad()
    out = model(ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100))  # padding is not a target
    out.loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    return out.logits.detach(), grads


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("family", ["decoder", "encoder"])
def test_eager_and_sdpa_agree_on_logits_and_gradients(family, variant):
    if family == "decoder":
        model = minformer.MinformerDecoderForCausalLM(decoder_config(**VARIANTS[variant]))
    else:
        model = minformer.MinformerEncoderForMaskedLM(encoder_config(**VARIANTS[variant]))
    ids, mask = _padded_batch()  # right padding, as in training
    logits_eager, grads_eager = _forward_and_grads(model, ids, mask, "eager")
    logits_sdpa, grads_sdpa = _forward_and_grads(model, ids, mask, "sdpa")
    keep = mask.bool()
    torch.testing.assert_close(logits_sdpa[keep], logits_eager[keep], atol=1e-5, rtol=0)
    assert grads_eager.keys() == grads_sdpa.keys() and len(grads_eager) > 10
    for name in grads_eager:
        torch.testing.assert_close(grads_sdpa[name], grads_eager[name], atol=1e-5, rtol=0, msg=name)


def test_unknown_backend_is_refused_in_transformers_words(tmp_path):
    model = minformer.MinformerDecoderForCausalLM(decoder_config())
    with pytest.raises(ValueError, match=r'Specified `attn_implementation="nope"` is not supported. minformer\'s '
                                         r"backends are 'eager', 'sdpa', 'chunked', 'xformers'"):
        model.set_attn_implementation("nope")
    model.save_pretrained(tmp_path)
    with pytest.raises(ValueError, match='Specified `attn_implementation="nope"` is not supported'):
        AutoModelForCausalLM.from_pretrained(tmp_path, attn_implementation="nope")


def test_every_registered_backend_is_let_through(tmp_path):
    """A backend registered with transformers' AttentionInterface (as vLLM and kernels-hub backends are) runs the
    model: here a counting wrapper around sdpa, under a name minformer has never heard of."""
    from transformers import AttentionInterface, AttentionMaskInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    from transformers.masking_utils import sdpa_mask

    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return sdpa_attention_forward(*args, **kwargs)

    AttentionInterface.register("counted_sdpa", counted)
    AttentionMaskInterface.register("counted_sdpa", sdpa_mask)
    model = minformer.MinformerDecoderForCausalLM(decoder_config()).eval()
    ids = torch.randint(3, 97, (2, 7))
    expected = model(ids).logits
    model.set_attn_implementation("counted_sdpa")
    torch.testing.assert_close(model(ids).logits, expected, atol=1e-6, rtol=0)
    assert len(calls) == model.config.num_hidden_layers
    # transformers' own backends reach transformers' own checks (here: flash-attn is not installed / not CUDA)
    with pytest.raises((ImportError, ValueError)) as refused:
        model.set_attn_implementation("flash_attention_2")
    assert "not a minformer attention backend" not in str(refused.value)


def test_backend_is_selectable_and_reported(tmp_path):
    model = minformer.MinformerDecoderForCausalLM(decoder_config())
    assert model.attention_backend == "sdpa"  # transformers' default
    model.set_attn_implementation("eager")
    assert model.attention_backend == "eager" and model.model.config._attn_implementation == "eager"
    model.save_pretrained(tmp_path)
    assert AutoModelForCausalLM.from_pretrained(tmp_path, attn_implementation="eager").attention_backend == "eager"


@pytest.mark.parametrize("backend", ["sdpa", "chunked"])
def test_attention_maps_need_eager(backend):
    """As transformers' own models under sdpa: a warning naming the fix, no maps, the same outputs."""
    from transformers.testing_utils import CaptureLogger

    from minformer.modeling import pretrained

    model = minformer.MinformerEncoderModel(encoder_config(attention_dropout=0.0)).eval()
    ids, mask = _padded_batch()
    model.set_attn_implementation(backend)
    pretrained.logger.warning_once.cache_clear()
    with CaptureLogger(pretrained.logger) as captured:
        out = model(ids, attention_mask=mask, output_attentions=True)
    assert f"`{backend}` attention does not support `output_attentions=True`" in captured.out
    assert "attn_implementation='eager'" in captured.out
    assert out.attentions == ()  # what LlamaModel returns under sdpa too
    model.set_attn_implementation("eager")
    torch.testing.assert_close(model(ids, attention_mask=mask).last_hidden_state[mask.bool()],
                               out.last_hidden_state[mask.bool()], atol=1e-5, rtol=0)
    attentions = model(ids, attention_mask=mask, output_attentions=True).attentions
    assert len(attentions) == 2 and attentions[0].shape == (3, 4, 9, 9)
    # padding keys get no weight: row 0 has 5 real tokens
    assert attentions[0][0, :, :, 5:].abs().max() < 1e-6
