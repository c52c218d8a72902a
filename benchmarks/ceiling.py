"""The machine's float32 matrix-multiply ceiling (GFLOP/s), the denominator of model FLOPs utilisation.

    .venv/bin/python benchmarks/ceiling.py [--size 4096] [--threads 2]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_info  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def matmul_gflops(size: int = 4096, repeats: int = 7) -> dict:
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.matmul(a, b)  # warm-up
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        torch.matmul(a, b)
        times.append(time.perf_counter() - began)
    median = statistics.median(times)
    return {"size": size, "seconds": median, "gflops": 2 * size**3 / median / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = {"machine": machine_info(), **matmul_gflops(args.size)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ceiling.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"float32 matmul {args.size}×{args.size}: {result['gflops']:.1f} GFLOP/s "
          f"({result['machine']['cpu']}, {args.threads} threads)")


if __name__ == "__main__":
    main()
