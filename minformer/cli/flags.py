"""Flags several commands share, and the one way a parsed command line becomes an options dataclass.

Each flag is spelled after the field it fills (`--num-hidden-layers` fills `num_hidden_layers`), with its older,
shorter spelling kept as an alias (`--num-layers`), so the namespace argparse returns maps onto the options by name.
"""

import argparse
import dataclasses
from typing import TypeVar

Options = TypeVar("Options")

SEQUENCE_LENGTH_FLAGS = ("--sequence-length", "--block-size")
SEQUENCE_LENGTH = "/".join(SEQUENCE_LENGTH_FLAGS)  # how a check names it: the user may have typed either


def add_sequence_length_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup, default: int,
                                 help: str) -> None:
    """--sequence-length N (alias --block-size): tokens per sequence."""
    parser.add_argument(*SEQUENCE_LENGTH_FLAGS, dest="sequence_length", metavar="N", type=int, default=default,
                        help=f"{help} (default {default})")


def add_output_dir_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup, help: str, **kwargs) -> None:
    """--output-dir FOLDER (alias --output): the folder a command writes."""
    parser.add_argument("--output-dir", "--output", dest="output_dir", metavar="FOLDER", help=help, **kwargs)


def options_from(cls: type[Options], args: argparse.Namespace, **given) -> Options:
    """`cls` (an options dataclass) with each field taken from the flag of the same name, if the command has one,
    and from `given` (nested options, converted values, fields whose flag has another name); the rest keep their
    defaults. The dataclass checks them when it is made."""
    names = [field.name for field in dataclasses.fields(cls) if field.name not in given and hasattr(args, field.name)]
    return cls(**{name: getattr(args, name) for name in names}, **given)
