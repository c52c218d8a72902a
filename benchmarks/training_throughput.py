"""Training throughput (tokens/s of forward + backward + AdamW) of minformer against transformers' GPT-2 and
BERT at equal sizes, interleaved A B A B in one process, medians after a warm-up, plus model FLOPs utilisation
((6·N + 12·L·C·T) FLOPs per token, PaLM's count, over the matmul ceiling) and peak RSS per model.

    .venv/bin/python benchmarks/training_throughput.py [--repeats 5] [--sizes small large]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

sys.path.insert(0, str(Path(__file__).parent))
from ceiling import matmul_gflops  # noqa: E402
from machine import machine_info  # noqa: E402

import minformer  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SIZES = {"small": dict(layers=6, hidden=384, heads=6, ffn=1536), "large": dict(layers=8, hidden=512, heads=8, ffn=2048)}
VOCAB, SEQ, BATCH = 8192, 256, 16


def models(size: dict) -> dict:
    L, C, H, F = size["layers"], size["hidden"], size["heads"], size["ffn"]
    common = dict(vocab_size=VOCAB, hidden_size=C, num_hidden_layers=L, num_attention_heads=H, intermediate_size=F,
                  max_position_embeddings=SEQ, pad_token_id=0)
    gpt2 = GPT2Config(vocab_size=VOCAB, n_embd=C, n_layer=L, n_head=H, n_inner=F, n_positions=SEQ,
                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    bert = BertConfig(vocab_size=VOCAB, hidden_size=C, num_hidden_layers=L, num_attention_heads=H,
                      intermediate_size=F, max_position_embeddings=SEQ, hidden_dropout_prob=0.0,
                      attention_probs_dropout_prob=0.0)
    return {
        "minformer decoder": ("causal", lambda: minformer.MinformerDecoderForCausalLM(
            minformer.MinformerDecoderConfig(**common, bos_token_id=2, eos_token_id=3))),
        "GPT2LMHeadModel": ("causal", lambda: GPT2LMHeadModel(gpt2)),
        "minformer encoder": ("mlm", lambda: minformer.MinformerEncoderForMaskedLM(
            minformer.MinformerEncoderConfig(**common))),
        "BertForMaskedLM": ("mlm", lambda: BertForMaskedLM(bert)),
    }


def batch(kind: str) -> dict:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, VOCAB, (BATCH, SEQ), generator=generator)
    if kind == "causal":
        return {"input_ids": ids, "labels": ids}
    labels = torch.full_like(ids, -100)
    masked = torch.rand(ids.shape, generator=generator) < 0.15
    labels[masked] = ids[masked]
    return {"input_ids": ids.masked_fill(masked, 4), "labels": labels}


def flops_per_token(model, size: dict) -> float:
    n = sum(p.numel() for p in model.parameters())
    return 6 * n + 12 * size["layers"] * size["hidden"] * SEQ


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def plot(result: dict, path: Path) -> None:
    """Bar chart: tokens/s per model and size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    labels = [f"{r['model']}\n{r['size']} ({r['layers']}×{r['hidden']})" for r in rows]
    colors = ["tab:orange" if r["model"].startswith("minformer") else "tab:gray" for r in rows]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    bars = ax.bar(range(len(rows)), [r["tokens_per_second"] for r in rows], color=colors)
    for bar, row in zip(bars, rows):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"{row['tokens_per_second']:.0f}\n"
                f"MFU {row['mfu']:.0%}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(rows)), labels, fontsize=7)
    ax.set_ylabel("training tokens/s (forward + backward + AdamW)")
    ax.set_title(f"Training throughput, batch {result['batch']} × {result['sequence']} tokens, "
                 f"{result['machine']['cpu']}, {result['machine']['threads']} threads ({result['date']})",
                 fontsize=9)
    ax.margins(y=0.2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES))
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from the last JSON")
    args = parser.parse_args()
    if args.plot_only:
        plot(json.loads((RESULTS / "training_throughput.json").read_text()), RESULTS / "training_throughput.png")
        return
    torch.set_num_threads(args.threads)
    ceiling = matmul_gflops()["gflops"]
    rows = []
    for size_name in args.sizes:
        size = SIZES[size_name]
        for pair in (("minformer decoder", "GPT2LMHeadModel"), ("minformer encoder", "BertForMaskedLM")):
            built = {}
            for name in pair:
                kind, make = models(size)[name]
                torch.manual_seed(0)
                model = make().train()
                model.set_attn_implementation("sdpa")
                built[name] = (model, torch.optim.AdamW(model.parameters(), lr=1e-4), batch(kind))

            def step(name):
                model, optimizer, inputs = built[name]
                began = time.perf_counter()
                model(**inputs).loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                return time.perf_counter() - began

            for _ in range(2):  # warm-up (allocator, optimizer state), interleaved like the measurement
                for name in pair:
                    step(name)
            times = {name: [] for name in pair}
            for _ in range(args.repeats):
                for name in pair:
                    times[name].append(step(name))
            for name in pair:
                median = statistics.median(times[name])
                tokens_per_second = BATCH * SEQ / median
                mfu = tokens_per_second * flops_per_token(built[name][0], size) / (ceiling * 1e9)
                rows.append({"size": size_name, **size, "model": name, "seconds_per_step": median,
                             "tokens_per_second": tokens_per_second, "mfu": mfu,
                             "parameters": sum(p.numel() for p in built[name][0].parameters()), "times": times[name]})
                print(f"{size_name:<6} {name:<18} {tokens_per_second:8.1f} tokens/s   MFU {mfu:5.1%}   "
                      f"({median:.2f} s/step)", flush=True)
            a, b = pair
            ratio = rows[-2]["tokens_per_second"] / rows[-1]["tokens_per_second"]
            print(f"{size_name:<6} {a} / {b}: {ratio:.3f}×", flush=True)
            del built
    RESULTS.mkdir(exist_ok=True)
    result = {"machine": {**machine_info(), "threads": args.threads}, "ceiling_gflops": ceiling,
              "batch": BATCH, "sequence": SEQ, "vocab": VOCAB, "rows": rows,
              "date": time.strftime("%Y-%m-%d")}
    (RESULTS / "training_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, RESULTS / "training_throughput.png")
    print(f"ceiling {ceiling:.1f} GFLOP/s; wrote {RESULTS / 'training_throughput.json'}")


if __name__ == "__main__":
    main()
