"""One command for a CUDA machine: the device checks (tests/test_device.py: every backend against eager with
xformers, generation against the CPU, a bf16 training step of each workflow, chunked memory against sdpa's) as
PASS/FAIL lines, then training and generation throughput against GPT-2 and BERT of the same size, as a table.
About 5-10 minutes on one GPU.

    .venv/bin/python benchmarks/gpu.py [--device cuda] [--repeats 5]

UNVERIFIED ON A GPU: written on a machine without one. `--device cpu` runs the same path on the CPU (with small
repeats it takes a few minutes), which is how the script itself was checked.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import generation  # noqa: E402
import training_throughput as training  # noqa: E402
from machine import machine_info  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
TRAINING = (("minformer decoder", "GPT2LMHeadModel"), ("minformer encoder", "BertForMaskedLM"))


def device_checks(device: str) -> bool:
    """Run tests/test_device.py on `device`; print one PASS/FAIL/SKIP line per test; True if none failed."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                           str(REPO / "tests" / "test_device.py")], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "MINFORMER_TEST_DEVICE": device, "HF_HUB_OFFLINE": "1"})
    words = {"PASSED": "PASS", "FAILED": "FAIL", "ERROR": "FAIL", "SKIPPED": "SKIP"}
    for line in done.stdout.splitlines():
        first = line.split(" ", 1)[0]
        if first in words:
            print(f"{words[first]}  {line.split(' ', 1)[1]}", flush=True)
    if done.returncode not in (0, 5):
        print(done.stdout[-3000:] + done.stderr[-2000:])
    return done.returncode == 0


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def training_step(model, optimizer, inputs: dict, device: torch.device) -> float:
    """Seconds of one bf16-autocast training step (forward, backward, AdamW), after the device is idle."""
    synchronize(device)
    began = time.perf_counter()
    with torch.autocast(device.type, dtype=torch.bfloat16):
        loss = model(**inputs).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    synchronize(device)
    return time.perf_counter() - began


def training_rows(device: torch.device, repeats: int) -> list[dict]:
    """Tokens/s of each minformer family against its transformers counterpart, interleaved, medians."""
    rows = []
    for pair in TRAINING:
        built = {}
        for name in pair:
            kind, make, _ = training.models(training.SIZES["small"])[name]
            torch.manual_seed(0)
            model = make().to(device).train()
            model.set_attn_implementation("sdpa")
            inputs = {key: value.to(device) for key, value in training.batch(kind).items()}
            built[name] = (model, torch.optim.AdamW(model.parameters(), lr=1e-4), inputs)
            training_step(*built[name], device)  # warm-up
        times = {name: [] for name in pair}
        for _ in range(repeats):
            for name in pair:
                times[name].append(training_step(*built[name], device))
        tokens = training.BATCH * training.SEQ
        counterpart = tokens / statistics.median(times[pair[1]])
        for name in pair:
            speed = tokens / statistics.median(times[name])
            rows.append({"what": f"training {name}", "tokens_per_second": speed, "ratio": speed / counterpart})
    return rows


def generation_rows(device: torch.device, repeats: int) -> list[dict]:
    """New tokens/s of greedy generation (32-token prompt, 256 new) at batch 1 and 8 against GPT-2's."""
    models = {name: model.to(device) for name, model in generation.build().items() if "learned" not in name}
    rows = []
    for batch in (1, 8):
        prompt = torch.randint(5, generation.VOCAB, (batch, generation.PROMPT),
                               generator=torch.Generator().manual_seed(0)).to(device)

        def timed(model):
            synchronize(device)
            seconds = generation.timed(model, prompt)
            synchronize(device)
            return seconds

        for model in models.values():
            timed(model)  # warm-up
        times = {name: [timed(model) for _ in range(repeats)] for name, model in models.items()}
        counterpart = batch * generation.NEW / statistics.median(times["GPT2LMHeadModel"])
        for name in models:
            speed = batch * generation.NEW / statistics.median(times[name])
            rows.append({"what": f"generation batch {batch} {name}", "tokens_per_second": speed,
                         "ratio": speed / counterpart})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("FAIL  no CUDA GPU here (torch.cuda.is_available() is False); run on a GPU machine, or pass "
              "--device cpu to check the script on the CPU")
        return 1
    passed = device_checks(args.device)
    rows = training_rows(device, args.repeats) + generation_rows(device, args.repeats)
    print(f"\n{'':<48}{'tokens/s':>12}  vs transformers")
    for row in rows:
        print(f"{row['what']:<48}{row['tokens_per_second']:>12,.0f}  {row['ratio']:.2f}×")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"gpu-{device.type}.json").write_text(json.dumps(
        {"machine": machine_info(), "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
         "date": time.strftime("%Y-%m-%d"), "checks_passed": passed, "rows": rows}, indent=2) + "\n")
    print(f"\n{'PASS' if passed else 'FAIL'}  device checks; results in {RESULTS / f'gpu-{device.type}.json'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
