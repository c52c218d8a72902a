"""The stack of N identical blocks, followed by the final norm that pre-norm models need.

Notation: B batch, T sequence length, C hidden size.
"""

import torch
from torch import nn
from transformers.cache_utils import Cache
from transformers.modeling_outputs import BaseModelOutputWithPastAndCrossAttentions

from ..configuration.common import MinformerConfig
from .block import Block
from .norm import build_norm


class BlockStack(nn.Module):
    """Runs the blocks in order and, on request, collects every hidden state and attention map."""

    def __init__(self, config: MinformerConfig):
        super().__init__()
        self.layers = nn.ModuleList(Block(config, layer_idx) for layer_idx in range(config.num_hidden_layers))
        # Pre-norm leaves the residual stream un-normalised: normalise once at the end. Post-norm already did.
        self.final_norm = build_norm(config) if config.norm_position == "pre" else nn.Identity()

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None,
        rotary_angles: tuple[torch.Tensor, torch.Tensor] | None,
        cache: Cache | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        **kwargs,
    ) -> BaseModelOutputWithPastAndCrossAttentions:
        all_hidden_states = [hidden_states] if output_hidden_states else None  # embeddings, then each block's output
        all_attentions = [] if output_attentions else None
        all_cross_attentions = [] if output_attentions and encoder_hidden_states is not None else None
        for block in self.layers:
            hidden_states, self_weights, cross_weights = block(
                hidden_states,
                attention_mask,
                rotary_angles,
                cache,
                encoder_hidden_states,
                encoder_attention_mask,
                **kwargs,
            )  # (B, T, C)
            if output_hidden_states:
                all_hidden_states.append(hidden_states)
            if output_attentions:
                all_attentions.append(self_weights)
                if all_cross_attentions is not None:
                    all_cross_attentions.append(cross_weights)
        hidden_states = self.final_norm(hidden_states)
        if output_hidden_states:
            all_hidden_states[-1] = hidden_states  # the last entry is the normalised output, as in transformers
        return BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden_states,
            cache=cache,
            hidden_states=tuple(all_hidden_states) if output_hidden_states else None,
            attentions=tuple(all_attentions) if output_attentions else None,
            cross_attentions=tuple(all_cross_attentions) if all_cross_attentions is not None else None,
        )
