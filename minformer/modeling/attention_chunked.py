"""Exact attention in O(N) memory: queries and keys in chunks, with a running log-sum-exp (Rabe & Staats, 2021,
"Self-attention Does Not Need O(n²) Memory"). The backward pass recomputes each tile's probabilities from the saved
log-sum-exp instead of storing the (T, S) attention map (the recomputation the paper describes, written as a custom
`autograd.Function`, as in FlashAttention, Dao et al. 2022).

Notation: B batch, nh heads, T queries, S keys, hs head size, Tc / Sc query / key chunk sizes. A tile is one
(query chunk × key chunk) piece of the (T, S) score matrix, the unit computed at once, for all the heads of one
sequence: (nh, Tc, Sc). Inside, batch and heads are merged into one dimension, BH = B·nh, so that every product is
one batched matmul (`bmm`).

What makes it fast (measured with benchmarks/attention.py): tiles the mask rules out are never computed, and which
they are is decided from positions without evaluating the mask (attention_chunked_mask.py); each tile's float32
scores are written into one buffer allocated per call, not a fresh allocation per tile; the products go through
`bmm` into a buffer, then add to their accumulators; float32 inputs are never copied to float32.
"""

import math

import torch
from torch import nn
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs

from .attention_chunked_mask import ChunkedMask, TileMask, causal_chunked_mask

Mask = ChunkedMask | torch.Tensor | None


def _chunks(length: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, length)) for start in range(0, length, size)]


class _Tiles:
    """The tiles of one attention call and their masks, shared by the forward and the backward. A tile holds the
    heads of one sequence, so that a sequence skips the key chunks where it has only padding."""

    def __init__(self, mask: Mask, B: int, nh: int, T: int, S: int, query_chunk: int, key_chunk: int,
                 device: torch.device):
        self.mask, self.device = mask, device
        self.q_chunks, self.kv_chunks = _chunks(T, query_chunk), _chunks(S, key_chunk)
        self.rows = [slice(b * nh, (b + 1) * nh) for b in range(B)]  # each sequence's heads in the BH dimension
        self.largest = nh * min(query_chunk, T) * min(key_chunk, S)  # scores in the largest tile
        # per sequence and key chunk: all keys real (True), all padding (False) or mixed (None)
        chunked = isinstance(mask, ChunkedMask)
        self.keys = mask.key_chunks(self.kv_chunks, device) if chunked else [[True] * len(self.kv_chunks)] * B

    def row(self, batch: int, q_start: int, q_end: int):
        """The key chunks the queries q_start..q_end of sequence `batch` attend: (kv_start, kv_end, tile mask)."""
        for (kv_start, kv_end), keys in zip(self.kv_chunks, self.keys[batch]):
            if isinstance(self.mask, ChunkedMask):
                allowed = self.mask.tile(batch, q_start, q_end, kv_start, kv_end, self.device, keys)
            elif self.mask is None:
                allowed = True
            else:  # a dense 4D mask (B | 1, nh | 1, T, S) given by the caller: boolean (True = attend) or additive
                allowed = self.mask[batch if self.mask.shape[0] > 1 else 0, :, q_start:q_end, kv_start:kv_end]
                allowed = allowed if allowed.dtype == torch.bool else allowed.float()  # (nh | 1, Tc, Sc)
            if allowed is not False:
                yield kv_start, kv_end, allowed


def _apply_mask(scores: torch.Tensor, allowed: TileMask) -> torch.Tensor:
    """Masks a tile's scores (nh, Tc, Sc) in place: -inf where `allowed` is False, or plus an additive mask."""
    if allowed is True:
        return scores
    if allowed.dtype == torch.bool:
        return scores.masked_fill_(~allowed, float("-inf"))
    return scores.add_(allowed)


def _buffer(storage: torch.Tensor, *shape: int) -> torch.Tensor:
    """A tensor of `shape` in preallocated storage: one allocation per call instead of one per tile."""
    return storage[:math.prod(shape)].view(shape)


