"""The model card reads the run's typed summary by field: every recipe's scores reach the card and its model-index,
whatever their split (validation when the data has no test split) and task."""

import json
import shutil

import yaml

from minformer.hub.card import render_card
from minformer.run_summary import RunSummary, Score


def test_scores_of_any_recipe_and_split_reach_the_card(tiny_encoder, tmp_path):
    folder = tmp_path / "tagger"
    shutil.copytree(tiny_encoder, folder, ignore=shutil.ignore_patterns("checkpoint-*"))
    task = "token-classification"
    RunSummary(steps=30, tokens_seen=7_000, train_seconds=2.0, tokens_per_second=3_500.0, total_seconds=4.0,
               data="local files: tags.jsonl", data_id="user/tags", scores=[
                   Score("validation_token_accuracy", "validation token accuracy", "accuracy", "validation", task,
                         0.8125),
                   Score("validation_token_macro_f1", "validation token macro-F1", "f1", "validation", task, 0.5),
                   Score("majority_baseline_accuracy", "validation accuracy", "accuracy", "validation", task, 0.75,
                         baseline="majority class")]).write(folder)
    card = str(render_card(folder, "user/tagger"))
    metadata = yaml.safe_load(card.split("---")[1])
    results = metadata["model-index"][0]["results"]
    found = {(r["task"]["type"], r["dataset"]["split"], m["name"], m["value"]) for r in results for m in r["metrics"]}
    assert found == {(task, "validation", "validation token accuracy", 0.8125),
                     (task, "validation", "validation token macro-F1", 0.5)}  # the baseline is not the model's
    assert metadata["datasets"] == ["user/tags"]
    assert "| validation token accuracy | 0.8125 |" in card
    assert "| baseline (majority class): validation accuracy | 0.7500 |" in card
    assert "tokens seen: 7,000" in card


def test_the_card_names_the_optimiser_the_run_trained_with(tiny_encoder, tmp_path):
    options = json.loads((tiny_encoder / "training_options.json").read_text())
    assert options["optimizer"] == "muon"  # the encoder's pretrain default
    card = str(render_card(tiny_encoder, "user/encoder"))
    assert "- optimiser: Muon for the blocks' weight matrices, AdamW for the rest, peak learning rate 0.003," in card
    folder = tmp_path / "adamw"
    shutil.copytree(tiny_encoder, folder, ignore=shutil.ignore_patterns("checkpoint-*"))
    (folder / "training_options.json").write_text(json.dumps({**options, "optimizer": "adamw"}))
    assert "- optimiser: AdamW, peak learning rate" in str(render_card(folder, "user/adamw"))


def test_a_folder_without_a_summary_says_so(tiny_encoder, tmp_path):
    folder = tmp_path / "bare"
    shutil.copytree(tiny_encoder, folder, ignore=shutil.ignore_patterns("checkpoint-*", "summary.json"))
    card = str(render_card(folder, "user/bare"))
    assert "No evaluation results were recorded" in card and "No training record was found" in card
