"""The recipe runner and what it shares: one label mapping for texts and words, the typed summary, and the options
every recipe honours (the drifts the separate copies had: the attention backend, tokens per step)."""

import json

import datasets
import pytest

from minformer.cli.main import main
from minformer.errors import UserError
from minformer.run_summary import RunSummary
from minformer.training import recipe
from minformer.training.labels import label_names
from tests.training.conftest import TINY_RUN


def labelled(train: list, validation: list, per_token: bool = False) -> datasets.DatasetDict:
    def rows(labels):
        texts = [["w"] * len(tags) for tags in labels] if per_token else ["text"] * len(labels)
        return datasets.Dataset.from_dict({"text": texts, "label": labels})

    return datasets.DatasetDict(train=rows(train), validation=rows(validation))


@pytest.mark.parametrize("per_token", [False, True])
def test_one_label_mapping_for_texts_and_words(per_token):
    wrap = (lambda labels: [[label] for label in labels]) if per_token else (lambda labels: labels)
    flat = (lambda column: [row[0] for row in column]) if per_token else (lambda column: list(column))

    # strings become classes in sorted order, the same for every split (a class missing from validation included)
    data, names = label_names(labelled(wrap(["neg", "pos", "mid"]), wrap(["pos"]), per_token), per_token=per_token)
    assert names == ["mid", "neg", "pos"]
    assert flat(data["train"]["label"]) == [1, 2, 0] and flat(data["validation"]["label"]) == [2]

    # integers are class ids, never renumbered (token tags too, which used to be sorted as strings: 10 before 2)
    ids = list(range(11))
    data, names = label_names(labelled(wrap(ids), wrap([10, 2]), per_token), per_token=per_token)
    assert names == [str(i) for i in ids] and flat(data["validation"]["label"]) == [10, 2]
    with pytest.raises(UserError, match="class ids 1 never occur"):
        label_names(labelled(wrap([0, 2]), wrap([0]), per_token), per_token=per_token)
    assert label_names(labelled(wrap([0, 2]), wrap([0]), per_token), num_labels=3, per_token=per_token)[1] == \
        ["0", "1", "2"]
    with pytest.raises(UserError, match="--num-labels is 4"):
        label_names(labelled(wrap(["a", "b"]), wrap(["a"]), per_token), num_labels=4, per_token=per_token)


def test_class_label_features_keep_their_names():
    feature = datasets.ClassLabel(names=["O", "CODE"])
    data = datasets.DatasetDict(train=datasets.Dataset.from_dict(
        {"text": [["a", "b"]], "label": [[0, 1]]},
        features=datasets.Features({"text": datasets.Sequence(datasets.Value("string")),
                                    "label": datasets.Sequence(feature)})))
    assert label_names(data, per_token=True)[1] == ["O", "CODE"]


def test_token_classification_honours_the_attention_backend(tiny_encoder, tmp_path, monkeypatch):
    seen = []
    original = recipe.use_attention

    def spy(model, implementation):
        original(model, implementation)
        seen.append((type(model).__name__, model.config._attn_implementation))

    monkeypatch.setattr(recipe, "use_attention", spy)
    output = tmp_path / "tagger"
    assert main(["finetune", str(tiny_encoder), "--task", "token-classification", "--builtin", *TINY_RUN,
                 "--max-steps", "2", "--max-length", "256", "--attn-implementation", "chunked",
                 "--output", str(output)]) == 0
    assert seen == [("MinformerEncoderForTokenClassification", "chunked")]
    summary = json.loads((output / "summary.json").read_text())
    # tokens per step count the real tokens of a batch (not max_length): fewer than max_length per sequence
    assert 2 * 8 <= summary["tokens_seen"] < 2 * 8 * 256
    typed = RunSummary.read(output)
    assert {s.key: s.task for s in typed.scores} == {"test_token_accuracy": "token-classification",
                                                     "test_token_macro_f1": "token-classification",
                                                     "majority_baseline_accuracy": "token-classification"}


def test_subnormal_floats_are_flushed_only_while_training(tmp_path, monkeypatch):
    import torch
    from transformers import Trainer

    tiny = torch.tensor([1e-40])  # subnormal in float32
    seen = []
    original = Trainer.train

    def spy(self, *args, **kwargs):
        seen.append(float(tiny * 1.0))  # 0.0 while subnormals are flushed
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train", spy)
    assert main(["pretrain", "--builtin", "--hidden-size", "32", "--num-hidden-layers", "1", "--num-attention-heads",
                 "2", "--intermediate-size", "64", "--sequence-length", "32", "--vocab-size", "300", "--max-steps",
                 "1", "--batch-size", "4", "--output", str(tmp_path / "run")]) == 0
    assert seen == [0.0]
    assert float(tiny * 1.0) > 0  # the process-wide flag is cleared afterwards
