"""Where text comes from: local files (.txt, .jsonl/.json, .csv, .parquet), a `datasets` Hub dataset, or the
built-in corpora. Every source becomes a `DatasetDict` with train/validation/test splits and a `text` column (plus
`label` for labelled data), memory-mapped by `datasets` rather than held in memory."""

from dataclasses import dataclass
from pathlib import Path

import datasets

from ..errors import UserError
from .builtin import builtin_corpus, builtin_labelled, builtin_seq2seq, builtin_token_task
from .files import read_files
from .held_out import with_splits

BUILTINS = {"corpus": builtin_corpus, "labelled": builtin_labelled, "seq2seq": builtin_seq2seq,
            "tokens": builtin_token_task}


def _from_hub(name: str, config: str | None, split: str | None) -> datasets.DatasetDict:
    try:
        loaded = datasets.load_dataset(name, config, split=split)
    except Exception as error:  # offline, unknown name, gated repo, bad config: say which and how to go on
        raise ValueError(
            f"could not load the Hub dataset {name!r}"
            f"{f' (config {config!r})' if config else ''}: {type(error).__name__}: {error}. Hub datasets need "
            "internet access (unset HF_HUB_OFFLINE); offline, use local files or --builtin."
        ) from error
    return datasets.DatasetDict({"train": loaded}) if isinstance(loaded, datasets.Dataset) else loaded


def _is_text(feature) -> bool:
    """A column of strings, or of lists of strings (token classification's words)."""
    if isinstance(feature, datasets.Value):
        return feature.dtype in ("string", "large_string")
    inner = getattr(feature, "feature", None)
    return isinstance(inner, datasets.Value) and inner.dtype in ("string", "large_string")


def _select_columns(data: datasets.DatasetDict, text_column: str, label_column: str | None,
                    where: str, label_flag: str) -> datasets.DatasetDict:
    columns = data["train"].column_names
    wanted = {text_column: "text", **({label_column: "label"} if label_column else {})}
    for column in wanted:
        if column not in columns:
            flag = "--text-column" if column == text_column else label_flag
            raise UserError(f"{where} has no column {column!r}; its columns are {columns}. Pass {flag} with one "
                            "of them.")
    feature = data["train"].features[text_column]
    if not _is_text(feature):
        raise UserError(f"the column {text_column!r} of {where} holds {_describe(feature)}, not text; pass "
                        f"--text-column with the column that holds the text (columns: {columns}).")
    data = data.select_columns(list(wanted))
    renames = {old: new for old, new in wanted.items() if old != new}
    return data.rename_columns(renames) if renames else data


def _describe(feature) -> str:
    return f"{feature.dtype} values" if isinstance(feature, datasets.Value) else type(feature).__name__


def _has_text(dataset: datasets.Dataset) -> bool:
    """True as soon as one non-blank text is found (reads the column in batches, stops early)."""
    for batch in dataset.iter(batch_size=1000):
        if any(text and (not isinstance(text, str) or text.strip()) for text in batch["text"]):
            return True
    return False


@dataclass
class TextSource:
    """Loaded text and how it was read: the unit of a .txt file and how many documents the source held."""

    data: datasets.DatasetDict
    documents: int  # rows of the source (lines, paragraphs, files or records) before held-out text was carved
    sample_by: str | None = None  # "line", "paragraph" or "document" for .txt files
    held_out_by_position: bool = False  # too few documents to split by document: the end of the text was held out

    def describe(self) -> str:
        unit = {"line": "one document per line", "paragraph": "one per paragraph",
                "document": "one per file"}.get(self.sample_by, "")
        how = f" (--sample-by {self.sample_by}: {unit})" if self.sample_by else ""
        position = "; validation and test text held out from its end" if self.held_out_by_position else ""
        return f"{self.documents:,} document{'s' if self.documents != 1 else ''}{how}{position}"


def read_text_source(
    files: list[str | Path] | None = None,
    hub_dataset: str | None = None,
    hub_config: str | None = None,
    hub_split: str | None = None,
    builtin: str | None = None,
    text_column: str = "text",
    label_column: str | None = None,
    seed: int = 0,
    label_flag: str = "--label-column",
    sample_by: str = "auto",
) -> TextSource:
    """Text from exactly one source, as train/validation/test splits with a `text` (and optional `label`) column.

    builtin: "corpus" (unlabelled), "labelled" (the package-of-a-docstring task) or "seq2seq" (word reversal,
    columns `source` and `target`). sample_by: how .txt files are cut into documents (files.SAMPLE_BY).
    """
    chosen = [name for name, value in (("files", files), ("hub_dataset", hub_dataset), ("builtin", builtin))
              if value]
    if len(chosen) != 1:
        raise ValueError(f"give exactly one text source (files, a Hub dataset, or builtin), got {chosen or 'none'}.")
    if builtin:
        if builtin not in BUILTINS:
            raise ValueError(f"unknown built-in data {builtin!r}; use {', '.join(map(repr, BUILTINS))}.")
        data = BUILTINS[builtin](seed)
        return TextSource(data, sum(len(split) for split in data.values()))
    unit = None
    if files:
        where, (data, unit) = f"the files {[str(f) for f in files]}", read_files(files, sample_by)
    else:
        where, data = f"the Hub dataset {hub_dataset!r}", _from_hub(hub_dataset, hub_config, hub_split)
    data = _select_columns(data, text_column, label_column, where, label_flag)
    documents = sum(len(split) for split in data.values())
    data, by_position = with_splits(data, seed)
    if not _has_text(data["train"]):
        raise ValueError(f"the corpus is empty: {where} has no text in column {text_column!r}.")
    return TextSource(data, documents, unit, by_position)


def load_text(*args, **kwargs) -> datasets.DatasetDict:
    """The splits of `read_text_source(...)` (same arguments), for callers that need only the data."""
    return read_text_source(*args, **kwargs).data
