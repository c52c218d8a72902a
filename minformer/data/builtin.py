"""Built-in corpora that need no download: English text that ships with every CPython installation.

* `builtin_corpus()`: the Python reference documentation topics of `pydoc_data.topics` (the text `help()` shows)
  and every docstring of the standard library's Python sources (modules, classes, functions), one document each.
* `builtin_labelled()`: a classification task on docstrings: which standard-library package a docstring comes
  from (asyncio, email, http, importlib, logging, multiprocessing, unittest, xml), balanced by capping each class.
* `builtin_seq2seq()`: a translation-style task: the first words of a docstring's first line (`source`) and the
  same words in reverse order (`target`), which a sequence-to-sequence model must learn to reorder.

Sources are read with `ast` (nothing is imported or executed) in sorted order, and each document is assigned to
train / validation / test by a hash of its identity and the seed, so the same Python gives the same splits every run.
The exact sizes depend on the Python version; the README lists them for the Python used in CI.
"""

import ast
import functools
import hashlib
import os
import re
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import datasets

LABELLED_PACKAGES = ("asyncio", "email", "http", "importlib", "logging", "multiprocessing", "unittest", "xml")
SKIPPED_FOLDERS = {"site-packages", "dist-packages", "test", "tests", "__pycache__", "idlelib", "turtledemo",
                   "lib2to3", "ensurepip"}
MIN_DOCSTRING_WORDS = 8  # shorter docstrings ("Return x.") carry too little text to learn or classify from
CORPUS_SPLITS = (("train", 0.90), ("validation", 0.05), ("test", 0.05))
LABELLED_SPLITS = (("train", 0.80), ("validation", 0.10), ("test", 0.10))  # larger evaluation shares: few per class


def _split_of(identity: str, seed: int, splits: tuple[tuple[str, float], ...]) -> str:
    """A stable split assignment: the same identity and seed always land in the same split."""
    digest = hashlib.sha256(f"{seed}:{identity}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    for name, share in splits:
        cumulative += share
        if fraction < cumulative:
            return name
    return splits[-1][0]


@functools.cache
def stdlib_docstrings() -> tuple[tuple[str, str, str], ...]:
    """(package or module, identity, docstring) for every distinct docstring of at least MIN_DOCSTRING_WORDS words
    (the first place a repeated docstring appears keeps it, so no text is in two splits; read once per process:
    parsing the standard library takes a few seconds)."""
    seen: set[str] = set()
    unique = []
    for package, identity, text in _iter_stdlib_docstrings():
        if text not in seen:
            seen.add(text)
            unique.append((package, identity, text))
    return tuple(unique)


def _iter_stdlib_docstrings() -> Iterator[tuple[str, str, str]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for root, folders, files in os.walk(stdlib):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS)
        relative = Path(root).relative_to(stdlib)
        for name in sorted(f for f in files if f.endswith(".py")):
            path = relative / name
            top = path.parts[0].removesuffix(".py")
            try:
                tree = ast.parse((stdlib / path).read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue  # a few stdlib files are deliberately not valid Python (test data, templates)
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    docstring = ast.get_docstring(node)
                    if docstring and len(docstring.split()) >= MIN_DOCSTRING_WORDS:
                        where = f"{getattr(node, 'name', '<module>')}:{getattr(node, 'lineno', 0)}"
                        yield top, f"{path.as_posix()}:{where}", docstring


def _pydoc_topics() -> Iterator[tuple[str, str]]:
    from pydoc_data.topics import topics

    for name in sorted(topics):
        yield f"pydoc:{name}", topics[name].strip()


def builtin_corpus(seed: int = 0) -> datasets.DatasetDict:
    """Unlabelled English text (column `text`, plus `source`), split 90/5/5 into train/validation/test."""
    rows = {name: {"text": [], "source": []} for name, _ in CORPUS_SPLITS}
    documents = list(_pydoc_topics()) + [(identity, text) for _, identity, text in stdlib_docstrings()]
    for identity, text in documents:
        split = rows[_split_of(identity, seed, CORPUS_SPLITS)]
        split["text"].append(text)
        split["source"].append(identity)
    return datasets.DatasetDict({name: datasets.Dataset.from_dict(columns) for name, columns in rows.items()})


def builtin_labelled(seed: int = 0, per_class: int = 110) -> datasets.DatasetDict:
    """Docstrings labelled with their standard-library package (column `text`, ClassLabel `label`): the first
    `per_class` of each package in sorted source order, split 80/10/10 into train/validation/test."""
    features = datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=list(LABELLED_PACKAGES))})
    by_package: dict[str, list[tuple[str, str]]] = {package: [] for package in LABELLED_PACKAGES}
    for package, identity, text in stdlib_docstrings():
        if package in by_package and len(by_package[package]) < per_class:
            by_package[package].append((identity, text))
    rows = {name: {"text": [], "label": []} for name, _ in LABELLED_SPLITS}
    for label, package in enumerate(LABELLED_PACKAGES):
        for identity, text in by_package[package]:
            split = rows[_split_of(identity, seed, LABELLED_SPLITS)]
            split["text"].append(text)
            split["label"].append(label)
    return datasets.DatasetDict({name: datasets.Dataset.from_dict(columns, features=features)
                                 for name, columns in rows.items()})


