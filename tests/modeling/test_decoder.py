"""The causal decoder: causality, KV cache, generation (cached, left-padded), cross-attention, HF plumbing."""

import pytest
import torch
from transformers import DynamicCache, EncoderDecoderCache

import minformer
from minformer.modeling.cache_name import cache_of
from tests.conftest import VARIANTS, decoder_config

PAD = 0


@pytest.fixture(params=list(VARIANTS))
def lm(request):
    return minformer.MinformerDecoderForCausalLM(decoder_config(**VARIANTS[request.param])).eval()


def test_future_tokens_do_not_change_the_past(lm):
    ids = torch.randint(3, 97, (2, 10))
    changed = ids.clone()
    changed[:, 6:] = torch.randint(3, 97, (2, 4))
    torch.testing.assert_close(lm(changed).logits[:, :6], lm(ids).logits[:, :6])


def test_incremental_decoding_with_cache_equals_full_forward(lm):
    ids = torch.randint(3, 97, (2, 10))
    full = lm(ids).logits
    out = lm(ids[:, :4], use_cache=True)
    assert isinstance(cache_of(out), DynamicCache) and cache_of(out).get_seq_length() == 4
    steps = [out.logits]
    cache = cache_of(out)
    for t in range(4, 10):
        out = lm(ids[:, t:t + 1], cache=cache, use_cache=True)
        cache = cache_of(out)
        steps.append(out.logits)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=0)


@pytest.mark.parametrize("part", ["head", "base model"])
def test_the_old_cache_name_past_key_values_still_continues_a_decode(lm, part):
    """transformers 5.24 renamed past_key_values to cache and keeps the old name working (peft's prefix tuning and
    older libraries pass it): it must reach the model, not vanish into **kwargs."""
    model = lm if part == "head" else lm.model
    ids = torch.randint(3, 97, (2, 6))
    prefix = cache_of(model(ids[:, :5], use_cache=True))
    output = (lambda out: out.logits if part == "head" else out.last_hidden_state)
    with_new_name = output(model(ids[:, 5:], cache=prefix, use_cache=True))
    prefix = cache_of(model(ids[:, :5], use_cache=True))
    with_old_name = output(model(ids[:, 5:], past_key_values=prefix, use_cache=True))
    torch.testing.assert_close(with_old_name, with_new_name, atol=0, rtol=0)
    full = output(model(ids))[:, 5:]
    torch.testing.assert_close(with_old_name, full, atol=1e-5, rtol=0)  # continued, not restarted


def test_logits_to_keep_as_a_count_or_as_positions(lm):
    ids = torch.randint(3, 97, (2, 8))
    full = lm(ids).logits
    torch.testing.assert_close(lm(ids, logits_to_keep=0).logits, full, atol=0, rtol=0)
    torch.testing.assert_close(lm(ids, logits_to_keep=1).logits, full[:, -1:], atol=1e-6, rtol=0)
    positions = torch.tensor([0, 3, 7])  # continuous batching passes the positions to keep as a tensor
    torch.testing.assert_close(lm(ids, logits_to_keep=positions).logits, full[:, positions], atol=1e-6, rtol=0)


def test_generate_with_and_without_cache_is_identical(lm):
    prompt = torch.randint(3, 97, (2, 5))
    cached = lm.generate(prompt, max_new_tokens=12, do_sample=False, attention_mask=torch.ones_like(prompt))
    uncached = lm.generate(prompt, max_new_tokens=12, do_sample=False, use_cache=False,
                           attention_mask=torch.ones_like(prompt))
    assert cached.shape == (2, 17)
    assert torch.equal(cached, uncached)


def test_left_padded_batch_generates_like_each_row_alone(lm):
    lm.generation_config.eos_token_id = None  # run all steps
    prompts = [torch.randint(3, 97, (n,)) for n in (3, 7, 5)]
    longest = max(len(p) for p in prompts)
    batch = torch.full((3, longest), PAD)
    mask = torch.zeros(3, longest, dtype=torch.long)
    for row, prompt in enumerate(prompts):
        batch[row, longest - len(prompt):] = prompt
        mask[row, longest - len(prompt):] = 1
    batched = lm.generate(batch, attention_mask=mask, max_new_tokens=8, do_sample=False, pad_token_id=PAD)
    for row, prompt in enumerate(prompts):
        alone = lm.generate(prompt[None], max_new_tokens=8, do_sample=False, pad_token_id=PAD,
                            attention_mask=torch.ones(1, len(prompt), dtype=torch.long))
        assert torch.equal(batched[row, longest:], alone[0, len(prompt):]), f"row {row}"


