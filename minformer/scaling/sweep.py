"""`minformer scaling`: train a grid of small decoders (sizes × token budgets) on one corpus with the Trainer,
measure each one's validation loss, and fit L(N, D) = E + A/N^α + B/D^β to them.

Every run sees the same tokenizer, data order, optimiser and a cosine schedule as long as its budget (as the paper
matches the schedule to the run). Constants fitted on models of 10⁴-10⁶ parameters and 10⁵-10⁶ tokens describe this
corpus at this scale: they are not the paper's, and extrapolating them far is not meaningful.
"""

import json
import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from transformers import PrinterCallback, set_seed

from ..configuration import MinformerDecoderConfig
from ..data import SourceOptions, causal_lm_collator, packed_splits
from ..loading import load_tokenizer
from ..outputs import claimed_output
from ..tokenization import for_family, special_ids, train_bpe
from .fit import Fit, fit_parametric_loss
from .flops import parameter_count, training_flops_per_token

MAX_EVAL_BLOCKS = 256
# 45 k to 0.9 M parameters, 64 k to 590 k tokens (within one pass over the built-in corpus at a 1024-token BPE):
# 12 runs, about 2 minutes on 2 CPU cores
DEFAULT_SIZES = ("1x32", "2x64", "3x96", "4x128")
DEFAULT_TOKENS = (65_536, 196_608, 589_824)


@dataclass
class SweepOptions:
    source: SourceOptions = field(default_factory=SourceOptions)
    output_dir: str = "runs/scaling"
    overwrite: bool = False
    sizes: tuple[str, ...] = DEFAULT_SIZES  # LAYERSxWIDTH; head size 32 (one head below 64)
    tokens: tuple[int, ...] = DEFAULT_TOKENS  # training tokens per run
    sequence_length: int = 64  # tokens per training sequence
    batch_size: int = 16
    vocab_size: int = 1024
    tokenizer: str | None = None  # a saved tokenizer folder; None trains one on the training split
    learning_rate: float = 3e-3
    seed: int = 0
    bootstrap: int = 100


def parse_size(size: str) -> tuple[int, int]:
    """"LxC" -> (layers, width), e.g. "2x64" -> (2, 64)."""
    try:
        layers, width = (int(part) for part in size.lower().split("x"))
    except ValueError:
        raise ValueError(f"model size {size!r} is not LAYERSxWIDTH; write e.g. 2x64 (2 layers, hidden size 64).")
    if layers < 1 or width < 8 or width % 8:
        raise ValueError(f"model size {size!r}: need at least 1 layer and a width that is a multiple of 8 (>= 8).")
    return layers, width


