"""Quality per token: GPT-2's architecture trained with AdamW against minformer's decoder, one recipe component at a
time and all together, side by side in one run: same tokenizer, same data order, same number of tokens. GPT-2, minformer's
default and the recipe each run at their best learning rate from a small sweep (each single component at the
default's); then the baseline and the recipe over several seeds.

Reports each variant's validation loss (and the change against GPT-2's), its tokens/s, the loss curves, and the
tokens the recipe needs to reach GPT-2's final validation loss (token efficiency = GPT-2's tokens / the recipe's).
This is what decides `minformer pretrain`'s defaults (issue 17).

    .venv/bin/python benchmarks/quality.py --corpus builtin code [--steps 600] [--seeds 3]
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_info  # noqa: E402
from quality_data import corpus_blocks  # noqa: E402

import minformer  # noqa: E402
from minformer.training.optimizers import MuonFactory  # noqa: E402

RESULTS = Path(__file__).parent / "results"
L, C, H, F, SEQ, BATCH, VOCAB = 4, 256, 4, 1024, 128, 16, 4096
CURVE_BLOCKS, FINAL_BLOCKS = 256, 512  # validation blocks (32k and 65k tokens) for the curve points, the final loss
COMPONENTS = {  # config changes on top of MinformerDecoderConfig's defaults; "muon" is the optimiser
    "qk_norm": dict(qk_norm=True),
    "relu2": dict(hidden_act="relu2"),
    "zero_init": dict(zero_init_residual=True),
    "untied": dict(tie_word_embeddings=False),
    "rmsnorm_nobias": dict(norm_type="rmsnorm", attention_bias=False, mlp_bias=False),
    "muon": {},
}


def make_model(variant: str, vocab: int) -> torch.nn.Module:
    if variant == "gpt2":
        return GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_embd=C, n_layer=L, n_head=H, n_inner=F, n_positions=SEQ,
                                          resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=2,
                                          eos_token_id=3))
    changes = {}
    for component in variant.split("+")[1:]:
        changes.update(COMPONENTS[component])
    return minformer.MinformerDecoderForCausalLM(minformer.MinformerDecoderConfig(
        vocab_size=vocab, hidden_size=C, num_hidden_layers=L, num_attention_heads=H, intermediate_size=F,
        max_position_embeddings=SEQ, bos_token_id=2, eos_token_id=3, pad_token_id=0, **changes))


def validation_loss(model, blocks: torch.Tensor) -> float:
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(blocks), 64):
            ids = blocks[start:start + 64]
            total += model(input_ids=ids, labels=ids).loss.item() * len(ids)
    model.train()
    return total / len(blocks)


def optimizer_and_schedule(model: torch.nn.Module, muon: bool, lr: float, steps: int) -> tuple:
    """AdamW (weight decay 0.01), or Muon for the blocks' matrices + AdamW for the rest; 5% warmup, cosine decay."""
    if muon:
        optimizer = MuonFactory()(model, lr=lr, weight_decay=0.01)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 20)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1, (s + 1) / warmup) * 0.5 * (
        1 + math.cos(math.pi * min(s, steps) / steps)))


def train(variant: str, data: dict, steps: int, lr: float, seed: int, eval_every: int) -> dict:
    """One run: warmup then cosine decay, gradient clipping at 1, AdamW (weight decay 0.01) or Muon + AdamW."""
    torch.manual_seed(seed)
    model = make_model(variant, data["vocab"]).train()
    model.set_attn_implementation("sdpa")
    optimizer, schedule = optimizer_and_schedule(model, "muon" in variant.split("+"), lr, steps)
    blocks, order = data["train"], torch.randperm(len(data["train"]), generator=torch.Generator().manual_seed(seed))
    curve, seconds = [], 0.0
    for step in range(1, steps + 1):
        began = time.perf_counter()
        ids = blocks[order[((step - 1) * BATCH) % len(order):][:BATCH]]
        model(input_ids=ids, labels=ids).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        seconds += time.perf_counter() - began
        if step % eval_every == 0 or step == steps:
            curve.append((step * BATCH * SEQ, validation_loss(model, data["validation"][:CURVE_BLOCKS])))
    return {"variant": variant, "lr": lr, "seed": seed,
            "validation_loss": validation_loss(model, data["validation"][:FINAL_BLOCKS]),
            "curve": curve, "tokens_per_second": steps * BATCH * SEQ / seconds}


