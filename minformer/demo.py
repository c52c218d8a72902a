"""The whole path on the built-in corpus, offline: tokenizer -> decoder and encoder pretraining -> classifier
fine-tuning -> evaluation against baselines -> generation, all written into one folder with a Markdown report."""

import json
import time
from pathlib import Path

from .data import SourceOptions, load_text
from .errors import Interrupted
from .generation import generate_texts
from .outputs import claimed_output
from .run_summary import RunSummary
from .tokenization import for_family, format_report, save_tokenizer, tokenizer_report, train_bpe
from .training.evaluation import evaluate_saved_model
from .training.finetune import FinetuneOptions, finetune
from .training.options import RunOptions
from .training.pretrain import PretrainOptions, pretrain
from .validation import check_positive_float

PROMPTS = ["Return the", "The default value of", "If the argument is"]


def demo(output_dir: str = "runs/demo", overwrite: bool = False, scale: float = 1.0) -> dict:
    """Run every step; `scale` multiplies the training steps (1.0 is the README's demo, < 15 minutes on 2 cores)."""
    check_positive_float(scale, "--scale")
    final = Path(output_dir)
    try:
        with claimed_output(final, overwrite=overwrite) as staging:  # replaces the old demo only when complete
            results = _demo(staging, final, scale)
    except KeyboardInterrupt:
        unchanged = f"; {final} is unchanged" if final.exists() else ""
        raise Interrupted(f"interrupted: the demo did not finish, so nothing of it was kept{unchanged}.") from None
    print(summary_lines(results))
    print(f"everything is in {final} (report.md, metrics.json, */loss.png)")
    return results


def _demo(output: Path, final: Path, scale: float) -> dict:
    """Every step, written into the staging folder `output` that becomes `final`."""
    started = time.perf_counter()
    steps = lambda n: max(2, int(n * scale))  # noqa: E731
    corpus = load_text(builtin="corpus")

    print("== 1/5 tokenizer: byte-level BPE on the built-in corpus")
    bpe = train_bpe((t for b in corpus["train"].iter(1000) for t in b["text"]), vocab_size=4096)
    report = tokenizer_report(for_family(bpe, "decoder"), corpus["validation"]["text"][:200])
    print(format_report(report))
    for family in ("decoder", "encoder"):
        save_tokenizer(for_family(bpe, family, model_max_length=128), output / f"tokenizer-{family}")

    def run(name, max_steps, learning_rate, eval_steps):
        return RunOptions(output_dir=str(output / name), max_steps=steps(max_steps), batch_size=16,
                          learning_rate=learning_rate, eval_steps=steps(eval_steps), logging_steps=steps(25),
                          save_steps=steps(eval_steps), save_total_limit=1, warmup_ratio=0.05)

    print("== 2/5 pretraining a decoder (causal LM)")
    decoder = pretrain(PretrainOptions(family="decoder", source=SourceOptions(builtin=True),
                                       tokenizer=str(output / "tokenizer-decoder"), preset="small",
                                       sequence_length=128,
                                       run=run("decoder", 600, 2e-3, 150)))
    print("== 3/5 pretraining an encoder (masked LM)")
    encoder = pretrain(PretrainOptions(family="encoder", source=SourceOptions(builtin=True),
                                       tokenizer=str(output / "tokenizer-encoder"), preset="small",
                                       sequence_length=128,
                                       run=run("encoder", 500, 2e-3, 125)))
    print("== 4/5 fine-tuning the encoder: which standard-library package does a docstring come from?")
    classifier = finetune(FinetuneOptions(model=str(output / "encoder"), source=SourceOptions(builtin=True),
                                          run=run("classifier", 300, 5e-4, 100)))
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
        f"total time                   {results['seconds'] / 60:.1f} min",
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