SEQ2SEQ_WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*[.,]?$")  # plain words, so the task is about order, not symbols


def builtin_seq2seq(seed: int = 0, min_words: int = 3, max_words: int = 6) -> datasets.DatasetDict:
    """Word-order reversal of docstring openings: `source` = the first `max_words` plain words of a docstring's
    first line, `target` = those words reversed; distinct sources only, split 80/10/10."""
    rows = {name: {"source": [], "target": []} for name, _ in LABELLED_SPLITS}
    seen: set[str] = set()
    for _, identity, text in stdlib_docstrings():
        words = []
        for word in text.split("\n", 1)[0].split():
            if not SEQ2SEQ_WORD.match(word):
                break
            words.append(word)
        words = words[:max_words]
        source = " ".join(words)
        if len(words) < min_words or source in seen:
            continue
        seen.add(source)
        split = rows[_split_of(identity, seed, LABELLED_SPLITS)]
        split["source"].append(source)
        split["target"].append(" ".join(reversed(words)))
    return datasets.DatasetDict({name: datasets.Dataset.from_dict(columns) for name, columns in rows.items()})


IDENTIFIER = re.compile(r"^[`'\"(]*([A-Za-z_][\w]*(\.[A-Za-z_]\w*)+|[A-Za-z]+_[\w]+|\w+\(\))[`'\"),.:;]*$")
TOKEN_TAGS = ("O", "CODE")


def builtin_token_task(seed: int = 0, max_words: int = 48) -> datasets.DatasetDict:
    """Token classification on docstring sentences: each word is tagged CODE when it is written like code (dotted
    names such as os.path.join, snake_case names, calls such as close()) and O otherwise; only sentences with at
    least one CODE word, split 80/10/10. Columns `tokens` (list of words) and `tags` (ClassLabel ids)."""
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "tags": datasets.Sequence(datasets.ClassLabel(names=list(TOKEN_TAGS)))})
    rows = {name: {"tokens": [], "tags": []} for name, _ in LABELLED_SPLITS}
    for _, identity, text in stdlib_docstrings():
        words = text.split()[:max_words]
        tags = [int(bool(IDENTIFIER.match(word))) for word in words]
        if any(tags):
            split = rows[_split_of(identity, seed, LABELLED_SPLITS)]
            split["tokens"].append(words)
            split["tags"].append(tags)
    return datasets.DatasetDict({name: datasets.Dataset.from_dict(columns, features=features)
                                 for name, columns in rows.items()})
