"""The whole path on the built-in corpus, offline: tokenizer -> decoder and encoder pretraining -> classifier
fine-tuning -> evaluation against baselines -> generation, all written into one folder with a Markdown report.

It fits a time budget (`--minutes`) on any machine: before each pretraining run the scaling planner sizes the
compute-optimal model for that run's share of the time left, at the training FLOP/s measured here
(`scaling/time_budget.py`), so a slower or busier machine trains a smaller model rather than running late.
"""

import json
import time
from pathlib import Path

from .data import SourceOptions, load_text
from .errors import Interrupted
from .generation import generate_texts
from .outputs import claimed_output
from .run_summary import RunSummary
from .scaling.throughput import measure_training_flops_per_second
from .scaling.time_budget import BudgetPlan, plan_for_seconds
from .tokenization import for_family, format_report, save_tokenizer, tokenizer_report, train_bpe
from .training.evaluation import evaluate_saved_model
from .training.finetune import FinetuneOptions, finetune
from .training.options import RunOptions
from .training.pretrain import PretrainOptions, pretrain
from .training.pretrain_defaults import PRETRAIN_DEFAULTS
from .validation import check_positive_float

PROMPTS = ["Return the", "The default value of", "If the argument is"]
SEQUENCE_LENGTH, BATCH_SIZE = 128, 16
SHARES = {"decoder": 0.4, "encoder": 0.4, "classifier": 0.2}  # of the training time left when each run starts
RESERVE = 0.06  # of the budget, kept for the final evaluation and generation (about 20-40 s on 2 cores)
MIN_RUN_SECONDS = 5.0  # a run's share never goes below this, even when the budget is already spent
# A fine-tuning step (16 docstrings of ~51 real tokens, padded per batch) costs about 0.6 of a 128-token masked-LM
# step: measured in two demo runs (0.20 s against 0.30 s, and 0.185 s against 0.306 s; Intel Xeon, 2 cores).
CLASSIFIER_STEP_COST = 0.6


def demo(output_dir: str = "runs/demo", overwrite: bool = False, minutes: float = 10.0) -> dict:
    """Run every step within about `minutes` of wall time (planned from this machine's measured speed)."""
    check_positive_float(minutes, "--minutes")
    final = Path(output_dir)
    try:
        with claimed_output(final, overwrite=overwrite) as staging:  # replaces the old demo only when complete
            results = _demo(staging, final, minutes)
    except KeyboardInterrupt:
        unchanged = f"; {final} is unchanged" if final.exists() else ""
        raise Interrupted(f"interrupted: the demo did not finish, so nothing of it was kept{unchanged}.") from None
    print(summary_lines(results))
    print(f"everything is in {final} (report.md, metrics.json, */loss.png)")
    return results


class Budget:
    """The wall time left for the demo's training runs, split as each run starts (so a run that took longer than
    planned shrinks the ones after it)."""

    def __init__(self, minutes: float):
        self.minutes, self.started = minutes, time.perf_counter()
        self.deadline = self.started + minutes * 60 * (1 - RESERVE)

    def share(self, run: str) -> float:
        later = list(SHARES)[list(SHARES).index(run):]
        left = self.deadline - time.perf_counter()
        return max(MIN_RUN_SECONDS, left * SHARES[run] / sum(SHARES[name] for name in later))


def _plan(budget: Budget, run: str, vocab_size: int, available_tokens: float) -> BudgetPlan:
    def measure(config, length):
        defaults = PRETRAIN_DEFAULTS[run]  # time the architecture and optimiser pretrain() will train
        return measure_training_flops_per_second(config, length, BATCH_SIZE, family=run,
                                                 architecture=defaults.architecture, optimizer=defaults.optimizer)

    plan = plan_for_seconds(budget.share(run), vocab_size, SEQUENCE_LENGTH, BATCH_SIZE, measure,
                            available_tokens=available_tokens)
    print(f"plan for the {run}: {plan.describe()}", flush=True)
    return plan


