"""Text sources (files, Hub, built-in corpora) and their conversion into model inputs."""

from .builtin import LABELLED_PACKAGES, builtin_corpus, builtin_labelled
from .options import SourceOptions
from .processing import (
                         causal_lm_collator,
                         check_held_out,
                         classification_collator,
                         masked_lm_collator,
                         pack_blocks,
                         packed_splits,
                         tokenize,
)
from .sources import load_text

__all__ = ["LABELLED_PACKAGES", "builtin_corpus", "builtin_labelled", "causal_lm_collator", "check_held_out",
           "classification_collator", "load_text", "masked_lm_collator", "pack_blocks", "packed_splits",
           "SourceOptions", "tokenize"]
