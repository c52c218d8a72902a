"""The user's own files in the shapes people have: one document per line, blank-line paragraphs, one whole book,
CRLF line endings and a byte-order mark, labels as strings or integers, a class missing from a held-out split.
Each shape goes end to end through the commands (pretrain -> evaluate, finetune -> evaluate)."""

import csv
import json
import random
from pathlib import Path

import pytest

from minformer.cli.main import main
from minformer.data import load_text
from minformer.data.files import read_files
from minformer.data.held_out import split_by_position
from minformer.data.sources import read_text_source
from minformer.errors import UserError

WORDS = "the a model reads text and learns which word comes next in every sentence of its corpus".split()
MODEL = ["--hidden-size", "32", "--num-hidden-layers", "1", "--num-attention-heads", "2", "--intermediate-size", "64",
         "--sequence-length", "32", "--vocab-size", "300"]
QUICK = ["--max-steps", "2", "--batch-size", "4"]


def sentence(rng: random.Random, words: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def write_shapes(folder: Path) -> dict[str, Path]:
    """Small files that imitate real ones; each value is a path."""
    rng = random.Random(0)
    files = {"lines": folder / "lines.txt", "paragraphs": folder / "paragraphs.txt", "book": folder / "book.txt",
             "crlf_bom": folder / "windows.txt"}
    files["lines"].write_text("".join(sentence(rng) + "\n" for _ in range(300)))
    files["paragraphs"].write_text("\n\n".join(" ".join(sentence(rng) for _ in range(3)) + "\n" + sentence(rng)
                                               for _ in range(90)) + "\n\n\n")
    files["book"].write_text(" ".join(sentence(rng) for _ in range(900)))
    files["crlf_bom"].write_bytes(b"\xef\xbb\xbf" + "".join(sentence(rng) + "\r\n" for _ in range(300)).encode())
    return files


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> dict[str, Path]:
    return write_shapes(tmp_path_factory.mktemp("shapes"))


@pytest.mark.parametrize("shape, sample_by, documents", [
    ("lines", "line", 300), ("paragraphs", "paragraph", 90), ("book", "line", 1), ("crlf_bom", "line", 300),
])
def test_text_shapes_are_read_as_people_mean_them(shapes, shape, sample_by, documents):
    source = read_text_source(files=[shapes[shape]])
    assert (source.sample_by, source.documents) == (sample_by, documents)
    texts = [text for split in source.data.values() for text in split["text"]]
    assert all(text.strip() for text in texts)  # blank lines and trailing blank paragraphs are not documents
    assert not any("\r" in text or "\ufeff" in text for text in texts)
    assert set(source.data) == {"train", "validation", "test"}
    assert source.held_out_by_position == (shape == "book")
    if shape == "paragraphs":
        assert all(text.count(".") == 4 for text in texts)  # a paragraph is 4 sentences over 2 lines


def test_sample_by_overrides_the_automatic_choice(shapes):
    by_document = read_text_source(files=[shapes["lines"], shapes["paragraphs"]], sample_by="document")
    assert by_document.documents == 2 and by_document.held_out_by_position
    by_line = read_text_source(files=[shapes["paragraphs"]], sample_by="line")
    assert by_line.documents == 90 * 2  # each paragraph's two lines
    mixed = read_text_source(files=[shapes["lines"], shapes["paragraphs"]])  # not every file has paragraphs
    assert mixed.sample_by == "line"
    with pytest.raises(UserError, match="--sample-by 'sentence' is not one of auto, line, paragraph, document"):
        read_files([shapes["lines"]], sample_by="sentence")


def test_split_by_position_keeps_every_character_in_order():
    texts = ["one two three four five six seven eight nine ten " * 20, "short tail document"]
    train, validation, test = split_by_position(texts, [0.9, 0.05, 0.05])
    assert "".join(train + validation + test) == "".join(texts)  # a partition of the stream, in order
    total = sum(map(len, texts))
    assert abs(sum(map(len, train)) - 0.9 * total) <= 6  # a cut moves to the next space at most one word on
    assert all(part[0].isspace() for part in (validation[0], test[0]))  # no word is cut in two
    assert test[-1].endswith("short tail document")


def test_a_whole_book_trains_and_evaluates(shapes, tmp_path, capsys):
    output = tmp_path / "book-run"
    assert main(["pretrain", str(shapes["book"]), *MODEL, *QUICK, "--output", str(output)]) == 0
    summary = json.loads((output / "summary.json").read_text())
    assert summary["text_read"] == "1 document (--sample-by line: one document per line); validation and test text " \
                                   "held out from its end"
    assert "text_read" in capsys.readouterr().out  # in the printed summary too
    assert summary["validation_perplexity"] > 1 and summary["world_size"] == 1
    assert main(["evaluate", str(output), str(shapes["book"]), "--sequence-length", "32", "--json",
                 str(tmp_path / "metrics.json")]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["split"] == "test" and metrics["blocks"] >= 1 and metrics["perplexity"] > 1


@pytest.mark.parametrize("shape", ["lines", "paragraphs", "crlf_bom"])
def test_text_shapes_pretrain_and_evaluate(shapes, shape, tmp_path):
    output = tmp_path / shape
    assert main(["pretrain", str(shapes[shape]), *MODEL, *QUICK, "--output", str(output)]) == 0
    summary = json.loads((output / "summary.json").read_text())
    assert summary["text_read"].startswith(("300 documents", "90 documents"))
    assert main(["evaluate", str(output), str(shapes[shape]), "--sequence-length", "32", "--json",
                 str(tmp_path / "metrics.json")]) == 0
    assert json.loads((tmp_path / "metrics.json").read_text())["perplexity"] > 1


def test_a_corpus_too_small_for_two_blocks_names_its_size_and_the_minimum(tmp_path):
    small = tmp_path / "small.txt"
    small.write_text("A few words of text, far too few for blocks of thirty-two tokens each.\n")
    with pytest.raises(UserError, match=r"too small for blocks of 32 tokens: it holds \d+ tokens.*needs at least "
                                        r"[\d,]+ tokens; give more text or a smaller --sequence-length"):
        main(["pretrain", str(small), *MODEL, *QUICK, "--output", str(tmp_path / "run"),
              "--debug"])
    assert not (tmp_path / "run").exists()


def write_labelled(path: Path, labels: list, rng: random.Random) -> None:
    rows = [{"text": f"{label} {sentence(rng, 8)}", "label": label} for label in labels]
    if path.suffix == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["text", "label"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.fixture(scope="module")
def encoder(shapes, tmp_path_factory):
    output = tmp_path_factory.mktemp("encoder") / "encoder"
    assert main(["pretrain", "--family", "encoder", str(shapes["lines"]), *MODEL, *QUICK, "--output", str(output)]) == 0
    return output


@pytest.mark.parametrize("name, labels", [
    ("strings.jsonl", ["good", "bad", "meh"] * 80),
    ("integers.csv", [0, 1, 2] * 80),
    ("rare-class.jsonl", ["good", "bad"] * 119 + ["rare"] * 2),  # "rare" ends up in no held-out split
])
def test_labelled_files_finetune_and_evaluate(encoder, tmp_path, name, labels):
    data_file = tmp_path / name
    write_labelled(data_file, labels, random.Random(1))
    if name.startswith("rare"):
        held_out = load_text(files=[data_file], label_column="label")
        assert "rare" in held_out["train"]["label"]
        assert "rare" not in list(held_out["validation"]["label"]) + list(held_out["test"]["label"])
    output = tmp_path / "classifier"
    assert main(["finetune", str(encoder), str(data_file), *QUICK, "--output", str(output)]) == 0
    config = json.loads((output / "config.json").read_text())
    assert sorted(config["label2id"]) == sorted({str(label) for label in labels})
    for split in ("validation", "test"):
        assert main(["evaluate", str(output), str(data_file), "--eval-split", split, "--json",
                     str(tmp_path / f"{split}.json")]) == 0
        metrics = json.loads((tmp_path / f"{split}.json").read_text())
        assert 0 <= metrics["accuracy"] <= 1 and 0 <= metrics["majority_baseline_accuracy"] <= 1


def test_a_label_the_model_does_not_know_is_named(encoder, tmp_path):
    train, unknown = tmp_path / "train.jsonl", tmp_path / "unknown.jsonl"
    write_labelled(train, ["good", "bad"] * 30, random.Random(2))
    write_labelled(unknown, ["good", "bad"] * 29 + ["awful", "awful"], random.Random(3))
    output = tmp_path / "classifier"
    assert main(["finetune", str(encoder), str(train), *QUICK, "--output", str(output)]) == 0
    with pytest.raises(UserError, match="has the label 'awful', which the model does not know; its labels are bad, "
                                        "good"):
        main(["evaluate", str(output), str(unknown), "--debug"])
