"""Layer normalisation: LayerNorm (Ba et al., 2016) or RMSNorm (Zhang & Sennrich, 2019), chosen by `config.norm_type`;
and the per-head RMSNorm of queries and keys (`config.qk_norm`)."""

from torch import nn

from ..configuration.common import MinformerConfig


def build_norm(config: MinformerConfig) -> nn.Module:
    """A norm over the last (C) dimension, of the kind `config.norm_type` names."""
    if config.norm_type == "rmsnorm":
        return nn.RMSNorm(config.hidden_size, eps=config.layer_norm_eps)
    return nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)


def build_head_norm(config: MinformerConfig) -> nn.Module:
    """RMSNorm over one head's hs features when `config.qk_norm` (it bounds the attention logits, which lets training
    take larger steps; Dehghani et al., 2023, "Scaling Vision Transformers to 22B"), else the identity."""
    if config.qk_norm:
        return nn.RMSNorm(config.head_dim, eps=config.layer_norm_eps)
    return nn.Identity()