class ChunkedAttention(torch.autograd.Function):
    """softmax(q·kᵀ·scaling + mask)·v, tile by tile; saves only q, k, v, the output and the log-sum-exp."""

    @staticmethod
    def forward(ctx, query, key, value, mask: Mask, scaling: float, query_chunk: int, key_chunk: int):
        B, nh, T, hs = query.shape
        # (BH, T, hs) and (BH, S, hs), a copy only when strided; tiles are computed in float32, `.float()` is a no-op
        # for float32 inputs and converts only the tile's slice of low-precision ones
        q_all, k_all, v_all = (x.reshape(B * nh, x.shape[2], x.shape[3]) for x in (query, key, value))
        tiles = _Tiles(mask, B, nh, T, k_all.shape[1], query_chunk, key_chunk, query.device)
        output = torch.zeros(B * nh, T, v_all.shape[-1], device=query.device)  # (BH, T, hs) float32
        logsumexp = torch.empty(B * nh, T, 1, device=query.device)  # (BH, T, 1)
        storage = torch.empty(tiles.largest, device=query.device)  # the scores of every tile, in turn
        # each tile's probs·v, added to the accumulator: `bmm` into a buffer and `add_` is 1.5× faster on CPU than
        # `baddbmm_` into the accumulator, a strided view, which torch computes head by head
        products = torch.empty(nh * min(query_chunk, T) * v_all.shape[-1], device=query.device)
        for batch, rows in enumerate(tiles.rows):
            for q_start, q_end in tiles.q_chunks:
                q = q_all[rows, q_start:q_end].float() * scaling  # (nh, Tc, hs), scaled once, not every score
                running_max = torch.full((*q.shape[:2], 1), float("-inf"), device=q.device)  # (nh, Tc, 1)
                running_sum = torch.zeros_like(running_max)  # (nh, Tc, 1)
                accumulator = output[rows, q_start:q_end]  # (nh, Tc, hs), a view: accumulates in place
                for kv_start, kv_end, allowed in tiles.row(batch, q_start, q_end):
                    scores = _buffer(storage, q.shape[0], q.shape[1], kv_end - kv_start)  # (nh, Tc, Sc)
                    k, v = k_all[rows, kv_start:kv_end].float(), v_all[rows, kv_start:kv_end].float()  # (nh, Sc, hs)
                    _apply_mask(torch.bmm(q, k.mT, out=scores), allowed)
                    new_max = torch.maximum(running_max, scores.amax(-1, keepdim=True))
                    safe_max = new_max.masked_fill(new_max == float("-inf"), 0.0)  # rows with nothing to attend yet
                    probs = scores.sub_(safe_max).exp_()  # (nh, Tc, Sc), in place
                    rescale = torch.exp(running_max - safe_max)  # shrink what was summed under the old maximum
                    running_sum.mul_(rescale).add_(probs.sum(-1, keepdim=True))
                    accumulator.mul_(rescale).add_(torch.bmm(probs, v, out=_buffer(products, *accumulator.shape)))
                    running_max = new_max
                empty = running_sum == 0  # queries that may attend to nothing (e.g. left padding) output zeros
                accumulator.div_(running_sum.masked_fill(empty, 1.0))
                logsumexp[rows, q_start:q_end] = (running_max + running_sum.log()).masked_fill(empty, float("inf"))
        output = output.to(query.dtype)
        ctx.save_for_backward(q_all, k_all, v_all, output, logsumexp)
        ctx.tiles, ctx.shape, ctx.scaling, ctx.chunks = tiles, (B, nh), scaling, (min(query_chunk, T),
                                                                                   min(key_chunk, k_all.shape[1]))
        return output.view(B, nh, T, -1)

    @staticmethod
    def backward(ctx, grad_output):
        q_all, k_all, v_all, output, logsumexp = ctx.saved_tensors
        (B, nh), tiles, scaling = ctx.shape, ctx.tiles, ctx.scaling
        d_out_all = grad_output.reshape(output.shape)  # (BH, T, hs)
        grad_query, grad_key, grad_value = (torch.zeros_like(x, dtype=torch.float32) for x in (q_all, k_all, v_all))
        storage = torch.empty(2, tiles.largest, device=q_all.device)  # every tile's scores and their gradient
        products = torch.empty(nh * max(ctx.chunks) * q_all.shape[-1], device=q_all.device)  # as in the forward
        for batch, rows in enumerate(tiles.rows):
            for q_start, q_end in tiles.q_chunks:
                q = q_all[rows, q_start:q_end].float() * scaling  # (nh, Tc, hs)
                d_out = d_out_all[rows, q_start:q_end].float()  # (nh, Tc, hs)
                lse = logsumexp[rows, q_start:q_end]  # (nh, Tc, 1)
                # D_i = sum_j dO_ij · O_ij, the softmax Jacobian's correction term per query  (nh, Tc, 1)
                delta = (d_out * output[rows, q_start:q_end].float()).sum(-1, keepdim=True)
                d_q = grad_query[rows, q_start:q_end]  # (nh, Tc, hs), a view: accumulates in place
                for kv_start, kv_end, allowed in tiles.row(batch, q_start, q_end):
                    k, v = k_all[rows, kv_start:kv_end].float(), v_all[rows, kv_start:kv_end].float()  # (nh, Sc, hs)
                    scores = _buffer(storage[0], q.shape[0], q.shape[1], kv_end - kv_start)  # (nh, Tc, Sc)
                    d_scores = _buffer(storage[1], *scores.shape)
                    probs = _apply_mask(torch.bmm(q, k.mT, out=scores).sub_(lse), allowed).exp_()  # recomputed
                    key_shape, query_shape = k.shape, q.shape  # (nh, Sc, hs), (nh, Tc, hs)
                    grad_value[rows, kv_start:kv_end].add_(torch.bmm(probs.mT, d_out,
                                                                     out=_buffer(products, *key_shape)))
                    torch.bmm(d_out, v.mT, out=d_scores).sub_(delta).mul_(probs)  # P ∘ (dP - D)
                    d_q.add_(torch.bmm(d_scores, k, out=_buffer(products, *query_shape)), alpha=scaling)
                    # q is scaled: scaling is inside
                    grad_key[rows, kv_start:kv_end].add_(torch.bmm(d_scores.mT, q, out=_buffer(products, *key_shape)))
        grads = (g.view(B, nh, *g.shape[1:]).to(x.dtype) for g, x in zip((grad_query, grad_key, grad_value),
                                                                          (q_all, k_all, v_all)))
        return *grads, None, None, None, None


