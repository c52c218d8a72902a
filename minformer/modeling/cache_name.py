"""The name transformers gives the key/value cache: `cache` from 5.24 on, `past_key_values` before, in forwards,
model outputs and mask functions. minformer's code says `cache`; these helpers speak the installed release's name,
so one package runs from transformers 5.16.1 (the oldest vLLM's CPU release accepts) to the newest."""

import functools
from collections.abc import Callable

import transformers
from packaging.version import Version
from transformers.utils.deprecation import deprecate_kwarg

RENAMED = Version(Version(transformers.__version__).base_version) >= Version("5.24")
CACHE = "cache" if RENAMED else "past_key_values"  # transformers' own name for it


def cache_field(cache: object) -> dict[str, object]:
    """`{name: cache}` for a model output or a mask function, under the installed release's name."""
    return {CACHE: cache}


def cache_of(outputs: object) -> object:
    """The cache a model output carries."""
    return getattr(outputs, CACHE)


def accepts_past_key_values(forward: Callable) -> Callable:
    """A forward taking `cache` also takes the name before 5.24: deprecated (with transformers' warning) from 5.24
    on, as transformers' own models do; silently before, where it is the name generate() and peft pass."""
    if RENAMED:
        return deprecate_kwarg("past_key_values", "5.40.0", new_name="cache")(forward)

    @functools.wraps(forward)
    def renamed(*args, **kwargs):
        if "past_key_values" in kwargs:
            if kwargs.get("cache") is not None:
                raise ValueError("Pass the cache once: as `cache` or as `past_key_values`, not both.")
            kwargs["cache"] = kwargs.pop("past_key_values")
        return forward(*args, **kwargs)

    return renamed


def updated_by_attention(cache: object) -> bool:
    """Before 5.24 a paged cache (continuous batching, `generate_batch`) is filled by transformers' paged attention
    functions, which take it as their `cache` argument; from 5.24 on the model updates it as any other cache."""
    return not RENAMED and type(cache).__name__ == "PagedAttentionCache"
