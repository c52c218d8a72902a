"""Generation throughput with the KV cache: new tokens/s of greedy decoding (32-token prompt, 256 new tokens) at
batch 1 and 8, minformer's decoder against GPT2LMHeadModel of the same size, each on its default `generate()` path and
compiled (`minformer.compile_decoding`: static cache + torch.compile of the decoding step, the same speed-ups applied
to GPT-2), interleaved, medians after a warm-up; the warm-up's time (the compilation, for the compiled rows) is
recorded beside. Every minformer row must give the default row's tokens exactly.

    .venv/bin/python benchmarks/generation.py [--repeats 5]
"""

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_info  # noqa: E402

import minformer  # noqa: E402

RESULTS = Path(__file__).parent / "results"
L, C, H, F, VOCAB, PROMPT, NEW = 6, 384, 6, 1536, 8192, 32, 256


def build() -> dict:
    """minformer's default decoder (rotary positions) and GPT2LMHeadModel, both 6 layers × 384, each plain and
    compiled (the compiled ones are the same weights under a second name)."""
    common = dict(vocab_size=VOCAB, hidden_size=C, num_hidden_layers=L, num_attention_heads=H, intermediate_size=F,
                  max_position_embeddings=PROMPT + NEW, bos_token_id=2, eos_token_id=3, pad_token_id=0)
    torch.manual_seed(0)
    ours = minformer.MinformerDecoderForCausalLM(minformer.MinformerDecoderConfig(**common)).eval()
    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB, n_embd=C, n_layer=L, n_head=H, n_inner=F,
                                      n_positions=PROMPT + NEW, bos_token_id=2, eos_token_id=3,
                                      pad_token_id=0)).eval()
    models = {"minformer decoder": ours, "GPT2LMHeadModel": gpt2}
    for model in (ours, gpt2):
        model.generation_config.eos_token_id = None  # always 256 new tokens
        model.generation_config.pad_token_id = 0
    for name, model in list(models.items()):
        compiled = copy.deepcopy(model)
        minformer.compile_decoding(compiled)
        models[f"{name}, compiled"] = compiled
    return models


@torch.no_grad()
def timed(model, prompt) -> tuple[float, torch.Tensor]:
    began = time.perf_counter()
    output = model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=NEW, min_new_tokens=NEW,
                            do_sample=False)
    assert output.shape[1] == PROMPT + NEW
    return time.perf_counter() - began, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models = build()
    rows = []
    for batch in (1, 8):
        prompt = torch.randint(5, VOCAB, (batch, PROMPT), generator=torch.Generator().manual_seed(0))
        first_call, outputs = {}, {}
        for name, model in models.items():
            first_call[name], outputs[name] = timed(model, prompt)  # warm-up; compiles the compiled rows
        reference = outputs["minformer decoder"]
        assert torch.equal(outputs["minformer decoder, compiled"], reference), "compiled decoding changed tokens"
        times = {name: [] for name in models}
        for _ in range(args.repeats):
            for name, model in models.items():
                times[name].append(timed(model, prompt)[0])
        speed = {name: batch * NEW / statistics.median(times[name]) for name in models}
        counterpart = speed["GPT2LMHeadModel"]
        for name in models:
            tokens_per_second = speed[name]
            same_path = speed["GPT2LMHeadModel" + (", compiled" if name.endswith(", compiled") else "")]
            rows.append({"batch": batch, "model": name, "new_tokens_per_second": tokens_per_second,
                         "ratio": tokens_per_second / counterpart,
                         "ratio_to_gpt2_same_path": tokens_per_second / same_path,
                         "times": times[name], "first_call_seconds": first_call[name]})
            print(f"batch {batch}  {name:<30} {tokens_per_second:8.1f} new tokens/s  "
                  f"{tokens_per_second / counterpart:.3f}× GPT-2  (first call {first_call[name]:.1f} s)", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "generation.json").write_text(json.dumps(
        {"machine": {**machine_info(), "threads": args.threads}, "date": time.strftime("%Y-%m-%d"), "rows": rows},
        indent=2) + "\n")


if __name__ == "__main__":
    main()
