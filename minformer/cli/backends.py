"""`minformer backends`: the attention backends `attn_implementation=` accepts, and why any cannot run here."""

import argparse


def add_backends_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("backends", help="list the attention backends and whether each runs here")
    parser.set_defaults(run=run_backends)


def run_backends(args: argparse.Namespace) -> int:
    from ..modeling.backends import ATTENTION_BACKENDS

    width = max(len(name) for name in ATTENTION_BACKENDS)
    for name, backend in ATTENTION_BACKENDS.items():
        reason = backend.unavailable_reason()
        status = "available" if reason is None else f"unavailable: {reason}"
        print(f"{name:<{width}}  {status:<12}  {backend.description}")
    return 0
