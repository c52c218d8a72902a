"""Typed, validated configs of the two model families."""

from .common import MinformerConfig
from .decoder import MinformerDecoderConfig
from .encoder import MinformerEncoderConfig

__all__ = ["MinformerConfig", "MinformerDecoderConfig", "MinformerEncoderConfig"]