def _demo(output: Path, final: Path, minutes: float) -> dict:
    """Every step, written into the staging folder `output` that becomes `final`."""
    budget = Budget(minutes)
    started = budget.started
    corpus = load_text(builtin="corpus")

    print("== 1/5 tokenizer: byte-level BPE on the built-in corpus")
    bpe = train_bpe((t for b in corpus["train"].iter(1000) for t in b["text"]), vocab_size=4096)
    report = tokenizer_report(for_family(bpe, "decoder"), corpus["validation"]["text"][:200])
    print(format_report(report))
    for family in ("decoder", "encoder"):
        save_tokenizer(for_family(bpe, family, model_max_length=128), output / f"tokenizer-{family}")

    def run(name, steps, learning_rate):
        evaluations = max(1, steps // 4)  # four evaluations (and checkpoints) per run
        return RunOptions(output_dir=str(output / name), max_steps=steps, batch_size=BATCH_SIZE,
                          learning_rate=learning_rate, eval_steps=evaluations, logging_steps=max(1, steps // 24),
                          save_steps=evaluations, save_total_limit=1, warmup_ratio=0.05)

    corpus_tokens = sum(len(text) for text in corpus["train"]["text"]) / report["bytes_per_token"]
    trained, plans = {}, {}
    for step, family in (("2/5", "decoder"), ("3/5", "encoder")):
        print(f"== {step} pretraining {'a decoder (causal LM)' if family == 'decoder' else 'an encoder (masked LM)'}")
        plans[family] = _plan(budget, family, bpe.get_vocab_size(), corpus_tokens)
        trained[family] = pretrain(PretrainOptions(
            family=family, source=SourceOptions(builtin=True), tokenizer=str(output / f"tokenizer-{family}"),
            preset=None, sequence_length=SEQUENCE_LENGTH, **plans[family].sizes(),
            run=run(family, plans[family].steps, None)))  # the family's default optimiser and learning rate
    print("== 4/5 fine-tuning the encoder: which standard-library package does a docstring come from?")
    seconds_per_step = trained["encoder"]["train_seconds"] / max(1, trained["encoder"]["steps"])
    classifier_seconds = budget.share("classifier")
    classifier_steps = max(2, int(classifier_seconds / (seconds_per_step * CLASSIFIER_STEP_COST)))
    print(f"plan for the classifier: {classifier_seconds:.0f} s at the encoder's measured {seconds_per_step:.3f} s "
          f"per step -> {classifier_steps} steps", flush=True)
    classifier = finetune(FinetuneOptions(model=str(output / "encoder"), source=SourceOptions(builtin=True),
                                          run=run("classifier", classifier_steps, 5e-4)))
    decoder, encoder = trained["decoder"], trained["encoder"]
    summary = RunSummary.read(output / "classifier")
    summary.base_model = classifier["base_model"] = str(final / "encoder")  # where it will be, not its staging
    summary.write(output / "classifier")

    print("== 5/5 evaluation on the test splits, and generation")
    labelled = load_text(builtin="labelled")
    results = {
        "tokenizer": report,
        "decoder": evaluate_saved_model(str(output / "decoder"), corpus),
        "encoder": evaluate_saved_model(str(output / "encoder"), corpus),
        "classifier": evaluate_saved_model(str(output / "classifier"), labelled),
        "training": {"decoder": decoder, "encoder": encoder, "classifier": classifier},
        "plan": {"minutes": minutes, **{name: {**plan.to_dict(), "actual_seconds": trained[name]["train_seconds"]}
                                        for name, plan in plans.items()},
                 "classifier": {"seconds": round(classifier_seconds, 1), "steps": classifier_steps,
                                "actual_seconds": classifier["train_seconds"]}},
    }
    samples = generate_texts(str(output / "decoder"), PROMPTS, max_new_tokens=40, seed=0)
    results["samples"] = samples
    results["seconds"] = round(time.perf_counter() - started, 1)
    (output / "metrics.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (output / "report.md").write_text(markdown_report(results))
    return results


def summary_lines(results: dict) -> str:
    d, e, c = results["decoder"], results["encoder"], results["classifier"]
    return "\n".join([
        f"decoder test perplexity      {d['perplexity']:.1f}   (unigram model of the same tokens: "
        f"{d['unigram_perplexity']:.1f})",
        f"encoder test MLM perplexity  {e['perplexity']:.1f}",
        f"classifier test accuracy     {c['accuracy']:.3f}   (majority class: {c['majority_baseline_accuracy']:.3f}); "
        f"macro-F1 {c['f1']:.3f}",
        f"total time                   {results['seconds'] / 60:.1f} min   (budget {results['plan']['minutes']:g} "
        "min)",
    ])


def markdown_report(results: dict) -> str:
    samples = "\n".join(f"- `{s.strip()}`" for s in results["samples"])
    rows = "\n".join(
        f"| {name} | {r['steps']} | {r['tokens_seen']:,} | {r['train_seconds']} | {r['tokens_per_second']:,.0f} |"
        for name, r in results["training"].items())
    return f"""# minformer demo

Everything below was produced by `minformer demo` on the built-in corpus (Python's own documentation and
docstrings), offline.

## Results on the test splits

```
{summary_lines(results)}
```

## Training

| run | steps | tokens seen | train seconds | tokens/s |
|---|---:|---:|---:|---:|
{rows}

Loss curves: `decoder/loss.png`, `encoder/loss.png`, `classifier/loss.png`.

## Samples from the decoder

{samples}
"""