def chunked_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: Mask,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Unpack[TransformersKwargs],
) -> tuple[torch.Tensor, None]:
    """The `chunked` backend: query (B, nh, T, hs), key/value (B, nh, S, hs) -> output (B, T, nh, hs), no weights.

    The mask is a `ChunkedMask` (built by `chunked_mask`), a dense 4D mask, or None (then causal modules attend
    bottom-right aligned, as `transformers`' sdpa does). Chunk sizes come from the config's
    `attention_query_chunk_size` / `attention_key_chunk_size`.
    """
    if dropout > 0.0:
        raise ValueError(
            f"The chunked attention backend does not implement attention dropout (got dropout={dropout} while "
            "training). Set attention_dropout=0.0 in the config, or train with attn_implementation='sdpa' or 'eager'."
        )
    query_chunk, key_chunk = module.config.attention_query_chunk_size, module.config.attention_key_chunk_size
    if scaling is None:
        scaling = query.shape[-1] ** -0.5
    if attention_mask is None and getattr(module, "is_causal", False) and query.shape[2] > 1:
        attention_mask = causal_chunked_mask(query.shape[0], query.shape[2], key.shape[2])
    output = ChunkedAttention.apply(query, key, value, attention_mask, scaling, query_chunk, key_chunk)
    return output.transpose(1, 2).contiguous(), None  # (B, T, nh, hs)
