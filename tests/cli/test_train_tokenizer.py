"""`minformer train-tokenizer` end to end, and its one-line errors with exit code 2."""

import json

import pytest
from transformers import AutoTokenizer

from minformer.cli.main import main


def test_builtin_corpus_end_to_end(tmp_path, capsys):
    output = tmp_path / "tok"
    assert main(["train-tokenizer", "--builtin", "--vocab-size", "700", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "vocabulary size      700" in printed and "unicode round trip   exact" in printed
    assert "held-out sample of 200 texts" in printed
    report = json.loads((output / "tokenizer_report.json").read_text())
    assert report["vocab_size"] == 700 and 1.5 < report["bytes_per_token"] < 6
    tokenizer = AutoTokenizer.from_pretrained(output)
    assert tokenizer.padding_side == "left" and tokenizer("def f(): pass")["input_ids"][0] == tokenizer.bos_token_id


def test_files_and_encoder_family(tmp_path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"body": f"line {i} about attention and tokens"}) + "\n" for i in range(50)))
    output = tmp_path / "tok"
    assert main(["train-tokenizer", str(corpus), "--text-column", "body", "--family", "encoder",
                 "--vocab-size", "300", "--min-frequency", "1", "--output", str(output)]) == 0
    tokenizer = AutoTokenizer.from_pretrained(output)
    ids = tokenizer("attention")["input_ids"]
    assert ids[0] == 2 and ids[-1] == 3 and tokenizer.padding_side == "right"


@pytest.mark.parametrize("arguments, message", [
    (["missing.txt"], "missing.txt: no such file"),
    (["--builtin", "--vocab-size", "100"], "vocab_size=100 is too small"),
    ([], "give exactly one text source"),
    (["CORPUS", "--text-column", "content"], "has no column 'content'"),
])
def test_bad_input_is_one_line_with_exit_code_2(arguments, message, tmp_path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"body": "some text"}) + "\n")
    arguments = [str(corpus) if a == "CORPUS" else str(tmp_path / a) if a.endswith(".txt") else a for a in arguments]
    assert main(["train-tokenizer", *arguments, "--output", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("minformer train-tokenizer: error: ") and message in error
    assert not (tmp_path / "out").exists()


def test_existing_output_is_kept_unless_overwrite(tmp_path, capsys):
    output = tmp_path / "tok"
    output.mkdir()
    (output / "precious.txt").write_text("keep me")
    assert main(["train-tokenizer", "--builtin", "--vocab-size", "300", "--output", str(output)]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert (output / "precious.txt").read_text() == "keep me"