def tokens_to_reach(curve: list, target: float) -> float | None:
    """The tokens at which a curve first reaches `target` (linear between its points), None if it never does."""
    for (t0, l0), (t1, l1) in zip([(0, math.inf)] + curve, curve):
        if l1 <= target:
            return t1 if not math.isfinite(l0) else t0 + (t1 - t0) * (l0 - target) / (l0 - l1)
    return None


def sweep(variant: str, data: dict, args, lrs: list[float]) -> dict:
    runs = [train(variant, data, args.steps, lr, 0, args.eval_every) for lr in lrs]
    for run in runs:
        print(f"  {variant:<34} lr {run['lr']:<7g} validation loss {run['validation_loss']:.4f}  "
              f"{run['tokens_per_second']:,.0f} tokens/s", flush=True)
    return min(runs, key=lambda run: run["validation_loss"])


def run_corpus(corpus: str, args) -> dict:
    train_blocks, validation, vocab = corpus_blocks(corpus, VOCAB, SEQ)
    data = {"train": train_blocks, "validation": validation, "vocab": vocab}
    print(f"{corpus}: {len(train_blocks):,} training blocks, {len(validation):,} validation blocks of {SEQ} tokens; "
          f"{args.steps * BATCH * SEQ:,} training tokens per run", flush=True)
    # the baseline, minformer's default and the recipe get the sweep; each single component runs at the default's best
    swept = {"gpt2": args.baseline_lrs or args.lrs}
    if not args.baseline_and_recipe:
        swept["minformer"] = args.lrs
    swept[args.recipe] = args.recipe_lrs or args.lrs
    best = {variant: sweep(variant, data, args, lrs) for variant, lrs in swept.items()}
    for variant in [] if args.baseline_and_recipe else args.variants:
        if variant not in best:
            best[variant] = sweep(variant, data, args, [best["minformer"]["lr"]])
    gpt2 = best["gpt2"]["validation_loss"]
    seeds = {}
    for variant in ("gpt2", args.recipe):
        lr = best[variant]["lr"]
        seeds[variant] = [best[variant]] + [train(variant, data, args.steps, lr, seed, args.eval_every)
                                            for seed in range(1, args.seeds)]
    ratios = []
    for baseline, recipe in zip(seeds["gpt2"], seeds[args.recipe]):
        # the target is the baseline's final loss on the curve's own validation blocks, so both sides of the
        # comparison are measured on the same text (the final loss uses more blocks)
        reached = tokens_to_reach(recipe["curve"], baseline["curve"][-1][1])
        ratios.append(args.steps * BATCH * SEQ / reached if reached else None)
    lower = [100 * (1 - recipe["validation_loss"] / baseline["validation_loss"])
             for baseline, recipe in zip(seeds["gpt2"], seeds[args.recipe])]
    summary = {
        "corpus": corpus, "vocab": vocab, "training_blocks": len(train_blocks), "validation_blocks": len(validation),
        "best": {variant: {k: v for k, v in run.items() if k != "curve"} | {
            "vs_gpt2_percent": 100 * (1 - run["validation_loss"] / gpt2)} for variant, run in best.items()},
        "seeds": {variant: [{k: v for k, v in run.items()} for run in runs] for variant, runs in seeds.items()},
        "token_efficiency": ratios,
        "lower_at_equal_tokens_percent": lower,
    }
    found = [r for r in ratios if r is not None]
    spread = f"{statistics.mean(found):.2f}× (min {min(found):.2f}, max {max(found):.2f})" if found else "not reached"
    print(f"{corpus}: {args.recipe} reaches GPT-2's validation loss with token efficiency {spread} over "
          f"{len(ratios)} seeds; at equal tokens its loss is {statistics.mean(lower):.1f}% lower "
          f"(min {min(lower):.1f}, max {max(lower):.1f})", flush=True)
    return summary


