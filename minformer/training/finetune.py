"""Fine-tuning a pretrained minformer model (encoder or decoder) for sequence classification with the Trainer,
judged by accuracy and macro-F1 against always predicting the majority class."""

from dataclasses import dataclass, field

import datasets
import numpy as np
from transformers import AutoModelForSequenceClassification

from ..data import SourceOptions, classification_collator, tokenize
from ..loading import check_vocabulary, load_config, load_tokenizer, load_weights
from ..metrics import load_metric
from ..run_summary import Score
from ..validation import check_positive_int
from .evaluation import classification_metrics, majority_baseline
from .labels import label_maps, label_names
from .options import RunOptions
from .recipe import Evaluation, Recipe, Setup, run_recipe
from .run_folder import RunFolder


@dataclass
class FinetuneOptions:
    model: str = ""  # a pretrained minformer folder or Hub repo id (with its tokenizer)
    source: SourceOptions = field(default_factory=SourceOptions)
    run: RunOptions = field(default_factory=lambda: RunOptions(learning_rate=3e-4))
    max_length: int = 128  # longer texts are truncated
    num_labels: int | None = None  # checked against the data; None means "as many as the data has"


def _compute_metrics(prediction) -> dict:
    predictions = np.argmax(prediction.predictions, axis=-1).tolist()
    references = prediction.label_ids.tolist()
    accuracy = load_metric("accuracy").compute(predictions=predictions, references=references)
    return {**accuracy, **load_metric("f1").compute(predictions=predictions, references=references)}


def mean_tokens(dataset: datasets.Dataset) -> float:
    """Mean tokens per example of a tokenized dataset (its real tokens, not the batch's padding)."""
    return sum(len(ids) for ids in dataset["input_ids"]) / len(dataset)


class Classification(Recipe):
    """A pretrained model with a new classification head, trained on labelled texts."""

    builtin = "labelled"
    families = ("decoder", "encoder")  # the pretrained model's
    model_class = AutoModelForSequenceClassification
    task = "text-classification"  # of its scores on the Hub
    score_prefix = ""  # of its score names (token classification: "token_")

    def __init__(self, options):
        self.options, self.run, self.source = options, options.run, options.source

    def inputs(self) -> list:
        return [self.options.model, *self.source.files]

    def check(self) -> None:
        check_positive_int(self.options.max_length, "--max-length")
        self.config = load_config(self.options.model, families=self.families)
        self.tokenizer = load_tokenizer(self.options.model)
        check_vocabulary(self.tokenizer, self.config, self.options.model)

    def load_data(self) -> datasets.DatasetDict:
        data = self.source.load(builtin=self.builtin, label_column=self.source.label_column)
        data, self.names = label_names(data, self.options.num_labels)
        return data

    def encode(self, data: datasets.DatasetDict, max_length: int) -> datasets.DatasetDict:
        """The model inputs (and labels) of every split."""
        return tokenize(data, self.tokenizer, max_length=max_length, num_proc=self.run.num_proc)

    def collator(self):
        """Pads a batch of encoded examples."""
        return classification_collator(self.tokenizer)

    def setup(self, data: datasets.DatasetDict, folder: RunFolder, args) -> Setup:
        model = load_weights(self.model_class, self.options.model, **label_maps(self.names))
        print(f"fine-tuning {type(model).__name__} from {self.options.model} on {len(data['train']):,} examples, "
              f"{len(self.names)} labels")
        max_length = min(self.options.max_length, self.config.max_position_embeddings)  # the model's longest input
        self.encoded = self.encode(data, max_length)
        return Setup(model=model, tokenizer=self.tokenizer, train_dataset=self.encoded["train"],
                     eval_dataset=self.encoded["validation"], data_collator=self.collator(),
                     tokens_per_sequence=mean_tokens(self.encoded["train"]),
                     title=f"fine-tuning {type(model).__name__}", compute_metrics=self.compute_metrics())

    def compute_metrics(self):
        """The Trainer's metrics at each evaluation."""
        return _compute_metrics

    def gold_labels(self, split: str) -> tuple[list[int], list[int]]:
        """The training labels and the labels of `split` that the classifier is scored on."""
        return self.encoded["train"]["label"], self.encoded[split]["label"]

    def evaluate(self, trainer, setup: Setup, data: datasets.DatasetDict) -> Evaluation:
        split = "test" if "test" in self.encoded else "validation"
        metrics = classification_metrics(trainer.model, self.encoded[split], setup.data_collator)
        key, name = f"{split}_{self.score_prefix}", f"{split} {self.score_prefix.replace('_', ' ')}"
        scores = [Score(f"{key}accuracy", f"{name}accuracy", "accuracy", split, self.task, metrics["accuracy"]),
                  Score(f"{key}macro_f1", f"{name}macro-F1", "f1", split, self.task, metrics["f1"]),
                  Score("majority_baseline_accuracy", f"{split} accuracy", "accuracy", split, self.task,
                        majority_baseline(*self.gold_labels(split)), baseline="majority class")]
        return Evaluation(scores, base_model=self.options.model)


def finetune(options: FinetuneOptions) -> dict:
    """Fine-tune, evaluate on the test split against the majority-class baseline, save; return the summary."""
    return run_recipe(Classification(options))
