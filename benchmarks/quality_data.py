"""The corpora `quality.py` trains on, both offline and deterministic: the built-in corpus (English: Python's
documentation topics and docstrings) and a second, different one, the standard library's Python code, one module per
document, split by a hash of its path. Each is tokenised with a byte-level BPE trained on its own training split and
cut into blocks of `sequence` tokens."""

import hashlib
import sysconfig
from pathlib import Path

import datasets
import torch

from minformer.data import load_text, pack_blocks, tokenize
from minformer.tokenization import for_family, train_bpe

CORPORA = ("builtin", "code")
SKIPPED = {"site-packages", "dist-packages", "test", "tests", "__pycache__", "idlelib", "turtledemo", "lib2to3"}


def stdlib_code() -> datasets.DatasetDict:
    """Every standard-library .py file outside the test suites, as text: 95% train, 5% validation by path hash."""
    root = Path(sysconfig.get_paths()["stdlib"])
    rows = {"train": [], "validation": []}
    for path in sorted(root.rglob("*.py")):
        if SKIPPED & set(path.relative_to(root).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        digest = hashlib.sha256(str(path.relative_to(root)).encode()).digest()[0]
        rows["validation" if digest < 256 * 0.05 else "train"].append(text)
    return datasets.DatasetDict({split: datasets.Dataset.from_dict({"text": texts}) for split, texts in rows.items()})


def corpus_blocks(corpus: str, vocab: int, sequence: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(training blocks (N, sequence), validation blocks (M, sequence), vocabulary size) of `corpus`."""
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; use one of {', '.join(CORPORA)}")
    text = load_text(builtin="corpus") if corpus == "builtin" else stdlib_code()
    tokenizer = for_family(train_bpe(text["train"]["text"], vocab_size=vocab, show_progress=False), "decoder")
    tokenized = tokenize(text, tokenizer)
    train, validation = (torch.tensor(pack_blocks(tokenized[split], sequence, tokenizer.eos_token_id)["input_ids"])
                         for split in ("train", "validation"))
    return train, validation, len(tokenizer)
