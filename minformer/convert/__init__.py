"""Explicit converters from `transformers`' GPT-2 and BERT into minformer models with identical outputs."""

from .bert import encoder_config_from_bert, from_bert
from .gpt2 import decoder_config_from_gpt2, from_gpt2

__all__ = ["decoder_config_from_gpt2", "encoder_config_from_bert", "from_bert", "from_gpt2"]
