"""Training a byte-level BPE tokenizer (Sennrich et al., 2016; GPT-2's byte-level variant) with `tokenizers`,
streaming from any iterator of strings so the corpus never has to fit in memory."""

import re
from collections.abc import Iterable, Iterator

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from .special_tokens import MIN_VOCAB_SIZE, SPECIAL_TOKENS

MAX_VOCAB_SIZE = 1 << 20  # far above any vocabulary in use (~256 k); a typo like 1e20 must not reach the trainer
# A run of non-space characters longer than this (a base64 blob, a minified file, a book without spaces) is cut into
# pieces of this length before the trainer sees it: BPE re-scans a whole word at every merge, so one 5 MB "word" would
# take hours, while real words are far shorter than this.
MAX_WORD_CHARS = 1000
LONG_RUN = re.compile(r"\S{%d}" % MAX_WORD_CHARS)


def check_vocab_size(vocab_size: int) -> None:
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size > MAX_VOCAB_SIZE:
        raise ValueError(f"vocab_size={vocab_size!r} is not a vocabulary size: give an integer from {MIN_VOCAB_SIZE} "
                         f"to {MAX_VOCAB_SIZE:,} (e.g. --vocab-size 8192).")
    if vocab_size < MIN_VOCAB_SIZE:
        raise ValueError(
            f"vocab_size={vocab_size} is too small: byte-level BPE needs the 256 byte tokens plus "
            f"{len(SPECIAL_TOKENS)} special tokens, so at least {MIN_VOCAB_SIZE}; use e.g. --vocab-size 8192."
        )


def split_long_runs(text: str) -> Iterator[str]:
    """`text` in pieces that each end after at most MAX_WORD_CHARS characters of an over-long non-space run (most
    texts come back whole)."""
    if len(text) <= MAX_WORD_CHARS or not LONG_RUN.search(text):
        yield text
        return
    start = 0
    for match in LONG_RUN.finditer(text):
        yield text[start:match.end()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def _non_empty(texts: Iterable[str]) -> Iterator[str]:
    """Pass texts through (over-long runs split), counting characters, so an empty corpus is reported instead of
    training on nothing."""
    seen = 0
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"the corpus must yield strings, got {type(text).__name__}")
        seen += len(text.strip())
        yield from split_long_runs(text)
    if seen == 0:
        raise ValueError("the corpus is empty: no text to train the tokenizer on. Check the files, dataset split "
                         "or text column you passed.")


def train_bpe(
    texts: Iterable[str],
    vocab_size: int = 8192,
    min_frequency: int = 2,
    show_progress: bool = True,
    length: int | None = None,
) -> Tokenizer:
    """A byte-level BPE `tokenizers.Tokenizer` learned from `texts` (any iterable of strings, read once, streamed).

    The vocabulary starts with the special tokens (ids 0-4), then the 256 bytes, then merges until `vocab_size`;
    a merge must occur at least `min_frequency` times. `length` (number of texts) only sizes the progress bar.
    Training is deterministic: the same texts give the same vocabulary and merges.
    """
    check_vocab_size(vocab_size)
    if min_frequency < 1:
        raise ValueError(f"min_frequency must be >= 1, got {min_frequency}.")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=show_progress,
    )
    errors = []

    def guarded() -> Iterator[str]:  # errors raised inside the Rust trainer's iteration are re-raised as they were
        try:
            yield from _non_empty(texts)
        except Exception as error:
            errors.append(error)

    tokenizer.train_from_iterator(guarded(), trainer=trainer, length=length)
    if errors:
        raise errors[0]
    return tokenizer
