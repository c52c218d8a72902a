"""`minformer finetune`, `evaluate` and `generate` on the tiny pretrained models; metrics checked by hand."""

import json

import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer, pipeline

from minformer.cli.main import main
from minformer.data import builtin_labelled
from tests.training.conftest import TINY_RUN


def predictions_by_hand(model_dir, texts):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    predicted = []
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(text, truncation=True, max_length=32, return_tensors="pt")
            predicted.append(int(model(**ids).logits.argmax(-1)))
    return predicted


def macro_f1(predicted, gold):
    scores = []
    for label in sorted(set(predicted) | set(gold)):
        tp = sum(p == g == label for p, g in zip(predicted, gold))
        precision = tp / max(1, predicted.count(label))
        recall = tp / max(1, gold.count(label))
        scores.append(0 if tp == 0 else 2 * precision * recall / (precision + recall))
    return sum(scores) / len(scores)


def test_finetune_encoder_then_evaluate_matches_accuracy_by_hand(tiny_encoder, tmp_path, capsys):
    output = tmp_path / "classifier"
    assert main(["finetune", str(tiny_encoder), "--builtin", *TINY_RUN, "--max-steps", "80", "--max-length", "32",
                 "--output", str(output)]) == 0
    summary = json.loads((output / "summary.json").read_text())
    test = builtin_labelled()["test"]
    predicted = predictions_by_hand(output, test["text"])
    gold = test["label"]
    accuracy = sum(p == g for p, g in zip(predicted, gold)) / len(gold)
    assert abs(summary["test_accuracy"] - accuracy) < 1e-9
    assert abs(summary["test_macro_f1"] - macro_f1(predicted, gold)) < 1e-9
    config = json.loads((output / "config.json").read_text())
    assert config["id2label"]["0"] == "asyncio" and len(config["id2label"]) == 8
    classify = pipeline("text-classification", model=str(output))
    assert classify("Create a new event loop.")[0]["label"] in config["label2id"]
    losses = [e["loss"] for e in json.loads((output / "trainer_state.json").read_text())["log_history"] if "loss" in e]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5  # the classifier learns

    capsys.readouterr()
    assert main(["evaluate", str(output), "--builtin", "--block-size", "32", "--json", str(tmp_path / "m.json")]) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert abs(metrics["accuracy"] - accuracy) < 1e-9 and "majority_baseline_accuracy" in metrics


def test_finetune_a_decoder_as_a_classifier(tiny_decoder, tmp_path):
    output = tmp_path / "decoder-classifier"
    assert main(["finetune", str(tiny_decoder), "--builtin", *TINY_RUN, "--max-steps", "10", "--max-length", "32",
                 "--output", str(output)]) == 0
    model = AutoModelForSequenceClassification.from_pretrained(output)
    assert type(model).__name__ == "MinformerDecoderForSequenceClassification"


def test_evaluate_language_model_reports_perplexity_and_unigram_baseline(tiny_decoder, tmp_path, capsys):
    assert main(["evaluate", str(tiny_decoder), "--builtin", "--eval-split", "validation", "--block-size", "32",
                 "--json", str(tmp_path / "m.json")]) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    summary = json.loads((tiny_decoder / "summary.json").read_text())
    assert abs(metrics["perplexity"] - summary["validation_perplexity"]) < 1e-6 * summary["validation_perplexity"]
    assert metrics["unigram_perplexity"] > 1 and "perplexity" in capsys.readouterr().out


def test_generate_greedy_matches_model_generate(tiny_decoder, capsys):
    assert main(["generate", str(tiny_decoder), "Return the", "The", "--greedy", "--max-new-tokens", "8"]) == 0
    printed = capsys.readouterr().out
    tokenizer = AutoTokenizer.from_pretrained(tiny_decoder)
    model = AutoModelForCausalLM.from_pretrained(tiny_decoder)
    expected = model.generate(**tokenizer(["Return the"], return_tensors="pt"), max_new_tokens=8, do_sample=False)
    assert tokenizer.decode(expected[0], skip_special_tokens=True) in printed
    assert printed.count("--- sample") == 2
    assert main(["generate", str(tiny_decoder), "x", "--num-samples", "3", "--max-new-tokens", "4"]) == 0
    assert capsys.readouterr().out.count("--- sample") == 3