def leave_one_out(corpus: str, args) -> dict:
    """The recipe, then the recipe without each of its components, all at the recipe's learning rate (the first of
    --lrs) and seed 0: which components still help once the others are there."""
    train_blocks, validation, vocab = corpus_blocks(corpus, VOCAB, SEQ)
    data = {"train": train_blocks, "validation": validation, "vocab": vocab}
    components = args.recipe.split("+")[1:]
    left_out = [None] * (not args.skip_recipe) + [group.split(",") for group in args.without or components]
    runs = []
    for left in left_out:
        variant = "+".join(["minformer", *(c for c in components if c not in (left or []))])
        run = train(variant, data, args.steps, args.lrs[0], 0, args.eval_every) | {"without": left}
        name = "recipe" if left is None else "without " + "+".join(left)
        print(f"  {name:<40} validation loss {run['validation_loss']:.4f}  {run['tokens_per_second']:,.0f} tokens/s",
              flush=True)
        runs.append(run)
    return {"corpus": corpus, "vocab": vocab, "lr": args.lrs[0], "runs": runs}


def plot(results: list, path: Path, recipe: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4), squeeze=False)
    for axis, result in zip(axes[0], results):
        for variant, color, name in (("gpt2", "tab:gray", "GPT-2 + AdamW"), (recipe, "tab:blue", "recipe")):
            for index, run in enumerate(result["seeds"][variant]):
                tokens, losses = zip(*run["curve"])
                axis.plot([t / 1e6 for t in tokens], losses, color=color, alpha=0.8,
                          label=f"{name}, lr {run['lr']:g}, {len(result['seeds'][variant])} seeds" if index == 0
                          else None)
        axis.axhline(result["seeds"]["gpt2"][0]["curve"][-1][1], color="tab:gray", linestyle=":", linewidth=1)
        axis.set(title=f"{result['corpus']} corpus", xlabel="training tokens (M)", ylabel="validation loss")
        axis.legend()
    figure.suptitle(f"recipe: {recipe}", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+", default=["builtin", "code"])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--lrs", type=float, nargs="+", default=[1e-3, 2e-3, 4e-3])
    parser.add_argument("--baseline-lrs", type=float, nargs="+", help="GPT-2's sweep instead of --lrs")
    parser.add_argument("--recipe-lrs", type=float, nargs="+", help="the recipe's sweep instead of --lrs")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--variants", nargs="+", default=["gpt2", "minformer"] + [
        f"minformer+{component}" for component in COMPONENTS])
    # pretrain's default decoder (training/pretrain_defaults.py); the ablations' first recipe was every component
    # together, with soft-capped logits (an option since dropped: removing it from the recipe lowered the loss)
    parser.add_argument("--recipe", default="minformer+qk_norm+relu2+zero_init+untied+muon")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default="quality")
    parser.add_argument("--replot", nargs="+", metavar="RESULTS", help="draw --output's PNG from the JSON of earlier "
                        "runs (names in results/, e.g. quality_default quality_code) instead of training")
    parser.add_argument("--skip-recipe", action="store_true", help="with --leave-one-out: no run of the whole recipe")
    parser.add_argument("--baseline-and-recipe", action="store_true",
                        help="only GPT-2 and the recipe (sweep and seeds): a second corpus's check")
    parser.add_argument("--leave-one-out", action="store_true",
                        help="run the recipe without each of its components instead (at the first of --lrs)")
    parser.add_argument("--without", nargs="+", help="with --leave-one-out: the components to leave out, one run "
                                                     "each (a,b: both in one run); default each component")
    args = parser.parse_args()
    if args.replot:  # one PNG of the results of one or more earlier runs (of the same recipe)
        saved = [json.loads((RESULTS / f"{name}.json").read_text()) for name in args.replot]
        return plot([result for run in saved for result in run["results"]], RESULTS / f"{args.output}.png",
                    saved[0]["recipe"])
    torch.set_num_threads(args.threads)
    results = [(leave_one_out if args.leave_one_out else run_corpus)(corpus, args) for corpus in args.corpus]
    RESULTS.mkdir(exist_ok=True)
    if not args.leave_one_out:
        plot(results, RESULTS / f"{args.output}.png", args.recipe)
    (RESULTS / f"{args.output}.json").write_text(json.dumps(
        {"machine": {**machine_info(), "threads": args.threads}, "date": time.strftime("%Y-%m-%d"),
         "steps": args.steps, "batch": BATCH, "sequence": SEQ, "tokens": args.steps * BATCH * SEQ, "lrs": args.lrs,
         "recipe": args.recipe, "model": dict(layers=L, hidden=C, heads=H, intermediate=F), "results": results},
        indent=2) + "\n")


if __name__ == "__main__":
    main()
