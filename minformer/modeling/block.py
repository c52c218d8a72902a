"""One transformer block: self-attention, optional cross-attention, and the feed-forward network, each inside a
residual connection with its norm (Vaswani et al., 2017, §3.1), written out in `forward`:

    pre-norm  (GPT-2; stable deep stacks):                    x = x + dropout(sublayer(norm(x)))
    post-norm (BERT; "Attention Is All You Need", §5.4):      x = norm(x + dropout(sublayer(x)))

The block returns a tensor; transformers' output capturing records it as a hidden state (pretrained.py).

Notation: B batch, T sequence length, S encoder length, C hidden size.
"""

import torch
from torch import nn
from transformers.cache_utils import Cache
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs

from ..configuration.common import MinformerConfig
from .attention import MultiHeadAttention
from .mlp import FeedForward
from .norm import build_norm


class ResidualNorm(nn.Module):
    """The norm of one residual connection. It is a module of its own only so that its weights keep the names saved
    checkpoints and the GPT-2/BERT converters use (`self_attn_residual.norm.weight`, ...); the block applies it."""

    def __init__(self, config: MinformerConfig):
        super().__init__()
        self.norm = build_norm(config)


class Block(GradientCheckpointingLayer):
    """x -> self-attention -> [cross-attention] -> feed-forward, each with its residual connection and norm.

    Causality comes from the mask, so encoder and decoder use this same block.
    """

    def __init__(self, config: MinformerConfig, layer_idx: int):
        super().__init__()
        self.pre_norm = config.norm_position == "pre"
        self.self_attn = MultiHeadAttention(config, layer_idx)
        self.self_attn_residual = ResidualNorm(config)
        if config.add_cross_attention:
            self.cross_attn = MultiHeadAttention(config, layer_idx, is_cross_attention=True)
            self.cross_attn_residual = ResidualNorm(config)
        else:
            self.cross_attn = self.cross_attn_residual = None
        self.mlp = FeedForward(config)
        self.mlp_residual = ResidualNorm(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)  # on every residual branch

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        rotary_angles: tuple[torch.Tensor, torch.Tensor] | None = None,
        cache: Cache | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> torch.Tensor:
        """(B, T, C) -> (B, T, C); `encoder_hidden_states` (B, S, C) feed the cross-attention, if the block has one."""
        residual = hidden_states
        if self.pre_norm:
            hidden_states = self.self_attn_residual.norm(hidden_states)
        hidden_states, _ = self.self_attn(hidden_states, attention_mask, rotary_angles=rotary_angles, cache=cache,
                                          **kwargs)
        hidden_states = residual + self.dropout(hidden_states)
        if not self.pre_norm:
            hidden_states = self.self_attn_residual.norm(hidden_states)

        if self.cross_attn is not None and encoder_hidden_states is not None:
            residual = hidden_states
            if self.pre_norm:
                hidden_states = self.cross_attn_residual.norm(hidden_states)
            hidden_states, _ = self.cross_attn(hidden_states, encoder_attention_mask, cache=cache,
                                               key_value_states=encoder_hidden_states, **kwargs)
            hidden_states = residual + self.dropout(hidden_states)
            if not self.pre_norm:
                hidden_states = self.cross_attn_residual.norm(hidden_states)

        residual = hidden_states
        if self.pre_norm:
            hidden_states = self.mlp_residual.norm(hidden_states)
        hidden_states = self.mlp(hidden_states)
        hidden_states = residual + self.dropout(hidden_states)
        if not self.pre_norm:
            hidden_states = self.mlp_residual.norm(hidden_states)
        return hidden_states
