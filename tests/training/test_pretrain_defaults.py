"""What `minformer pretrain` trains when no flag says otherwise (training/pretrain_defaults.py), and the flags that
change it: --config-overrides, --optimizer, --learning-rate, --mlm-probability."""

import json

import pytest
import torch

from minformer.cli.main import main
from minformer.configuration.overrides import architecture_fields, parse_config_overrides
from minformer.errors import UserError
from minformer.training.options import RunOptions
from minformer.training.pretrain import PretrainOptions, _config, check_pretrain_options
from minformer.training.pretrain_defaults import PRETRAIN_DEFAULTS
from tests.training.conftest import TINY_MODEL


@pytest.mark.parametrize("family", ["decoder", "encoder"])
def test_the_family_defaults_build_the_config_and_overrides_win(family):
    defaults = PRETRAIN_DEFAULTS[family]
    config = _config(PretrainOptions(family=family, hidden_size=64, num_attention_heads=2), 300, {})
    assert {field: getattr(config, field) for field in defaults.architecture} == defaults.architecture
    assert (config.hidden_size, config.num_attention_heads, config.num_hidden_layers) == (64, 2, 4)  # small's layers
    changed = _config(PretrainOptions(family=family, config_overrides={"hidden_act": "silu", "qk_norm": True}),
                      300, {})
    assert (changed.hidden_act, changed.qk_norm) == ("silu", True)


@pytest.mark.parametrize("family", ["decoder", "encoder"])
def test_the_default_is_the_recipe(family):
    """The components the ablations kept (README, "Quality per token"), trained with Muon at 3e-3."""
    config = _config(PretrainOptions(family=family), 300, {})
    assert (config.qk_norm, config.hidden_act, config.zero_init_residual, config.tie_word_embeddings,
            config.position_embedding_type) == (True, "relu2", True, False, "rope")
    assert (PRETRAIN_DEFAULTS[family].optimizer, PRETRAIN_DEFAULTS[family].learning_rate) == ("muon", 3e-3)
    assert PretrainOptions(family=family).masking == (0.3 if family == "encoder" else 0.15)
    assert PretrainOptions(family="encoder", mlm_probability=0.15).masking == 0.15


def test_run_options_take_the_command_defaults_only_where_unset():
    assert RunOptions().with_defaults("muon", 3e-3) == RunOptions(optimizer="muon", learning_rate=3e-3)
    given = RunOptions(optimizer="adamw", learning_rate=1e-4)
    assert given.with_defaults("muon", 3e-3) == given


def test_config_overrides_are_typed():
    parsed = parse_config_overrides("hidden_act=gelu, qk_norm=false,classifier_dropout=none,rope_theta=1e4,"
                                    "tie_word_embeddings=true,hidden_dropout_prob=0.1", "encoder")
    assert parsed == {"hidden_act": "gelu", "qk_norm": False, "classifier_dropout": None, "rope_theta": 1e4,
                      "tie_word_embeddings": True, "hidden_dropout_prob": 0.1}
    assert parse_config_overrides(None, "encoder") == {} == parse_config_overrides("", "encoder")
    assert "classifier_pooling" in architecture_fields("encoder")
    assert "classifier_pooling" not in architecture_fields("decoder") and "use_cache" in architecture_fields("decoder")


@pytest.mark.parametrize("text, message", [
    ("qk_nrom=true", "the decoder config has no field 'qk_nrom'; its fields are add_cross_attention,"),
    ("hidden_size=64", "hidden_size is set by --hidden-size, not here"),
    ("vocab_size=10", "vocab_size is set by --tokenizer / --vocab-size"),
    ("gelu", "'gelu' is not field=value"),
])
def test_bad_config_overrides_name_the_entry_and_the_fix(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_config_overrides(text, "decoder")


def test_a_value_of_the_wrong_type_is_a_user_error():
    with pytest.raises(UserError, match="--config-overrides: Validation error for field 'qk_norm'.*expected bool"):
        check_pretrain_options(PretrainOptions(config_overrides={"qk_norm": 3}))
    with pytest.raises(UserError, match="--mlm-probability is the masking of --family encoder"):
        check_pretrain_options(PretrainOptions(family="decoder", mlm_probability=0.3))


def test_pretrain_without_flags_trains_the_defaults_and_records_them(tmp_path):
    """No --optimizer, --learning-rate or architecture flags: the decoder's recipe is what was trained, and
    training_options.json (what the model card reports) says so."""
    output = tmp_path / "run"
    assert main(["pretrain", "--builtin", *TINY_MODEL, "--batch-size", "4", "--max-steps", "2", "--eval-steps", "2",
                 "--save-steps", "2", "--output", str(output)]) == 0
    decoder = PRETRAIN_DEFAULTS["decoder"]
    config = json.loads((output / "config.json").read_text())
    assert {field: config[field] for field in decoder.architecture} == decoder.architecture
    options = json.loads((output / "training_options.json").read_text())
    assert (options["optimizer"], options["learning_rate"]) == (decoder.optimizer, decoder.learning_rate)
    state = torch.load(output / "checkpoint-2" / "optimizer.pt", weights_only=True)
    assert any(group.get("muon") for group in state["param_groups"]) == (decoder.optimizer == "muon")
