"""The attention backends a minformer model accepts for `attn_implementation=`, and the check made when one is chosen.

A backend is one function with the `transformers` attention signature
`fn(module, query, key, value, attention_mask, scaling, dropout, **kwargs) -> (output (B, T, nh, hs), weights|None)`,
registered in `transformers.AttentionInterface` together with the mask format it wants
(`transformers.AttentionMaskInterface`). Adding a backend is one call to `register_attention_backend`. The backends
themselves live beside this file: attention.py (`eager`, the reference), attention_chunked.py (+ its mask,
attention_chunked_mask.py) and attention_xformers.py; `sdpa` is transformers' own.
"""

from collections.abc import Callable
from dataclasses import dataclass

from transformers import AttentionInterface, AttentionMaskInterface
from transformers.masking_utils import sdpa_mask
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

from .attention_chunked import chunked_attention_forward
from .attention_chunked_mask import chunked_mask
from .attention_xformers import xformers_attention_forward, xformers_unavailable_reason


@dataclass(frozen=True)
class AttentionBackend:
    """A named backend, what it is, and a check that returns why it cannot run here (None when it can)."""

    name: str
    description: str
    unavailable_reason: Callable[[], str | None] = lambda: None


ATTENTION_BACKENDS: dict[str, AttentionBackend] = {
    "eager": AttentionBackend("eager", "reference PyTorch matmul/softmax; returns attention maps"),
    "sdpa": AttentionBackend("sdpa", "torch.nn.functional.scaled_dot_product_attention (fused kernels)"),
}


def register_attention_backend(
    name: str,
    attention_fn: Callable,
    mask_fn: Callable,
    description: str,
    unavailable_reason: Callable[[], str | None] = lambda: None,
) -> None:
    """Make `attn_implementation=name` select `attention_fn`, with masks built by `mask_fn` (e.g. `sdpa_mask`).

    Registering the mask function matters: without it `transformers` builds no mask and padding is ignored.
    """
    AttentionInterface.register(name, attention_fn)
    AttentionMaskInterface.register(name, mask_fn)
    ATTENTION_BACKENDS[name] = AttentionBackend(name, description, unavailable_reason)


register_attention_backend(
    "chunked", chunked_attention_forward, chunked_mask,
    "exact attention in query/key chunks, O(N) memory forward and backward (Rabe & Staats 2021); pure PyTorch",
)
register_attention_backend(
    "xformers", xformers_attention_forward, sdpa_mask,
    "xformers.ops.memory_efficient_attention (CUDA only; unverified on real hardware)",
    unavailable_reason=xformers_unavailable_reason,
)


def check_attention_backend(requested: str | None) -> None:
    """Refuse a backend that cannot run here (minformer's own: xformers without CUDA) or that no one registered.

    Every backend registered with `transformers.AttentionInterface` is let through (`flex_attention`,
    `flash_attention_2`, `sdpa_paged`, kernels-hub and vLLM's): the models dispatch through
    `ALL_ATTENTION_FUNCTIONS`, and transformers makes its own availability checks for its backends. An unknown name
    gets transformers' own wording, with minformer's backends listed.
    """
    if requested is None:
        return
    backend = ATTENTION_BACKENDS.get(requested)
    if backend is None:
        if requested in ALL_ATTENTION_FUNCTIONS.valid_keys() or requested.startswith("paged|") or "/" in requested:
            return  # registered with transformers, "paged|<name>", or a kernels-hub repo that transformers loads
        registered = ", ".join(repr(name) for name in ATTENTION_BACKENDS)
        raise ValueError(f'Specified `attn_implementation="{requested}"` is not supported. minformer\'s backends are '
                         f"{registered}; any backend registered with transformers.AttentionInterface works too.")
    reason = backend.unavailable_reason()
    if reason is not None:
        others = ", ".join(repr(name) for name, other in ATTENTION_BACKENDS.items()
                           if name != requested and other.unavailable_reason() is None)
        raise ImportError(f"attn_implementation={requested!r} cannot run here: {reason}. Use one of {others} instead.")
