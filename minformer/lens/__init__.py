"""Looking inside a trained model: what each layer's residual stream already predicts (the logit lens and the tuned
lens) and where each head attends (attention maps). The pictures are in `plots.py` (matplotlib, imported lazily)."""

from .attention_maps import attention_maps
from .fitting import LensFit, fit_and_save, fit_tuned_lens, kl_per_layer, token_blocks
from .loading import load_causal_lm, load_model
from .logit_lens import (
    LensPredictions,
    layer_hidden_states,
    layer_logits,
    layer_names,
    logit_lens,
    readout,
)
from .text import encode_text, token_labels
from .tuned_lens import (
    TunedLens,
    has_tuned_lens,
    load_tuned_lens,
    read_lens_info,
    save_tuned_lens,
)

__all__ = [
    "LensFit",
    "LensPredictions",
    "TunedLens",
    "attention_maps",
    "encode_text",
    "fit_and_save",
    "fit_tuned_lens",
    "has_tuned_lens",
    "kl_per_layer",
    "layer_hidden_states",
    "layer_logits",
    "layer_names",
    "load_causal_lm",
    "load_model",
    "load_tuned_lens",
    "logit_lens",
    "read_lens_info",
    "readout",
    "save_tuned_lens",
    "token_blocks",
    "token_labels",
]
