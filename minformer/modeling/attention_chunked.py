"""Exact attention in O(N) memory: queries and keys in chunks, with a running log-sum-exp (Rabe & Staats, 2021,
"Self-attention Does Not Need O(n²) Memory"). The backward pass recomputes each tile's probabilities from the saved
log-sum-exp instead of storing the (T, S) attention map (the recomputation the paper describes, written as a custom
`autograd.Function`, as in FlashAttention, Dao et al. 2022).

Notation: B batch, nh heads, T queries, S keys, hs head size, Tc / Sc query / key chunk sizes. A tile is one
(query chunk × key chunk) piece of the (T, S) score matrix, the unit computed at once.
"""

import torch
from torch import nn
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs, is_torchdynamo_compiling

from .attention_chunked_mask import ChunkedMask, causal_chunked_mask

Mask = ChunkedMask | torch.Tensor | None


def _tile_scores(q, k, mask: Mask, q_range, kv_range) -> torch.Tensor | None:
    """Masked scores q·kᵀ of one tile in float32 (q already scaled): (B, nh, Tc, Sc); None when the whole tile is
    masked, so that causal attention skips the tiles above the diagonal without computing them."""
    allowed = None
    if isinstance(mask, ChunkedMask):
        allowed = mask.tile(*q_range, *kv_range, device=q.device)  # (B, 1, Tc, Sc) bool
    elif mask is not None:  # a dense 4D mask given by the caller: slice the tile
        allowed = mask[..., q_range[0]:q_range[1], kv_range[0]:kv_range[1]]
        if allowed.dtype != torch.bool:  # additive
            return torch.matmul(q, k.transpose(-1, -2)).float() + allowed.float()
    tracing = is_torchdynamo_compiling()  # a traced graph cannot branch on values: it computes and masks every tile
    if allowed is not None and not tracing and not bool(allowed.any()):
        return None
    scores = torch.matmul(q, k.transpose(-1, -2)).float()  # (B, nh, Tc, Sc)
    if allowed is not None and (tracing or not bool(allowed.all())):
        scores.masked_fill_(~allowed, float("-inf"))
    return scores


def _chunks(length: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, length)) for start in range(0, length, size)]


class ChunkedAttention(torch.autograd.Function):
    """softmax(q·kᵀ·scaling + mask)·v, tile by tile; saves only q, k, v, the output and the log-sum-exp."""

    @staticmethod
    def forward(ctx, query, key, value, mask: Mask, scaling: float, query_chunk: int, key_chunk: int):
        B, nh, T, hs = query.shape
        output = torch.empty(B, nh, T, value.shape[-1], dtype=query.dtype, device=query.device)
        logsumexp = torch.empty(B, nh, T, dtype=torch.float32, device=query.device)
        kv_chunks = _chunks(key.shape[2], key_chunk)
        for q_start, q_end in _chunks(T, query_chunk):
            q = query[:, :, q_start:q_end] * scaling  # (B, nh, Tc, hs), scaled once instead of every score
            running_max = torch.full(q.shape[:3], float("-inf"), device=q.device)  # (B, nh, Tc)
            running_sum = torch.zeros(q.shape[:3], device=q.device)  # (B, nh, Tc)
            accumulator = torch.zeros(*q.shape[:3], value.shape[-1], device=q.device)  # (B, nh, Tc, hs)
            for kv_start, kv_end in kv_chunks:
                scores = _tile_scores(q, key[:, :, kv_start:kv_end], mask, (q_start, q_end), (kv_start, kv_end))
                if scores is None:
                    continue
                new_max = torch.maximum(running_max, scores.amax(-1))
                safe_max = new_max.masked_fill(new_max == float("-inf"), 0.0)  # rows with nothing to attend yet
                probs = scores.sub_(safe_max[..., None]).exp_()  # (B, nh, Tc, Sc), in place
                rescale = torch.exp(running_max - safe_max)  # shrink what was summed under the old maximum
                running_sum.mul_(rescale).add_(probs.sum(-1))
                accumulator.mul_(rescale[..., None]).add_(torch.matmul(probs, value[:, :, kv_start:kv_end].float()))
                running_max = new_max
            empty = running_sum == 0  # queries that may attend to nothing (e.g. left padding) output zeros
            output[:, :, q_start:q_end] = (accumulator / running_sum.masked_fill(empty, 1.0)[..., None]).to(query.dtype)
            logsumexp[:, :, q_start:q_end] = (running_max + running_sum.log()).masked_fill(empty, float("inf"))
        ctx.save_for_backward(query, key, value, output, logsumexp)
        ctx.mask, ctx.scaling, ctx.query_chunk, ctx.key_chunk = mask, scaling, query_chunk, key_chunk
        return output

    @staticmethod
    def backward(ctx, grad_output):
        query, key, value, output, logsumexp = ctx.saved_tensors
        mask, scaling = ctx.mask, ctx.scaling
        grad_query = torch.zeros_like(query, dtype=torch.float32)
        grad_key = torch.zeros_like(key, dtype=torch.float32)
        grad_value = torch.zeros_like(value, dtype=torch.float32)
        # D_i = sum_j dO_ij · O_ij, the softmax Jacobian's correction term per query  (B, nh, T)
        delta = (grad_output.float() * output.float()).sum(-1)
        kv_chunks = _chunks(key.shape[2], ctx.key_chunk)
        for q_start, q_end in _chunks(query.shape[2], ctx.query_chunk):
            q = query[:, :, q_start:q_end] * scaling
            d_out = grad_output[:, :, q_start:q_end].float()  # (B, nh, Tc, hs)
            lse = logsumexp[:, :, q_start:q_end, None]
            for kv_start, kv_end in kv_chunks:
                k, v = key[:, :, kv_start:kv_end], value[:, :, kv_start:kv_end]
                scores = _tile_scores(q, k, mask, (q_start, q_end), (kv_start, kv_end))
                if scores is None:
                    continue
                probs = scores.sub_(lse).exp_()  # (B, nh, Tc, Sc), recomputed, never stored
                grad_value[:, :, kv_start:kv_end] += torch.matmul(probs.transpose(-1, -2), d_out)
                d_probs = torch.matmul(d_out, v.float().transpose(-1, -2))  # (B, nh, Tc, Sc)
                d_scores = probs * (d_probs - delta[:, :, q_start:q_end, None]) * scaling
                grad_query[:, :, q_start:q_end] += torch.matmul(d_scores, k.float())
                q_unscaled = query[:, :, q_start:q_end].float()  # scaling is already inside d_scores
                grad_key[:, :, kv_start:kv_end] += torch.matmul(d_scores.transpose(-1, -2), q_unscaled)
        return (grad_query.to(query.dtype), grad_key.to(key.dtype), grad_value.to(value.dtype),
                None, None, None, None)


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
