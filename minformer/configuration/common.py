"""The fields the encoder and decoder share, and the checks that make a bad config fail.

A config is a `transformers` 5.x dataclass config: annotated class attributes are its fields. Validation goes through
`transformers`' own hooks, as `LlamaConfig` does: `@strict` type-checks every field on assignment, a field
validator bounds the probabilities, and `validate_architecture()` runs at construction, on `config.validate()` and in
`save_pretrained`, raising a `ValueError` that names the field and the fix.
"""

import math

from transformers.activations import ACT2FN

# huggingface_hub's `strict`, as transformers applies it to PreTrainedConfig; imported through transformers so that
# the exported remote code (hub/remote_code.py) needs nothing beyond torch and transformers
from transformers.configuration_utils import PreTrainedConfig, strict
from transformers.utils.type_validators import as_validated_field

POSITION_EMBEDDING_TYPES = ("sinusoidal", "learned", "rope")
NORM_TYPES = ("layernorm", "rmsnorm")
NORM_POSITIONS = ("pre", "post")
MLP_TYPES = ("mlp", "glu")
FFN_EXPANSION = 4  # intermediate_size defaults to 4·hidden_size, as in "Attention Is All You Need"
POSITIVE_INTEGERS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                     "max_position_embeddings", "attention_query_chunk_size", "attention_key_chunk_size")
POSITIVE_NUMBERS = ("layer_norm_eps", "rope_theta", "initializer_range")


@as_validated_field
def probability(value: float | int) -> None:
    """A dropout rate: [0, 1), in the words of transformers' `interval()` (whose lower bound 0.0 transformers 5.16
    ignores: it reads `min or -inf`)."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"Value must be greater or equal to 0.0 and smaller than 1.0, got {value}.")


@strict
class MinformerConfig(PreTrainedConfig):
    """Architecture fields common to both model families (not registered: use the encoder or decoder config)."""

    vocab_size: int = 8192
    hidden_size: int = 256  # C: width of the residual stream
    num_hidden_layers: int = 4  # number of stacked blocks
    num_attention_heads: int = 4  # nh: heads per attention layer; head size hs = C // nh
    intermediate_size: int | None = None  # feed-forward width; None means 4·C
    hidden_act: str = "gelu"  # any `transformers` activation name: "gelu", "gelu_new" (GPT-2), "silu", "relu2" (ReLU²), ...
    mlp_type: str = "mlp"  # "mlp": W2·act(W1·x); "glu": W2·(act(Wg·x) ⊙ W1·x), i.e. SwiGLU with hidden_act="silu"
    position_embedding_type: str = "rope"  # "sinusoidal" (Vaswani et al.), "learned" (GPT-2/BERT), "rope" (Su et al.)
    max_position_embeddings: int = 1024  # longest input; enforced for "learned" positions (the table has this many rows)
    rope_theta: float | int = 10000.0  # base of the rotary frequencies
    norm_type: str = "layernorm"  # "layernorm" or "rmsnorm"
    norm_position: str = "pre"  # "pre": x + f(norm(x)) (GPT-2); "post": norm(x + f(x)) (BERT, the original paper)
    layer_norm_eps: float | int = 1e-5
    embedding_norm: bool = False  # a norm right after the embeddings (BERT)
    type_vocab_size: int = 0  # segment (token-type) embeddings, 2 for BERT; 0 means none (always 0 in a decoder)
    add_cross_attention: bool = False  # a cross-attention sublayer in every block (the decoder of a seq2seq model)
    qk_norm: bool = False  # RMSNorm on each head's queries and keys before the dot product (Dehghani et al., 2023)
    attention_bias: bool = True  # biases in the q/k/v/o projections
    mlp_bias: bool = True  # biases in the feed-forward projections
    hidden_dropout_prob: float | int = probability(default=0.0)  # on the embeddings and on every residual branch
    attention_dropout: float | int = probability(default=0.0)  # on the attention probabilities
    attention_query_chunk_size: int = 512  # `chunked` backend: queries per chunk (memory ~ query x key chunk)
    attention_key_chunk_size: int = 512  # `chunked` backend: keys per chunk
    initializer_range: float | int = 0.02  # std of the normal initialisation
    zero_init_residual: bool = False  # o_proj and down_proj start at zero: every block starts as the identity
    tie_word_embeddings: bool = True  # output projection shares the token-embedding matrix
    pad_token_id: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        if self.intermediate_size is None:
            self.intermediate_size = FFN_EXPANSION * self.hidden_size
        # @strict runs validate() right after this, but wraps what a validator raises in its own exception type;
        # checking here first keeps a bad new config a plain ValueError with the message below
        self.validate_architecture()

    @property
    def head_dim(self) -> int:
        """hs: the size of one attention head."""
        return self.hidden_size // self.num_attention_heads

    @property
    def base_model_tp_plan(self) -> dict[str, str]:
        """Tensor parallelism (`from_pretrained(..., distributed_config=DistributedConfig(tp_plan="auto"))` under
        torchrun), sharded as the Llama family is: the query/key/value projections and the MLP's input projections
        split by output (colwise), the projections back into the residual stream by input (rowwise), so a block needs
        one all-reduce per sublayer. It names only the modules this config builds."""
        attention = ("q_proj", "k_proj", "v_proj", "o_proj")
        mlp = ("up_proj", "gate_proj", "down_proj") if self.mlp_type == "glu" else ("up_proj", "down_proj")
        sublayers = {"self_attn": attention, "mlp": mlp}
        if self.add_cross_attention:
            sublayers["cross_attn"] = attention
        return {f"stack.layers.*.{sublayer}.{projection}": "rowwise" if projection in ("o_proj", "down_proj")
                else "colwise" for sublayer, projections in sublayers.items() for projection in projections}

    @base_model_tp_plan.setter
    def base_model_tp_plan(self, plan: dict[str, str]) -> None:
        """The plan follows from the architecture. transformers before 5.24 adds a top-level `embed_tokens` entry
        for tied embeddings, a module minformer does not have (its embeddings sit in `embeddings`): that one is
        ignored; any other change is refused."""
        if {key: value for key, value in plan.items() if key != "embed_tokens"} != self.base_model_tp_plan:
            raise ValueError("base_model_tp_plan follows from the architecture (mlp_type, add_cross_attention) and "
                             "cannot be set; pass tp_plan=<your plan> to from_pretrained instead.")

    def validate_architecture(self) -> None:
        """Part of `@strict` validation: a ValueError naming the field and the fix if this config cannot build a
        model."""
        super().validate_architecture()
        name = type(self).__name__
        for field in POSITIVE_INTEGERS:
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
        if self.type_vocab_size < 0:
            raise ValueError(f"{name}: type_vocab_size must be >= 0, got {self.type_vocab_size}.")
        for field in POSITIVE_NUMBERS:
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name}: {field} must be a finite positive number, got {value!r}.")


def _check_choice(config_name: str, field: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{config_name}: unknown {field}={value!r}; use one of {shown}.")
