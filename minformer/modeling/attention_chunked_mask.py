"""A mask that is never materialised: the `transformers` mask function, evaluated one tile at a time.

Registered as the mask format of the `chunked` backend (attention_chunked.py), so `create_causal_mask` /
`create_bidirectional_mask` build it once per forward, as for every backend, but it costs O(B·T + B·S) memory instead
of the O(B·T·S) of a dense mask. A tile is the (query chunk × key chunk) piece of the score matrix the backend
computes at once.

Notation: B batch, T query length, S key length, Tc / Sc the query / key chunk of one tile.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers.masking_utils import (
    and_masks,
    bidirectional_mask_function,
    causal_mask_function,
    padding_mask_function,
    prepare_padding_mask,
)
from transformers.utils import is_torchdynamo_compiling


@dataclass(frozen=True)
class ChunkedMask:
    """mask_function(batch, head, q, kv) -> attend?, over T queries at positions q_offset.. and S keys at kv_offset.."""

    mask_function: Callable
    batch_size: int
    q_length: int
    kv_length: int
    q_offset: int = 0
    kv_offset: int = 0

    def tile(self, q_start: int, q_end: int, kv_start: int, kv_end: int, device: torch.device) -> torch.Tensor:
        """The boolean mask (B, 1, Tc, Sc) of the tile of queries q_start..q_end and keys kv_start..kv_end;
        True = attend."""
        batch = torch.arange(self.batch_size, device=device)[:, None, None, None]
        head = torch.zeros(1, dtype=torch.long, device=device)[None, :, None, None]
        q = torch.arange(q_start, q_end, device=device)[None, None, :, None] + self.q_offset
        kv = torch.arange(kv_start, kv_end, device=device)[None, None, None, :] + self.kv_offset
        mask = self.mask_function(batch, head, q, kv)
        return mask.expand(self.batch_size, 1, q_end - q_start, kv_end - kv_start)


def chunked_mask(
    batch_size: int,
    q_length: int,
    kv_length: int,
    q_offset: int = 0,
    kv_offset: int = 0,
    mask_function: Callable = causal_mask_function,
    attention_mask: torch.Tensor | None = None,
    **kwargs,
) -> ChunkedMask | None:
    """The `AttentionMaskInterface` function of the chunked backend (same arguments as `transformers`' `sdpa_mask`).

    Returns None when nothing is masked (bidirectional attention without padding).
    """
    padding = prepare_padding_mask(attention_mask, kv_length, kv_offset)
    if padding is not None and not is_torchdynamo_compiling() and bool(padding.all()):  # eager: skip a no-op mask
        padding = None
    if padding is None and mask_function is bidirectional_mask_function:
        return None
    if padding is not None:
        mask_function = and_masks(mask_function, padding_mask_function(padding.bool()))
    return ChunkedMask(mask_function, batch_size, q_length, kv_length, q_offset, kv_offset)


def causal_chunked_mask(batch_size: int, q_length: int, kv_length: int) -> ChunkedMask:
    """Causal attention of T new queries on S keys, bottom-right aligned (the queries are the last T positions)."""
    return ChunkedMask(causal_mask_function, batch_size, q_length, kv_length, q_offset=kv_length - q_length)
