"""Text generation from a saved decoder: left-padded batched prompts, greedy or sampled, with the KV cache; and the
compiled decoding step, which transformers turns on by itself only on accelerators."""

from typing import Any


def compile_decoding(model: Any) -> None:
    """Make `model.generate()` (and pipelines over the model) decode with transformers' static key/value cache (one
    fixed-size buffer, the shape a compiled step needs) and the decoding step compiled by `torch.compile`, on any
    device. The tokens are the same as the plain path's; the first call pays the compilation (seconds), so it
    helps where one process generates many tokens (benchmarks/generation.py measures both)."""
    from transformers import CompileConfig

    compile_config = CompileConfig(fullgraph=True, dynamic=False)
    compile_config._compile_all_devices = True  # transformers compiles by itself only on cuda/xpu/mps/...
    model.generation_config.cache_implementation = "static"
    model.generation_config.compile_config = compile_config


def generate_texts(model_path: str, prompts: list[str], max_new_tokens: int = 50, greedy: bool = False,
                   temperature: float = 0.8, top_k: int = 50, top_p: float = 0.95, num_samples: int = 1,
                   seed: int = 0, attn_implementation: str | None = None, compile: bool = False) -> list[str]:
    """Prompt + continuation for each prompt and sample; `compile` decodes through `compile_decoding`."""
    import math

    import torch
    from transformers import AutoModelForCausalLM, set_seed

    from .errors import UserError
    from .loading import load_pretrained

    if not (temperature > 0 and math.isfinite(temperature)) or not 0 < top_p <= 1 or top_k < 0:
        raise UserError(f"need --temperature > 0, 0 < --top-p <= 1 and --top-k >= 0 (got {temperature}, {top_p} and "
                        f"{top_k}); use --greedy for deterministic decoding.")
    for flag, value in (("--max-new-tokens", max_new_tokens), ("--num-samples", num_samples)):
        if value < 1:
            raise UserError(f"{flag} must be a positive integer, got {value}.")
    if not prompts or not all(prompt.strip() for prompt in prompts):
        raise UserError("give a non-empty prompt to continue, e.g. minformer generate MODEL \"Return the\".")
    options = {"attn_implementation": attn_implementation} if attn_implementation else {}
    model, tokenizer = load_pretrained(AutoModelForCausalLM, model_path, families=("decoder",), **options)
    model.eval()
    if compile:
        compile_decoding(model)
    tokenizer.padding_side = "left"  # batched prompts end where generation starts
    set_seed(seed)
    inputs = tokenizer(prompts, return_tensors="pt", padding=True)
    sampling = {"do_sample": False} if greedy else {"do_sample": True, "temperature": temperature, "top_k": top_k,
                                                     "top_p": top_p}
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=max_new_tokens, num_return_sequences=num_samples,
                                pad_token_id=tokenizer.pad_token_id, **sampling)
    return tokenizer.batch_decode(output, skip_special_tokens=True)
