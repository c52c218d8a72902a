"""Where text comes from: local files (.txt, .jsonl/.json, .csv, .parquet), a `datasets` Hub dataset, or the
built-in corpora. Every source becomes a `DatasetDict` with train/validation/test splits and a `text` column (plus
`label` for labelled data), memory-mapped by `datasets` rather than held in memory."""

import codecs
import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import datasets

from ..errors import UserError, first_line
from .builtin import builtin_corpus, builtin_labelled, builtin_seq2seq, builtin_token_task

BUILTINS = {"corpus": builtin_corpus, "labelled": builtin_labelled, "seq2seq": builtin_seq2seq,
            "tokens": builtin_token_task}

FILE_BUILDERS = {".txt": "text", ".text": "text", ".jsonl": "json", ".json": "json", ".csv": "csv",
                 ".parquet": "parquet"}
HELD_OUT_FRACTION = 0.05  # validation and test shares carved from a source that has only a train split
MIN_ROWS_TO_SPLIT = 40  # below this, carving held-out splits would leave them (or train) nearly empty
UTF8_CHUNK = 1 << 20
JSON_BUILDER_LOGGER = "datasets.packaged_modules.json.json"


def check_utf8(path: Path) -> bool:
    """Raise a ValueError naming the file and byte offset of the first invalid UTF-8 byte (read in chunks);
    return whether the file holds any non-blank text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, has_text = 0, False
    with path.open("rb") as handle:
        while chunk := handle.read(UTF8_CHUNK):
            try:
                has_text = bool(decoder.decode(chunk).strip()) or has_text
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path} is not valid UTF-8: byte {chunk[error.start]:#04x} at offset {offset + error.start} "
                    f"({error.reason}). Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8 {path.name}`)."
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ValueError(f"{path} is not valid UTF-8: it ends in the middle of a character.") from None
    return has_text


def _from_files(files: list[str | Path]) -> datasets.DatasetDict:
    paths = [Path(f) for f in files]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file. Check the path, or use --builtin for the built-in corpus.")
    suffixes = {path.suffix.lower() for path in paths}
    unknown = suffixes - FILE_BUILDERS.keys()
    if unknown:
        raise ValueError(f"unsupported file type {sorted(unknown)}; use {', '.join(sorted(FILE_BUILDERS))}.")
    builders = {FILE_BUILDERS[suffix] for suffix in suffixes}
    if len(builders) > 1:
        raise ValueError(f"mixed file types {sorted(suffixes)}; pass files of one type at a time.")
    builder = builders.pop()
    if builder != "parquet":
        non_blank = [check_utf8(path) for path in paths]
        if not any(non_blank):
            raise ValueError(f"the corpus is empty: {', '.join(map(str, paths))} holds no text.")
    options = {"sample_by": "paragraph"} if builder == "text" else {}
    try:
        with _silenced(JSON_BUILDER_LOGGER):  # it logs the error it raises; the one line below replaces both
            return datasets.load_dataset(builder, data_files={"train": [str(p) for p in paths]}, **options)
    except Exception as error:  # a malformed JSON line, a ragged CSV, a damaged parquet file
        if builder == "json":
            _check_json_lines(paths)
        raise UserError(f"cannot read {', '.join(map(str, paths))} as {builder}: {first_line(error)}. Fix the "
                        "file (one record per line for .jsonl, a header row for .csv).") from None


@contextlib.contextmanager
def _silenced(name: str) -> Iterator[None]:
    """Only errors raised, not logged, by the logger `name` while the block runs (its level restored after)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _check_json_lines(paths: list[Path]) -> None:
    """Name the file and line of the first line of a .jsonl that is not a JSON object (a .json may be one array)."""
    for path in paths:
        if path.suffix.lower() != ".jsonl":
            continue
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise UserError(f"{path}, line {number}, is not valid JSON ({error.msg} at column {error.colno});"
                                    " a .jsonl file holds one JSON object per line.") from None
                if not isinstance(record, dict):
                    raise UserError(f"{path}, line {number}, holds a JSON {type(record).__name__}, not an object; "
                                    'a .jsonl file holds one object per line, e.g. {"text": "..."}.')


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


def _with_splits(data: datasets.DatasetDict, seed: int) -> datasets.DatasetDict:
    """Keep train/validation/test; carve missing held-out splits out of train, reproducibly with `seed`."""
    if "train" not in data:
        raise ValueError(f"the data has no train split (splits: {sorted(data)}).")
    if "validation" not in data and "valid" in data:
        data["validation"] = data.pop("valid")
    train = data["train"]
    missing = [name for name in ("validation", "test") if name not in data]
    if missing and len(train) >= MIN_ROWS_TO_SPLIT:
        carved = train.train_test_split(test_size=HELD_OUT_FRACTION * len(missing), seed=seed)
        train = carved["train"]
        if len(missing) == 2:
            halves = carved["test"].train_test_split(test_size=0.5, seed=seed)
            data["validation"], data["test"] = halves["train"], halves["test"]
        else:
            data[missing[0]] = carved["test"]
    data["train"] = train
    return datasets.DatasetDict({name: data[name] for name in ("train", "validation", "test") if name in data})


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


def load_text(
    files: list[str | Path] | None = None,
    hub_dataset: str | None = None,
    hub_config: str | None = None,
    hub_split: str | None = None,
    builtin: str | None = None,
    text_column: str = "text",
    label_column: str | None = None,
    seed: int = 0,
    label_flag: str = "--label-column",
) -> datasets.DatasetDict:
    """Text from exactly one source, as train/validation/test splits with a `text` (and optional `label`) column.

    builtin: "corpus" (unlabelled), "labelled" (the package-of-a-docstring task) or "seq2seq" (word reversal,
    columns `source` and `target`).
    """
    chosen = [name for name, value in (("files", files), ("hub_dataset", hub_dataset), ("builtin", builtin))
              if value]
    if len(chosen) != 1:
        raise ValueError(f"give exactly one text source (files, a Hub dataset, or builtin), got {chosen or 'none'}.")
    if builtin:
        if builtin not in BUILTINS:
            raise ValueError(f"unknown built-in data {builtin!r}; use {', '.join(map(repr, BUILTINS))}.")
        return BUILTINS[builtin](seed)
    if files:
        where, data = f"the files {[str(f) for f in files]}", _from_files(files)
    else:
        where, data = f"the Hub dataset {hub_dataset!r}", _from_hub(hub_dataset, hub_config, hub_split)
    data = _with_splits(_select_columns(data, text_column, label_column, where, label_flag), seed)
    if not _has_text(data["train"]):
        raise ValueError(f"the corpus is empty: {where} has no text in column {text_column!r}.")
    return data
