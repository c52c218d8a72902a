"""The built-in corpora: offline, deterministic, disjoint splits, real text, balanced labels."""

import collections
import sys

from minformer.data import LABELLED_PACKAGES, builtin_corpus, builtin_labelled


def test_corpus_loads_offline_with_reproducible_disjoint_splits():
    corpus = builtin_corpus()
    assert set(corpus) == {"train", "validation", "test"}
    sizes = {name: len(split) for name, split in corpus.items()}
    assert sizes["train"] > 1000 and sizes["validation"] > 50 and sizes["test"] > 50
    assert sum(len(t) for t in corpus["train"]["text"]) > 500_000  # characters of English text
    sources = {name: set(split["source"]) for name, split in corpus.items()}
    assert not (sources["train"] & sources["validation"]) and not (sources["train"] & sources["test"])
    again = builtin_corpus()
    assert again["validation"]["source"] == corpus["validation"]["source"]
    other_seed = builtin_corpus(seed=1)
    assert other_seed["validation"]["source"] != corpus["validation"]["source"]
    assert any(s.startswith("pydoc:") for s in sources["train"])  # the reference documentation topics are in it


def test_labelled_task_is_balanced_and_reproducible():
    data = builtin_labelled()
    assert data["train"].features["label"].names == list(LABELLED_PACKAGES)
    counts = collections.Counter(data["train"]["label"])
    assert set(counts) == set(range(len(LABELLED_PACKAGES)))
    assert max(counts.values()) <= 1.5 * min(counts.values())
    assert len(data["validation"]) > 40 and len(data["test"]) > 40
    assert builtin_labelled()["test"]["text"] == data["test"]["text"]
    assert not set(data["train"]["text"]) & set(data["test"]["text"])


def test_reading_the_standard_library_imports_nothing_new():
    before = set(sys.modules)
    builtin_corpus()
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] in LABELLED_PACKAGES}
