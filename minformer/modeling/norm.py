"""Layer normalisation: LayerNorm (Ba et al., 2016) or RMSNorm (Zhang & Sennrich, 2019), chosen by `config.norm_type`."""

from torch import nn

from ..configuration.common import MinformerConfig


def build_norm(config: MinformerConfig) -> nn.Module:
    """A norm over the last (C) dimension, of the kind `config.norm_type` names."""
    if config.norm_type == "rmsnorm":
        return nn.RMSNorm(config.hidden_size, eps=config.layer_norm_eps)
    return nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
