"""Wrapping a trained BPE as a `transformers` fast tokenizer for one model family.

encoder: `<s> A </s>` and `<s> A </s></s> B </s>` (RoBERTa's templates), right padding, `<mask>` for MLM.
decoder: `<s> A` (begin of text; the end-of-text `</s>` is appended to each document when training data are
packed, so that a generation prompt does not end with end-of-text), left padding for batched generation.
"""

import copy

from tokenizers import Tokenizer, processors
from transformers import PreTrainedTokenizerFast

from .special_tokens import BOS, EOS, MASK, PAD, UNK

FAMILIES = ("decoder", "encoder")


def _post_processor(tokenizer: Tokenizer, family: str) -> processors.PostProcessor:
    bos, eos = (BOS, tokenizer.token_to_id(BOS)), (EOS, tokenizer.token_to_id(EOS))
    if family == "encoder":
        template = processors.TemplateProcessing(single=f"{BOS} $A {EOS}", pair=f"{BOS} $A {EOS} {EOS} $B:1 {EOS}:1",
                                                 special_tokens=[bos, eos])
    else:
        template = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A $B:1", special_tokens=[bos])
    # ByteLevel keeps offsets pointing at the original characters (token-classification pipelines use them)
    return processors.Sequence([processors.ByteLevel(trim_offsets=False), template])


def for_family(bpe: Tokenizer, family: str, model_max_length: int = 1024) -> PreTrainedTokenizerFast:
    """A `PreTrainedTokenizerFast` over a copy of `bpe`, with the special tokens, template and padding side of
    `family` ("decoder" or "encoder")."""
    if family not in FAMILIES:
        raise ValueError(f"unknown tokenizer family {family!r}; use 'decoder' or 'encoder'.")
    backend = copy.deepcopy(bpe)
    backend.post_processor = _post_processor(backend, family)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=BOS, eos_token=EOS, pad_token=PAD, unk_token=UNK, mask_token=MASK,
        padding_side="left" if family == "decoder" else "right",
        model_max_length=model_max_length,
        model_input_names=["input_ids", "attention_mask"],
    )
