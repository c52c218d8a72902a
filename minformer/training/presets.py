"""Named model sizes for `minformer pretrain --preset`, with their parameter counts."""

import torch

from ..configuration import MinformerDecoderConfig, MinformerEncoderConfig

PRESETS = {
    "tiny": dict(hidden_size=128, num_hidden_layers=2, num_attention_heads=2),
    "small": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4),
    "base": dict(hidden_size=512, num_hidden_layers=8, num_attention_heads=8),
}
SIZE_FLAGS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")


def check_preset(preset: str | None) -> None:
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)} (sizes: "
                         f"{'; '.join(f'{n}: {describe(n)}' for n in PRESETS)}).")


def model_config(family: str, preset: str | None, vocab_size: int, max_position_embeddings: int,
                 special_ids: dict[str, int], architecture: dict | None = None,
                 **overrides) -> MinformerDecoderConfig | MinformerEncoderConfig:
    """The config of a `family` model of the named size with the `architecture` fields (flags in `overrides` win
    over the preset and the architecture)."""
    check_preset(preset)
    fields = {**(architecture or {}), **PRESETS[preset or "small"]}
    fields.update({key: value for key, value in overrides.items() if value is not None})
    config_class = MinformerDecoderConfig if family == "decoder" else MinformerEncoderConfig
    return config_class(vocab_size=vocab_size, max_position_embeddings=max_position_embeddings, **special_ids,
                        **fields)


def parameter_count(config) -> int:
    """Parameters of the model a config builds (counted on the meta device: nothing is allocated)."""
    from ..modeling import MinformerDecoderForCausalLM, MinformerEncoderForMaskedLM

    model_class = MinformerDecoderForCausalLM if config.is_decoder else MinformerEncoderForMaskedLM
    with torch.device("meta"):
        return model_class(config).num_parameters()


def describe(preset: str, vocab_size: int = 8192) -> str:
    sizes = PRESETS[preset]
    config = MinformerDecoderConfig(vocab_size=vocab_size, **sizes)
    return (f"{sizes['num_hidden_layers']} layers × {sizes['hidden_size']} wide, {sizes['num_attention_heads']} "
            f"heads, {parameter_count(config) / 1e6:.1f} M parameters with a {vocab_size}-token vocabulary")
