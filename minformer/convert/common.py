"""What both converters share: translating a config field by field, and loading a converted state dict into a
minformer model, refusing any missing or unexpected weight."""

import torch
from transformers import PreTrainedConfig, PreTrainedModel

from ..modeling.pretrained import MinformerPreTrainedModel


def translated_config(config_class: type, source: PreTrainedConfig, fields: dict[str, str], **fixed):
    """`config_class` with each field in `fields` read from the source config's field of the mapped name, plus the
    `fixed` values (what minformer must set to reproduce the source architecture)."""
    return config_class(**{ours: getattr(source, theirs) for ours, theirs in fields.items()}, **fixed)


def converted_model(model_class: type, config, source: PreTrainedModel, state: dict) -> MinformerPreTrainedModel:
    """A `model_class` with the source model's dtype and attention backend, holding the converted `state`."""
    converted = model_class(config).to(dtype=source.dtype)
    converted.set_attn_implementation(source.config._attn_implementation)
    return load_converted(converted, {key: torch.as_tensor(value).contiguous() for key, value in state.items()})


def load_converted(model: MinformerPreTrainedModel, state: dict[str, torch.Tensor]) -> MinformerPreTrainedModel:
    """Copy `state` into `model` (every parameter must be covered, tied copies excepted) and return it in eval mode."""
    tied = set(model._tied_weights_keys or {})
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [key for key in missing if key not in tied]
    if missing or unexpected:
        raise ValueError(f"Conversion mismatch: missing {missing}, unexpected {unexpected}.")
    model.tie_weights()
    return model.eval()


def refuse_options(source: str, config: object, defaults: dict[str, object]) -> None:
    """Raise if the source config uses an option minformer does not reproduce (the conversion would be inexact)."""
    for option, default in defaults.items():
        value = getattr(config, option, default)
        if value != default:
            raise ValueError(f"Cannot convert {source} with {option}={value!r}: minformer supports only {default!r}.")
