"""Training a byte-level BPE tokenizer (Sennrich et al., 2016; GPT-2's byte-level variant) with `tokenizers`,
streaming from any iterator of strings so the corpus never has to fit in memory."""

from collections.abc import Iterable, Iterator

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from .special_tokens import MIN_VOCAB_SIZE, SPECIAL_TOKENS


def check_vocab_size(vocab_size: int) -> None:
    if vocab_size < MIN_VOCAB_SIZE:
        raise ValueError(
            f"vocab_size={vocab_size} is too small: byte-level BPE needs the 256 byte tokens plus "
            f"{len(SPECIAL_TOKENS)} special tokens, so at least {MIN_VOCAB_SIZE}; use e.g. --vocab-size 8192."
        )


def _non_empty(texts: Iterable[str]) -> Iterator[str]:
    """Pass texts through, counting characters, so an empty corpus is reported instead of training on nothing."""
    seen = 0
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"the corpus must yield strings, got {type(text).__name__}")
        seen += len(text.strip())
        yield text
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
