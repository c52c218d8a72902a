"""The residual connection around each sublayer, with the norm placed before (pre-norm) or after (post-norm) it."""

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..configuration.common import MinformerConfig
from .norm import build_norm


class Residual(nn.Module):
    """pre-norm:  x + dropout(sublayer(norm(x)))   (GPT-2; stable deep stacks)
    post-norm: norm(x + dropout(sublayer(x)))   (BERT; "Attention Is All You Need", §5.4)

    `sublayer` returns (output, extra); the extra (attention weights, or None) is passed back to the caller.
    """

    def __init__(self, config: MinformerConfig):
        super().__init__()
        self.pre_norm = config.norm_position == "pre"
        self.norm = build_norm(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self, hidden_states: torch.Tensor, sublayer: Callable[[torch.Tensor], tuple[torch.Tensor, Any]]
    ) -> tuple[torch.Tensor, Any]:
        if self.pre_norm:
            output, extra = sublayer(self.norm(hidden_states))
            return hidden_states + self.dropout(output), extra
        output, extra = sublayer(hidden_states)
        return self.norm(hidden_states + self.dropout(output)), extra
