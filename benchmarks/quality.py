"""Quality at equal compute: minformer's default decoder against GPT-2's architecture (and an ablation) at equal
size, trained on the same token budget of the built-in corpus with the same tokenizer, batches, optimiser and
schedule; reports each one's validation loss. This is what decides minformer's default architecture.

    .venv/bin/python benchmarks/quality.py [--steps 600]
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_info  # noqa: E402

import minformer  # noqa: E402
from minformer.data import load_text, pack_blocks, tokenize  # noqa: E402
from minformer.tokenization import for_family, train_bpe  # noqa: E402

RESULTS = Path(__file__).parent / "results"
L, C, H, F, SEQ, BATCH, VOCAB = 4, 256, 4, 1024, 128, 16, 4096


def variants(vocab: int) -> dict:
    common = dict(vocab_size=vocab, hidden_size=C, num_hidden_layers=L, num_attention_heads=H, intermediate_size=F,
                  max_position_embeddings=SEQ, bos_token_id=2, eos_token_id=3, pad_token_id=0)
    return {
        "minformer default (rope, pre-LN, GELU)": lambda: minformer.MinformerDecoderForCausalLM(
            minformer.MinformerDecoderConfig(**common)),
        "minformer, learned positions (ablation)": lambda: minformer.MinformerDecoderForCausalLM(
            minformer.MinformerDecoderConfig(**common, position_embedding_type="learned")),
        "GPT2LMHeadModel": lambda: GPT2LMHeadModel(GPT2Config(
            vocab_size=vocab, n_embd=C, n_layer=L, n_head=H, n_inner=F, n_positions=SEQ, resid_pdrop=0.0,
            embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=2, eos_token_id=3)),
    }


def train(make, blocks: torch.Tensor, validation: torch.Tensor, steps: int, lr: float) -> dict:
    torch.manual_seed(0)
    model = make().train()
    model.set_attn_implementation("sdpa")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1, (s + 1) / warmup) * 0.5 * (
        1 + math.cos(math.pi * min(s, steps) / steps)))
    order = torch.randperm(len(blocks), generator=torch.Generator().manual_seed(0))
    began = time.perf_counter()
    for step in range(steps):
        index = order[(step * BATCH) % len(order):][:BATCH]
        ids = blocks[index]
        model(input_ids=ids, labels=ids).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
    seconds = time.perf_counter() - began
    model.eval()
    losses = []
    with torch.no_grad():
        for start in range(0, len(validation), 64):
            ids = validation[start:start + 64]
            losses.append((model(input_ids=ids, labels=ids).loss.item(), len(ids)))
    loss = sum(l * n for l, n in losses) / sum(n for _, n in losses)
    return {"validation_loss": loss, "parameters": sum(p.numel() for p in model.parameters()),
            "train_seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    corpus = load_text(builtin="corpus")
    tokenizer = for_family(train_bpe(corpus["train"]["text"], vocab_size=VOCAB, show_progress=False), "decoder")
    tokenized = tokenize(corpus, tokenizer)
    blocks = torch.tensor(pack_blocks(tokenized["train"], SEQ, tokenizer.eos_token_id)["input_ids"])
    validation = torch.tensor(pack_blocks(tokenized["validation"], SEQ, tokenizer.eos_token_id)["input_ids"])
    rows = []
    for name, make in variants(len(tokenizer)).items():
        result = train(make, blocks, validation, args.steps, args.lr)
        rows.append({"model": name, **result})
        print(f"{name:<42} validation loss {result['validation_loss']:.4f}  ({result['parameters']:,} parameters, "
              f"{result['train_seconds']:.0f} s)", flush=True)
    gpt2 = rows[-1]["validation_loss"]
    for row in rows[:-1]:
        print(f"{row['model']:<42} {100 * (1 - row['validation_loss'] / gpt2):+.1f}% lower loss than GPT-2")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps(
        {"machine": {**machine_info(), "threads": args.threads}, "date": time.strftime("%Y-%m-%d"),
         "steps": args.steps, "batch": BATCH, "sequence": SEQ, "tokens": args.steps * BATCH * SEQ, "rows": rows},
        indent=2) + "\n")


if __name__ == "__main__":
    main()
