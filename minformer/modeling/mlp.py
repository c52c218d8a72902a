"""The position-wise feed-forward network: GELU MLP (Vaswani et al., 2017, §3.3) or gated (GLU; Shazeer, 2020).

Notation: B batch, T sequence length, C hidden size, F intermediate size.
"""

import torch
from torch import nn
from transformers.activations import ACT2FN

from ..configuration.common import MinformerConfig


class FeedForward(nn.Module):
    """x -> down_proj(act(up_proj(x))), or with mlp_type="glu": down_proj(act(gate_proj(x)) * up_proj(x))."""

    def __init__(self, config: MinformerConfig):
        super().__init__()
        C, F, bias = config.hidden_size, config.intermediate_size, config.mlp_bias
        self.up_proj = nn.Linear(C, F, bias=bias)
        self.gate_proj = nn.Linear(C, F, bias=bias) if config.mlp_type == "glu" else None
        self.down_proj = nn.Linear(F, C, bias=bias)
        self.down_proj.is_residual_projection = True  # scaled initialisation (pretrained.py)
        self.act = ACT2FN[config.hidden_act]

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, C)
        if self.gate_proj is None:
            inner = self.act(self.up_proj(hidden_states))  # (B, T, F)
        else:
            inner = self.act(self.gate_proj(hidden_states)) * self.up_proj(hidden_states)  # (B, T, F)
        return self.down_proj(inner)
