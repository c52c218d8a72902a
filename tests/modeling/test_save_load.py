"""Save/load round trips through every Auto class, with identical outputs and weights still tied."""

import pytest
import torch
from safetensors.torch import load_file
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

import minformer
from tests.conftest import decoder_config, encoder_config

CASES = [
    (minformer.MinformerDecoderForCausalLM, decoder_config, AutoModelForCausalLM),
    (minformer.MinformerDecoderModel, decoder_config, AutoModel),
    (minformer.MinformerEncoderForMaskedLM, encoder_config, AutoModelForMaskedLM),
    (minformer.MinformerEncoderForSequenceClassification, encoder_config, AutoModelForSequenceClassification),
    (minformer.MinformerEncoderForTokenClassification, encoder_config, AutoModelForTokenClassification),
    (minformer.MinformerEncoderModel, encoder_config, AutoModel),
]


def first_output(model, ids, mask):
    out = model(ids, attention_mask=mask)
    return out.logits if "logits" in out else out.last_hidden_state


@pytest.mark.parametrize("model_class, make_config, auto_class", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_round_trip_through_auto_class(model_class, make_config, auto_class, tmp_path):
    model = model_class(make_config(num_labels=3, position_embedding_type="learned")).eval()
    ids = torch.randint(3, 97, (2, 7))
    mask = torch.tensor([[1] * 7, [1] * 5 + [0] * 2])
    model.save_pretrained(tmp_path)
    assert isinstance(AutoConfig.from_pretrained(tmp_path), type(model.config))
    loaded = auto_class.from_pretrained(tmp_path).eval()
    assert type(loaded) is model_class
    torch.testing.assert_close(first_output(loaded, ids, mask), first_output(model, ids, mask), atol=0, rtol=0)
    saved = load_file(tmp_path / "model.safetensors")
    for target in model._tied_weights_keys or {}:
        assert target not in saved  # the tied copy is not stored twice ...
        source = model._tied_weights_keys[target]
        assert loaded.get_parameter(target) is loaded.get_parameter(source)  # ... and is re-tied on load


def test_auto_model_from_a_causal_lm_checkpoint_gives_the_base_model(tmp_path):
    lm = minformer.MinformerDecoderForCausalLM(decoder_config()).eval()
    lm.save_pretrained(tmp_path)
    base = AutoModel.from_pretrained(tmp_path).eval()
    assert type(base) is minformer.MinformerDecoderModel
    ids = torch.randint(3, 97, (1, 5))
    torch.testing.assert_close(base(ids).last_hidden_state, lm.model(ids).last_hidden_state, atol=0, rtol=0)


def test_from_config_through_auto_classes():
    assert type(AutoModelForCausalLM.from_config(decoder_config())) is minformer.MinformerDecoderForCausalLM
    assert type(AutoModelForMaskedLM.from_config(encoder_config())) is minformer.MinformerEncoderForMaskedLM


def test_initialisation_scales_the_residual_projections():
    layers = 4
    model = minformer.MinformerDecoderForCausalLM(decoder_config(hidden_size=256, num_attention_heads=4,
                                                                 num_hidden_layers=layers, vocab_size=4096))
    scaled = 0.02 / (2 * layers) ** 0.5
    block = model.model.stack.layers[0]
    assert abs(block.self_attn.o_proj.weight.std().item() - scaled) < 0.1 * scaled
    assert abs(block.mlp.down_proj.weight.std().item() - scaled) < 0.1 * scaled
    assert abs(block.self_attn.q_proj.weight.std().item() - 0.02) < 0.002
    assert abs(model.model.embeddings.embed_tokens.weight.std().item() - 0.02) < 0.002
    assert block.self_attn.q_proj.bias.abs().max() == 0 and block.self_attn_residual.norm.weight.min() == 1
