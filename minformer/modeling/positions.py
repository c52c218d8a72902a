"""Positional encodings: sinusoidal (Vaswani et al., 2017, §3.5), learned (GPT-2, BERT) and rotary (Su et al., 2021).

Notation: B batch, T sequence length, C hidden size, nh heads, hs head size.
Sinusoidal and rotary encodings are computed from `position_ids` on every call (no buffers), so they work for any
position and never go stale when a model is loaded, moved or resized.
"""

import torch
from torch import nn

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
        longest = int(position_ids.max()) + 1 if position_ids.numel() else 0
        if longest > self.num_embeddings:
            raise ValueError(
                f"The input reaches position {longest - 1}, but this model has learned positions only for "
                f"max_position_embeddings={self.num_embeddings} tokens. Truncate the input (e.g. tokenizer(..., "
                f"truncation=True, max_length={self.num_embeddings})) or build the model with a larger "
                "max_position_embeddings."
            )
        return super().forward(position_ids)


class RotaryEmbedding(nn.Module):
    """Rotary position embedding: rotates each (x_i, x_{i+hs/2}) pair of queries and keys by pos·θ_i."""

    def __init__(self, config: MinformerConfig):
        super().__init__()
        self.head_dim = config.head_dim
        self.theta = config.rope_theta

    def forward(self, position_ids: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T) -> cos, sin, each (B, T, hs)."""
        exponents = torch.arange(0, self.head_dim, 2, device=position_ids.device, dtype=torch.float32) / self.head_dim
        inv_freq = self.theta**-exponents  # (hs/2,)
        angles = position_ids.float()[..., None] * inv_freq  # (B, T, hs/2)
        angles = torch.cat((angles, angles), dim=-1)  # (B, T, hs)
        return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """(x1, x2) -> (-x2, x1) on the two halves of the last dimension."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate queries or keys (B, nh, T, hs) by the angles of their positions (cos, sin: (B, T, hs))."""
    cos, sin = cos[:, None], sin[:, None]  # (B, 1, T, hs), broadcast over heads
    return x * cos + rotate_half(x) * sin
