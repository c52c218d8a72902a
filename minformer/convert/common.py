"""Loading a converted state dict into a minformer model, refusing any missing or unexpected weight."""

import torch

from ..modeling.pretrained import MinformerPreTrainedModel


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
