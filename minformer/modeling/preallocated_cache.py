"""The decoder's default key/value cache: transformers' `DynamicCache`, except that each layer keeps its keys and values
in a buffer with room to grow, so a decoding step writes one position into the next free slot instead of copying
the whole cache into a new tensor (`torch.cat`, which DynamicCache does at every step and which grows with the
length: 25% of a decoding step at batch 8, benchmarks/generation.py). The attention sees the same tensors.

Notation: B batch, nh heads, S cached positions, hs head size.
"""

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

from ..configuration.common import MinformerConfig

ROOM = 256  # positions added whenever a buffer is full: at most this many cached positions' memory is unused


def _appended(
    cached: torch.Tensor, new: torch.Tensor, buffer: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """`cached` (B, nh, S, hs) followed by `new` (B, nh, S', hs), written into `buffer`, which is replaced by a larger
    one when full or when `cached` is no longer its prefix (beam search reorders the cache, `batch_select_indices`
    copies it, ...). Returns the (B, nh, S + S', hs) view and the buffer."""
    length = cached.shape[-2] if cached.dim() == 4 else 0  # an uninitialised layer holds an empty 1-D tensor
    end = length + new.shape[-2]
    in_place = (buffer is not None and end <= buffer.shape[-2] and buffer.shape[:2] == new.shape[:2]
                and (length == 0 or (cached.data_ptr() == buffer.data_ptr() and cached.stride() == buffer.stride())))
    if not in_place:
        buffer = new.new_empty(*new.shape[:2], end + ROOM, new.shape[-1])
        if length:
            buffer[..., :length, :] = cached
    buffer[..., length:end, :] = new
    return buffer[..., :end, :], buffer


class PreallocatedLayer(DynamicLayer):
    """A `DynamicLayer` whose keys and values are the filled prefix of a growing buffer. Every other method
    (cropping, beam reordering, batch selection) is DynamicLayer's, on those views."""

    key_buffer: torch.Tensor | None = None
    value_buffer: torch.Tensor | None = None

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if torch.is_grad_enabled() and (key_states.requires_grad or value_states.requires_grad):
            return super().update(key_states, value_states, *args, **kwargs)  # in-place writes would break autograd
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        self.keys, self.key_buffer = _appended(self.keys, key_states, self.key_buffer)
        self.values, self.value_buffer = _appended(self.values, value_states, self.value_buffer)
        return self.keys, self.values

    def reset(self) -> None:
        self.key_buffer = self.value_buffer = None
        super().reset()


class PreallocatedCache(DynamicCache):
    """`DynamicCache` with `PreallocatedLayer`s for the full-attention layers."""

    def __init__(self, config: MinformerConfig):
        super().__init__(config=config)
        self.layers = [PreallocatedLayer() if type(layer) is DynamicLayer else layer for layer in self.layers]
