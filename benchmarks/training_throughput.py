"""Training throughput (tokens/s of forward + backward + AdamW) of minformer against transformers' GPT-2 and
BERT at equal sizes, interleaved A B C A B C in one process, medians after a warm-up, plus model FLOPs utilisation
((6·N + 12·L·C·T) FLOPs per token, PaLM's count, over the matmul ceiling) and peak training memory per model
(peak RSS of a fresh process running 3 steps, minus its RSS before the model was built; median of 3).

Besides the defaults it measures the opt-in speed-ups one flag turns on: `--torch-compile` (both families),
`--sparse-prediction` (the encoder's masked-LM head on the masked tokens only) and `--bf16` (the Trainer's bfloat16
autocast, which any model can use: so the counterparts are measured with it too).

    .venv/bin/python benchmarks/training_throughput.py [--repeats 5] [--sizes small large] [--no-memory]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

sys.path.insert(0, str(Path(__file__).parent))
from ceiling import matmul_gflops  # noqa: E402
from machine import machine_info  # noqa: E402

import minformer  # noqa: E402
from minformer.training.optimizers import MuonFactory  # noqa: E402
from minformer.training.pretrain_defaults import PRETRAIN_DEFAULTS  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SIZES = {"small": dict(layers=6, hidden=384, heads=6, ffn=1536), "large": dict(layers=8, hidden=512, heads=8, ffn=2048)}
VOCAB, SEQ, BATCH = 8192, 256, 16


def models(size: dict) -> dict:
    """name -> (batch kind, model factory, step options) for every model measured at `size`."""
    L, C, H, F = size["layers"], size["hidden"], size["heads"], size["ffn"]
    common = dict(vocab_size=VOCAB, hidden_size=C, num_hidden_layers=L, num_attention_heads=H, intermediate_size=F,
                  max_position_embeddings=SEQ, pad_token_id=0)
    gpt2 = GPT2Config(vocab_size=VOCAB, n_embd=C, n_layer=L, n_head=H, n_inner=F, n_positions=SEQ,
                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=2, eos_token_id=3)
    bert = BertConfig(vocab_size=VOCAB, hidden_size=C, num_hidden_layers=L, num_attention_heads=H,
                      intermediate_size=F, max_position_embeddings=SEQ, hidden_dropout_prob=0.0,
                      attention_probs_dropout_prob=0.0)

    def decoder():
        return minformer.MinformerDecoderForCausalLM(minformer.MinformerDecoderConfig(**common, bos_token_id=2,
                                                                                      eos_token_id=3))

    def encoder(**options):
        return minformer.MinformerEncoderForMaskedLM(minformer.MinformerEncoderConfig(**common, **options))

    def gpt2_model():
        return GPT2LMHeadModel(gpt2)

    def bert_model():
        return BertForMaskedLM(bert)

    def sparse_encoder():
        return encoder(sparse_prediction=True)

    def pretrain_default(sparse_prediction: bool = True):  # what `minformer pretrain --family encoder` trains
        return encoder(**{**PRETRAIN_DEFAULTS["encoder"].architecture, "sparse_prediction": sparse_prediction})

    def pretrain_default_dense():
        return pretrain_default(sparse_prediction=False)

    return {
        "minformer decoder": ("causal", decoder, ()),
        "GPT2LMHeadModel": ("causal", gpt2_model, ()),
        "minformer decoder --torch-compile": ("causal", decoder, ("compile",)),
        "minformer decoder --bf16": ("causal", decoder, ("bf16",)),
        "GPT2LMHeadModel --bf16": ("causal", gpt2_model, ("bf16",)),
        "minformer encoder": ("mlm", encoder, ()),
        "BertForMaskedLM": ("mlm", bert_model, ()),
        "minformer encoder --torch-compile": ("mlm", encoder, ("compile",)),
        "minformer encoder --sparse-prediction": ("mlm", sparse_encoder, ()),
        "minformer encoder --bf16": ("mlm", encoder, ("bf16",)),
        "BertForMaskedLM --bf16": ("mlm", bert_model, ("bf16",)),
        "minformer encoder --sparse-prediction --bf16": ("mlm", sparse_encoder, ("bf16",)),
        # pretrain's encoder: the recipe's architecture, Muon, 30% of the tokens masked, sparse prediction
        "minformer encoder, pretrain's default": ("mlm30", pretrain_default, ("muon",)),
        "minformer encoder, pretrain's default --no-sparse-prediction": ("mlm30", pretrain_default_dense, ("muon",)),
    }


# each group is measured interleaved; the second name is the transformers counterpart every ratio is taken against
GROUPS = (
    ("minformer decoder", "GPT2LMHeadModel", "minformer decoder --torch-compile", "minformer decoder --bf16",
     "GPT2LMHeadModel --bf16"),
    ("minformer encoder", "BertForMaskedLM", "minformer encoder --torch-compile",
     "minformer encoder --sparse-prediction", "minformer encoder --bf16", "BertForMaskedLM --bf16",
     "minformer encoder --sparse-prediction --bf16"),
    ("minformer encoder, pretrain's default", "BertForMaskedLM",
     "minformer encoder, pretrain's default --no-sparse-prediction", "minformer encoder"),
)
DEFAULTS = {"minformer decoder", "GPT2LMHeadModel", "minformer encoder", "BertForMaskedLM"}


def build(name: str, size: dict) -> tuple:
    """(model, the callable a step runs, optimizer, inputs, bf16?), seeded so every variant starts from the same
    weights; "compile" is what the Trainer's torch_compile does, "bf16" its bf16 autocast (fp32 weights)."""
    kind, make, options = models(size)[name]
    torch.manual_seed(0)
    model = make().train()
    model.set_attn_implementation("sdpa")
    forward = torch.compile(model) if "compile" in options else model
    optimizer = (MuonFactory()(model, lr=1e-4, weight_decay=0.0) if "muon" in options
                 else torch.optim.AdamW(model.parameters(), lr=1e-4))
    return model, forward, optimizer, batch(kind), "bf16" in options


