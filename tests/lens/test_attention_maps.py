"""Attention maps: the eager backend's own weights, whatever backend the model runs, for decoders and encoders."""

import pytest
import torch

from minformer.lens import attention_maps
from tests.lens.conftest import tiny_causal_lm, tiny_encoder_model


@pytest.mark.parametrize("family", ["decoder", "encoder"])
def test_maps_are_the_eager_attentions_and_rows_sum_to_one(family):
    model = tiny_causal_lm() if family == "decoder" else tiny_encoder_model()
    assert model.attention_backend == "sdpa"
    input_ids = torch.randint(3, 97, (2, 10))
    maps = attention_maps(model, input_ids, layer=2)
    assert maps.shape == (2, 4, 10, 10)
    assert model.attention_backend == "sdpa"  # back to its own backend
    model.set_attn_implementation("eager")
    expected = model(input_ids, output_attentions=True).attentions[1]
    torch.testing.assert_close(maps, expected)
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, 4, 10))
    above_diagonal = torch.triu(torch.ones(10, 10, dtype=torch.bool), diagonal=1)
    if family == "decoder":  # causal: no weight on later tokens
        assert (maps[..., above_diagonal] == 0).all()
    else:  # bidirectional
        assert (maps[..., above_diagonal] > 0).all()


def test_layer_out_of_range_names_the_valid_range():
    model = tiny_causal_lm()
    for layer in (0, 3):
        with pytest.raises(ValueError, match=f"layer {layer} is out of range: this model has 2 blocks; choose a "
                                             "layer from 1 to 2"):
            attention_maps(model, torch.randint(3, 97, (1, 4)), layer=layer)
