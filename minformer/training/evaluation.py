"""Evaluation numbers computed through `evaluate` with minformer's own metric modules: perplexity of a language
model (exp of the mean NLL per predicted token), accuracy and macro-F1 of a classifier, and the baselines they are
judged against (a unigram model of the same tokens; always predicting the majority class)."""

import collections
import math

import datasets
import torch
from torch.utils.data import DataLoader

from ..metrics import load_metric

EVAL_BATCH_SIZE = 16


@torch.no_grad()
def language_model_perplexity(model, blocks: datasets.Dataset, collator, batch_size: int = EVAL_BATCH_SIZE) -> dict:
    """Perplexity over every predicted token of `blocks` (causal LM: each next token; MLM: the collator's masked
    tokens, so give the collator a seed for repeatable numbers)."""
    metric = load_metric("perplexity")
    model.eval()
    for batch in DataLoader(blocks.with_format("torch", columns=["input_ids"]), batch_size=batch_size,
                            collate_fn=collator):
        batch = {key: value.to(model.device) for key, value in batch.items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask")).logits
        labels = batch["labels"]
        if model.config.is_decoder:  # position t predicts token t+1
            logits, labels = logits[:, :-1], labels[:, 1:]
        nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1),
                                                ignore_index=-100, reduction="sum")
        metric.add(predictions=nll.item(), references=int((labels != -100).sum()))
    return metric.compute()


def unigram_perplexity(train_blocks: datasets.Dataset, eval_blocks: datasets.Dataset, vocab_size: int,
                       skip_first: bool = True) -> float:
    """Perplexity of the add-one-smoothed unigram distribution of the training tokens on the evaluation tokens
    (the first token of each block is skipped when `skip_first`, as a causal LM does not predict it)."""
    counts = collections.Counter()
    for batch in train_blocks.iter(batch_size=1000):
        for ids in batch["input_ids"]:
            counts.update(ids)
    total = sum(counts.values()) + vocab_size
    nll, tokens = 0.0, 0
    for batch in eval_blocks.iter(batch_size=1000):
        for ids in batch["input_ids"]:
            for token in ids[1:] if skip_first else ids:
                nll -= math.log((counts[token] + 1) / total)
                tokens += 1
    return math.exp(nll / tokens)


@torch.no_grad()
def classification_metrics(model, encoded: datasets.Dataset, collator, batch_size: int = EVAL_BATCH_SIZE) -> dict:
    """Accuracy and macro-F1 of `model` on an encoded, labelled dataset: one label per text (sequence
    classification) or per token (token classification, where labels of -100 are not scored)."""
    accuracy, f1 = load_metric("accuracy"), load_metric("f1")
    model.eval()
    columns = [c for c in ("input_ids", "attention_mask", "label", "labels") if c in encoded.column_names]
    for batch in DataLoader(encoded.with_format(columns=columns), batch_size=batch_size, collate_fn=collator):
        labels = batch.pop("labels")
        batch = {key: value.to(model.device) for key, value in batch.items()}
        predictions = model(**batch).logits.argmax(-1).cpu()  # (B,) or (B, T)
        scored = labels != -100
        accuracy.add_batch(predictions=predictions[scored].tolist(), references=labels[scored].tolist())
        f1.add_batch(predictions=predictions[scored].tolist(), references=labels[scored].tolist())
    return {**accuracy.compute(), **f1.compute()}


def majority_baseline(train_labels: list[int], eval_labels: list[int]) -> float:
    """Accuracy on `eval_labels` of always predicting the most frequent training label."""
    majority = collections.Counter(train_labels).most_common(1)[0][0]
    return sum(label == majority for label in eval_labels) / len(eval_labels)


EVALUABLE = ("ForCausalLM", "ForMaskedLM", "ForSequenceClassification")


def check_evaluable(config, model_path: str) -> str:
    """The architecture of a saved model that `evaluate_saved_model` can measure; a UserError for any other."""
    from ..errors import UserError

    architecture = (config.architectures or [""])[0]
    if not architecture.endswith(EVALUABLE):
        raise UserError(f"{model_path} holds a {architecture or 'model without a head'}; `minformer evaluate` "
                        "measures language models (perplexity) and sequence classifiers (accuracy): give a "
                        "pretrained model or a fine-tuned classifier.")
    return architecture


def evaluate_saved_model(model_path: str, data: datasets.DatasetDict, split: str = "test", block_size: int = 128,
                         seed: int = 0, attn_implementation: str | None = None) -> dict:
    """The metrics of a saved model on `split`: perplexity (causal or masked LM, with the unigram baseline for
    causal LMs) or accuracy / macro-F1 (classifiers, with the majority-class baseline)."""
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSequenceClassification

    from ..data import causal_lm_collator, classification_collator, masked_lm_collator, pack_blocks, tokenize
    from ..errors import UserError
    from ..loading import load_config, load_pretrained
    from .labels import labels_as_ids

    if split not in data:
        raise UserError(f"the data has no {split!r} split (splits: {', '.join(data)}); pass --eval-split with one "
                        "of them.")
    config = load_config(model_path)
    architecture = check_evaluable(config, model_path)
    options = {"attn_implementation": attn_implementation} if attn_implementation else {}
    if architecture.endswith("ForSequenceClassification"):
        if "label" not in data[split].column_names:
            raise UserError("evaluating a classifier needs labelled data (a label column, or --builtin).")
        data = labels_as_ids(data, config.label2id)
        model, tokenizer = load_pretrained(AutoModelForSequenceClassification, model_path, **options)
        encoded = tokenize(data, tokenizer, max_length=min(block_size, config.max_position_embeddings))
        metrics = classification_metrics(model, encoded[split], classification_collator(tokenizer))
        metrics["majority_baseline_accuracy"] = majority_baseline(data["train"]["label"], data[split]["label"])
        return {"model": architecture, "split": split, **metrics}
    block_size = min(block_size, config.max_position_embeddings)
    causal = architecture.endswith("ForCausalLM")
    model, tokenizer = load_pretrained(AutoModelForCausalLM if causal else AutoModelForMaskedLM, model_path, **options)
    tokenized = tokenize(data, tokenizer)
    separator = tokenizer.eos_token_id if causal else None
    blocks = pack_blocks(tokenized[split], block_size, separator)
    if len(blocks) == 0:
        raise UserError(f"the {split} split holds fewer than {block_size} tokens, not one block to evaluate; give "
                        "more text or a smaller --block-size.")
    collator = causal_lm_collator(tokenizer) if causal else masked_lm_collator(tokenizer, seed=seed)
    metrics = {"model": architecture, "split": split, "blocks": len(blocks), "block_size": block_size,
               **language_model_perplexity(model, blocks, collator)}
    if causal:
        train_blocks = pack_blocks(tokenized["train"], block_size, separator)
        metrics["unigram_perplexity"] = unigram_perplexity(train_blocks, blocks, len(tokenizer))
    return metrics