def step(built: tuple) -> float:
    """One training step (forward, backward, AdamW); returns its wall time in seconds."""
    _, forward, optimizer, inputs, bf16 = built
    began = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = forward(**inputs).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - began


def batch(kind: str) -> dict:
    """The same random batch every step: causal LM labels = inputs; masked LM 15% masked (id 4) with labels, or
    30% ("mlm30", pretrain's encoder default)."""
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, VOCAB, (BATCH, SEQ), generator=generator)
    if kind == "causal":
        return {"input_ids": ids, "labels": ids}
    labels = torch.full_like(ids, -100)
    masked = torch.rand(ids.shape, generator=generator) < (0.3 if kind == "mlm30" else 0.15)
    labels[masked] = ids[masked]
    return {"input_ids": ids.masked_fill(masked, 4), "labels": labels}


def flops_per_token(model, size: dict, inputs: dict) -> float:
    """PaLM's 6·N + 12·L·C·T; with sparse prediction the masked-LM head runs on the masked tokens only, so its
    dense (C × C) and decoder (C × V) matrices count for that fraction of the tokens."""
    n = sum(p.numel() for p in model.parameters())
    flops = 6 * n + 12 * size["layers"] * size["hidden"] * SEQ
    if getattr(model.config, "sparse_prediction", False):
        predicted = float((inputs["labels"] != -100).float().mean())
        flops -= 6 * (size["hidden"] ** 2 + VOCAB * size["hidden"]) * (1 - predicted)
    return flops


def status_mib(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS: resident now, VmHWM: peak resident) in MiB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024


def measure_memory(name: str, size_name: str) -> None:
    """Run in a fresh process: 3 training steps of one model; print its peak RSS and the part training added."""
    before = status_mib("VmRSS")
    built = build(name, SIZES[size_name])
    for _ in range(3):
        step(built)
    peak = status_mib("VmHWM")
    print(json.dumps({"peak_rss_mib": peak, "training_memory_mib": peak - before}))


def peak_memory(name: str, size_name: str, threads: int, runs: int = 3) -> dict:
    """`measure_memory` in fresh processes (so one model's peak never hides another's); the median of `runs`."""
    measured = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, __file__, "--memory-of", name, "--sizes", size_name,
                               "--threads", str(threads)], capture_output=True, text=True, check=True)
        measured.append(json.loads(done.stdout.strip().splitlines()[-1]))
    median = statistics.median(m["training_memory_mib"] for m in measured)
    return {"training_memory_mib": median, "peak_rss_mib": statistics.median(m["peak_rss_mib"] for m in measured),
            "training_memory_runs_mib": [m["training_memory_mib"] for m in measured]}


