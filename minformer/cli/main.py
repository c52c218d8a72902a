"""The `minformer` command line: one subcommand per workflow step."""

import argparse
import sys

from .. import __version__
from .backends import add_backends_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minformer",
        description="The textbook transformer, native to the Hugging Face ecosystem.",
    )
    parser.add_argument("--version", action="version", version=f"minformer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_backends_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
