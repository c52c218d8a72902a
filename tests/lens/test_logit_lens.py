"""The logit lens: its last layer is the model's own output, its other layers the final norm and unembedding
applied by hand, for pre-norm and post-norm stacks."""

import pytest
import torch
from torch.nn import functional as F

from minformer.lens import LensPredictions, layer_logits, layer_names, logit_lens
from tests.conftest import VARIANTS
from tests.lens.conftest import tiny_causal_lm, tiny_encoder_model


def _ids(length=12, vocab=97, batch=2):
    return torch.randint(3, vocab, (batch, length))


def _causal_lm(**overrides):
    """A tiny decoder whose final norm has random scales and shifts: at its initial ones (1 and 0) a LayerNorm
    applied twice would look the same as once."""
    model = tiny_causal_lm(**overrides)
    with torch.no_grad():
        for parameter in model.model.stack.final_norm.parameters():
            parameter.uniform_(0.5, 1.5)
    return model


@pytest.mark.parametrize("variant", VARIANTS)
def test_last_layer_is_the_models_own_logits(variant):
    model = _causal_lm(**VARIANTS[variant])
    input_ids = _ids()
    logits = layer_logits(model, input_ids)
    assert logits.shape == (model.config.num_hidden_layers + 1, 2, 12, model.config.vocab_size)
    torch.testing.assert_close(logits[-1], model(input_ids).logits)


@pytest.mark.parametrize("norm_position", ["pre", "post"])
def test_earlier_layer_equals_final_norm_and_unembedding_by_hand(norm_position):
    model = _causal_lm(norm_position=norm_position, num_hidden_layers=3)
    input_ids = _ids()
    hidden_states = model(input_ids, output_hidden_states=True).hidden_states
    embedding = model.model.embeddings.embed_tokens.weight  # (V, C), tied to lm_head
    for layer in (0, 1, 2):
        h = hidden_states[layer]
        if norm_position == "pre":  # LayerNorm with the final norm's own parameters
            norm = model.model.stack.final_norm
            h = F.layer_norm(h, (h.shape[-1],), norm.weight, norm.bias, model.config.layer_norm_eps)
        # post-norm: every block output is already normalised, and there is no final norm
        torch.testing.assert_close(layer_logits(model, input_ids)[layer], h @ embedding.T)


def test_predictions_and_losses_match_the_logits_and_the_models_loss():
    model = tiny_causal_lm()
    input_ids = _ids(batch=1)
    reading = logit_lens(model, input_ids, top_k=3)
    assert isinstance(reading, LensPredictions)
    layers = model.config.num_hidden_layers + 1
    assert reading.top_ids.shape == reading.top_probs.shape == (layers, 1, 12, 3)
    assert reading.next_token_loss.shape == (layers, 1, 11) and reading.mean_loss.shape == (layers,)
    logits = layer_logits(model, input_ids)
    assert torch.equal(reading.top_ids[..., 0], logits.argmax(-1))
    torch.testing.assert_close(reading.top_probs, logits.softmax(-1).topk(3, dim=-1).values)
    assert (reading.top_probs[..., :-1] >= reading.top_probs[..., 1:]).all()
    # the last layer's mean cross-entropy is the model's own next-token loss
    torch.testing.assert_close(reading.mean_loss[-1], model(input_ids, labels=input_ids).loss)
    # an earlier layer's per-position loss, by hand
    layer_1 = torch.log_softmax(logits[1, 0, :-1], -1)  # (T-1, V)
    torch.testing.assert_close(reading.next_token_loss[1, 0], -layer_1[torch.arange(11), input_ids[0, 1:]])


def test_layer_names():
    assert layer_names(2) == ["embeddings", "block 1", "block 2"]


def test_refuses_an_encoder_a_single_token_and_a_bad_top_k():
    with pytest.raises(ValueError, match="MinformerDecoderForCausalLM.*attention-maps"):
        logit_lens(tiny_encoder_model(), _ids())
    model = tiny_causal_lm()
    with pytest.raises(ValueError, match="at least 2 tokens"):
        logit_lens(model, _ids(length=1))
    with pytest.raises(ValueError, match="top_k must be between 1 and the vocabulary size 97"):
        logit_lens(model, _ids(), top_k=98)