def test_cross_attention_uses_the_encoder_states_and_caches_them():
    lm = minformer.MinformerDecoderForCausalLM(decoder_config(add_cross_attention=True)).eval()
    ids = torch.randint(3, 97, (2, 6))
    memory = torch.randn(2, 4, 32)
    memory_mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    full = lm(ids, encoder_hidden_states=memory, encoder_attention_mask=memory_mask).logits
    other = lm(ids, encoder_hidden_states=torch.randn(2, 4, 32), encoder_attention_mask=memory_mask).logits
    assert not torch.allclose(full, other, atol=1e-4)
    # masked encoder positions are ignored
    noisy = memory.clone()
    noisy[1, 2:] = 100.0
    torch.testing.assert_close(lm(ids, encoder_hidden_states=noisy, encoder_attention_mask=memory_mask).logits[1],
                               full[1], atol=1e-5, rtol=0)
    # incremental decoding with an EncoderDecoderCache reuses the projected encoder states
    out = lm(ids[:, :3], encoder_hidden_states=memory, encoder_attention_mask=memory_mask, use_cache=True)
    assert isinstance(cache_of(out), EncoderDecoderCache)
    steps, cache = [out.logits], cache_of(out)
    for t in range(3, 6):
        out = lm(ids[:, t:t + 1], encoder_hidden_states=memory, encoder_attention_mask=memory_mask, cache=cache,
                 use_cache=True)
        steps.append(out.logits)
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=0)


def test_cross_attention_weights_on_eager():
    lm = minformer.MinformerDecoderForCausalLM(decoder_config(add_cross_attention=True)).eval()
    lm.set_attn_implementation("eager")
    out = lm(torch.randint(3, 97, (1, 5)), encoder_hidden_states=torch.randn(1, 4, 32), output_attentions=True)
    assert len(out.cross_attentions) == 2 and out.cross_attentions[0].shape == (1, 4, 5, 4)
    assert len(out.attentions) == 2 and out.attentions[0].shape == (1, 4, 5, 5)
    assert out.attentions[0][0, :, 0, 1:].abs().max() == 0  # causal: token 0 sees only itself


def test_encoder_states_without_cross_attention_are_refused():
    lm = minformer.MinformerDecoderForCausalLM(decoder_config())
    with pytest.raises(ValueError, match=r"no cross-attention; build it with MinformerDecoderConfig\(add_cross_att"):
        lm(torch.randint(3, 97, (1, 4)), encoder_hidden_states=torch.randn(1, 3, 32))


def test_outputs_hidden_states_tuple_and_loss():
    lm = minformer.MinformerDecoderForCausalLM(decoder_config()).eval()
    ids = torch.randint(3, 97, (2, 7))
    out = lm(ids, labels=ids, output_hidden_states=True)
    assert len(out.hidden_states) == 3 and out.hidden_states[0].shape == (2, 7, 32)
    torch.testing.assert_close(out.hidden_states[-1], lm.model(ids).last_hidden_state)
    expected = torch.nn.functional.cross_entropy(out.logits[:, :-1].reshape(-1, 97), ids[:, 1:].reshape(-1))
    torch.testing.assert_close(out.loss, expected)
    as_tuple = lm(ids, labels=ids, return_dict=False)
    assert isinstance(as_tuple, tuple)
    torch.testing.assert_close(as_tuple[0], out.loss)
    assert cache_of(lm(ids)) is not None and cache_of(lm(ids, use_cache=False)) is None


def test_weights_are_tied_and_stay_tied_after_resizing():
    lm = minformer.MinformerDecoderForCausalLM(decoder_config())
    assert lm.lm_head.weight is lm.get_input_embeddings().weight
    lm.resize_token_embeddings(120)
    assert lm.lm_head.weight is lm.get_input_embeddings().weight
    assert lm.config.vocab_size == 120 and lm(torch.tensor([[119, 3]])).logits.shape == (1, 2, 120)
    untied = minformer.MinformerDecoderForCausalLM(decoder_config(tie_word_embeddings=False))
    assert untied.lm_head.weight is not untied.get_input_embeddings().weight


def test_gradient_checkpointing_gives_the_same_gradients():
    lm = minformer.MinformerDecoderForCausalLM(decoder_config(hidden_dropout_prob=0.0)).train()
    ids = torch.randint(3, 97, (2, 8))

    def grads():
        lm.zero_grad()
        lm(ids, labels=ids).loss.backward()
        return [p.grad.clone() for p in lm.parameters()]

    plain = grads()
    # transformers 5.24's name, or the one before it
    (getattr(lm, "activation_checkpointing_enable", None) or lm.gradient_checkpointing_enable)()
    assert all(block.gradient_checkpointing for block in lm.model.stack.layers)
    for a, b in zip(plain, grads()):
        torch.testing.assert_close(a, b)


def test_sequence_classifier_pools_the_last_real_token_with_either_padding():
    model = minformer.MinformerDecoderForSequenceClassification(decoder_config(num_labels=3)).eval()
    ids = torch.randint(3, 97, (1, 5))
    alone = model(ids).logits
    left = model(torch.cat([torch.zeros(1, 2, dtype=torch.long), ids], 1),
                 attention_mask=torch.tensor([[0, 0, 1, 1, 1, 1, 1]]),
                 position_ids=torch.tensor([[0, 0, 0, 1, 2, 3, 4]])).logits
    right = model(torch.cat([ids, torch.zeros(1, 2, dtype=torch.long)], 1),
                  attention_mask=torch.tensor([[1, 1, 1, 1, 1, 0, 0]])).logits
    torch.testing.assert_close(left, alone, atol=1e-5, rtol=0)
    torch.testing.assert_close(right, alone, atol=1e-5, rtol=0)
    labels = torch.tensor([2])
    torch.testing.assert_close(model(ids, labels=labels).loss, torch.nn.functional.cross_entropy(alone, labels))
