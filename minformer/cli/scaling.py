"""`minformer plan` (compute-optimal size for a budget) and `minformer scaling` (fit a scaling law on a corpus)."""

import argparse
import json
from pathlib import Path

from .flags import SEQUENCE_LENGTH, add_output_dir_argument, add_sequence_length_argument, options_from
from .sources import add_source_arguments, source_options


def add_plan_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("plan", help="compute-optimal model size and tokens for a budget (Chinchilla)",
                                 description="How many parameters and tokens minimise the loss for a compute "
                                             "budget (Hoffmann et al. 2022), the closest minformer decoder, its "
                                             "predicted loss and the wall time on this machine.")
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument("--flops", type=float, help="training compute budget in FLOPs, e.g. 1e15")
    budget.add_argument("--hours", type=float, help="training time on this machine (FLOP/s measured now)")
    parser.add_argument("--vocab-size", type=int, default=8192, help="tokenizer size (default 8192)")
    add_sequence_length_argument(parser, default=128, help="training sequence length")
    parser.add_argument("--target", choices=["parametric", "rule"], default="parametric",
                        help="which allocation the config follows: the paper's fitted law (default) or 20 "
                             "tokens per parameter")
    parser.add_argument("--law", help="a scaling.json written by `minformer scaling`: plan with your own fitted "
                                      "constants instead of the paper's")
    parser.add_argument("--flops-per-second", type=float,
                        help="training FLOP/s to assume instead of measuring this machine")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.set_defaults(run=run_plan)


def _law(path: str | None):
    from ..scaling.chinchilla import CHINCHILLA, ParametricLoss

    if path is None:
        return CHINCHILLA, "Hoffmann et al. 2022 (E=1.69, A=406.4, B=410.7, α=0.34, β=0.28, as printed)"
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--law {path}: no such file; give the scaling.json a `minformer scaling` run wrote.")
    try:
        constants = json.loads(file.read_text())["fit"]["law"]
        return ParametricLoss(**constants), f"fitted in {path}"
    except (KeyError, TypeError, json.JSONDecodeError):
        raise ValueError(f"--law {path} is not a scaling.json from `minformer scaling` (no fit.law inside).")


def run_plan(args: argparse.Namespace) -> int:
    from ..scaling.wall_time import plan_for_hours, timed_plan
    from ..validation import check_positive_int

    check_positive_int(args.vocab_size, "--vocab-size")
    check_positive_int(args.sequence_length, SEQUENCE_LENGTH)
    law, law_source = _law(args.law)
    options = dict(vocab_size=args.vocab_size, block_size=args.sequence_length, target=args.target, law=law,
                   flops_per_second=args.flops_per_second)
    timed = plan_for_hours(args.hours, **options) if args.hours is not None else timed_plan(args.flops, **options)
    if args.json:
        print(json.dumps({**timed.plan.to_dict(), "law": law_source}, indent=2))
        return 0
    print(format_plan(timed.plan, law_source, timed.measured_on))
    return 0


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 3600 * 24 * 365:
        return f"{seconds / 3600:,.1f} h"
    return f"{seconds / (3600 * 24 * 365):,.3g} years"


def format_plan(result, law_source: str, timed=None) -> str:
    c = result.config
    rows = [("parametric fit (Approach 3)", result.parametric_parameters, result.parametric_tokens,
             result.parametric_loss),
            ("20 tokens per parameter", result.rule_parameters, result.rule_tokens, result.rule_loss),
            (f"minformer decoder {c['num_hidden_layers']}×{c['hidden_size']}", result.config_parameters,
             result.config_tokens, result.config_loss)]
    lines = [f"compute budget: {result.flops:.3g} FLOPs (C = 6·N·D)",
             f"{'':<30}{'parameters N':>14}{'tokens D':>14}{'D/N':>8}{'predicted loss':>16}"]
    for name, n, d, loss in rows:
        lines.append(f"{name:<30}{n:>14.4g}{d:>14.4g}{d / n:>8.1f}{loss:>16.3f}")
    lines += [
        f"config: hidden_size={c['hidden_size']}, num_hidden_layers={c['num_hidden_layers']}, "
        f"num_attention_heads={c['num_attention_heads']}, intermediate_size={c['intermediate_size']}, "
        f"vocab_size={c['vocab_size']}, block size {c['block_size']}",
        f"parameters count every weight, embeddings included (tied input/output embedding counted once), as "
        f"Hoffmann et al. do; this config's actual training cost is {result.config_flops_per_token:,} FLOPs/token "
        f"(6·N_matmul + 12·L·T·C) against 6·N = {6 * result.config_parameters:,}",
        f"predicted losses use {law_source}: nats/token on the paper's data and tokenizer, a guide to the shape "
        "of the trade-off, not a promise for your corpus",
    ]
    if result.seconds is not None:
        where = (f"measured here on a {timed.num_hidden_layers}×{timed.hidden_size} decoder" if timed is not None
                 else "as given")
        lines.append(f"wall time on this machine: {_hours(result.seconds)} at {result.flops_per_second:.3g} "
                     f"training FLOP/s ({where})")
    return "\n".join(lines)


def add_scaling_command(commands: argparse._SubParsersAction) -> None:
    from ..scaling.sweep import DEFAULT_SIZES, DEFAULT_TOKENS

    parser = commands.add_parser("scaling", help="fit a scaling law: train a grid of small decoders on a corpus",
                                 description="Train small decoders (sizes × token budgets) on a corpus, fit "
                                             "L(N, D) = E + A/N^α + B/D^β to their validation losses and plot loss "
                                             "against compute with the fitted frontier.")
    add_source_arguments(parser)
    add_output_dir_argument(parser, required=True, help="folder for scaling.json, scaling.png and the tokenizer")
    parser.add_argument("--overwrite", action="store_true", help="replace an output folder that holds a sweep")
    parser.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES),
                        help=f"model sizes as LAYERSxWIDTH (default {' '.join(DEFAULT_SIZES)})")
    parser.add_argument("--tokens", nargs="+", type=int, default=list(DEFAULT_TOKENS),
                        help=f"training tokens per run (default {' '.join(map(str, DEFAULT_TOKENS))})")
    add_sequence_length_argument(parser, default=64, help="tokens per sequence")
    parser.add_argument("--batch-size", type=int, default=16, help="sequences per step (default 16)")
    parser.add_argument("--vocab-size", type=int, default=1024, help="tokenizer trained on the corpus (default 1024)")
    parser.add_argument("--tokenizer", help="a saved tokenizer folder instead of training one")
    parser.add_argument("--learning-rate", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    parser.add_argument("--bootstrap", type=int, default=100, help="bootstrap resamples for the uncertainty")
    parser.set_defaults(run=run_scaling)


def run_scaling(args: argparse.Namespace) -> int:
    from ..scaling.sweep import SweepOptions, run_sweep
    from ..validation import check_positive_float, check_positive_int

    for flag, value in ((SEQUENCE_LENGTH, args.sequence_length), ("--batch-size", args.batch_size),
                        *(("--tokens", t) for t in args.tokens)):
        check_positive_int(value, flag)
    check_positive_float(args.learning_rate, "--learning-rate")
    if args.bootstrap < 0:
        raise ValueError(f"--bootstrap must be 0 or more resamples, got {args.bootstrap}.")

    run_sweep(options_from(SweepOptions, args, source=source_options(args), sizes=tuple(args.sizes),
                           tokens=tuple(args.tokens)))
    return 0
