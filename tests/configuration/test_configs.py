import json

import pytest
from transformers import AutoConfig

import minformer
from tests.conftest import decoder_config, encoder_config


@pytest.mark.parametrize("make", [decoder_config, encoder_config])
def test_save_load_round_trip_is_byte_identical(make, tmp_path):
    config = make(position_embedding_type="learned", mlp_type="glu", extra_field=3)
    config.save_pretrained(tmp_path / "a")
    loaded = AutoConfig.from_pretrained(tmp_path / "a")
    assert type(loaded) is type(config)
    assert loaded.extra_field == 3 and loaded.intermediate_size == 4 * config.hidden_size
    loaded.save_pretrained(tmp_path / "b")
    assert (tmp_path / "a" / "config.json").read_bytes() == (tmp_path / "b" / "config.json").read_bytes()


def test_model_types_and_defaults():
    assert minformer.MinformerEncoderConfig().model_type == "minformer_encoder"
    assert minformer.MinformerDecoderConfig().model_type == "minformer_decoder"
    assert minformer.MinformerDecoderConfig().is_decoder and not minformer.MinformerEncoderConfig().is_decoder
    assert minformer.MinformerDecoderConfig(hidden_size=64, num_attention_heads=8).head_dim == 8
    saved = json.loads(minformer.MinformerDecoderConfig().to_json_string())
    assert saved["tie_word_embeddings"] is True and saved["num_hidden_layers"] == 4


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(hidden_size=30, num_attention_heads=4), "hidden_size (30) must be divisible by num_attention_heads (4)"),
        (dict(position_embedding_type="alibi"), "unknown position_embedding_type='alibi'; use one of 'sinusoidal'"),
        (dict(norm_type="batchnorm"), "unknown norm_type='batchnorm'; use one of 'layernorm', 'rmsnorm'"),
        (dict(norm_position="middle"), "unknown norm_position='middle'"),
        (dict(mlp_type="moe"), "unknown mlp_type='moe'"),
        (dict(hidden_act="gelu_wrong"), "unknown hidden_act='gelu_wrong'"),
        (dict(hidden_size=0), "hidden_size must be a positive integer, got 0"),
        (dict(num_hidden_layers=-1), "num_hidden_layers must be a positive integer, got -1"),
        (dict(vocab_size=2.5), "vocab_size must be a positive integer, got 2.5"),
        (dict(intermediate_size=0), "intermediate_size must be a positive integer"),
        (dict(hidden_size=36, num_attention_heads=4, position_embedding_type="rope"), "rope needs an even head size"),
        (dict(attention_dropout=1.0), "attention_dropout must be in [0, 1)"),
        (dict(layer_norm_eps=0.0), "layer_norm_eps must be a finite positive number"),
    ],
)
@pytest.mark.parametrize("make", [decoder_config, encoder_config])
def test_bad_config_names_field_and_fix(make, overrides, message):
    with pytest.raises(ValueError) as error:
        make(**overrides)
    assert message in str(error.value)


def test_family_mismatch_is_refused():
    with pytest.raises(ValueError, match="use MinformerEncoderConfig"):
        decoder_config(is_decoder=False)
    with pytest.raises(ValueError, match="use MinformerDecoderConfig"):
        encoder_config(is_decoder=True)
