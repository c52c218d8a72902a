"""The special tokens both model families use, with fixed ids at the start of every minformer vocabulary."""

PAD, UNK, BOS, EOS, MASK = "<pad>", "<unk>", "<s>", "</s>", "<mask>"
SPECIAL_TOKENS = [PAD, UNK, BOS, EOS, MASK]  # ids 0..4, in this order
BYTE_ALPHABET_SIZE = 256  # byte-level BPE starts from one token per byte
MIN_VOCAB_SIZE = BYTE_ALPHABET_SIZE + len(SPECIAL_TOKENS)


def special_ids(tokenizer) -> dict[str, int | None]:
    """The special-token ids a model config carries (`pad_token_id`, `bos_token_id`, `eos_token_id`), read from
    its tokenizer."""
    return {"pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id}
