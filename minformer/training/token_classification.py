"""Fine-tuning an encoder for token classification (one label per word, e.g. NER-style tags) with the Trainer.

Words are joined with spaces and tokenised once; each token is mapped back to its word through the fast
tokenizer's character offsets, and only a word's first token carries its label (the rest get -100), the usual
word-level scheme, which works with byte-level BPE without pre-tokenised input."""

import time
from dataclasses import dataclass, field

import datasets
from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification, set_seed

from ..data import SourceOptions
from ..errors import UserError
from ..loading import check_vocabulary, load_config, load_tokenizer, load_weights
from ..metrics import load_metric
from ..validation import check_positive_int
from .options import RunOptions
from .run_folder import claimed_run
from .setup import finish, training_arguments
from .trainer import MinformerTrainer


@dataclass
class TokenClassificationOptions:
    model: str = ""  # a pretrained minformer encoder folder or Hub repo id (with its tokenizer)
    source: SourceOptions = field(default_factory=SourceOptions)  # text column: words; label column: their tags
    run: RunOptions = field(default_factory=lambda: RunOptions(learning_rate=3e-4))
    max_length: int = 128


def align(batch: dict, tokenizer, max_length: int) -> dict:
    """input_ids for the space-joined words and labels on each word's first token (-100 elsewhere)."""
    texts, starts = [], []
    for words in batch["text"]:
        positions, offset = [], 0
        for word in words:
            positions.append(offset)
            offset += len(word) + 1
        texts.append(" ".join(words))
        starts.append(positions)
    encoded = tokenizer(texts, truncation=True, max_length=max_length, return_offsets_mapping=True)
    labels = []
    for text, offsets, word_starts, tags in zip(texts, encoded["offset_mapping"], starts, batch["label"]):
        start_to_tag = dict(zip(word_starts, tags))
        row = []
        for begin, end in offsets:
            piece = text[begin:end]
            if not piece.strip():  # special tokens (empty span) and pure-space tokens carry no label
                row.append(-100)
                continue
            # byte-level BPE puts the space before a word into its first token: the word starts after it
            row.append(start_to_tag.pop(begin + len(piece) - len(piece.lstrip()), -100))
        labels.append(row)
    return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"], "labels": labels}


def token_metrics(model, encoded: datasets.Dataset, collator, batch_size: int = 16) -> dict:
    import torch
    from torch.utils.data import DataLoader

    accuracy, f1 = load_metric("accuracy"), load_metric("f1")
    model.eval()
    with torch.no_grad():
        for batch in DataLoader(encoded, batch_size=batch_size, collate_fn=collator):
            labels = batch.pop("labels")
            predictions = model(**batch).logits.argmax(-1)
            keep = labels != -100
            accuracy.add_batch(predictions=predictions[keep].tolist(), references=labels[keep].tolist())
            f1.add_batch(predictions=predictions[keep].tolist(), references=labels[keep].tolist())
    return {**accuracy.compute(), **f1.compute()}


def check_rows(data: datasets.DatasetDict, text_flag: str, label_flag: str) -> None:
    """Each row must hold a list of words and a list of as many tags; name the first row that does not."""
    for split, rows in data.items():
        for row, (words, tags) in enumerate(zip(rows["text"], rows["label"])):
            if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
                raise UserError(f"row {row + 1} of the {split} split: {text_flag} must hold a list of words (e.g. "
                                f'["Alice", "met", "Bob"]), got {type(words).__name__} {str(words)[:40]!r}.')
            if not isinstance(tags, list) or len(tags) != len(words):
                count = f"{len(tags)} tags" if isinstance(tags, list) else f"a {type(tags).__name__}"
                raise UserError(f"row {row + 1} of the {split} split has {len(words)} words but {count} in "
                                f"{label_flag}; give one tag per word.")
            if any(tag is None for tag in tags):
                raise UserError(f"row {row + 1} of the {split} split has an empty tag; give every word a tag.")


def finetune_tokens(options: TokenClassificationOptions) -> dict:
    run = options.run
    check_positive_int(options.max_length, "--max-length")
    config = load_config(options.model, families=("encoder",))
    tokenizer = load_tokenizer(options.model)
    check_vocabulary(tokenizer, config, options.model)
    with claimed_run(run, inputs=[options.model, *options.source.files]) as folder:
        return _finetune_tokens(options, config, tokenizer, folder)


def _finetune_tokens(options: TokenClassificationOptions, config, tokenizer, folder) -> dict:
    run = options.run
    started = time.perf_counter()
    set_seed(run.seed)
    data = options.source.load(builtin="tokens", text_column=options.source.text_column,
                               label_column=options.source.label_column)
    if options.source.builtin:
        data = data.rename_columns({"tokens": "text", "tags": "label"})
    check_rows(data, "--text-column", "--label-column")
    feature = data["train"].features["label"]
    names = list(feature.feature.names) if isinstance(getattr(feature, "feature", None), datasets.ClassLabel) else \
        sorted({tag for split in data.values() for tags in split["label"] for tag in tags}, key=str)
    if not isinstance(getattr(feature, "feature", None), datasets.ClassLabel):
        index = {name: i for i, name in enumerate(names)}
        data = data.map(lambda row: {"label": [index[tag] for tag in row["label"]]})
        names = [str(name) for name in names]
    model = load_weights(AutoModelForTokenClassification, options.model, num_labels=len(names),
                         id2label=dict(enumerate(names)), label2id={name: i for i, name in enumerate(names)})
    max_length = min(options.max_length, config.max_position_embeddings)  # the model's longest input
    encoded = data.map(lambda batch: align(batch, tokenizer, max_length), batched=True,
                       remove_columns=data["train"].column_names, desc="Aligning labels")
    collator = DataCollatorForTokenClassification(tokenizer)
    folder.prepare()
    trainer = MinformerTrainer(model=model, args=training_arguments(run, folder), train_dataset=encoded["train"],
                               eval_dataset=encoded["validation"], data_collator=collator, processing_class=tokenizer)
    train_seconds = trainer.train(resume_from_checkpoint=folder.checkpoint).metrics["train_runtime"]
    split = "test" if "test" in encoded else "validation"
    metrics = token_metrics(trainer.model, encoded[split], collator)
    counts = [tag for tags in data["train"]["label"] for tag in tags]
    majority = max(set(counts), key=counts.count)
    gold = [tag for tags in encoded[split]["labels"] for tag in tags if tag != -100]
    final = {f"{split}_token_accuracy": metrics["accuracy"], f"{split}_token_macro_f1": metrics["f1"],
             "majority_baseline_accuracy": sum(tag == majority for tag in gold) / len(gold),
             "base_model": options.model, **options.source.describe("token-classification")}
    tokens_per_step = max_length * run.batch_size * run.gradient_accumulation_steps
    return finish(trainer, run, folder, started, train_seconds, tokens_per_step, final,
                  "token-classification fine-tuning")
