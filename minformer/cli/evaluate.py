"""`minformer evaluate`: perplexity of a language model, or accuracy and macro-F1 of a classifier, with baselines."""

import argparse
import json

from .flags import SEQUENCE_LENGTH, add_sequence_length_argument
from .sources import add_source_arguments, source_options


def add_evaluate_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("evaluate", help="perplexity (language models) or accuracy/F1 (classifiers)",
                                 description="Evaluate a saved minformer model with minformer's offline metrics.")
    parser.add_argument("model", help="a saved model folder or Hub repo id (with its tokenizer)")
    add_source_arguments(parser, labelled=True)
    parser.add_argument("--eval-split", default="test", help="split to evaluate (default test)")
    add_sequence_length_argument(parser, default=128, help="tokens per evaluated block")
    parser.add_argument("--attn-implementation", help="attention backend: eager, sdpa, chunked, xformers")
    parser.add_argument("--json", metavar="FILE", help="also write the metrics to this JSON file")
    parser.set_defaults(run=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from ..atomic import write_file
    from ..loading import load_config
    from ..outputs import check_output_file
    from ..training.evaluation import check_evaluable, evaluate_saved_model
    from ..validation import check_positive_int

    check_positive_int(args.sequence_length, SEQUENCE_LENGTH)
    architecture = check_evaluable(load_config(args.model), args.model)
    if args.json:
        check_output_file(args.json, [args.model, *args.files], "--json", ".json")
    source = source_options(args)
    if architecture.endswith("ForSequenceClassification"):  # only classifiers are scored against labels
        data = source.load(builtin="labelled", label_column=source.label_column)
    else:
        data = source.load(builtin="corpus")
    metrics = evaluate_saved_model(args.model, data, args.eval_split, args.sequence_length, args.seed,
                                   args.attn_implementation)
    for key, value in metrics.items():
        print(f"{key:<28}{value:.4f}" if isinstance(value, float) else f"{key:<28}{value}")
    if args.json:
        write_file(args.json, json.dumps(metrics, indent=2) + "\n")
    return 0
