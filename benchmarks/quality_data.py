"""The corpora `quality.py` and `quality_encoder.py` train on, both offline and deterministic: the built-in corpus
(English: Python's documentation topics and docstrings) and a second, different one, the standard library's Python
code, one module per document, split by a hash of its path. Each is tokenised with a byte-level BPE trained on its own
training split and cut into blocks of `sequence` tokens. The code corpus has a labelled task too (`code_labelled`):
which package a chunk of code comes from, its validation and test files held out of the unlabelled corpus."""

import hashlib
import random
import sysconfig
from pathlib import Path

import datasets
import torch

from minformer.data import load_text, pack_blocks, tokenize
from minformer.tokenization import for_family, train_bpe

CORPORA = ("builtin", "code")
SKIPPED = {"site-packages", "dist-packages", "test", "tests", "__pycache__", "idlelib", "turtledemo", "lib2to3"}
# the labelled code task's classes: the standard-library packages with the most modules (encodings' codec tables and
# the deprecated distutils left out), so every class has files for training, validation and test
CODE_PACKAGES = ("asyncio", "ctypes", "email", "importlib", "multiprocessing", "tkinter", "unittest", "xml")
CHUNK_LINES = 16  # non-blank lines per labelled example (about 100-200 tokens)


def stdlib_files() -> list[tuple[str, str]]:
    """(path relative to the standard library, text) of every .py file outside the test suites, sorted by path."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in sorted(root.rglob("*.py")):
        if SKIPPED & set(path.relative_to(root).parts):
            continue
        try:
            files.append((path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
    return files


def stdlib_code(exclude: frozenset = frozenset()) -> datasets.DatasetDict:
    """Every standard-library .py file outside the test suites and `exclude` (paths), as text: 95% train, 5%
    validation by path hash."""
    rows = {"train": [], "validation": []}
    for path, text in stdlib_files():
        if path not in exclude:
            digest = hashlib.sha256(path.encode()).digest()[0]
            rows["validation" if digest < 256 * 0.05 else "train"].append(text)
    return datasets.DatasetDict({split: datasets.Dataset.from_dict({"text": texts}) for split, texts in rows.items()})


def code_labelled(per_class: dict | None = None) -> tuple[datasets.DatasetDict, frozenset]:
    """Chunks of CHUNK_LINES non-blank lines labelled with their package (CODE_PACKAGES), and the paths of the
    validation and test files. Each package's files are split by path hash (15% validation, 15% test, at least one
    file each), so no file gives examples to two splits; each split is capped at `per_class` chunks per package,
    drawn at random (seed 0) from all its files."""
    per_class = per_class or {"train": 120, "validation": 30, "test": 30}
    files = {package: [] for package in CODE_PACKAGES}
    for path, text in stdlib_files():
        if path.split("/")[0] in files:
            files[path.split("/")[0]].append((hashlib.sha256(f"label:{path}".encode()).hexdigest(), path, text))
    rows = {split: {"text": [], "label": []} for split in per_class}
    held_out = set()
    for label, package in enumerate(CODE_PACKAGES):
        ordered = sorted(files[package])
        share = max(1, round(0.15 * len(ordered)))
        splits = {"validation": ordered[:share], "test": ordered[share:2 * share], "train": ordered[2 * share:]}
        for split, chosen in splits.items():
            lines = [[line for line in text.splitlines() if line.strip()] for _, _, text in chosen]
            chunks = ["\n".join(block[i:i + CHUNK_LINES]) for block in lines for i in range(0, len(block), CHUNK_LINES)]
            random.Random(0).shuffle(chunks)
            rows[split]["text"] += chunks[:per_class[split]]
            rows[split]["label"] += [label] * len(chunks[:per_class[split]])
            held_out |= {path for _, path, _ in chosen} if split != "train" else set()
    features = datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=list(CODE_PACKAGES))})
    return datasets.DatasetDict({split: datasets.Dataset.from_dict(columns, features=features)
                                 for split, columns in rows.items()}), frozenset(held_out)


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
