"""The models, built from the textbook parts in this folder (one part per file)."""

from .decoder import (
    MinformerDecoderForCausalLM,
    MinformerDecoderForSequenceClassification,
    MinformerDecoderModel,
    MinformerDecoderPreTrainedModel,
)
from .encoder import (
    MinformerEncoderForMaskedLM,
    MinformerEncoderForSequenceClassification,
    MinformerEncoderForTokenClassification,
    MinformerEncoderModel,
    MinformerEncoderPreTrainedModel,
)
from .pretrained import MinformerPreTrainedModel

__all__ = [
    "MinformerDecoderForCausalLM",
    "MinformerDecoderForSequenceClassification",
    "MinformerDecoderModel",
    "MinformerDecoderPreTrainedModel",
    "MinformerEncoderForMaskedLM",
    "MinformerEncoderForSequenceClassification",
    "MinformerEncoderForTokenClassification",
    "MinformerEncoderModel",
    "MinformerEncoderPreTrainedModel",
    "MinformerPreTrainedModel",
]
