"""The fields the encoder and decoder share, and the checks that make a bad config fail at construction.

A config is a `transformers` 5.x dataclass config: annotated class attributes are its fields, and
`__post_init__` fills in derived values and raises a `ValueError` naming the field and the fix.
"""

import math

from transformers import PreTrainedConfig
from transformers.activations import ACT2FN

POSITION_EMBEDDING_TYPES = ("sinusoidal", "learned", "rope")
NORM_TYPES = ("layernorm", "rmsnorm")
NORM_POSITIONS = ("pre", "post")
MLP_TYPES = ("mlp", "glu")
FFN_EXPANSION = 4  # intermediate_size defaults to 4·hidden_size, as in "Attention Is All You Need"


class MinformerConfig(PreTrainedConfig):
    """Architecture fields common to both model families (not registered: use the encoder or decoder config)."""

    vocab_size: int = 8192
    hidden_size: int = 256  # C: width of the residual stream
    num_hidden_layers: int = 4  # number of stacked blocks
    num_attention_heads: int = 4  # nh: heads per attention layer; head size hs = C // nh
    intermediate_size: int | None = None  # feed-forward width; None means 4·C
    hidden_act: str = "gelu"  # any `transformers` activation name: "gelu", "gelu_new" (GPT-2), "silu", "relu", ...
    mlp_type: str = "mlp"  # "mlp": W2·act(W1·x); "glu": W2·(act(Wg·x) ⊙ W1·x), i.e. SwiGLU with hidden_act="silu"
    position_embedding_type: str = "rope"  # "sinusoidal" (Vaswani et al.), "learned" (GPT-2/BERT), "rope" (Su et al.)
    max_position_embeddings: int = 1024  # longest input; enforced for "learned" positions (the table has this many rows)
    rope_theta: float | int = 10000.0  # base of the rotary frequencies
    norm_type: str = "layernorm"  # "layernorm" or "rmsnorm"
    norm_position: str = "pre"  # "pre": x + f(norm(x)) (GPT-2); "post": norm(x + f(x)) (BERT, the original paper)
    layer_norm_eps: float = 1e-5
    embedding_norm: bool = False  # a norm right after the embeddings (BERT)
    attention_bias: bool = True  # biases in the q/k/v/o projections
    mlp_bias: bool = True  # biases in the feed-forward projections
    hidden_dropout_prob: float | int = 0.0  # dropout on the embeddings and on every residual branch
    attention_dropout: float | int = 0.0  # dropout on the attention probabilities
    attention_query_chunk_size: int = 512  # `chunked` backend: queries per block (memory ~ query x key chunk)
    attention_key_chunk_size: int = 512  # `chunked` backend: keys per block
    initializer_range: float = 0.02  # std of the normal initialisation
    tie_word_embeddings: bool = True  # output projection shares the token-embedding matrix
    pad_token_id: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        if self.intermediate_size is None:
            self.intermediate_size = FFN_EXPANSION * self.hidden_size
        self.check()

    @property
    def head_dim(self) -> int:
        """hs: the size of one attention head."""
        return self.hidden_size // self.num_attention_heads

    def check(self) -> None:
        """Raise a ValueError that names the field and the fix if this config cannot build a model."""
        name = type(self).__name__
        for field in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                      "intermediate_size", "max_position_embeddings", "attention_query_chunk_size",
                      "attention_key_chunk_size"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name}: {field} must be a positive integer, got {value!r}.")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"{name}: hidden_size ({self.hidden_size}) must be divisible by num_attention_heads "
                f"({self.num_attention_heads}); choose e.g. hidden_size={self.num_attention_heads * 64} "
                f"or num_attention_heads that divides {self.hidden_size}."
            )
        _check_choice(name, "position_embedding_type", self.position_embedding_type, POSITION_EMBEDDING_TYPES)
        _check_choice(name, "norm_type", self.norm_type, NORM_TYPES)
        _check_choice(name, "norm_position", self.norm_position, NORM_POSITIONS)
        _check_choice(name, "mlp_type", self.mlp_type, MLP_TYPES)
        _check_choice(name, "hidden_act", self.hidden_act, tuple(sorted(ACT2FN)))
        if self.position_embedding_type == "rope" and self.head_dim % 2:
            raise ValueError(
                f"{name}: rope needs an even head size, but hidden_size/num_attention_heads = {self.head_dim}; "
                "change hidden_size or num_attention_heads."
            )
        if self.position_embedding_type == "sinusoidal" and self.hidden_size % 2:
            raise ValueError(f"{name}: sinusoidal positions need an even hidden_size, got {self.hidden_size}.")
        for field in ("hidden_dropout_prob", "attention_dropout"):
            value = getattr(self, field)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name}: {field} must be in [0, 1), got {value!r}.")
        for field in ("layer_norm_eps", "rope_theta", "initializer_range"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name}: {field} must be a finite positive number, got {value!r}.")


def _check_choice(config_name: str, field: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{config_name}: unknown {field}={value!r}; use one of {shown}.")
