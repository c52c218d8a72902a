"""Positional encodings: sinusoidal (Vaswani et al., 2017, §3.5), learned (GPT-2, BERT) and rotary (Su et al., 2021).

Notation: B batch, T sequence length, C hidden size, nh heads, hs head size.
Sinusoidal and rotary encodings are computed from `position_ids` on every call (no buffers), so they work for any
position and never go stale when a model is loaded, moved or resized.
"""

import torch
from torch import nn
from transformers.utils import is_torchdynamo_compiling

from ..configuration.common import MinformerConfig

SINUSOID_BASE = 10000.0  # the wavelength base of "Attention Is All You Need"


def sinusoidal_positions(position_ids: torch.Tensor, dim: int, dtype: torch.dtype) -> torch.Tensor:
    """PE(pos, 2i) = sin(pos / 10000^(2i/dim)), PE(pos, 2i+1) = cos(pos / 10000^(2i/dim)).  (B, T) -> (B, T, dim)"""
    inv_freq = SINUSOID_BASE ** (-torch.arange(0, dim, 2, device=position_ids.device, dtype=torch.float32) / dim)
    angles = position_ids.float()[..., None] * inv_freq  # (B, T, dim/2)
    # interleave: even channels sin, odd channels cos
    return torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(-2).to(dtype)  # (B, T, dim)


class LearnedPositions(nn.Embedding):
    """A trained table of `max_position_embeddings` position vectors, added to the token embeddings."""

    def __init__(self, config: MinformerConfig):
        super().__init__(config.max_position_embeddings, config.hidden_size)

    def forward(self, position_ids: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, T, C)
        if not is_torchdynamo_compiling():  # reads a value: eager only, so torch.compile and torch.export can trace
            self.check_positions(position_ids)
        return super().forward(position_ids)

    def check_positions(self, position_ids: torch.Tensor) -> None:
        """A position past the table is an index error deep in torch; say what to do instead."""
        longest = int(position_ids.max()) + 1 if position_ids.numel() else 0
        if longest > self.num_embeddings:
            raise ValueError(
                f"The input reaches position {longest - 1}, but this model has learned positions only for "
                f"max_position_embeddings={self.num_embeddings} tokens. Truncate the input (e.g. tokenizer(..., "
                f"truncation=True, max_length={self.num_embeddings})) or build the model with a larger "
                "max_position_embeddings."
            )


class RotaryEmbedding(nn.Module):
    """Rotary position embedding: rotates each (x_i, x_{i+hs/2}) pair of queries and keys by pos·θ_i."""

    def __init__(self, config: MinformerConfig):
        super().__init__()
        self.head_dim = config.head_dim
        self.theta = config.rope_theta

    def forward(self, position_ids: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T) -> cos and signed sin, each (B, 1, T, hs) to broadcast over the heads: (cos θ, cos θ) and
        (−sin θ, sin θ), so that `apply_rotary` is two products and a sum."""
        exponents = torch.arange(0, self.head_dim, 2, device=position_ids.device, dtype=torch.float32) / self.head_dim
        inv_freq = self.theta**-exponents  # (hs/2,)
        angles = position_ids.float()[:, None, :, None] * inv_freq  # (B, 1, T, hs/2)
        cos, sin = angles.cos(), angles.sin()
        return torch.cat((cos, cos), dim=-1).to(dtype), torch.cat((-sin, sin), dim=-1).to(dtype)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor) -> torch.Tensor:
    """Rotate queries or keys (B, nh, T, hs) by the angles of their positions: each pair (x_i, x_{i+hs/2}) becomes
    (x_i·cos θ_i − x_{i+hs/2}·sin θ_i, x_{i+hs/2}·cos θ_i + x_i·sin θ_i). Swapping the halves is one `roll`."""
    return x * cos + x.roll(x.shape[-1] // 2, dims=-1) * signed_sin
