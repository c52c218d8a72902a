"""Tokenisation with datasets.map, packing (every token exactly once), and the collators."""

import datasets
import pytest
import torch

from minformer.data import (
    builtin_corpus,
    causal_lm_collator,
    classification_collator,
    masked_lm_collator,
    pack_blocks,
    tokenize,
)
from minformer.tokenization import for_family, train_bpe


@pytest.fixture(scope="module")
def corpus():
    data = builtin_corpus()
    return datasets.DatasetDict({name: split.select(range(150)) for name, split in data.items()})


@pytest.fixture(scope="module")
def bpe(corpus):
    return train_bpe(corpus["train"]["text"], vocab_size=600, show_progress=False)


@pytest.mark.parametrize("family, separator", [("decoder", 3), ("encoder", None)])
def test_packing_keeps_every_token_once_in_order(corpus, bpe, family, separator):
    tokenizer = for_family(bpe, family)
    documents = tokenize(corpus, tokenizer)["train"]
    stream = []
    for ids in documents["input_ids"]:
        stream += ids + ([separator] if separator is not None else [])
    blocks = pack_blocks(documents, block_size=64, separator_id=separator)
    packed = [token for block in blocks["input_ids"] for token in block]
    assert all(len(block) == 64 for block in blocks["input_ids"])
    assert len(blocks) == len(stream) // 64
    assert packed == stream[: len(packed)] and len(stream) - len(packed) < 64  # only the last partial block goes
    first = documents["input_ids"][0]
    assert first[0] == 2 and (first[-1] == 3) == (family == "encoder")  # the family's template
    assert pack_blocks(documents, 64, separator)["input_ids"] == blocks["input_ids"]  # same blocks every run


def test_packing_too_little_text(corpus, bpe):
    documents = tokenize(corpus["train"].select(range(1)), for_family(bpe, "decoder"))
    with pytest.raises(ValueError, match="shorter than one block of 100000 tokens"):
        pack_blocks(documents, 100_000)


def test_causal_collator_labels_are_inputs_with_padding_ignored(bpe):
    tokenizer = for_family(bpe, "decoder")
    batch = causal_lm_collator(tokenizer)([tokenizer("a short one"), tokenizer("a longer sentence than that")])
    assert torch.equal(batch["labels"][batch["attention_mask"] == 1], batch["input_ids"][batch["attention_mask"] == 1])
    assert (batch["labels"][batch["attention_mask"] == 0] == -100).all()
    assert batch["attention_mask"][0, 0] == 0  # left padded


def test_mlm_collator_masks_about_fifteen_percent(corpus, bpe):
    tokenizer = for_family(bpe, "encoder")
    blocks = pack_blocks(tokenize(corpus, tokenizer)["train"], 128)
    batch = masked_lm_collator(tokenizer, seed=0)([blocks[i] for i in range(32)])
    targets = batch["labels"] != -100
    assert 0.12 < targets.float().mean().item() < 0.18
    original = torch.tensor([blocks[i]["input_ids"] for i in range(32)])
    assert torch.equal(batch["labels"][targets], original[targets])
    masked = (batch["input_ids"] == tokenizer.mask_token_id)[targets].float().mean().item()
    assert 0.7 < masked < 0.9  # 80% of targets become <mask>
    assert torch.equal(batch["input_ids"][~targets], original[~targets])


def test_classification_collator_pads_and_keeps_labels(bpe):
    tokenizer = for_family(bpe, "encoder")
    data = datasets.Dataset.from_dict({"text": ["one", "two words here"], "label": [1, 0]})
    encoded = tokenize(data.train_test_split(test_size=0.5, seed=0), tokenizer, max_length=16)["train"]
    assert encoded.column_names == ["label", "input_ids"] or sorted(encoded.column_names) == ["input_ids", "label"]
    batch = classification_collator(tokenizer)([{"input_ids": [2, 5, 3], "label": 1}, {"input_ids": [2, 3], "label": 0}])
    assert batch["input_ids"].tolist() == [[2, 5, 3], [2, 3, 0]] and batch["labels"].tolist() == [1, 0]
