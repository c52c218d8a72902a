"""Text -> model inputs: tokenisation with `datasets.map`, packing into fixed-length blocks for language modelling,
and the collators (causal-LM labels, MLM masking, padding) the Trainer uses."""

import math
from collections.abc import Iterator

import datasets
import pyarrow.compute as pc
from transformers import DataCollatorForLanguageModeling, DataCollatorWithPadding, PreTrainedTokenizerBase

from ..errors import UserError

MLM_PROBABILITY = 0.15  # BERT's share of tokens to predict


def tokenize(
    data: datasets.Dataset | datasets.DatasetDict,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int | None = None,
    num_proc: int | None = None,
) -> datasets.Dataset | datasets.DatasetDict:
    """Tokenise the `text` column (batched, cached by `datasets`, in `num_proc` processes), adding the family's
    special tokens; truncate to `max_length` if given (classification), keep full documents otherwise (packing)."""
    def encode(batch):
        return tokenizer(batch["text"], truncation=max_length is not None, max_length=max_length,
                         return_attention_mask=False, verbose=False)

    columns = data["train"].column_names if isinstance(data, datasets.DatasetDict) else data.column_names
    return data.map(encode, batched=True, num_proc=num_proc, remove_columns=[c for c in columns if c != "label"],
                    desc="Tokenizing")


def _blocks(documents: datasets.Dataset, block_size: int, separator_id: int | None) -> Iterator[dict]:
    buffer: list[int] = []
    for batch in documents.iter(batch_size=1000):
        for ids in batch["input_ids"]:
            buffer.extend(ids)
            if separator_id is not None:
                buffer.append(separator_id)
            while len(buffer) >= block_size:
                yield {"input_ids": buffer[:block_size]}
                buffer = buffer[block_size:]


def stream_length(documents: datasets.Dataset, separator_id: int | None = None) -> int:
    """How many tokens the tokenised documents make once concatenated (with a separator after each, if given)."""
    total = pc.sum(pc.list_value_length(documents.with_format("arrow")["input_ids"])).as_py() or 0
    return total + (len(documents) if separator_id is not None else 0)


def pack_blocks(documents: datasets.Dataset, block_size: int, separator_id: int | None = None) -> datasets.Dataset:
    """Concatenate tokenised documents (each followed by `separator_id`, e.g. the decoder's end-of-text, if given)
    and cut the stream into blocks of exactly `block_size` tokens, in order. Only the final partial block (fewer
    than `block_size` tokens) is dropped; every other token appears exactly once."""
    if block_size < 2:
        raise ValueError(f"block_size must be at least 2, got {block_size}.")
    total = stream_length(documents, separator_id)
    if total < block_size:
        raise ValueError(f"the text ({total} tokens) is shorter than one block of {block_size} tokens; use a "
                         "smaller block size or more text.")
    features = datasets.Features({"input_ids": datasets.Sequence(datasets.Value("int32"))})
    return datasets.Dataset.from_generator(
        _blocks, features=features, keep_in_memory=True,
        gen_kwargs={"documents": documents, "block_size": block_size, "separator_id": separator_id},
    )


def check_held_out(data: datasets.DatasetDict) -> None:
    """A language-modelling corpus needs validation text to measure the model on."""
    if "validation" not in data:
        raise UserError("the text is too short to hold out a validation split; give more text.")


def packed_splits(data: datasets.DatasetDict, tokenizer: PreTrainedTokenizerBase, block_size: int,
                  separator_id: int | None = None, num_proc: int | None = None) -> datasets.DatasetDict:
    """The train and validation text of a language-modelling corpus, tokenised and packed into blocks; a corpus
    without held-out text is refused (there would be nothing to measure the model on)."""
    check_held_out(data)
    tokenized = tokenize(datasets.DatasetDict({"train": data["train"], "validation": data["validation"]}), tokenizer,
                         num_proc=num_proc)
    sizes = {name: stream_length(split, separator_id) for name, split in tokenized.items()}
    if min(sizes.values()) < block_size:
        total = sum(sizes.values())
        share = sizes["validation"] / max(total, 1)
        raise UserError(
            f"the corpus is too small for blocks of {block_size} tokens: it holds {total:,} tokens, {sizes['train']:,} "
            f"for training and {sizes['validation']:,} held out for validation, and each needs at least one block. "
            f"With {share:.0%} held out it needs at least {math.ceil(block_size / max(min(share, 1 - share), 1e-9)):,} "
            "tokens; give more text or a smaller --sequence-length.")
    return datasets.DatasetDict({name: pack_blocks(split, block_size, separator_id)
                                 for name, split in tokenized.items()})


def causal_lm_collator(tokenizer: PreTrainedTokenizerBase) -> DataCollatorForLanguageModeling:
    """Batches with labels = input_ids (padding -> -100); the model shifts them for next-token prediction."""
    return DataCollatorForLanguageModeling(tokenizer, mlm=False)


def masked_lm_collator(tokenizer: PreTrainedTokenizerBase, probability: float = MLM_PROBABILITY,
                       seed: int | None = None) -> DataCollatorForLanguageModeling:
    """BERT masking: `probability` of the tokens become targets (80% <mask>, 10% random, 10% unchanged)."""
    return DataCollatorForLanguageModeling(tokenizer, mlm=True, mlm_probability=probability, seed=seed)


def classification_collator(tokenizer: PreTrainedTokenizerBase) -> DataCollatorWithPadding:
    """Pads each batch to its longest sequence, on the tokenizer's padding side."""
    return DataCollatorWithPadding(tokenizer)