def plot(result: dict, path: Path) -> None:
    """Horizontal bars, one row per model and size: tokens/s (with MFU and the ratio to the counterpart) on the
    left, peak training memory on the right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"][::-1]  # first row at the top
    labels = [f"{r['size']} ({r['layers']}×{r['hidden']})  {r['model']}" for r in rows]
    colors = ["tab:gray" if not r["model"].startswith("minformer") else "tab:orange" if r["model"] in DEFAULTS
              else "tab:red" for r in rows]
    memory = [r.get("training_memory_mib") for r in rows]
    panels = 2 if all(memory) else 1
    fig, axes = plt.subplots(1, panels, figsize=(13, 0.32 * len(rows) + 1.6), sharey=True, squeeze=False,
                             gridspec_kw={"width_ratios": [2, 1][:panels]})
    ax = axes[0, 0]
    y = range(len(rows))
    bars = ax.barh(y, [r["tokens_per_second"] for r in rows], color=colors)
    for bar, row in zip(bars, rows):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {row['tokens_per_second']:,.0f} "
                f"({row['ratio']:.2f}×, MFU {row['mfu']:.0%})", va="center", fontsize=7)
    ax.set_yticks(list(y), labels, fontsize=7)
    ax.set_xlabel("training tokens/s (forward + backward + AdamW)")
    ax.margins(x=0.3)
    ax.set_title("orange: minformer defaults, red: one opt-in flag, gray: transformers; (×) ratio to the "
                 "transformers model's default", fontsize=8)
    if panels == 2:
        ax = axes[0, 1]
        bars = ax.barh(y, memory, color=colors)
        for bar, value in zip(bars, memory):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {value:,.0f}", va="center", fontsize=7)
        ax.set_xlabel("peak training memory, MiB (fresh process, 3 steps)")
        ax.margins(x=0.2)
    fig.suptitle(f"Training throughput, batch {result['batch']} × {result['sequence']} tokens, "
                 f"{result['machine']['cpu']}, {result['machine']['threads']} threads ({result['date']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def measure_throughput(group: tuple, size_name: str, repeats: int, ceiling: float) -> list[dict]:
    """Interleaved steps of every model in `group` (A B C A B C ...) after a warm-up; one row per model."""
    size = SIZES[size_name]
    built = {name: build(name, size) for name in group}
    for _ in range(2):  # warm-up (compilation, allocator, optimizer state), interleaved like the measurement
        for name in group:
            step(built[name])
    times = {name: [] for name in group}
    for _ in range(repeats):
        for name in group:
            times[name].append(step(built[name]))
    rows = []
    for name in group:
        median = statistics.median(times[name])
        tokens_per_second = BATCH * SEQ / median
        model, _, _, inputs, _ = built[name]
        rows.append({"size": size_name, **size, "model": name, "counterpart": group[1],
                     "seconds_per_step": median, "tokens_per_second": tokens_per_second,
                     "mfu": tokens_per_second * flops_per_token(model, size, inputs) / (ceiling * 1e9),
                     "parameters": sum(p.numel() for p in model.parameters()), "times": times[name]})
    counterpart = rows[1]["tokens_per_second"]
    for row in rows:
        row["ratio"] = row["tokens_per_second"] / counterpart
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--no-memory", action="store_true", help="skip the fresh-process peak-memory runs")
    parser.add_argument("--groups", nargs="+", type=int, default=list(range(len(GROUPS))),
                        help="which interleaved groups to measure (0 decoder, 1 encoder, 2 pretrain's encoder)")
    parser.add_argument("--output", default="training_throughput", help="result name in benchmarks/results/")
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from the last JSON")
    parser.add_argument("--memory-of", help=argparse.SUPPRESS)  # internal: the fresh process of peak_memory
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_of:
        measure_memory(args.memory_of, args.sizes[0])
        return
    if args.plot_only:
        plot(json.loads((RESULTS / "training_throughput.json").read_text()), RESULTS / "training_throughput.png")
        return
    ceiling = matmul_gflops()["gflops"]
    rows = []
    print(f"{'size':<6} {'model':<38} {'tokens/s':>9} {'MFU':>6} {'ratio':>7} {'memory MiB':>11}")
    for size_name in args.sizes:
        for group in (GROUPS[index] for index in args.groups):
            for row in measure_throughput(group, size_name, args.repeats, ceiling):
                if not args.no_memory:  # the target is about the defaults: a median of 3 for them, 1 run for opt-ins
                    runs = 3 if row["model"] in DEFAULTS else 1
                    row.update(peak_memory(row["model"], size_name, args.threads, runs))
                rows.append(row)
                print(f"{size_name:<6} {row['model']:<38} {row['tokens_per_second']:9.1f} {row['mfu']:6.1%} "
                      f"{row['ratio']:6.3f}× {row.get('training_memory_mib', float('nan')):11.0f}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    result = {"machine": {**machine_info(), "threads": args.threads}, "ceiling_gflops": ceiling,
              "batch": BATCH, "sequence": SEQ, "vocab": VOCAB, "rows": rows,
              "date": time.strftime("%Y-%m-%d")}
    (RESULTS / f"{args.output}.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, RESULTS / f"{args.output}.png")
    print(f"ceiling {ceiling:.1f} GFLOP/s; wrote {RESULTS / args.output}.json")


if __name__ == "__main__":
    main()
