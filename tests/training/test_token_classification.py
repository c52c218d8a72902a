"""`minformer finetune --task token-classification`: word labels aligned to byte-level BPE tokens, end to end."""

import json

from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

from minformer.cli.main import main
from minformer.training.token_classification import align
from tests.training.conftest import TINY_RUN


def test_word_labels_land_on_each_words_first_token(tiny_encoder):
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    words = ["Call", "os.path.join", "on", "the", "parts."]
    aligned = align({"text": [words], "label": [[0, 1, 0, 0, 0]]}, tokenizer, 64)
    ids, labels = aligned["input_ids"][0], aligned["labels"][0]
    labelled = [i for i, label in enumerate(labels) if label != -100]
    assert len(labelled) == len(words)  # exactly one labelled token per word
    assert [labels[i] for i in labelled] == [0, 1, 0, 0, 0]
    for index, word in zip(labelled, words):  # and it is the token where the word starts
        assert tokenizer.decode([ids[index]]).strip() and word.startswith(tokenizer.decode([ids[index]]).strip())
    assert labels[0] == -100 and labels[-1] == -100  # <s> and </s>


def test_finetune_token_classifier_on_the_builtin_task(tiny_encoder, tmp_path):
    output = tmp_path / "tagger"
    assert main(["finetune", str(tiny_encoder), "--task", "token-classification", "--builtin", *TINY_RUN,
                 "--max-steps", "30", "--max-length", "64", "--output", str(output)]) == 0
    summary = json.loads((output / "summary.json").read_text())
    assert 0 <= summary["test_token_accuracy"] <= 1 and summary["majority_baseline_accuracy"] > 0.5
    model = AutoModelForTokenClassification.from_pretrained(output)
    assert model.config.id2label == {0: "O", 1: "CODE"}
    tagger = pipeline("token-classification", model=str(output), ignore_labels=[])
    assert {r["entity"] for r in tagger("Call os.path.join here.")} <= {"O", "CODE"}
    losses = [e["loss"] for e in json.loads((output / "trainer_state.json").read_text())["log_history"] if "loss" in e]
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3
