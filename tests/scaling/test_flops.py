"""The FLOP and parameter counter against the models themselves: their parameter shapes and torch's FLOP counter."""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import minformer
from minformer.scaling import matmul_weights, parameter_count, training_flops_per_token

BASE = dict(vocab_size=97, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=24)
VARIANTS = {
    "default": {},
    "glu": dict(mlp_type="glu", hidden_act="silu"),
    "no-biases": dict(attention_bias=False, mlp_bias=False),
    "rmsnorm": dict(norm_type="rmsnorm"),
    "learned-post-embedding-norm": dict(position_embedding_type="learned", norm_position="post", embedding_norm=True),
    "untied": dict(tie_word_embeddings=False, intermediate_size=48),
}
MODELS = {
    "decoder": (minformer.MinformerDecoderConfig, minformer.MinformerDecoderForCausalLM),
    "encoder": (minformer.MinformerEncoderConfig, minformer.MinformerEncoderForMaskedLM),
}


@pytest.mark.parametrize("family", list(MODELS))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parameter_count_equals_the_models_parameters(family, variant):
    config_class, model_class = MODELS[family]
    config = config_class(**BASE, **VARIANTS[variant])
    model = model_class(config)
    assert parameter_count(config) == sum(p.numel() for p in model.parameters())


def test_parameter_count_with_cross_attention_and_token_types():
    config = minformer.MinformerDecoderConfig(**BASE, add_cross_attention=True)
    assert parameter_count(config) == minformer.MinformerDecoderForCausalLM(config).num_parameters()
    config = minformer.MinformerEncoderConfig(**BASE, type_vocab_size=2)
    assert parameter_count(config) == minformer.MinformerEncoderForMaskedLM(config).num_parameters()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_matmul_weights_are_the_linear_layers_weights(variant):
    """N_matmul counts each Linear that multiplies token activations once: the tied unembedding included."""
    model = minformer.MinformerDecoderForCausalLM(minformer.MinformerDecoderConfig(**BASE, **VARIANTS[variant]))
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear))
    assert matmul_weights(model.config) == linear


@pytest.mark.parametrize("variant", ["default", "glu", "untied"])
def test_training_flops_per_token_equal_torchs_flop_counter(variant):
    """forward + backward of the eager model, counted by torch: every matmul and attention product, exactly."""
    config = minformer.MinformerDecoderConfig(**BASE, **VARIANTS[variant])
    model = minformer.MinformerDecoderForCausalLM(config)
    model.set_attn_implementation("eager")
    batch, length = 3, 24
    ids = torch.randint(0, 97, (batch, length))
    with FlopCounterMode(display=False) as counter:
        model(input_ids=ids, labels=ids).loss.backward()
    assert counter.get_total_flops() == batch * length * training_flops_per_token(config, length)
