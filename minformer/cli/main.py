"""The `minformer` command line: one subcommand per workflow step."""

import argparse
import sys

from .. import __version__
from .backends import add_backends_command
from .demo import add_demo_command
from .evaluate import add_evaluate_command
from .generate import add_generate_command
from .lens import add_lens_commands
from .push import add_push_command
from .scaling import add_plan_command, add_scaling_command
from .train_tokenizer import add_train_tokenizer_command
from .training import add_finetune_command, add_presets_command, add_pretrain_command

# errors caused by the user's input: reported in one line with exit code 2, without a traceback
USER_ERRORS = (ValueError, OSError, ImportError)  # OSError: missing files, unknown Hub repos, existing outputs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minformer",
        description="The textbook transformer, native to the Hugging Face ecosystem.",
    )
    parser.add_argument("--version", action="version", version=f"minformer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_train_tokenizer_command(commands)
    add_pretrain_command(commands)
    add_finetune_command(commands)
    add_evaluate_command(commands)
    add_generate_command(commands)
    add_push_command(commands)
    add_demo_command(commands)
    add_presets_command(commands)
    add_backends_command(commands)
    add_lens_commands(commands)
    add_plan_command(commands)
    add_scaling_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except USER_ERRORS as error:
        print(f"minformer {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
