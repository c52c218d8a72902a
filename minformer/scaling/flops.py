"""Parameters and training FLOPs of a minformer config, by formula (no model is built).

Notation: L layers, C hidden size, F feed-forward size, V vocabulary, P position-table rows, T sequence length.

Per token, a forward pass does one multiply-add (2 FLOPs) per weight of every matrix multiply, plus attention's two
products with the T keys (q·kᵀ and weights·v, 2·T·C FLOPs each per layer); the backward pass costs twice the
forward. So training costs, per token,

    6 · N_matmul + 12 · L · T · C      (the count of PaLM, Chowdhery et al. 2022, App. B)

where N_matmul counts the weights of the q/k/v/o, feed-forward (and cross-attention) projections and of the
unembedding (run even when tied to the embeddings). Embedding lookups, norms, softmax and biases are not counted.
Chinchilla's planning rule C ≈ 6·N·D uses the total parameter count N instead (embeddings included).
"""

from ..configuration.common import MinformerConfig


def _attention_projections(config: MinformerConfig) -> int:
    """Weights of one attention layer's q, k, v and o projections (C × C each)."""
    return 4 * config.hidden_size**2


def _feed_forward_projections(config: MinformerConfig) -> int:
    """Weights of one feed-forward network: up and down (C × F each), plus the gate for GLU."""
    matrices = 3 if config.mlp_type == "glu" else 2
    return matrices * config.hidden_size * config.intermediate_size


def _block_matmul_weights(config: MinformerConfig) -> int:
    cross = _attention_projections(config) if config.add_cross_attention else 0
    return _attention_projections(config) + cross + _feed_forward_projections(config)


def matmul_weights(config: MinformerConfig) -> int:
    """N_matmul: weights that multiply every token's activations (blocks + unembedding), each counted once."""
    return config.num_hidden_layers * _block_matmul_weights(config) + config.vocab_size * config.hidden_size


def _norm_parameters(config: MinformerConfig) -> int:
    return config.hidden_size * (2 if config.norm_type == "layernorm" else 1)


def parameter_count(config: MinformerConfig) -> int:
    """Total parameters of the language model a config builds (causal LM for a decoder, masked LM for an encoder),
    embeddings included, tied weights counted once: the N of Chinchilla's C ≈ 6·N·D."""
    C, F = config.hidden_size, config.intermediate_size
    attention = _attention_projections(config) + (4 * C if config.attention_bias else 0)
    up_biases = 2 * F if config.mlp_type == "glu" else F  # up (and gate) biases, then down's
    mlp = _feed_forward_projections(config) + (up_biases + C if config.mlp_bias else 0)
    block = attention + mlp + 2 * _norm_parameters(config)
    if config.add_cross_attention:
        block += attention + _norm_parameters(config)
    embeddings = config.vocab_size * C
    if config.position_embedding_type == "learned":
        embeddings += config.max_position_embeddings * C
    embeddings += config.type_vocab_size * C
    if config.embedding_norm:
        embeddings += _norm_parameters(config)
    final_norm = _norm_parameters(config) if config.norm_position == "pre" else 0
    unembedding = 0 if config.tie_word_embeddings else config.vocab_size * C
    if not config.is_decoder:  # BERT's prediction head: dense + norm, and the decoder's own bias
        unembedding += C * C + C + _norm_parameters(config) + config.vocab_size
    return config.num_hidden_layers * block + embeddings + final_norm + unembedding


def training_flops_per_token(config: MinformerConfig, sequence_length: int) -> int:
    """FLOPs of one training token (forward + backward) at `sequence_length` tokens of context."""
    attention = 12 * config.num_hidden_layers * sequence_length * config.hidden_size
    return 6 * matmul_weights(config) + attention


def training_flops(config: MinformerConfig, tokens: float, sequence_length: int) -> float:
    """FLOPs of training on `tokens` tokens in sequences of `sequence_length`."""
    return tokens * training_flops_per_token(config, sequence_length)
