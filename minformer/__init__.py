"""minformer: the textbook transformer as native Hugging Face `transformers` models.

Importing the package registers both model families with the `transformers` Auto classes, so that
`AutoConfig`, `AutoModel`, `AutoModelForCausalLM`, `AutoModelForMaskedLM`, `AutoModelForSequenceClassification`,
`AutoModelForTokenClassification` and `pipeline(...)` know them, and, when peft is installed, gives peft its default
LoRA targets for them.
"""

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
from .peft_targets import register_peft_targets
from .generation import compile_decoding
from .registration import register_auto_classes
from .text2text_pipeline import register_text2text_pipeline

__version__ = "0.1.0"

register_auto_classes()
register_text2text_pipeline()
register_peft_targets()

__all__ = [
    "MinformerDecoderConfig",
    "MinformerDecoderForCausalLM",
    "MinformerDecoderForSequenceClassification",
    "MinformerDecoderModel",
    "MinformerEncoderConfig",
    "MinformerEncoderForMaskedLM",
    "MinformerEncoderForSequenceClassification",
    "MinformerEncoderForTokenClassification",
    "MinformerEncoderModel",
    "__version__",
    "compile_decoding",
]
