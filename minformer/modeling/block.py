"""One transformer block: self-attention, optional cross-attention, and the feed-forward network, each wrapped in a
residual connection with its norm (Vaswani et al., 2017, §3.1).

Notation: B batch, T sequence length, S encoder length, C hidden size.
"""

import torch
from transformers.cache_utils import Cache
from transformers.modeling_layers import GradientCheckpointingLayer

from ..configuration.common import MinformerConfig
from .attention import MultiHeadAttention
from .mlp import FeedForward
from .residual import Residual


class Block(GradientCheckpointingLayer):
    """x -> Residual(self-attention) -> [Residual(cross-attention)] -> Residual(feed-forward).

    Causality comes from the mask, so encoder and decoder use this same block.
    """

    def __init__(self, config: MinformerConfig, layer_idx: int):
        super().__init__()
        self.self_attn = MultiHeadAttention(config, layer_idx)
        self.self_attn_residual = Residual(config)
        if getattr(config, "add_cross_attention", False):
            self.cross_attn = MultiHeadAttention(config, layer_idx, is_cross_attention=True)
            self.cross_attn_residual = Residual(config)
        else:
            self.cross_attn = None
        self.mlp = FeedForward(config)
        self.mlp_residual = Residual(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        rotary_angles: tuple[torch.Tensor, torch.Tensor] | None = None,
        cache: Cache | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        **kwargs,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """(B, T, C) -> (B, T, C), with the self- and cross-attention weights (eager only, else None)."""
        hidden_states, self_weights = self.self_attn_residual(
            hidden_states,
            lambda x: self.self_attn(x, attention_mask, rotary_angles=rotary_angles, cache=cache, **kwargs),
        )
        cross_weights = None
        if self.cross_attn is not None and encoder_hidden_states is not None:
            hidden_states, cross_weights = self.cross_attn_residual(
                hidden_states,
                lambda x: self.cross_attn(
                    x, encoder_attention_mask, cache=cache, key_value_states=encoder_hidden_states, **kwargs
                ),
            )
        hidden_states, _ = self.mlp_residual(hidden_states, lambda x: (self.mlp(x), None))
        return hidden_states, self_weights, cross_weights
