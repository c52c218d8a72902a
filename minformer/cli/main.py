"""The `minformer` command line: one subcommand per workflow step.

Every mistake in the user's input ends in one line on stderr and exit code 2; Ctrl-C in one line saying what was
kept, exit code 130. Other errors are bugs and keep their traceback; `--debug` (or MINFORMER_DEBUG=1) shows the
traceback of any error.
"""

import argparse
import os
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

# errors caused by the user's input: reported in one line with exit code 2, without a traceback (UserError and
# every check's ValueError; OSError: missing files, unknown Hub repos; ImportError: a backend that cannot run here)
USER_ERRORS = (ValueError, OSError, ImportError)
INTERRUPTED = 130  # the shell's code for a command ended by SIGINT


class Parser(argparse.ArgumentParser):
    """argparse with its errors in one line (the usage is one `--help` away)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="minformer", description="The textbook transformer, native to the Hugging Face ecosystem.")
    parser.add_argument("--version", action="version", version=f"minformer {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of any error (or MINFORMER_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (add_train_tokenizer_command, add_pretrain_command, add_finetune_command, add_evaluate_command,
                add_generate_command, add_push_command, add_demo_command, add_presets_command,
                add_backends_command, add_lens_commands, add_plan_command, add_scaling_command):
        add(commands)
    for subparser in commands.choices.values():
        subparser.add_argument("--debug", action="store_true", help="show the traceback of any error")
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse with options allowed between positional arguments (`finetune MODEL --task X FILE`), as users expect."""
    args, _ = parser.parse_known_args(argv)
    if args.command is None:
        return parser.parse_args(argv)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    position = argv.index(args.command)
    sub = subparsers.choices[args.command].parse_intermixed_args(argv[position + 1:])
    sub.command, sub.debug = args.command, sub.debug or args.debug
    return sub


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(parser, argv)
    if args.command is None:
        parser.print_help()
        return 0
    debug = args.debug or os.environ.get("MINFORMER_DEBUG", "") not in ("", "0")
    try:
        return args.run(args)
    except KeyboardInterrupt as interrupt:
        if debug:
            raise
        print(f"minformer {args.command}: {interrupt or 'interrupted; nothing was written'}", file=sys.stderr)
        return INTERRUPTED
    except USER_ERRORS as error:
        if debug:
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"minformer {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
