"""Peak memory and time of one causal attention layer (forward + backward) per backend, sequence length and case.

    .venv/bin/python benchmarks/attention.py                 # N = 1k, 2k, 4k, 8k, 16k; all backends that run here
    .venv/bin/python benchmarks/attention.py --threads 1 --lengths 8192 16384 --backends sdpa chunked

Two cases: `causal` (batch 1, no padding: transformers passes no mask, so sdpa runs with is_causal) and `padded`
(batch 2, the second sequence right-padded over its last half: the model-level mask is built from an
attention_mask, so sdpa receives a dense boolean (B, 1, N, N) mask and the chunked backend its per-tile mask).
Each (case, backend, N) point runs in a fresh subprocess (so one point's allocations cannot hide another's peak):
it builds a `MultiHeadAttention` (8 heads, head size 64) and, inside every step, the model-level mask; it resets the
process's peak RSS (/proc/self/clear_refs), runs forward + backward once and reads the peak above the starting RSS,
then times `--repeats` more runs after a warm-up (median). The address space of a point is capped at --memory-cap
GiB, so a backend that needs more is reported as out of memory instead of swapping the machine. Writes a table,
JSON (the machine, the points, and chunked/sdpa ratios of time and memory per case and N) and a PNG (memory and time
against N, log scales) to benchmarks/results/<--output>.{json,png}.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
HEADS, HEAD_SIZE = 8, 64
BATCH = {"causal": 1, "padded": 2}  # padded: the second sequence's last half is padding


def rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def measure_point(backend: str, length: int, repeats: int, threads: int, case: str = "causal") -> dict:
    """Runs inside the subprocess: one backend at one sequence length, `causal` or `padded`."""
    import torch
    from transformers.masking_utils import create_causal_mask

    import minformer
    from minformer.modeling.attention import MultiHeadAttention

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = minformer.MinformerDecoderConfig(hidden_size=HEADS * HEAD_SIZE, num_attention_heads=HEADS)
    config._attn_implementation = backend
    layer = MultiHeadAttention(config, layer_idx=0)
    hidden = torch.randn(BATCH[case], length, config.hidden_size, requires_grad=True)
    attention_mask = None
    if case == "padded":
        attention_mask = torch.ones(BATCH[case], length, dtype=torch.long)
        attention_mask[1, length // 2:] = 0

    def step():
        mask = create_causal_mask(config=config, inputs_embeds=hidden, attention_mask=attention_mask, cache=None,
                                  position_ids=torch.arange(length)[None])
        output, _ = layer(hidden, mask)
        output.sum().backward()
        hidden.grad = None
        layer.zero_grad(set_to_none=True)

    start_rss = rss_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the peak RSS (VmHWM) to the current RSS
    step()
    peak_mib = (rss_kib("VmHWM") - start_rss) / 1024
    step()  # warm-up
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        step()
        times.append(time.perf_counter() - began)
    return {"case": case, "batch": BATCH[case], "backend": backend, "length": length, "peak_mib": peak_mib,
            "seconds": statistics.median(times), "times": times,
            "chunks": [config.attention_query_chunk_size, config.attention_key_chunk_size]}


def run_point(backend: str, length: int, repeats: int, threads: int, memory_cap_gib: float, case: str) -> dict:
    code = (
        "import json, resource, sys; sys.path.insert(0, %r); import attention as a; "
        "resource.setrlimit(resource.RLIMIT_AS, (%d, %d)); "
        "print(json.dumps(a.measure_point(%r, %d, %d, %d, %r)))"
    ) % (str(Path(__file__).parent), int(memory_cap_gib * 2**30), int(memory_cap_gib * 2**30), backend, length,
         repeats, threads, case)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        reason = "out of memory" if ("memory" in done.stderr.lower() or done.returncode < 0) else "failed"
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return {"case": case, "batch": BATCH[case], "backend": backend, "length": length,
                "error": f"{reason} (cap {memory_cap_gib:g} GiB): {tail[0]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def ratios(points: list[dict], backend: str = "chunked", baseline: str = "sdpa") -> list[dict]:
    """backend / baseline of time and peak memory, per case and length where both ran."""
    ok = {(p["case"], p["length"], p["backend"]): p for p in points if "error" not in p}
    return [{"case": case, "length": length, "backend": backend, "baseline": baseline,
             "time": round(p["seconds"] / ok[case, length, baseline]["seconds"], 3),
             "memory": round(p["peak_mib"] / ok[case, length, baseline]["peak_mib"], 3)}
            for (case, length, name), p in ok.items() if name == backend and (case, length, baseline) in ok]


def plot(points: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2))
    memory_ax, time_ax = fig.subplots(1, 2)
    for case, backend in dict.fromkeys((p["case"], p["backend"]) for p in points):
        ok = [p for p in points if (p["case"], p["backend"]) == (case, backend) and "error" not in p]
        lengths, style = [p["length"] for p in ok], "-" if case == "causal" else "--"
        label = f"{backend}, {case} (batch {BATCH[case]})"
        memory_ax.plot(lengths, [p["peak_mib"] for p in ok], style, marker="o", label=label)
        time_ax.plot(lengths, [p["seconds"] for p in ok], style, marker="o", label=label)
    for ax, label in ((memory_ax, "peak memory above start (MiB)"), (time_ax, "forward + backward (s)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length N")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(f"One causal attention layer, {HEADS} heads × {HEAD_SIZE}; padded: second sequence half padding")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[1024, 2048, 4096, 8192, 16384])
    parser.add_argument("--backends", nargs="+", default=["eager", "sdpa", "chunked"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cases", nargs="+", choices=list(BATCH), default=list(BATCH))
    parser.add_argument("--memory-cap", type=float, default=20.0, help="GiB of address space per point")
    parser.add_argument("--output", default="attention", help="name of the JSON and PNG in benchmarks/results/")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).parent))
    from machine import machine_info

    points = []
    print(f"{'case':<7} {'backend':<9} {'N':>6} {'peak MiB':>10} {'seconds':>9}")
    for case in args.cases:
        for length in args.lengths:
            for backend in args.backends:
                point = run_point(backend, length, args.repeats, args.threads, args.memory_cap, case)
                points.append(point)
                if "error" in point:
                    print(f"{case:<7} {backend:<9} {length:>6} {point['error']}")
                else:
                    print(f"{case:<7} {backend:<9} {length:>6} {point['peak_mib']:>10.1f} {point['seconds']:>9.3f}",
                          flush=True)
    summary = ratios(points)
    for row in summary:
        print(f"{row['case']:<7} N={row['length']:<6} chunked/sdpa: time {row['time']:.2f}x, "
              f"memory {row['memory']:.2f}x")
    RESULTS.mkdir(exist_ok=True)
    machine = machine_info()
    machine["threads"] = args.threads
    json_path, png_path = RESULTS / f"{args.output}.json", RESULTS / f"{args.output}.png"
    json_path.write_text(json.dumps({"machine": machine, "ratios": summary, "points": points}, indent=2) + "\n")
    plot(points, png_path)
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, torch {machine['torch']}, {args.threads} threads")
    print(f"wrote {json_path} and {png_path}")


if __name__ == "__main__":
    main()