def sweep_config(size: str, vocab_size: int, sequence_length: int, special: dict) -> MinformerDecoderConfig:
    layers, width = parse_size(size)
    return MinformerDecoderConfig(vocab_size=vocab_size, hidden_size=width, num_hidden_layers=layers,
                                  num_attention_heads=max(1, width // 32), max_position_embeddings=sequence_length,
                                  **special)


def _arguments(options: SweepOptions, run_dir: Path, steps: int):
    """The shared training arguments for one run of the sweep: no evaluation, checkpoints or logs during training
    (one line per run instead), the cosine schedule over the run's own budget."""
    from ..training.arguments import training_arguments
    from ..training.options import RunOptions

    run = RunOptions(output_dir=str(run_dir), max_steps=steps, batch_size=options.batch_size,
                     learning_rate=options.learning_rate, warmup_ratio=0.05, weight_decay=0.01, seed=options.seed)
    return training_arguments(run, run_dir, evaluate=False, per_device_eval_batch_size=64, save_strategy="no",
                              logging_strategy="no", disable_tqdm=True)


def run_sweep(options: SweepOptions) -> dict:
    """Train every size × budget, fit the law, write scaling.json and scaling.png to the output folder."""
    if not options.sizes or not options.tokens:
        raise ValueError("give at least one model size (--sizes) and one token budget (--tokens).")
    if min(options.tokens) < options.batch_size * options.sequence_length:
        raise ValueError(f"a token budget below one batch ({options.batch_size} × {options.sequence_length} tokens) "
                         "trains nothing; raise --tokens.")
    for size in options.sizes:
        parse_size(size)
    output = Path(options.output_dir)
    with claimed_output(output, [*options.source.files, options.tokenizer], options.overwrite) as staging:
        result, fit, tokenizer = _sweep(options, staging)  # the old output is replaced only if this succeeds
    print(describe_fit(fit))
    print(f"wrote {output / 'scaling.json'} and {output / 'scaling.png'}")
    return result


def _sweep(options: SweepOptions, staging: Path):
    from ..modeling import MinformerDecoderForCausalLM
    from ..training.denormals import flushed_denormals
    from ..training.trainer import MinformerTrainer
    from .plots import plot_scaling

    set_seed(options.seed)
    data = options.source.load(builtin="corpus")
    if options.tokenizer:
        tokenizer = load_tokenizer(options.tokenizer)
    else:
        texts = (t for batch in data["train"].iter(1000) for t in batch["text"])
        tokenizer = for_family(train_bpe(texts, vocab_size=options.vocab_size, length=None), "decoder",
                               model_max_length=options.sequence_length)
    special = special_ids(tokenizer)
    blocks = packed_splits(data, tokenizer, options.sequence_length, tokenizer.eos_token_id)
    train_blocks, eval_blocks = blocks["train"], blocks["validation"]
    eval_blocks = eval_blocks.select(range(min(MAX_EVAL_BLOCKS, len(eval_blocks))))
    unique_tokens = len(train_blocks) * options.sequence_length
    print(f"{unique_tokens:,} training tokens, {len(eval_blocks) * options.sequence_length:,} validation tokens, "
          f"vocabulary {len(tokenizer)}")
    if max(options.tokens) > unique_tokens:
        print(f"note: budgets above {unique_tokens:,} tokens repeat the training text; the law assumes fresh tokens")

    runs = []
    scratch = tempfile.TemporaryDirectory(prefix="minformer-scaling-")  # the Trainer's output_dir; nothing is kept
    for size in options.sizes:
        config = sweep_config(size, len(tokenizer), options.sequence_length, special)
        for budget in sorted(options.tokens):
            steps = budget // (options.batch_size * options.sequence_length)
            set_seed(options.seed)
            model = MinformerDecoderForCausalLM(config)
            trainer = MinformerTrainer(model=model, args=_arguments(options, Path(scratch.name), steps),
                                       train_dataset=train_blocks, eval_dataset=eval_blocks,
                                       data_collator=causal_lm_collator(tokenizer))
            trainer.remove_callback(PrinterCallback)  # one line per run below, not the Trainer's metric dicts
            began = time.perf_counter()
            with flushed_denormals():
                trainer.train()
            seconds = time.perf_counter() - began
            loss = trainer.evaluate()["eval_loss"]
            tokens = steps * options.batch_size * options.sequence_length
            run = {"size": size, "layers": config.num_hidden_layers, "hidden_size": config.hidden_size,
                   "parameters": parameter_count(config), "tokens": tokens,
                   "flops": tokens * training_flops_per_token(config, options.sequence_length),
                   "chinchilla_flops": 6 * parameter_count(config) * tokens, "validation_loss": loss,
                   "train_seconds": round(seconds, 2)}
            runs.append(run)
            print(f"{size:>6}  N={run['parameters']:>9,}  D={tokens:>9,}  C={run['chinchilla_flops']:.2e}  "
                  f"loss {loss:.4f}  ({seconds:.1f} s)", flush=True)
    scratch.cleanup()

    fit = fit_parametric_loss([r["parameters"] for r in runs], [r["tokens"] for r in runs],
                              [r["validation_loss"] for r in runs], bootstrap=options.bootstrap, seed=options.seed)
    result = {"runs": runs, "fit": fit.to_dict(), "block_size": options.sequence_length,
              "batch_size": options.batch_size, "vocab_size": len(tokenizer), **options.source.describe("corpus"),
              "note": "constants fitted on tiny models and tiny data: not Hoffmann et al.'s, and only valid near "
                      "the sizes and budgets measured"}
    plot_scaling(runs, fit, staging / "scaling.png")
    (staging / "scaling.json").write_text(json.dumps(result, indent=2) + "\n")
    tokenizer.save_pretrained(staging / "tokenizer")
    return result, fit, tokenizer


def describe_fit(fit: Fit) -> str:
    """The fitted constants with their bootstrap uncertainty, one line each."""
    law, err = fit.law, fit.stderr
    lines = [f"fitted L(N, D) = E + A/N^α + B/D^β on {fit.runs} runs (± bootstrap standard deviation; A and B "
             "×/÷ their bootstrap spread):"]
    for name, value in (("α", law.alpha), ("β", law.beta), ("E", law.E)):
        lines.append(f"  {name} = {value:.4g} ± {err[{'α': 'alpha', 'β': 'beta'}.get(name, name)]:.2g}")
    for name, value in (("A", law.A), ("B", law.B)):
        lines.append(f"  {name} = {value:.4g} ×/÷ {math.exp(err['log_' + name]):.3g}")
    lines.append(f"  compute-optimal N ∝ C^{law.a:.3f}, D ∝ C^{law.b:.3f}; rms log residual "
                 f"{fit.rms_log_residual:.4f}")
    lines.append("  (tiny models, tiny data: these constants are not the paper's E=1.69, A=406.4, B=410.7, "
                 "α=0.34, β=0.28)")
    return "\n".join(lines)
