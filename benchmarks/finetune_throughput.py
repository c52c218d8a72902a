"""Fine-tuning throughput on padded, variable-length batches: real (non-padding) tokens/s of forward + backward +
fused AdamW (the Trainer's default) for sequence classification, minformer's encoder (padding-free by default, and
with `padding_free=False`) against BertForSequenceClassification of the same size (6 layers × 384), the same batches,
interleaved A B C A B C, medians after a warm-up pass.

The batches have the lengths of real texts, tokenized with a BPE tokenizer trained on the built-in corpus, shuffled,
16 per batch and padded to each batch's longest, as `DataCollatorWithPadding` does:
- `labelled`: the built-in labelled task (stdlib docstrings by package), truncated at 128 tokens as `finetune` does;
- `wide`: the built-in corpus's texts (short docstrings beside long pydoc topics), truncated at 256.

    .venv/bin/python benchmarks/finetune_throughput.py [--repeats 5] [--batches 12] [--threads 2]
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import BertConfig, BertForSequenceClassification

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_info  # noqa: E402

import minformer  # noqa: E402
from minformer.data.builtin import builtin_corpus, builtin_labelled  # noqa: E402
from minformer.tokenization.training import train_bpe  # noqa: E402

RESULTS = Path(__file__).parent / "results"
L, C, H, F, VOCAB, BATCH, LABELS = 6, 384, 6, 1536, 8192, 16, 8
TASKS = {"labelled": 128, "wide": 256}  # task -> truncation length


def text_lengths() -> dict[str, list[int]]:
    """Token counts (with the two special tokens, truncated) of each task's training texts."""
    corpus = builtin_corpus()
    bpe = train_bpe(corpus["train"]["text"], vocab_size=VOCAB, show_progress=False)
    texts = {"labelled": builtin_labelled()["train"]["text"], "wide": corpus["train"]["text"]}
    return {task: [min(len(encoding.ids) + 2, TASKS[task]) for encoding in bpe.encode_batch(texts[task])]
            for task in TASKS}


def padded_batches(lengths: list[int], count: int, seed: int = 0) -> list[dict]:
    """`count` batches of BATCH shuffled texts, right-padded to their longest: random ids at the real tokens."""
    order = random.Random(seed).sample(lengths, count * BATCH)
    generator = torch.Generator().manual_seed(seed)
    batches = []
    for start in range(0, count * BATCH, BATCH):
        rows = order[start:start + BATCH]
        mask = (torch.arange(max(rows))[None] < torch.tensor(rows)[:, None]).long()  # (B, T)
        ids = torch.randint(5, VOCAB, mask.shape, generator=generator) * mask
        batches.append({"input_ids": ids, "attention_mask": mask,
                        "labels": torch.randint(0, LABELS, (BATCH,), generator=generator)})
    return batches


def build(name: str) -> torch.nn.Module:
    """Seeded models, dropout 0.1 on the hidden states and none on attention, for all three."""
    torch.manual_seed(0)
    common = dict(vocab_size=VOCAB, hidden_size=C, num_hidden_layers=L, num_attention_heads=H, intermediate_size=F,
                  max_position_embeddings=max(TASKS.values()), num_labels=LABELS, pad_token_id=0,
                  hidden_dropout_prob=0.1)
    if name == "BertForSequenceClassification":
        model = BertForSequenceClassification(BertConfig(**common, attention_probs_dropout_prob=0.0))
    else:
        config = minformer.MinformerEncoderConfig(**common, attention_dropout=0.0,
                                                  padding_free=name == "minformer encoder")
        model = minformer.MinformerEncoderForSequenceClassification(config)
    model.set_attn_implementation("sdpa")
    return model.train()


MODELS = ("minformer encoder", "BertForSequenceClassification", "minformer encoder, padding_free=False")


def train_pass(model: torch.nn.Module, optimizer: torch.optim.Optimizer, batches: list[dict]) -> float:
    """Forward, backward and AdamW on every batch; returns the wall time in seconds."""
    began = time.perf_counter()
    for batch in batches:
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - began


def measure(task: str, lengths: list[int], count: int, repeats: int) -> list[dict]:
    batches = padded_batches(lengths, count)
    real = sum(int(batch["attention_mask"].sum()) for batch in batches)
    padded = sum(batch["attention_mask"].numel() for batch in batches)
    built = {name: build(name) for name in MODELS}
    # fused AdamW: what the Trainer (so `minformer finetune`) uses with torch >= 2.8
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True) for name, model in built.items()}
    for name in MODELS:  # warm-up
        train_pass(built[name], optimizers[name], batches[:2])
    times = {name: [] for name in MODELS}
    for _ in range(repeats):
        for name in MODELS:
            times[name].append(train_pass(built[name], optimizers[name], batches))
    bert = real / statistics.median(times["BertForSequenceClassification"])
    rows = []
    for name in MODELS:
        tokens_per_second = real / statistics.median(times[name])
        rows.append({"task": task, "model": name, "real_tokens_per_second": tokens_per_second,
                     "ratio": tokens_per_second / bert, "padding_share": 1 - real / padded,
                     "real_tokens": real, "batches": count, "times": times[name]})
        print(f"{task:<9} {name:<40} {tokens_per_second:9.1f} real tokens/s  {tokens_per_second / bert:6.3f}× BERT  "
              f"(padding {1 - real / padded:.1%}, spread {min(times[name]):.2f}-{max(times[name]):.2f} s)",
              flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, default=12, help="batches per timed pass")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lengths = text_lengths()
    rows = [row for task in args.tasks for row in measure(task, lengths[task], args.batches, args.repeats)]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "finetune_throughput.json").write_text(json.dumps(
        {"machine": {**machine_info(), "threads": args.threads}, "date": time.strftime("%Y-%m-%d"),
         "size": {"layers": L, "hidden": C, "heads": H, "ffn": F, "vocab": VOCAB}, "batch": BATCH, "rows": rows},
        indent=2) + "\n")


if __name__ == "__main__":
    main()
