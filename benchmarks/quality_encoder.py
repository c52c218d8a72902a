"""Quality per token of the encoder: BERT's architecture (`BertForMaskedLM`) trained with AdamW against minformer's
encoder, one recipe component at a time and together, side by side in one run: same tokenizer, same data order, same
masks, same number of tokens. Each pretrained model is then fine-tuned identically on the corpus's labelled task and
scored on its test split: for the built-in corpus, which standard-library package a docstring comes from; for the
second corpus (`--corpus code`, the standard library's code), which package a chunk of code comes from (8 classes each).

Reports each variant's masked-LM validation loss (always on the same 15% masks, whatever the training mask rate)
against a unigram model's loss on those masked tokens, its pretraining tokens/s, and the classifier's test accuracy
(chance 0.125 on 8 classes; the majority class of the test split is printed too), minformer's with the first
token's state and with the mean of the tokens as the classifier's input (`classifier_pooling`). Issue 17.

    .venv/bin/python benchmarks/quality_encoder.py [--corpus code] [--steps 945] [--lrs 1e-3 2e-3] [--variants bert@1e-3 ...]
"""

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
import transformers
from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_info  # noqa: E402
from quality import BATCH, SEQ, C, F, H, L, optimizer_and_schedule  # noqa: E402
from quality_data import code_labelled, stdlib_code  # noqa: E402

import minformer  # noqa: E402
from minformer.data import classification_collator, load_text, masked_lm_collator, pack_blocks, tokenize  # noqa: E402
from minformer.tokenization import for_family, train_bpe  # noqa: E402

RESULTS = Path(__file__).parent / "results"
VOCAB, VALIDATION_BLOCKS, MAX_LENGTH = 4096, 256, 128
COMPONENTS = {  # config changes on top of minformer's default encoder; "muon" is the optimiser, "maskNN" the mask rate
    "rope": dict(position_embedding_type="rope"),
    "relu2": dict(hidden_act="relu2"),
    "zero_init": dict(zero_init_residual=True),
    "untied": dict(tie_word_embeddings=False),
    "qk_norm": dict(qk_norm=True),
    "muon": {},
    "mask30": {},
    "mask40": {},
}


def parts(variant: str) -> list[str]:
    return variant.split("+")[1:]


def mask_rate(variant: str) -> float:
    return next((int(p[4:]) / 100 for p in parts(variant) if p.startswith("mask")), 0.15)


def make_model(variant: str, tokenizer) -> torch.nn.Module:
    special = dict(pad_token_id=tokenizer.pad_token_id)
    if variant == "bert":
        return BertForMaskedLM(BertConfig(vocab_size=len(tokenizer), hidden_size=C, num_hidden_layers=L,
                                          num_attention_heads=H, intermediate_size=F, max_position_embeddings=SEQ,
                                          hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **special))
    changes = {}
    for part in parts(variant):
        changes.update(COMPONENTS[part])
    return minformer.MinformerEncoderForMaskedLM(minformer.MinformerEncoderConfig(
        vocab_size=len(tokenizer), hidden_size=C, num_hidden_layers=L, num_attention_heads=H, intermediate_size=F,
        max_position_embeddings=SEQ, **special, **changes))


def masked_batches(blocks: list, tokenizer, probability: float, seed: int) -> list[dict]:
    collate = masked_lm_collator(tokenizer, probability, seed=seed)
    return [collate(blocks[start:start + 64]) for start in range(0, len(blocks), 64)]


def mlm_loss(model, batches: list[dict]) -> float:
    """Mean cross-entropy over every masked token of the validation batches."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            n = int((batch["labels"] != -100).sum())
            total += model(input_ids=batch["input_ids"], labels=batch["labels"]).loss.item() * n
            count += n
    model.train()
    return total / count


def unigram_loss(train_blocks: list, batches: list[dict], vocab: int) -> float:
    """Cross-entropy of the training split's token frequencies (add-one) on the same masked tokens."""
    counts = torch.ones(vocab)
    counts.index_add_(0, torch.tensor([t for block in train_blocks for t in block["input_ids"]]), torch.ones(
        sum(len(block["input_ids"]) for block in train_blocks)))
    log_p = (counts / counts.sum()).log()
    targets = torch.cat([batch["labels"][batch["labels"] != -100] for batch in batches])
    return -log_p[targets].mean().item()


