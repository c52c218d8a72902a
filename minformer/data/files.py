"""Reading the user's local files: .txt (by line, paragraph or whole document, as `datasets`' text builder does),
.jsonl/.json, .csv and .parquet, with one clear error for each way a file can be wrong (missing, not UTF-8, empty,
malformed). A UTF-8 byte-order mark and Windows line endings are read as plain text."""

import codecs
import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import datasets

from ..errors import UserError, first_line

FILE_BUILDERS = {".txt": "text", ".text": "text", ".jsonl": "json", ".json": "json", ".csv": "csv",
                 ".parquet": "parquet"}
SAMPLE_BY = ("auto", "line", "paragraph", "document")  # "auto": paragraphs if blank lines separate them, else lines
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


def has_paragraphs(path: Path) -> bool:
    """Whether a blank line separates two non-blank lines of the file (a text of paragraphs, not one record per
    line)."""
    seen_text = blank_after_text = False
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if line.strip():
                if blank_after_text:
                    return True
                seen_text = True
            else:
                blank_after_text = seen_text
    return False


def resolve_sample_by(paths: list[Path], sample_by: str) -> str:
    """The unit a .txt file is read in: as asked, or for "auto" paragraphs when every file has blank lines between
    paragraphs and lines otherwise (one document per line, the commonest shape of a text dataset)."""
    if sample_by not in SAMPLE_BY:
        raise UserError(f"--sample-by {sample_by!r} is not one of {', '.join(SAMPLE_BY)}.")
    if sample_by != "auto":
        return sample_by
    return "paragraph" if all(has_paragraphs(path) for path in paths) else "line"


def read_files(files: list[str | Path], sample_by: str = "auto") -> tuple[datasets.DatasetDict, str | None]:
    """The files as one train split, and the unit .txt files were read in (None for other file types)."""
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
    unit = resolve_sample_by(paths, sample_by) if builder == "text" else None
    options = {"sample_by": unit, "encoding": "utf-8-sig"} if unit else {}
    try:
        with _silenced(JSON_BUILDER_LOGGER):  # it logs the error it raises; the one line below replaces both
            data = datasets.load_dataset(builder, data_files={"train": [str(p) for p in paths]}, **options)
    except Exception as error:  # a malformed JSON line, a ragged CSV, a damaged parquet file
        if builder == "json":
            _check_json_lines(paths)
        raise UserError(f"cannot read {', '.join(map(str, paths))} as {builder}: {first_line(error)}. Fix the "
                        "file (one record per line for .jsonl, a header row for .csv).") from None
    if unit:  # blank lines between records, empty paragraphs: not documents
        data = data.filter(lambda batch: [bool(text.strip()) for text in batch["text"]], batched=True,
                           desc="Dropping blank lines")
    return data, unit


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
