"""The `xformers` backend: `xformers.ops.memory_efficient_attention` on CUDA (Rabe & Staats' algorithm as fused
kernels). xformers is imported only when this backend runs, through `importlib` so that it stays an optional
dependency of the Hub's remote code; nothing is imported or printed at `import minformer`.

UNVERIFIED ON REAL HARDWARE: no GPU was available while writing this. The layout and the mask handling are tested on
CPU against a stand-in with xformers' signature, validation and bias semantics (tests/modeling/test_attention_backends.py).

Notation: B batch, nh heads, T queries, S keys, hs head size. xformers wants (B, T, nh, hs).
"""

import importlib
import importlib.util
import logging

import torch
from torch import nn
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs

BIAS_ALIGNMENT = 8  # xformers needs the bias rows' stride to be a multiple of 8 (16-bit) or 4 (fp32) elements


def xformers_unavailable_reason() -> str | None:
    """Why the xformers backend cannot run here, or None when it can (checked when the backend is selected)."""
    if importlib.util.find_spec("xformers") is None:
        return "xformers is not installed (pip install xformers)"
    if not torch.cuda.is_available():
        return "xformers' memory-efficient kernels need a CUDA GPU, and torch sees none"
    try:
        _xformers_ops()
    except Exception as error:  # a broken or mismatched build fails here, not in the middle of a forward
        return f"importing xformers.ops failed ({type(error).__name__}: {error})"
    return None


def _xformers_ops():
    logging.getLogger("xformers").setLevel(logging.ERROR)  # its import warns about missing C++ ops on CPU builds
    return importlib.import_module("xformers.ops")


def _xformers_bias(module: nn.Module, mask: torch.Tensor | None, query: torch.Tensor, key: torch.Tensor):
    """The `attn_bias` for `memory_efficient_attention`: a causal bias class, a dense additive tensor, or None."""
    B, nh, T, _ = query.shape
    S = key.shape[2]
    if mask is None:
        if not getattr(module, "is_causal", False) or T == 1:
            return None
        attn_bias = importlib.import_module("xformers.ops.fmha.attn_bias")
        # xformers' LowerTriangularMask is top-left aligned; with a KV cache (T < S) the queries are the last T
        return attn_bias.LowerTriangularMask() if T == S else attn_bias.LowerTriangularFromBottomRightMask()
    if mask.dtype == torch.bool:
        mask = torch.zeros(mask.shape, dtype=query.dtype, device=query.device).masked_fill(
            ~mask, torch.finfo(query.dtype).min)
    padded_S = -(-S // BIAS_ALIGNMENT) * BIAS_ALIGNMENT
    bias = torch.zeros(B, nh, T, padded_S, dtype=query.dtype, device=query.device)[..., :S]  # aligned row stride
    bias.copy_(mask.expand(B, nh, T, S))  # xformers needs exactly (B, nh, T, S)
    return bias


def xformers_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Unpack[TransformersKwargs],
) -> tuple[torch.Tensor, None]:
    """query (B, nh, T, hs), key/value (B, nh, S, hs) -> output (B, T, nh, hs); the mask is sdpa's format."""
    ops = _xformers_ops()
    bias = _xformers_bias(module, attention_mask, query, key)
    output = ops.memory_efficient_attention(
        query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2),  # (B, T|S, nh, hs)
        attn_bias=bias, p=dropout, scale=scaling,
    )
    return output, None  # already (B, T, nh, hs)
