"""Fine-tuning an encoder for token classification (one label per word, e.g. NER-style tags) with the Trainer.

Words are joined with spaces and tokenised once; each token is mapped back to its word through the fast
tokenizer's character offsets, and only a word's first token carries its label (the rest get -100), the usual
word-level scheme, which works with byte-level BPE without pre-tokenised input."""

import time
from dataclasses import dataclass, field

import datasets
from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification
from transformers import set_seed

from ..metrics import load_metric
from .options import RunOptions, SourceOptions
from .setup import check_vocabulary, claim_output, finish, training_arguments
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


def finetune_tokens(options: TokenClassificationOptions) -> dict:
    run = options.run
    checkpoint = claim_output(run)
    started = time.perf_counter()
    set_seed(run.seed)
    data = options.source.load(builtin="tokens", text_column=options.source.text_column,
                               label_column=options.source.label_column)
    if options.source.builtin:
        data = data.rename_columns({"tokens": "text", "tags": "label"})
    feature = data["train"].features["label"]
    names = list(feature.feature.names) if isinstance(getattr(feature, "feature", None), datasets.ClassLabel) else \
        sorted({tag for split in data.values() for tags in split["label"] for tag in tags}, key=str)
    if not isinstance(getattr(feature, "feature", None), datasets.ClassLabel):
        index = {name: i for i, name in enumerate(names)}
        data = data.map(lambda row: {"label": [index[tag] for tag in row["label"]]})
        names = [str(name) for name in names]
    tokenizer = AutoTokenizer.from_pretrained(options.model)
    config = AutoConfig.from_pretrained(checkpoint or options.model)
    check_vocabulary(tokenizer, config, options.model)
    model = AutoModelForTokenClassification.from_pretrained(
        options.model, num_labels=len(names), id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)})
    max_length = min(options.max_length, config.max_position_embeddings)  # the model's longest input
    encoded = data.map(lambda batch: align(batch, tokenizer, max_length), batched=True,
                       remove_columns=data["train"].column_names, desc="Aligning labels")
    collator = DataCollatorForTokenClassification(tokenizer)
    trainer = MinformerTrainer(model=model, args=training_arguments(run), train_dataset=encoded["train"],
                               eval_dataset=encoded["validation"], data_collator=collator, processing_class=tokenizer)
    start_step = int(checkpoint.rsplit("-", 1)[-1]) if checkpoint else 0
    train_seconds = trainer.train(resume_from_checkpoint=checkpoint).metrics["train_runtime"]
    split = "test" if "test" in encoded else "validation"
    metrics = token_metrics(trainer.model, encoded[split], collator)
    counts = [tag for tags in data["train"]["label"] for tag in tags]
    majority = max(set(counts), key=counts.count)
    gold = [tag for tags in encoded[split]["labels"] for tag in tags if tag != -100]
    final = {f"{split}_token_accuracy": metrics["accuracy"], f"{split}_token_macro_f1": metrics["f1"],
             "majority_baseline_accuracy": sum(tag == majority for tag in gold) / len(gold),
             "base_model": options.model, **options.source.describe("token-classification")}
    tokens_per_step = max_length * run.batch_size * run.gradient_accumulation_steps
    return finish(trainer, run, started, train_seconds, start_step, tokens_per_step, final,
                  "token-classification fine-tuning")
