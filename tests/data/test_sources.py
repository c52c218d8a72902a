"""Loading text from local files of every supported kind, and the errors for bad input."""

import json

import datasets
import pytest

from minformer.data import load_text

ROWS = [{"body": f"document number {i} has some words in it", "topic": i % 3} for i in range(60)]


def write(tmp_path, kind):
    path = tmp_path / f"data.{kind}"
    if kind == "txt":
        path.write_text("\n\n".join(row["body"] for row in ROWS) + "\n", encoding="utf-8")
    elif kind == "jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    else:
        dataset = datasets.Dataset.from_list(ROWS)
        dataset.to_csv(str(path), index=False) if kind == "csv" else dataset.to_parquet(str(path))
    return path


@pytest.mark.parametrize("kind", ["txt", "jsonl", "csv", "parquet"])
def test_every_file_kind_gives_train_validation_test_text(kind, tmp_path):
    column = "text" if kind == "txt" else "body"
    data = load_text(files=[write(tmp_path, kind)], text_column=column)
    assert set(data) == {"train", "validation", "test"}
    assert data["train"].column_names == ["text"]
    texts = sorted(t for split in data.values() for t in split["text"])
    assert [t.strip() for t in texts] == sorted(row["body"] for row in ROWS)  # every document once across splits
    again = load_text(files=[write(tmp_path, kind)], text_column=column)
    assert again["test"]["text"] == data["test"]["text"]


def test_labelled_files_keep_the_label_column(tmp_path):
    data = load_text(files=[write(tmp_path, "jsonl")], text_column="body", label_column="topic")
    assert sorted(data["train"].column_names) == ["label", "text"]


def test_missing_column_names_the_columns(tmp_path):
    with pytest.raises(ValueError, match=r"has no column 'text'; its columns are \['body', 'topic'\]\. Pass "
                                         r"--text-column"):
        load_text(files=[write(tmp_path, "jsonl")])


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt: no such file"):
        load_text(files=[tmp_path / "nope.txt"])


def test_non_utf8_names_file_and_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café au lait\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.txt is not valid UTF-8: byte 0xe9 at offset 3"):
        load_text(files=[path])


@pytest.mark.parametrize("content", [b"", b"  \n\n \t\n"])
def test_empty_corpus(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="the corpus is empty"):
        load_text(files=[path])


def test_exactly_one_source_and_known_builtins(tmp_path):
    with pytest.raises(ValueError, match="exactly one text source"):
        load_text()
    with pytest.raises(ValueError, match="exactly one text source"):
        load_text(files=[write(tmp_path, "txt")], builtin="corpus")
    with pytest.raises(ValueError, match="unknown built-in data 'wiki'; use 'corpus', 'labelled', 'seq2seq'"):
        load_text(builtin="wiki")
    with pytest.raises(ValueError, match=r"unsupported file type \['.docx'\]"):
        (tmp_path / "a.docx").write_text("x")
        load_text(files=[tmp_path / "a.docx"])


def test_hub_dataset_offline_gives_a_clear_error():
    with pytest.raises(ValueError, match=r"could not load the Hub dataset 'someone/corpus'.*need internet access"):
        load_text(hub_dataset="someone/corpus")
