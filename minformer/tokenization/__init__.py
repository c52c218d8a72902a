"""Byte-level BPE tokenizers trained with `tokenizers` and saved as `transformers` fast tokenizers."""

from .families import FAMILIES, for_family
from .report import format_report, tokenizer_report
from .saving import save_tokenizer
from .special_tokens import BOS, EOS, MASK, MIN_VOCAB_SIZE, PAD, SPECIAL_TOKENS, UNK, special_ids
from .training import train_bpe

__all__ = ["BOS", "EOS", "FAMILIES", "MASK", "MIN_VOCAB_SIZE", "PAD", "SPECIAL_TOKENS", "UNK", "for_family",
           "format_report", "save_tokenizer", "special_ids", "tokenizer_report", "train_bpe"]
