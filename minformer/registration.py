"""Registration of minformer's configs and models with the `transformers` Auto classes."""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from .configuration import MinformerDecoderConfig, MinformerEncoderConfig
from .modeling import (
    MinformerDecoderForCausalLM,
    MinformerDecoderForSequenceClassification,
    MinformerDecoderModel,
    MinformerEncoderForMaskedLM,
    MinformerEncoderForSequenceClassification,
    MinformerEncoderForTokenClassification,
    MinformerEncoderModel,
)

AUTO_CLASSES = {
    MinformerEncoderConfig: {
        AutoModel: MinformerEncoderModel,
        AutoModelForMaskedLM: MinformerEncoderForMaskedLM,
        AutoModelForSequenceClassification: MinformerEncoderForSequenceClassification,
        AutoModelForTokenClassification: MinformerEncoderForTokenClassification,
    },
    MinformerDecoderConfig: {
        AutoModel: MinformerDecoderModel,
        AutoModelForCausalLM: MinformerDecoderForCausalLM,
        AutoModelForSequenceClassification: MinformerDecoderForSequenceClassification,
    },
}


def register_auto_classes() -> None:
    """Map each model_type to its config and each (Auto class, config) pair to its model (idempotent)."""
    for config_class, models in AUTO_CLASSES.items():
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        for auto_class, model_class in models.items():
            auto_class.register(config_class, model_class, exist_ok=True)
