import json
from pathlib import Path

import pytest
from huggingface_hub.errors import StrictDataclassClassValidationError, StrictDataclassFieldValidationError
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
        (dict(intermediate_size=0), "intermediate_size must be a positive integer"),
        (dict(hidden_size=36, num_attention_heads=4, position_embedding_type="rope"), "rope needs an even head size"),
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


LEGACY = Path(__file__).parent.parent / "modeling" / "legacy_checkpoints"  # saved by minformer before @strict


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (dict(vocab_size=2.5), "vocab_size", "expected int, got float (value: 2.5)"),
        (dict(attention_dropout=1.0), "attention_dropout", "greater or equal to 0.0 and smaller than 1.0, got 1.0"),
        (dict(hidden_dropout_prob=-0.1), "hidden_dropout_prob", "smaller than 1.0, got -0.1"),
    ],
)
@pytest.mark.parametrize("make", [decoder_config, encoder_config])
def test_bad_field_is_refused_by_the_strict_field_validators(make, overrides, field, message):
    """Types and the probabilities' interval are checked by @strict on assignment, before any config code runs."""
    with pytest.raises(StrictDataclassFieldValidationError) as error:
        make(**overrides)
    assert f"Validation error for field '{field}'" in str(error.value) and message in str(error.value)
    config = make()
    with pytest.raises(StrictDataclassFieldValidationError, match=field):
        setattr(config, field, overrides[field])


@pytest.mark.parametrize("make", [decoder_config, encoder_config])
def test_validate_after_assignment_names_the_field_and_fix(make):
    config = make()
    config.hidden_size = 30
    with pytest.raises(StrictDataclassClassValidationError) as error:
        config.validate()
    assert "validate_architecture" in str(error.value)
    assert "hidden_size (30) must be divisible by num_attention_heads (4); choose e.g. hidden_size=256" in str(
        error.value)
    config.hidden_size = 32
    config.validate()  # fixed: passes again


def test_family_mismatch_set_later_is_refused_by_validate():
    config = decoder_config()
    config.is_decoder = False
    with pytest.raises(StrictDataclassClassValidationError, match="use MinformerEncoderConfig"):
        config.validate()


@pytest.mark.parametrize("make", [decoder_config, encoder_config])
def test_save_pretrained_of_an_invalid_config_raises_and_writes_nothing(make, tmp_path):
    config = make()
    config.norm_type = "batchnorm"
    with pytest.raises(StrictDataclassClassValidationError, match="unknown norm_type='batchnorm'; use one of"):
        config.save_pretrained(tmp_path)
    assert not (tmp_path / "config.json").exists()


@pytest.mark.parametrize("folder, config_class, family_fields", [
    ("decoder_causal_lm_cross_attention", minformer.MinformerDecoderConfig,
     dict(add_cross_attention=True, type_vocab_size=0, use_cache=True)),
    ("encoder_masked_lm", minformer.MinformerEncoderConfig,
     dict(add_cross_attention=False, type_vocab_size=2, norm_position="post", sparse_prediction=False)),
])
def test_config_json_written_before_strict_validation_still_loads(folder, config_class, family_fields, tmp_path):
    """config.json files from before the family fields moved to the base config (the decoder's has no
    type_vocab_size, the encoder's no add_cross_attention) load, validate and save again."""
    saved = json.loads((LEGACY / folder / "config.json").read_text())
    assert ("type_vocab_size" in saved) == (config_class is minformer.MinformerEncoderConfig)
    assert ("add_cross_attention" in saved) == (config_class is minformer.MinformerDecoderConfig)
    config = AutoConfig.from_pretrained(LEGACY / folder)
    assert type(config) is config_class
    assert {key: getattr(config, key) for key in family_fields} == family_fields
    assert config.hidden_size == saved["hidden_size"] and config.intermediate_size == saved["intermediate_size"]
    config.validate()
    config.save_pretrained(tmp_path)
    assert AutoConfig.from_pretrained(tmp_path).to_json_string() == config.to_json_string()
