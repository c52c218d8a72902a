"""minformer as people install it: the wheel and the sdist built from the tracked sources hold every runtime file,
and the wheel installed into a fresh virtual environment, outside the source tree, runs the whole short path:
--version, train-tokenizer, pretrain, generate, and push to the local test Hub."""

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.hub.fake_hub import FakeHub

REPO = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"  # the CPU build on this machine's disk (any other request pulls a CUDA build)


def tracked_files() -> list[str]:
    if not (REPO / ".git").exists():
        pytest.skip("needs the git checkout: its tracked files are the package's sources")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return sorted(name for name in listed.decode().split("\0") if name and (REPO / name).is_file())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """Wheel and sdist built with setuptools' own backend from a copy of the tracked files (the checkout stays
    untouched)."""
    files = tracked_files()
    source, dist = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    backend = f"from setuptools import build_meta as b; b.build_wheel({str(dist)!r}); b.build_sdist({str(dist)!r})"
    done = subprocess.run([sys.executable, "-c", backend], cwd=source, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,), (sdist,) = dist.glob("*.whl"), dist.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist, "package": [name for name in files if name.startswith("minformer/")]}


def test_wheel_and_sdist_hold_every_runtime_file(built):
    with zipfile.ZipFile(built["wheel"]) as wheel:
        in_wheel = sorted(name for name in wheel.namelist() if name.startswith("minformer/"))
    assert in_wheel == built["package"]  # every tracked file of the package (templates, metric modules), no more
    with tarfile.open(built["sdist"]) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert set(built["package"]) | {"pyproject.toml", "README.md"} <= in_sdist


def run(command: list, cwd: Path, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_wheel_in_a_fresh_environment_runs_the_short_path(built, tmp_path):
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HF_", "HUGGING", "TRANSFORMERS_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_OFFLINE="1", TQDM_DISABLE="1", TOKENIZERS_PARALLELISM="false",
               HF_HUB_DISABLE_TELEMETRY="1", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    run([sys.executable, "-m", "venv", str(venv)], work, env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, TORCH], work, env)
    run([*pip, str(built["wheel"])], work, env)
    minformer = str(venv / "bin" / "minformer")

    where = run([str(venv / "bin" / "python"), "-c", "import minformer; print(minformer.__file__)"], work, env)
    assert where.stdout.startswith(str(venv)), where.stdout  # the installed package, not the source tree
    version = run([minformer, "--version"], work, env).stdout
    assert version.split()[-1] == run([str(venv / "bin" / "python"), "-c", "import minformer; "
                                       "print(minformer.__version__)"], work, env).stdout.strip()

    corpus = work / "notes.txt"
    corpus.write_text("".join(f"Note {i}: the function returns the value of attribute x{i % 17}.\n"
                              for i in range(400)))
    run([minformer, "train-tokenizer", str(corpus), "--vocab-size", "300", "--output", "tok"], work, env)
    assert (work / "tok" / "tokenizer.json").is_file()
    run([minformer, "pretrain", str(corpus), "--tokenizer", "tok", "--hidden-size", "32", "--num-hidden-layers", "1",
         "--num-attention-heads", "2", "--intermediate-size", "64", "--sequence-length", "32", "--max-steps", "3",
         "--batch-size", "4", "--output", "run"], work, env)
    generated = run([minformer, "generate", "run", "Note 3: the function", "--greedy", "--max-new-tokens", "5"],
                    work, env)
    assert "\nNote 3: the function" in generated.stdout

    hub = FakeHub({"hf_wheel": "user"}).start()
    try:
        online = {**env, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_wheel",
                  "HF_HUB_DISABLE_XET": "1", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        run([minformer, "push", "run", "user/from-the-wheel"], work, online)
        repo = hub.repos["user/from-the-wheel"]
        files = repo.commits[repo.branches["main"]]["files"]
        assert {"README.md", "config.json", "model.safetensors", "modeling_minformer_decoder.py"} <= set(files)
        assert "trust_remote_code=True" in files["README.md"].decode()  # the card template shipped in the wheel
    finally:
        hub.stop()
