"""The special tokens both model families use, with fixed ids at the start of every minformer vocabulary."""

PAD, UNK, BOS, EOS, MASK = "<pad>", "<unk>", "<s>", "</s>", "<mask>"
SPECIAL_TOKENS = [PAD, UNK, BOS, EOS, MASK]  # ids 0..4, in this order
BYTE_ALPHABET_SIZE = 256  # byte-level BPE starts from one token per byte
MIN_VOCAB_SIZE = BYTE_ALPHABET_SIZE + len(SPECIAL_TOKENS)
