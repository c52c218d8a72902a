"""`minformer demo`: the whole path, offline, on the built-in corpus."""

import argparse

from .flags import add_output_dir_argument


def add_demo_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="tokenizer, pretraining, fine-tuning, evaluation and generation, "
                                              "end to end on the built-in corpus (offline)")
    add_output_dir_argument(parser, default="runs/demo", help="folder for everything (default runs/demo)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing demo folder")
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="wall-time budget (default 10): model sizes and steps are planned from the training "
                             "speed measured on this machine")
    parser.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from ..demo import demo

    demo(args.output_dir, args.overwrite, args.minutes)
    return 0
