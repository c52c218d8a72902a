"""Scaled dot-product multi-head attention (Vaswani et al., 2017, §3.2), for self- and cross-attention.

Notation: B batch, T query length, S key/value length, C hidden size, nh heads, hs head size (C = nh·hs).

The module projects queries, keys and values, applies rotary positions and the key/value cache, then hands the
actual attention to the backend named by `config._attn_implementation`, looked up per call in `transformers`'
attention registry (`eager` below is the readable reference; `sdpa` is transformers' own, the others and their
registration are in attention_backends.py). The weights it returns beside its output are what `output_attentions=True`
records (`_can_record_outputs` in pretrained.py).
"""

from collections.abc import Callable

import torch
from torch import nn
from transformers.cache_utils import Cache, EncoderDecoderCache
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs

from ..configuration.common import MinformerConfig
from .cache_name import updated_by_attention
from .norm import build_head_norm
from .positions import apply_rotary
from .unpadding import Unpadding


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    **kwargs: Unpack[TransformersKwargs],
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q·kᵀ·scaling + mask)·v, materialising the (B, nh, T, S) attention map and returning it.

    query (B, nh, T, hs), key/value (B, nh, S, hs); the mask is additive (0 or a large negative number) or boolean
    (True = attend), broadcastable to (B, nh, T, S). Returns the output (B, T, nh, hs) and the weights.
    """
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling  # (B, nh, T, S)
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores + attention_mask
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)  # (B, nh, T, S)
    weights = nn.functional.dropout(weights, p=dropout, training=module.training)
    output = torch.matmul(weights, value)  # (B, nh, T, hs)
    return output.transpose(1, 2).contiguous(), weights  # (B, T, nh, hs)


class MultiHeadAttention(nn.Module):
    """nh heads of attention over the input (self-attention) or over `key_value_states` (cross-attention)."""

    def __init__(self, config: MinformerConfig, layer_idx: int, is_cross_attention: bool = False):
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.is_cross_attention = is_cross_attention
        self.is_causal = config.is_decoder and not is_cross_attention  # read by the sdpa backend when no mask is built
        self.num_heads = config.num_attention_heads
        self.head_dim = config.head_dim
        self.scaling = self.head_dim**-0.5  # 1/sqrt(hs) keeps the logits' variance at 1
        C, bias = config.hidden_size, config.attention_bias
        self.q_proj = nn.Linear(C, C, bias=bias)
        self.k_proj = nn.Linear(C, C, bias=bias)
        self.v_proj = nn.Linear(C, C, bias=bias)
        self.o_proj = nn.Linear(C, C, bias=bias)
        self.o_proj.is_residual_projection = True  # scaled initialisation (pretrained.py)
        self.q_norm, self.k_norm = build_head_norm(config), build_head_norm(config)  # identities unless qk_norm

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, nh, T, hs)
        # -1, not num_heads: under tensor parallelism each process holds only its share of the heads
        return x.view(*x.shape[:2], -1, self.head_dim).transpose(1, 2)

    def _self_attention_kv(
        self, hidden_states: torch.Tensor, rotary_angles: tuple[torch.Tensor, torch.Tensor] | None, cache: Cache | None,
        kwargs: dict,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        key = self.k_norm(self._split_heads(self.k_proj(hidden_states)))  # (B, nh, T, hs)
        value = self._split_heads(self.v_proj(hidden_states))
        if rotary_angles is not None:
            key = apply_rotary(key, *rotary_angles)
        if updated_by_attention(cache):
            kwargs["cache"] = cache
        elif cache is not None:
            self_cache = cache.self_attention_cache if isinstance(cache, EncoderDecoderCache) else cache
            # (B, nh, S, hs): past + new. A paged cache (continuous batching) reads and fills the attention kwargs
            key, value = self_cache.update(key, value, self.layer_idx, kwargs=kwargs)
        return key, value

    def _cross_attention_kv(
        self, key_value_states: torch.Tensor, cache: Cache | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # The encoder output does not change while decoding: project it once, then reuse the cached keys/values.
        if isinstance(cache, EncoderDecoderCache) and cache.is_updated.get(self.layer_idx):
            layer = cache.cross_attention_cache.layers[self.layer_idx]
            return layer.keys, layer.values
        key = self.k_norm(self._split_heads(self.k_proj(key_value_states)))  # (B, nh, S, hs)
        value = self._split_heads(self.v_proj(key_value_states))
        if isinstance(cache, EncoderDecoderCache):
            key, value = cache.cross_attention_cache.update(key, value, self.layer_idx)
            cache.is_updated[self.layer_idx] = True
        return key, value

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        rotary_angles: tuple[torch.Tensor, torch.Tensor] | None = None,
        cache: Cache | None = None,
        key_value_states: torch.Tensor | None = None,
        unpadding: Unpadding | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """hidden_states (B, T, C) -> output (B, T, C) and the attention weights (eager only, else None). With an
        `unpadding`, hidden_states are a padded batch's real tokens (1, N, C), and each text attends within itself."""
        B, T, _ = hidden_states.shape
        query = self.q_norm(self._split_heads(self.q_proj(hidden_states)))  # (B, nh, T, hs)
        if self.is_cross_attention:
            key, value = self._cross_attention_kv(key_value_states, cache)
        else:
            if rotary_angles is not None:
                query = apply_rotary(query, *rotary_angles)
            key, value = self._self_attention_kv(hidden_states, rotary_angles, cache, kwargs)

        attention_interface: Callable = ALL_ATTENTION_FUNCTIONS.get_interface(
            self.config._attn_implementation, eager_attention_forward
        )
        dropout = self.config.attention_dropout if self.training else 0.0
        # A padding-free batch attends one text at a time, on its real tokens (1, nh, n_i, hs) with no mask; any
        # other, all at once. One call site, found by vLLM in this source; isinstance, since its trace passes proxies
        padding_free = isinstance(unpadding, Unpadding)
        groups = unpadding.texts(query, key, value) if padding_free else ((query, key, value),)
        mask = None if padding_free else attention_mask
        results = [attention_interface(self, q, k, v, mask, scaling=self.scaling, dropout=dropout, **kwargs)
                   for q, k, v in groups]
        if padding_free:
            return self.o_proj(torch.cat([out for out, _ in results], dim=1).reshape(B, T, -1)), None  # (1, N, C)
        output, weights = results[0]  # output (B, T, nh, hs)
        return self.o_proj(output.reshape(B, T, -1)), weights  # (B, T, C), summed over the processes' heads