def pretrain(variant: str, data: dict, steps: int, lr: float, seed: int) -> tuple[torch.nn.Module, dict]:
    torch.manual_seed(seed)
    model = make_model(variant, data["tokenizer"]).train()
    model.set_attn_implementation("sdpa")
    optimizer, schedule = optimizer_and_schedule(model, "muon" in parts(variant), lr, steps)
    collate = masked_lm_collator(data["tokenizer"], mask_rate(variant), seed=seed)
    blocks, order = data["train"], torch.randperm(len(data["train"]), generator=torch.Generator().manual_seed(seed))
    curve, seconds = [], 0.0
    for step in range(1, steps + 1):
        began = time.perf_counter()
        start = ((step - 1) * BATCH) % len(order)
        batch = collate([blocks[int(i)] for i in order[start:start + BATCH]])
        model(input_ids=batch["input_ids"], labels=batch["labels"]).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        seconds += time.perf_counter() - began
        if step % max(1, steps // 8) == 0 or step == steps:
            curve.append((step * BATCH * SEQ, mlm_loss(model, data["validation"][:2])))
    return model, {"variant": variant, "lr": lr, "seed": seed, "mlm_validation_loss": mlm_loss(
        model, data["validation"]), "curve": curve, "tokens_per_second": steps * BATCH * SEQ / seconds}


def finetune(model, variant: str, data: dict, steps: int, lr: float, seed: int, pooling: str = "cls") -> dict:
    """The pretrained model with a fresh classifier (dropout 0.1) on the first token's state or (minformer's
    `classifier_pooling="mean"`) the tokens' mean, AdamW, `steps` steps; accuracy at the end."""
    labelled, tokenizer = data["labelled"], data["tokenizer"]
    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        model_class = BertForSequenceClassification if variant == "bert" else \
            minformer.MinformerEncoderForSequenceClassification
        dropout = dict(hidden_dropout_prob=0.1, **({} if variant == "bert" else {"classifier_pooling": pooling}))
        classifier = model_class.from_pretrained(folder, num_labels=data["num_labels"], **dropout).train()
    torch.manual_seed(seed)
    optimizer, schedule = optimizer_and_schedule(classifier, False, lr, steps)
    collate, train = classification_collator(tokenizer), labelled["train"]
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed)).tolist() * (
        steps * BATCH // len(train) + 1)
    for step in range(steps):
        batch = collate([train[i] for i in order[step * BATCH:(step + 1) * BATCH]])
        classifier(**batch).loss.backward()
        torch.nn.utils.clip_grad_norm_(classifier.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
    classifier.eval()
    scores = {}
    with torch.no_grad():
        for split in ("validation", "test"):
            rows = labelled[split]
            batch = collate([rows[i] for i in range(len(rows))])
            predictions = classifier(**batch).logits.argmax(-1)
            scores[f"{split}_accuracy"] = (predictions == batch["labels"]).float().mean().item()
    return scores if pooling == "cls" else {f"{key}_{pooling}_pooling": value for key, value in scores.items()}


def load_data(corpus_name: str) -> dict:
    if corpus_name == "builtin":
        corpus, labelled = load_text(builtin="corpus"), load_text(builtin="labelled")
    else:  # the labelled task's validation and test files are kept out of the unlabelled pretraining text
        labelled, held_out = code_labelled()
        corpus = stdlib_code(exclude=held_out)
    tokenizer = for_family(train_bpe(corpus["train"]["text"], vocab_size=VOCAB, show_progress=False), "encoder",
                           model_max_length=MAX_LENGTH)
    tokenized = tokenize(corpus, tokenizer)
    train, validation = (list(pack_blocks(tokenized[split], SEQ)) for split in ("train", "validation"))
    validation_batches = masked_batches(validation[:VALIDATION_BLOCKS], tokenizer, 0.15, seed=1234)
    labelled_ids = tokenize(labelled, tokenizer, max_length=MAX_LENGTH)
    return {"tokenizer": tokenizer, "train": train, "validation": validation_batches, "labelled": labelled_ids,
            "num_labels": len(set(labelled["train"]["label"])),
            "unigram": unigram_loss(train, validation_batches, len(tokenizer)),
            "majority": max(collections.Counter(labelled["test"]["label"]).values()) / len(labelled["test"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=("builtin", "code"), default="builtin")
    parser.add_argument("--steps", type=int, default=945)  # the demo's encoder budget: 945 × 16 × 128 = 1.9 M tokens
    parser.add_argument("--lrs", type=float, nargs="+", default=[2e-3])
    parser.add_argument("--variants", nargs="+", default=["bert", "minformer"], help="bert, minformer[+component...], "
                        "each optionally @lr (its own learning rate instead of --lrs)")
    parser.add_argument("--finetune-steps", type=int, default=300)
    parser.add_argument("--finetune-lr", type=float, default=5e-4)
    parser.add_argument("--skip-mean-pooling", action="store_true",
                        help="fine-tune minformer's classifier on the first token's state only, as BERT's")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default="quality_encoder")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()  # the classifier's new head is expected, not worth a warning per run
    torch.set_num_threads(args.threads)
    data = load_data(args.corpus)
    print(f"{len(data['train']):,} training blocks of {SEQ}; unigram masked-token loss {data['unigram']:.4f}; "
          f"test majority class {data['majority']:.3f}", flush=True)
    runs = []
    for spec in args.variants:  # "variant" runs at each of --lrs, "variant@lr" at its own
        variant, _, own = spec.partition("@")
        for lr in [float(own)] if own else args.lrs:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                model, run = pretrain(variant, data, args.steps, lr, seed)
                for pooling in ("cls",) if variant == "bert" or args.skip_mean_pooling else ("cls", "mean"):
                    run |= finetune(model, variant, data, args.finetune_steps, args.finetune_lr, seed, pooling)
                run["vs_unigram_percent"] = 100 * (1 - run["mlm_validation_loss"] / data["unigram"])
                print(f"  {variant:<40} lr {lr:<7g} seed {seed}  MLM loss {run['mlm_validation_loss']:.4f} "
                      f"({run['vs_unigram_percent']:+.1f}% vs unigram)  accuracy {run['test_accuracy']:.3f} "
                      f"(validation {run['validation_accuracy']:.3f}; mean pooling "
                      f"{run.get('test_accuracy_mean_pooling', float('nan')):.3f})  "
                      f"{run['tokens_per_second']:,.0f} tokens/s",
                      flush=True)
                runs.append(run)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.output}.json").write_text(json.dumps(
        {"machine": {**machine_info(), "threads": args.threads}, "date": time.strftime("%Y-%m-%d"),
         "corpus": args.corpus, "steps": args.steps, "batch": BATCH, "sequence": SEQ, "tokens": args.steps * BATCH * SEQ,
         "finetune": {"steps": args.finetune_steps, "lr": args.finetune_lr, "batch": BATCH},
         "unigram_loss": data["unigram"], "test_majority": data["majority"], "chance": 1 / data["num_labels"],
         "model": dict(layers=L, hidden=C, heads=H, intermediate=F), "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
