"""Loading a saved minformer model and its tokenizer for inspection: in eval mode (no dropout), with the model
class its folder was saved as, so that no head weights are dropped or left untrained."""

from pathlib import Path

from transformers import AutoModel, PreTrainedTokenizerBase

from .. import modeling
from ..configuration import MinformerDecoderConfig
from ..errors import UserError
from ..loading import check_vocabulary, load_config, load_pretrained, load_tokenizer, load_weights
from ..modeling import MinformerDecoderForCausalLM, MinformerPreTrainedModel


def load_causal_lm(model_path: str | Path) -> tuple[MinformerDecoderForCausalLM, PreTrainedTokenizerBase]:
    """A saved minformer decoder with its language-model head, and its tokenizer; a ValueError for anything else."""
    config = load_config(model_path)
    if config.model_type != MinformerDecoderConfig.model_type:
        raise UserError(
            f"{model_path} holds a {config.model_type} model, but the logit and tuned lenses read a decoder's "
            "next-token predictions; give a minformer decoder folder (e.g. runs/demo/decoder). To look inside an "
            "encoder, use `minformer attention-maps`."
        )
    architecture = (config.architectures or [MinformerDecoderForCausalLM.__name__])[0]
    if architecture != MinformerDecoderForCausalLM.__name__:
        raise UserError(f"{model_path} holds a {architecture}, which has no language-model head to read through; "
                        "give the pretrained decoder (MinformerDecoderForCausalLM) instead.")
    tokenizer = load_tokenizer(model_path)
    check_vocabulary(tokenizer, config, str(model_path))
    return load_weights(MinformerDecoderForCausalLM, model_path).eval(), tokenizer


def load_model(model_path: str | Path, attn_implementation: str | None = None,
               ) -> tuple[MinformerPreTrainedModel, PreTrainedTokenizerBase]:
    """Any saved minformer model (encoder or decoder, with the head it was saved with) and its tokenizer."""
    config = load_config(model_path)
    architecture = (config.architectures or [""])[0]
    model_class = getattr(modeling, architecture, None) if architecture in modeling.__all__ else AutoModel
    options = {"attn_implementation": attn_implementation} if attn_implementation else {}
    model, tokenizer = load_pretrained(model_class, model_path, **options)
    return model.eval(), tokenizer
