"""BERT -> minformer encoder: an explicit weight mapping onto learned positions, token types, an embedding
LayerNorm, post-norm blocks and BERT's masked-LM head."""

import torch
from transformers import BertForMaskedLM

from ..configuration.encoder import MinformerEncoderConfig
from ..modeling.encoder import MinformerEncoderForMaskedLM
from .common import load_converted, refuse_options

# BERT module path -> minformer module path, inside one layer
BERT_LAYER_MAP = {
    "attention.self.query": "self_attn.q_proj",
    "attention.self.key": "self_attn.k_proj",
    "attention.self.value": "self_attn.v_proj",
    "attention.output.dense": "self_attn.o_proj",
    "attention.output.LayerNorm": "self_attn_residual.norm",
    "intermediate.dense": "mlp.up_proj",
    "output.dense": "mlp.down_proj",
    "output.LayerNorm": "mlp_residual.norm",
}
# outside the layers
BERT_MAP = {
    "bert.embeddings.word_embeddings": "model.embeddings.embed_tokens",
    "bert.embeddings.position_embeddings": "model.embeddings.position_embeddings",
    "bert.embeddings.token_type_embeddings": "model.embeddings.token_type_embeddings",
    "bert.embeddings.LayerNorm": "model.embeddings.norm",
    "cls.predictions.transform.dense": "lm_head.dense",
    "cls.predictions.transform.LayerNorm": "lm_head.norm",
    "cls.predictions.decoder": "lm_head.decoder",
}


def encoder_config_from_bert(bert_config) -> MinformerEncoderConfig:
    """The minformer encoder config that reproduces a `BertConfig` exactly."""
    refuse_options("BERT", bert_config, {"position_embedding_type": "absolute", "is_decoder": False})
    return MinformerEncoderConfig(
        vocab_size=bert_config.vocab_size,
        hidden_size=bert_config.hidden_size,
        num_hidden_layers=bert_config.num_hidden_layers,
        num_attention_heads=bert_config.num_attention_heads,
        intermediate_size=bert_config.intermediate_size,
        hidden_act=bert_config.hidden_act,
        max_position_embeddings=bert_config.max_position_embeddings,
        type_vocab_size=bert_config.type_vocab_size,
        position_embedding_type="learned",
        norm_type="layernorm",
        norm_position="post",
        embedding_norm=True,
        layer_norm_eps=bert_config.layer_norm_eps,
        hidden_dropout_prob=bert_config.hidden_dropout_prob,
        attention_dropout=bert_config.attention_probs_dropout_prob,
        initializer_range=bert_config.initializer_range,
        tie_word_embeddings=bert_config.tie_word_embeddings,
        pad_token_id=bert_config.pad_token_id,
    )


def from_bert(model: BertForMaskedLM) -> MinformerEncoderForMaskedLM:
    """A `MinformerEncoderForMaskedLM` computing the same logits as `model` (a `transformers` BertForMaskedLM)."""
    if not isinstance(model, BertForMaskedLM):
        raise TypeError(f"from_bert expects a transformers BertForMaskedLM, got {type(model).__name__}.")
    config = encoder_config_from_bert(model.config)
    source = model.state_dict()
    renames = dict(BERT_MAP)
    for i in range(config.num_hidden_layers):
        renames.update({f"bert.encoder.layer.{i}.{b}": f"model.stack.layers.{i}.{m}" for b, m in BERT_LAYER_MAP.items()})
    state = {}
    for bert_module, ours in renames.items():
        for p in ("weight", "bias"):
            if f"{bert_module}.{p}" in source:
                state[f"{ours}.{p}"] = source[f"{bert_module}.{p}"]
    if config.tie_word_embeddings:
        state.pop("lm_head.decoder.weight")
    converted = MinformerEncoderForMaskedLM(config).to(dtype=model.dtype)
    converted.set_attn_implementation(model.config._attn_implementation)
    return load_converted(converted, {key: torch.as_tensor(value).contiguous() for key, value in state.items()})
