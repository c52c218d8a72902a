"""Registration of minformer's configs and models with the `transformers` Auto classes."""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from . import modeling
from .configuration import MinformerDecoderConfig, MinformerEncoderConfig
from .hub.remote_code import write_remote_code

AUTO_CLASSES = {
    MinformerEncoderConfig: {
        AutoModel: modeling.MinformerEncoderModel,
        AutoModelForMaskedLM: modeling.MinformerEncoderForMaskedLM,
        AutoModelForSequenceClassification: modeling.MinformerEncoderForSequenceClassification,
        AutoModelForTokenClassification: modeling.MinformerEncoderForTokenClassification,
    },
    MinformerDecoderConfig: {
        AutoModel: modeling.MinformerDecoderModel,
        AutoModelForCausalLM: modeling.MinformerDecoderForCausalLM,
        AutoModelForSequenceClassification: modeling.MinformerDecoderForSequenceClassification,
    },
}


def register_auto_classes() -> None:
    """Map each model_type to its config and each (Auto class, config) pair to its model, and make every folder the
    models save carry their code (idempotent)."""
    modeling.MinformerPreTrainedModel.code_writer = staticmethod(write_remote_code)
    for config_class, models in AUTO_CLASSES.items():
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        for auto_class, model_class in models.items():
            auto_class.register(config_class, model_class, exist_ok=True)
