"""Fine-tuning a pretrained minformer model (encoder or decoder) for sequence classification with the Trainer."""

import time
from dataclasses import dataclass, field

import datasets
import numpy as np
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, set_seed

from ..data import classification_collator, tokenize
from ..metrics import load_metric
from .evaluation import classification_metrics, majority_baseline
from .options import RunOptions, SourceOptions
from .setup import check_vocabulary, claim_output, finish, training_arguments
from .trainer import MinformerTrainer


@dataclass
class FinetuneOptions:
    model: str = ""  # a pretrained minformer folder or Hub repo id (with its tokenizer)
    source: SourceOptions = field(default_factory=SourceOptions)
    run: RunOptions = field(default_factory=lambda: RunOptions(learning_rate=3e-4))
    max_length: int = 128  # longer texts are truncated
    num_labels: int | None = None  # checked against the data; None means "as many as the data has"


def label_names(data: datasets.DatasetDict, num_labels: int | None) -> tuple[datasets.DatasetDict, list[str]]:
    """The class names, with labels turned into ids 0..L-1; a label outside `num_labels` is an error."""
    feature = data["train"].features["label"]
    if isinstance(feature, datasets.ClassLabel):
        names = list(feature.names)
    else:
        values = sorted({value for split in data.values() for value in split["label"]}, key=str)
        if all(isinstance(v, int) for v in values) and values and min(values) >= 0:
            names = [str(v) for v in range(max(values) + 1)]
        else:
            names = [str(v) for v in values]
            index = {value: i for i, value in enumerate(values)}
            data = data.map(lambda row: {"label": index[row["label"]]})
    if num_labels is not None and len(names) != num_labels:
        raise ValueError(f"the data has {len(names)} labels ({', '.join(names[:10])}) but --num-labels is "
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
    checkpoint = claim_output(run)
    started = time.perf_counter()
    set_seed(run.seed)
    data = options.source.load(builtin="labelled", label_column=options.source.label_column)
    data, names = label_names(data, options.num_labels)
    tokenizer = AutoTokenizer.from_pretrained(options.model)
    config = AutoConfig.from_pretrained(checkpoint or options.model)
    check_vocabulary(tokenizer, config, options.model)
    model = AutoModelForSequenceClassification.from_pretrained(
        options.model, num_labels=len(names), id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)}, attn_implementation=run.attn_implementation,
    )
    print(f"fine-tuning {type(model).__name__} from {options.model} on {len(data['train']):,} examples, "
          f"{len(names)} labels")
    max_length = min(options.max_length, config.max_position_embeddings)  # the model's longest input
    encoded = tokenize(data, tokenizer, max_length=max_length, num_proc=run.num_proc)
    collator = classification_collator(tokenizer)
    trainer = MinformerTrainer(
        model=model, args=training_arguments(run), train_dataset=encoded["train"],
        eval_dataset=encoded["validation"], data_collator=collator, processing_class=tokenizer,
        compute_metrics=_compute_metrics,
    )
    start_step = int(checkpoint.rsplit("-", 1)[-1]) if checkpoint else 0
    train_seconds = trainer.train(resume_from_checkpoint=checkpoint).metrics["train_runtime"]
    evaluation = "test" if "test" in encoded else "validation"
    metrics = classification_metrics(trainer.model, encoded[evaluation], collator)
    final = {f"{evaluation}_accuracy": metrics["accuracy"], f"{evaluation}_macro_f1": metrics["f1"],
             "majority_baseline_accuracy": majority_baseline(data["train"]["label"], data[evaluation]["label"]),
             "base_model": options.model, **options.source.describe("labelled")}
    mean_tokens = sum(len(ids) for ids in encoded["train"]["input_ids"]) / len(encoded["train"])
    tokens_per_step = round(mean_tokens * run.batch_size * run.gradient_accumulation_steps * trainer.args.world_size)
    return finish(trainer, run, started, train_seconds, start_step, tokens_per_step, final,
                  f"fine-tuning {type(model).__name__}")
