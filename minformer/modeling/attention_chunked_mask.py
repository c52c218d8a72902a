"""A mask that is never materialised: the `transformers` mask function, evaluated one tile at a time.

Registered as the mask format of the `chunked` backend (attention_chunked.py), so `create_causal_mask` /
`create_bidirectional_mask` build it once per forward, as for every backend, but it costs O(B·T + B·S) memory instead
of the O(B·T·S) of a dense mask. A tile is the (query chunk × key chunk) piece of the score matrix the backend
computes at once. Most tiles of causal and padded attention are either fully allowed or fully masked, and positions
alone say which (a causal tile is full below the diagonal, empty above it; a key chunk is empty where every sequence
is padding), so only the tiles across an edge build a boolean mask; any other mask function is evaluated per tile.

Notation: B batch, T query length, S key length, Tc / Sc the query / key chunk of one tile.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers.masking_utils import bidirectional_mask_function, causal_mask_function, prepare_padding_mask
from transformers.utils import is_torchdynamo_compiling

# What `ChunkedMask.tile` returns for one sequence's tile: True = every query attends every key, False = none does
# (skip the tile), else a boolean tensor broadcastable to (1, Tc, Sc), True = attend.
TileMask = bool | torch.Tensor


@dataclass(frozen=True)
class ChunkedMask:
    """mask_function(batch, head, q, kv) -> attend?, over T queries at positions q_offset.. and S keys at kv_offset..,
    and-ed with the key padding (B, kv_offset + S), True = a real token, when there is padding."""

    mask_function: Callable
    batch_size: int
    q_length: int
    kv_length: int
    q_offset: int = 0
    kv_offset: int = 0
    padding: torch.Tensor | None = None

    def key_chunks(self, kv_chunks: list[tuple[int, int]], device: torch.device) -> list[list[bool | None]]:
        """Per sequence and key chunk: True when every key there is real, False when all are padding, None when it
        is mixed (or while tracing, when values cannot be read). One host sync for all of them."""
        if self.padding is None:
            return [[True] * len(kv_chunks)] * self.batch_size
        if is_torchdynamo_compiling():
            return [[None] * len(kv_chunks)] * self.batch_size
        real = self.padding[:, self.kv_offset:self.kv_offset + self.kv_length].to(device).int()  # (B, S)
        real_before = torch.nn.functional.pad(real.cumsum(-1), (1, 0))  # (B, S + 1): real keys before each position
        starts, ends = torch.tensor(kv_chunks, device=device).unbind(-1)
        count = real_before[:, ends] - real_before[:, starts]  # (B, n_chunks): real keys per sequence and chunk
        full, empty = (count == ends - starts).tolist(), (count == 0).tolist()
        return [[True if f else False if e else None for f, e in zip(*row)] for row in zip(full, empty)]

    def tile(self, batch: int, q_start: int, q_end: int, kv_start: int, kv_end: int, device: torch.device,
             keys: bool | None = None) -> TileMask:
        """The mask of sequence `batch`'s tile of queries q_start..q_end and keys kv_start..kv_end (a `TileMask`,
        a tensor broadcastable to (1, Tc, Sc)); `keys` is `key_chunks`' answer for this sequence and key chunk."""
        pattern = self._pattern_tile(batch, q_start, q_end, kv_start, kv_end, device)
        if pattern is False or keys is False:
            return False
        if keys is True or self.padding is None:
            return pattern
        padding = self.padding[batch, None, None, self.kv_offset + kv_start:self.kv_offset + kv_end].to(device)
        return padding if pattern is True else pattern & padding  # (1, 1, Sc) or (1, Tc, Sc)

    def _pattern_tile(self, batch: int, q_start: int, q_end: int, kv_start: int, kv_end: int,
                      device: torch.device) -> TileMask:
        """The tile of mask_function alone: decided from positions for causal and bidirectional attention, else (and
        for the causal tiles across the diagonal) the function evaluated on the tile's indices."""
        if self.mask_function is bidirectional_mask_function:
            return True
        positions_known = isinstance(self.q_offset, int) and isinstance(self.kv_offset, int)  # not a traced tensor
        if self.mask_function is causal_mask_function and positions_known:
            first_q, last_q = self.q_offset + q_start, self.q_offset + q_end - 1
            first_kv, last_kv = self.kv_offset + kv_start, self.kv_offset + kv_end - 1
            if last_kv <= first_q:
                return True  # below the diagonal
            if first_kv > last_q:
                return False  # above it
        batch_idx = torch.full((1, 1, 1), batch, device=device)
        head_idx = torch.zeros(1, 1, 1, dtype=torch.long, device=device)
        q_idx = torch.arange(q_start, q_end, device=device)[None, :, None] + self.q_offset
        kv_idx = torch.arange(kv_start, kv_end, device=device)[None, None, :] + self.kv_offset
        allowed = self.mask_function(batch_idx, head_idx, q_idx, kv_idx)  # broadcastable to (1, Tc, Sc)
        if self.mask_function is causal_mask_function or is_torchdynamo_compiling():
            return allowed
        return True if bool(allowed.all()) else False if not bool(allowed.any()) else allowed  # host syncs


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
    padding = None if padding is None else padding.bool()
    return ChunkedMask(mask_function, batch_size, q_length, kv_length, q_offset, kv_offset, padding)


def causal_chunked_mask(batch_size: int, q_length: int, kv_length: int) -> ChunkedMask:
    """Causal attention of T new queries on S keys, bottom-right aligned (the queries are the last T positions)."""
    return ChunkedMask(causal_mask_function, batch_size, q_length, kv_length, q_offset=kv_length - q_length)
