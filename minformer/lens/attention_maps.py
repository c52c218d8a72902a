"""Attention maps: the softmax weights softmax(q·kᵀ/√hs + mask) of every head of one block, for an encoder or a
decoder, computed by the `eager` backend (the only one that materialises them).

Notation: B batch, nh heads, T query positions, S key positions (S = T here: self-attention, no cache).
Blocks are numbered 1..L, as the logit lens numbers the layer each block writes.
"""

import torch

from ..modeling import MinformerPreTrainedModel


def check_layer(layer: int, num_hidden_layers: int) -> None:
    """A ValueError naming the valid range unless 1 <= `layer` <= `num_hidden_layers`."""
    if not 1 <= layer <= num_hidden_layers:
        raise ValueError(f"layer {layer} is out of range: this model has {num_hidden_layers} blocks; choose a layer "
                         f"from 1 to {num_hidden_layers}.")


@torch.no_grad()
def attention_maps(model: MinformerPreTrainedModel, input_ids: torch.Tensor, layer: int,
                   attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """The attention weights (B, nh, T, S) of block `layer` (1..L) for `input_ids` (B, T); each row sums to 1.
    The model runs under `eager` for this call and returns to its own backend afterwards."""
    check_layer(layer, model.config.num_hidden_layers)
    backend = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        outputs = model.base_model(input_ids=input_ids, attention_mask=attention_mask, output_attentions=True)
    finally:
        if backend != "eager":
            model.set_attn_implementation(backend)
    return outputs.attentions[layer - 1]  # (B, nh, T, S)
