"""Activation memory of one training forward pass: the bytes autograd saves for the backward pass (counted once per
storage with `torch.autograd.graph.saved_tensors_hooks`), minformer against GPT-2 and BERT at the sizes of
training_throughput.py. Unlike peak RSS this is exact and repeatable, so it separates what the model keeps from what
the allocator happens to hold.

    .venv/bin/python benchmarks/activation_memory.py [--sizes small large]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_info  # noqa: E402
from training_throughput import SIZES, build  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def saved_activation_bytes(name: str, size: dict) -> int:
    """Bytes of the distinct storages autograd saves during one training forward of model `name`."""
    model, forward, _, inputs, _ = build(name, size)
    storages = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        forward(**inputs).loss
    return sum(storages.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    args = parser.parse_args()
    rows = []
    for size_name in args.sizes:
        for name in ("minformer decoder", "GPT2LMHeadModel", "minformer encoder", "BertForMaskedLM"):
            mib = saved_activation_bytes(name, SIZES[size_name]) / 2**20
            rows.append({"size": size_name, **SIZES[size_name], "model": name, "saved_activations_mib": mib})
            print(f"{size_name:<6} {name:<18} {mib:8.1f} MiB saved for backward", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "activation_memory.json").write_text(json.dumps(
        {"machine": machine_info(), "date": time.strftime("%Y-%m-%d"), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
