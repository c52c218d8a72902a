"""The decoder's default cache (modeling/preallocated_cache.py) gives DynamicCache's keys, values and tokens, through
growth, beam search, several samples per prompt, cropping and training."""

import pytest
import torch
from transformers import DynamicCache

import minformer
from minformer.modeling import preallocated_cache
from minformer.modeling.cache_name import cache_of
from minformer.modeling.preallocated_cache import PreallocatedCache
from tests.conftest import VARIANTS, decoder_config


@pytest.fixture(autouse=True)
def small_room(monkeypatch):
    monkeypatch.setattr(preallocated_cache, "ROOM", 3)  # buffers grow every 3 positions: many growths per test


@pytest.fixture(params=list(VARIANTS))
def lm(request):
    model = minformer.MinformerDecoderForCausalLM(decoder_config(**VARIANTS[request.param])).eval()
    model.generation_config.eos_token_id = None  # every step runs
    return model


def generate_both(lm, prompt, **options):
    """(default cache, DynamicCache) outputs of the same generate() call."""
    mask = torch.ones_like(prompt)
    default = lm.generate(prompt, attention_mask=mask, return_dict_in_generate=True, **options)
    dynamic = lm.generate(prompt, attention_mask=mask, past_key_values=DynamicCache(config=lm.config), **options)
    return default, dynamic


def test_generate_decodes_with_it_and_gives_dynamic_caches_tokens(lm):
    default, dynamic = generate_both(lm, torch.randint(3, 97, (2, 5)), max_new_tokens=20, do_sample=False)
    assert isinstance(cache_of(default), PreallocatedCache)
    assert torch.equal(default.sequences, dynamic)


@pytest.mark.parametrize("options", [dict(num_beams=3, num_return_sequences=2, do_sample=False),
                                     dict(do_sample=True, num_return_sequences=3, top_k=5)])
def test_beam_search_and_several_samples_give_the_same_tokens(lm, options):
    prompt = torch.randint(3, 97, (2, 4))
    mask = torch.ones_like(prompt)
    torch.manual_seed(1)
    default = lm.generate(prompt, attention_mask=mask, max_new_tokens=10, **options)
    torch.manual_seed(1)
    dynamic = lm.generate(prompt, attention_mask=mask, max_new_tokens=10, **options,
                          past_key_values=DynamicCache(config=lm.config))
    assert torch.equal(default, dynamic)


def test_keys_and_values_equal_dynamic_caches_after_growth_and_crop(lm):
    ids = torch.randint(3, 97, (2, 12))
    caches = [PreallocatedCache(config=lm.config), DynamicCache(config=lm.config)]
    for cache in caches:
        lm(ids[:, :5], cache=cache, use_cache=True)
        for t in range(5, 10):
            lm(ids[:, t:t + 1], cache=cache, use_cache=True)
        cache.crop(-3)  # what assisted generation does with rejected tokens
        lm(ids[:, 7:12], cache=cache, use_cache=True)
    for mine, reference in zip(caches[0].layers, caches[1].layers, strict=True):
        assert torch.equal(mine.keys, reference.keys) and torch.equal(mine.values, reference.values)
    assert caches[0].get_seq_length() == 12


def test_training_through_a_cache_keeps_gradients(lm):
    """With gradients on, the layer concatenates (in-place writes into a buffer autograd saved would fail)."""
    lm.train()
    ids = torch.randint(3, 97, (2, 6))
    cache = PreallocatedCache(config=lm.config)
    lm(ids[:, :3], cache=cache, use_cache=True)
    loss = lm(ids[:, 3:], cache=cache, use_cache=True, labels=ids[:, 3:]).loss
    loss.backward()
    assert lm.model.embeddings.embed_tokens.weight.grad.abs().sum() > 0
