"""`minformer backends`: the attention backends `attn_implementation=` accepts and why any cannot run here; with
`--check MODEL`, load the model under each backend by name and compare its outputs with `eager`."""

import argparse
import time

SEQUENCE_LENGTH_FLAGS = ("--sequence-length", "--length")  # --length: this command's older spelling
SEQUENCE_LENGTH = "/".join(SEQUENCE_LENGTH_FLAGS)  # how a check names it: the user may have typed either


def add_backends_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("backends", help="list the attention backends; --check compares them on a model")
    parser.add_argument("--check", metavar="MODEL", help="a saved minformer model folder (or Hub repo id) to run")
    parser.add_argument("--attn-implementation", nargs="+", metavar="NAME",
                        help="backends to check (default: every one available here)")
    parser.add_argument(*SEQUENCE_LENGTH_FLAGS, dest="sequence_length", metavar="N", type=int, default=64,
                        help="tokens per sequence for --check (default 64)")
    parser.set_defaults(run=run_backends)


def run_backends(args: argparse.Namespace) -> int:
    from ..modeling.attention_backends import ATTENTION_BACKENDS

    available = []
    width = max(len(name) for name in ATTENTION_BACKENDS)
    for name, backend in ATTENTION_BACKENDS.items():
        reason = backend.unavailable_reason()
        if reason is None:
            available.append(name)
        print(f"{name:<{width}}  {'available' if reason is None else 'unavailable':<11}  {backend.description}")
        if reason is not None:
            print(f"{'':<{width}}  why: {reason}")
    if args.check:
        return check_backends(args.check, args.attn_implementation or available, args.sequence_length)
    return 0


def check_backends(model_path: str, names: list[str], sequence_length: int) -> int:
    """Run one padded batch through the model under each backend; report max |output - eager| and the time."""
    import torch
    from transformers import AutoModel

    from ..loading import load_config, load_weights
    from ..modeling.attention_backends import check_attention_backend
    from ..validation import check_positive_int

    check_positive_int(sequence_length, SEQUENCE_LENGTH)
    for name in names:
        check_attention_backend(name)
    config = load_config(model_path)
    length = min(sequence_length, config.max_position_embeddings)
    if length < 4:
        raise ValueError(f"{SEQUENCE_LENGTH} must be at least 4 (one padded quarter of a sequence), got {length}.")
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (2, length), generator=generator)
    mask = torch.ones_like(ids)
    if config.is_decoder:
        mask[1, : length // 4] = 0  # decoders are left-padded
    else:
        mask[1, -(length // 4):] = 0
    print(f"\nchecking {model_path} ({config.model_type}) on a padded batch of 2 × {length} tokens")
    outputs = {}
    for name in dict.fromkeys(["eager", *names]):
        model = load_weights(AutoModel, model_path, attn_implementation=name).eval()
        began = time.perf_counter()
        with torch.no_grad():
            outputs[name] = model(ids, attention_mask=mask).last_hidden_state[mask.bool()]
        elapsed = time.perf_counter() - began
        difference = (outputs[name] - outputs["eager"]).abs().max().item()
        print(f"  {name:<9} max |output - eager| = {difference:.2e}   forward {elapsed * 1000:.1f} ms")
    return 0
