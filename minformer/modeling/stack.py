"""The stack of N identical blocks, followed by the final norm that pre-norm models need.

Hidden states and attention maps are not collected here: transformers' output capturing records each block's output
and each attention's weights through hooks (`_can_record_outputs` in pretrained.py).

Notation: B batch, T sequence length, S encoder length, C hidden size.
"""

import torch
from torch import nn
from transformers.cache_utils import Cache
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs

from ..configuration.common import MinformerConfig
from .block import Block
from .norm import build_norm


class BlockStack(nn.Module):
    """Runs the blocks in order, then the final norm."""

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
        **kwargs: Unpack[TransformersKwargs],
    ) -> torch.Tensor:
        """(B, T, C) -> (B, T, C), the final-normed last hidden state."""
        for block in self.layers:
            # hidden_states positionally: the output recorder takes the first block's input as the embeddings' output
            hidden_states = block(
                hidden_states,
                attention_mask=attention_mask,
                rotary_angles=rotary_angles,
                cache=cache,
                encoder_hidden_states=encoder_hidden_states,
                encoder_attention_mask=encoder_attention_mask,
                **kwargs,
            )  # (B, T, C)
        return self.final_norm(hidden_states)
