"""Fine-tuning a pretrained minformer model (encoder or decoder) for sequence classification with the Trainer."""

import time
from dataclasses import dataclass, field

import datasets
import numpy as np
from transformers import AutoModelForSequenceClassification, set_seed

from ..data import SourceOptions, classification_collator, tokenize
from ..errors import UserError
from ..loading import check_vocabulary, load_config, load_tokenizer, load_weights
from ..metrics import load_metric
from ..validation import check_positive_int
from .evaluation import classification_metrics, majority_baseline
from .options import RunOptions
from .run_folder import claimed_run
from .setup import finish, training_arguments
from .trainer import MinformerTrainer


@dataclass
class FinetuneOptions:
    model: str = ""  # a pretrained minformer folder or Hub repo id (with its tokenizer)
    source: SourceOptions = field(default_factory=SourceOptions)
    run: RunOptions = field(default_factory=lambda: RunOptions(learning_rate=3e-4))
    max_length: int = 128  # longer texts are truncated
    num_labels: int | None = None  # checked against the data; None means "as many as the data has"


def _check_filled(data: datasets.DatasetDict) -> None:
    """Refuse an empty label cell (None, NaN from a CSV, or blank text), naming its row."""
    for split, rows in data.items():
        for row, value in enumerate(rows["label"]):
            if value is None or value != value or (isinstance(value, str) and not value.strip()):
                raise UserError(f"row {row + 1} of the {split} split has an empty label; give every row a label (or "
                                "remove the rows without one).")


def _class_count(values: list[int], num_labels: int | None) -> int:
    """How many classes integer labels (class ids) stand for: 0..max unless --num-labels says more; gaps in the ids
    without --num-labels are refused (labels {0, 1, 7} would silently make 8 classes)."""
    if min(values) < 0:
        raise UserError(f"integer labels must be class ids 0, 1, 2, ...; the data has {min(values)}.")
    count = num_labels if num_labels is not None else max(values) + 1
    if max(values) >= count:
        raise UserError(f"the data has label {max(values)} but --num-labels is {num_labels}; class ids must be "
                        f"below it: pass --num-labels {max(values) + 1} or fix the label column.")
    absent = sorted(set(range(count)) - set(values))
    if absent and num_labels is None:
        raise UserError(f"the integer labels are {', '.join(map(str, values[:10]))}: class ids "
                        f"{', '.join(map(str, absent[:10]))} never occur. Pass --num-labels {count} if the model "
                        f"should still have {count} classes, or renumber the labels 0..{len(values) - 1}.")
    return count


def label_names(data: datasets.DatasetDict, num_labels: int | None) -> tuple[datasets.DatasetDict, list[str]]:
    """The class names, with labels turned into ids 0..L-1 (integer labels are already class ids); a count that
    does not match `num_labels` is an error."""
    if num_labels is not None:
        check_positive_int(num_labels, "--num-labels")
    feature = data["train"].features["label"]
    if isinstance(feature, datasets.ClassLabel):
        names = list(feature.names)
    else:
        _check_filled(data)
        values = sorted({value for split in data.values() for value in split["label"]}, key=str)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return data, [str(v) for v in range(_class_count(values, num_labels))]
        names = [str(v) for v in values]
        index = {value: i for i, value in enumerate(values)}
        data = data.map(lambda row: {"label": index[row["label"]]})
    if num_labels is not None and len(names) != num_labels:
        raise UserError(f"the data has {len(names)} labels ({', '.join(names[:10])}) but --num-labels is "
                        f"{num_labels}; pass --num-labels {len(names)} or fix the label column.")
    return data, names


def _compute_metrics(prediction) -> dict:
    predictions = np.argmax(prediction.predictions, axis=-1).tolist()
    references = prediction.label_ids.tolist()
    accuracy = load_metric("accuracy").compute(predictions=predictions, references=references)
    return {**accuracy, **load_metric("f1").compute(predictions=predictions, references=references)}


def finetune(options: FinetuneOptions) -> dict:
    """Fine-tune, evaluate on the test split against the majority-class baseline, save; return the summary."""
    run = options.run
    check_positive_int(options.max_length, "--max-length")
    config = load_config(options.model)
    tokenizer = load_tokenizer(options.model)
    check_vocabulary(tokenizer, config, options.model)
    with claimed_run(run, inputs=[options.model, *options.source.files]) as folder:
        started = time.perf_counter()
        set_seed(run.seed)
        data = options.source.load(builtin="labelled", label_column=options.source.label_column)
        data, names = label_names(data, options.num_labels)
        model = load_weights(AutoModelForSequenceClassification, options.model, num_labels=len(names),
                             id2label=dict(enumerate(names)), label2id={name: i for i, name in enumerate(names)},
                             attn_implementation=run.attn_implementation)
        print(f"fine-tuning {type(model).__name__} from {options.model} on {len(data['train']):,} examples, "
              f"{len(names)} labels")
        max_length = min(options.max_length, config.max_position_embeddings)  # the model's longest input
        encoded = tokenize(data, tokenizer, max_length=max_length, num_proc=run.num_proc)
        collator = classification_collator(tokenizer)
        folder.prepare()
        trainer = MinformerTrainer(
            model=model, args=training_arguments(run, folder), train_dataset=encoded["train"],
            eval_dataset=encoded["validation"], data_collator=collator, processing_class=tokenizer,
            compute_metrics=_compute_metrics,
        )
        train_seconds = trainer.train(resume_from_checkpoint=folder.checkpoint).metrics["train_runtime"]
        evaluation = "test" if "test" in encoded else "validation"
        metrics = classification_metrics(trainer.model, encoded[evaluation], collator)
        final = {f"{evaluation}_accuracy": metrics["accuracy"], f"{evaluation}_macro_f1": metrics["f1"],
                 "majority_baseline_accuracy": majority_baseline(data["train"]["label"], data[evaluation]["label"]),
                 "base_model": options.model, **options.source.describe("labelled")}
        mean_tokens = sum(len(ids) for ids in encoded["train"]["input_ids"]) / len(encoded["train"])
        tokens_per_step = round(mean_tokens * run.batch_size * run.gradient_accumulation_steps
                                * trainer.args.world_size)
        return finish(trainer, run, folder, started, train_seconds, tokens_per_step, final,
                      f"fine-tuning {type(model).__name__}")
