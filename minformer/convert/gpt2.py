"""GPT-2 -> minformer decoder: an explicit weight mapping onto learned positions, pre-norm LayerNorm and biases.

GPT-2's `Conv1D` stores weights as (in, out), so every projection is transposed into `nn.Linear`'s (out, in); the
fused `c_attn` (C, 3C) splits into q, k and v.
"""

from transformers import GPT2LMHeadModel

from ..configuration.decoder import MinformerDecoderConfig
from ..modeling.decoder import MinformerDecoderForCausalLM
from .common import converted_model, refuse_options, translated_config

# minformer config field -> GPT2Config field
GPT2_CONFIG_FIELDS = {
    "vocab_size": "vocab_size", "hidden_size": "n_embd", "num_hidden_layers": "n_layer",
    "num_attention_heads": "n_head", "hidden_act": "activation_function", "max_position_embeddings": "n_positions",
    "layer_norm_eps": "layer_norm_epsilon",
    "hidden_dropout_prob": "resid_pdrop", "attention_dropout": "attn_pdrop", "initializer_range": "initializer_range",
    "add_cross_attention": "add_cross_attention", "tie_word_embeddings": "tie_word_embeddings",
    "bos_token_id": "bos_token_id", "eos_token_id": "eos_token_id", "pad_token_id": "pad_token_id",
}


def decoder_config_from_gpt2(gpt2_config) -> MinformerDecoderConfig:
    """The minformer decoder config that reproduces a `GPT2Config` exactly."""
    refuse_options("GPT-2", gpt2_config, {"scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
                                         "reorder_and_upcast_attn": False})
    return translated_config(MinformerDecoderConfig, gpt2_config, GPT2_CONFIG_FIELDS,
                             intermediate_size=gpt2_config.n_inner or 4 * gpt2_config.n_embd,
                             position_embedding_type="learned", norm_type="layernorm", norm_position="pre")


def from_gpt2(model: GPT2LMHeadModel) -> MinformerDecoderForCausalLM:
    """A `MinformerDecoderForCausalLM` computing the same logits as `model` (a `transformers` GPT2LMHeadModel)."""
    if not isinstance(model, GPT2LMHeadModel):
        raise TypeError(f"from_gpt2 expects a transformers GPT2LMHeadModel, got {type(model).__name__}.")
    config = decoder_config_from_gpt2(model.config)
    if config.add_cross_attention:
        raise ValueError("Cannot convert GPT-2 with add_cross_attention=True: only decoder-only GPT-2 is supported.")
    source = model.state_dict()
    state = {
        "model.embeddings.embed_tokens.weight": source["transformer.wte.weight"],
        "model.embeddings.position_embeddings.weight": source["transformer.wpe.weight"],
        "model.stack.final_norm.weight": source["transformer.ln_f.weight"],
        "model.stack.final_norm.bias": source["transformer.ln_f.bias"],
    }
    if not config.tie_word_embeddings:
        state["lm_head.weight"] = source["lm_head.weight"]
    for i in range(config.num_hidden_layers):
        gpt, ours = f"transformer.h.{i}.", f"model.stack.layers.{i}."
        q, k, v = source[gpt + "attn.c_attn.weight"].t().chunk(3, dim=0)  # (3C, C) -> 3 × (C, C)
        q_bias, k_bias, v_bias = source[gpt + "attn.c_attn.bias"].chunk(3)
        state.update({
            ours + "self_attn.q_proj.weight": q, ours + "self_attn.q_proj.bias": q_bias,
            ours + "self_attn.k_proj.weight": k, ours + "self_attn.k_proj.bias": k_bias,
            ours + "self_attn.v_proj.weight": v, ours + "self_attn.v_proj.bias": v_bias,
            ours + "self_attn.o_proj.weight": source[gpt + "attn.c_proj.weight"].t(),
            ours + "self_attn.o_proj.bias": source[gpt + "attn.c_proj.bias"],
            ours + "mlp.up_proj.weight": source[gpt + "mlp.c_fc.weight"].t(),
            ours + "mlp.up_proj.bias": source[gpt + "mlp.c_fc.bias"],
            ours + "mlp.down_proj.weight": source[gpt + "mlp.c_proj.weight"].t(),
            ours + "mlp.down_proj.bias": source[gpt + "mlp.c_proj.bias"],
        })
        for norm, ours_norm in (("ln_1", "self_attn_residual.norm"), ("ln_2", "mlp_residual.norm")):
            for p in ("weight", "bias"):
                state[f"{ours}{ours_norm}.{p}"] = source[f"{gpt}{norm}.{p}"]
    return converted_model(MinformerDecoderForCausalLM, config, model, state)
