"""GPT-2 -> minformer decoder: same logits, hidden states and greedy generation as transformers' own model."""

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

import minformer
from minformer.convert import from_gpt2

CONFIGS = {
    "tiny": dict(n_embd=32, n_layer=2, n_head=4),
    "deeper-gelu": dict(n_embd=48, n_layer=3, n_head=3, activation_function="gelu", n_inner=80),
    "untied": dict(n_embd=32, n_layer=1, n_head=2, tie_word_embeddings=False, layer_norm_epsilon=1e-6),
}


def gpt2(name, attn="sdpa"):
    config = GPT2Config(vocab_size=101, n_positions=48, bos_token_id=1, eos_token_id=1, **CONFIGS[name])
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():  # random, non-trivial norms and biases so every mapped weight matters
        for name_, p in model.named_parameters():
            if "ln" in name_ or "bias" in name_:
                p.add_(0.1 * torch.randn_like(p))
    model.set_attn_implementation(attn)
    return model


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_same_logits_with_and_without_padding(name, attn):
    reference = gpt2(name, attn)
    model = from_gpt2(reference)
    assert isinstance(model, minformer.MinformerDecoderForCausalLM) and model.attention_backend == attn
    ids = torch.randint(2, 101, (3, 12))
    for mask in (None, torch.tensor([[0] * 4 + [1] * 8, [1] * 12, [0] + [1] * 11])):
        expected = reference(ids, attention_mask=mask, output_hidden_states=True)
        actual = model(ids, attention_mask=mask, output_hidden_states=True)
        keep = mask.bool() if mask is not None else torch.ones_like(ids, dtype=torch.bool)
        torch.testing.assert_close(actual.logits[keep], expected.logits[keep], atol=1e-5, rtol=0)
        for ours, theirs in zip(actual.hidden_states, expected.hidden_states, strict=True):
            torch.testing.assert_close(ours[keep], theirs[keep], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_same_greedy_generation_batched_and_left_padded(name):
    reference = gpt2(name)
    model = from_gpt2(reference)
    ids = torch.randint(2, 101, (2, 6))
    mask = torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    kwargs = dict(attention_mask=mask, max_new_tokens=10, do_sample=False, pad_token_id=0)
    assert torch.equal(model.generate(ids, **kwargs), reference.generate(ids, **kwargs))


def test_gpt2_options_minformer_cannot_reproduce_are_refused():
    config = GPT2Config(vocab_size=50, n_embd=16, n_layer=1, n_head=2, scale_attn_by_inverse_layer_idx=True)
    with pytest.raises(ValueError, match="scale_attn_by_inverse_layer_idx=True"):
        from_gpt2(GPT2LMHeadModel(config))
    with pytest.raises(TypeError, match="expects a transformers GPT2LMHeadModel"):
        from_gpt2(torch.nn.Linear(2, 2))
