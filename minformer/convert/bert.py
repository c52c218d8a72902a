"""BERT -> minformer encoder: an explicit weight mapping onto learned positions, token types, an embedding
LayerNorm, post-norm blocks and BERT's masked-LM head."""

from transformers import BertForMaskedLM

from ..configuration.encoder import MinformerEncoderConfig
from ..modeling.encoder import MinformerEncoderForMaskedLM
from .common import converted_model, refuse_options, translated_config

# minformer config field -> BertConfig field
BERT_CONFIG_FIELDS = {
    name: name for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                            "intermediate_size", "hidden_act", "max_position_embeddings", "type_vocab_size",
                            "layer_norm_eps", "hidden_dropout_prob", "initializer_range", "tie_word_embeddings",
                            "pad_token_id")
} | {"attention_dropout": "attention_probs_dropout_prob"}
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
    return translated_config(MinformerEncoderConfig, bert_config, BERT_CONFIG_FIELDS, position_embedding_type="learned",
                             norm_type="layernorm", norm_position="post", embedding_norm=True)


def from_bert(model: BertForMaskedLM) -> MinformerEncoderForMaskedLM:
    """A `MinformerEncoderForMaskedLM` computing the same logits as `model` (a `transformers` BertForMaskedLM)."""
    if not isinstance(model, BertForMaskedLM):
        raise TypeError(f"from_bert expects a transformers BertForMaskedLM, got {type(model).__name__}.")
    config = encoder_config_from_bert(model.config)
    source = model.state_dict()
    renames = dict(BERT_MAP)
    for i in range(config.num_hidden_layers):
        renames.update({f"bert.encoder.layer.{i}.{bert}": f"model.stack.layers.{i}.{ours}"
                        for bert, ours in BERT_LAYER_MAP.items()})
    state = {}
    for bert_module, ours in renames.items():
        for p in ("weight", "bias"):
            if f"{bert_module}.{p}" in source:
                state[f"{ours}.{p}"] = source[f"{bert_module}.{p}"]
    if config.tie_word_embeddings:
        state.pop("lm_head.decoder.weight")
    return converted_model(MinformerEncoderForMaskedLM, config, model, state)
