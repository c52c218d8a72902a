"""transformers' continuous batching (`model.generate_batch`: paged cache, packed prompts of different lengths, a
tensor `logits_to_keep`) gives the same greedy tokens as `generate()`, prompt by prompt."""

import pytest
import torch
from transformers import GenerationConfig

import minformer
from tests.conftest import decoder_config

PROMPTS = [[5, 17, 42, 9], [3, 77, 21, 8, 11, 12, 30], [40], [60, 61]]  # lengths 4, 7, 1, 2 in one packed batch
GREEDY = GenerationConfig(max_new_tokens=8, do_sample=False, eos_token_id=None, pad_token_id=0)


# rotary angles and added position embeddings (learned and sinusoidal read position_ids alike)
@pytest.mark.parametrize("attn, positions", [("sdpa", "rope"), ("eager", "rope"), ("sdpa", "learned")])
def test_generate_batch_matches_generate(attn, positions):
    # a wide initialisation makes each prompt's greedy continuation differ, so a mix-up between requests shows
    model = minformer.MinformerDecoderForCausalLM(decoder_config(
        position_embedding_type=positions, initializer_range=0.5, attn_implementation=attn)).eval()
    expected = [model.generate(torch.tensor([ids]), generation_config=GREEDY)[0, len(ids):].tolist()
                for ids in PROMPTS]
    assert len({tuple(tokens) for tokens in expected}) == len(PROMPTS)
    results = model.generate_batch(PROMPTS, generation_config=GREEDY, progress_bar=False)
    assert [results[f"req_{i}"].generated_tokens for i in range(len(PROMPTS))] == expected
