"""Pushing to a local server that speaks the Hub's HTTP API, with the real huggingface_hub client, and loading the
result in a fresh process where minformer cannot be imported (trust_remote_code)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.hub.fake_hub import FakeHub
from tests.warm_cli import run_minformer
from tests.without_minformer import run_without_minformer

TOKEN = "hf_test_token_0123456789"

# loading with the Auto classes and trust_remote_code, in an interpreter that cannot import minformer
LOADER = r"""
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
repo, revision, out = sys.argv[1], sys.argv[2] or None, sys.argv[3]
tokenizer = AutoTokenizer.from_pretrained(repo, revision=revision, trust_remote_code=True)
model = AutoModelForCausalLM.from_pretrained(repo, revision=revision, trust_remote_code=True).eval()
ids = tokenizer("Return the value of", return_tensors="pt")
with torch.no_grad():
    logits = model(**ids).logits
    generated = model.generate(**ids, max_new_tokens=8, do_sample=False)
torch.save({"module": type(model).__module__, "ids": ids["input_ids"], "logits": logits, "generated": generated}, out)
"""


@pytest.fixture(scope="module")
def hub():
    server = FakeHub({TOKEN: "user"}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory):
    """One HF_HOME for the module, so that its commands share one warm command-line process (tests/warm_cli.py)."""
    return tmp_path_factory.mktemp("hf-home")


@pytest.fixture
def env(hub, hf_home):
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("HF_", "HUGGING", "TRANSFORMERS_OFFLINE"))}
    environment.update(HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN, HF_HOME=str(hf_home),
                       HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="127.0.0.1,localhost",
                       no_proxy="127.0.0.1,localhost", TOKENIZERS_PARALLELISM="false")
    return environment


def cli(env, *args):
    return run_minformer(list(args), env=env)


def load_remote(env, tmp_path, repo, revision=""):
    out = tmp_path / f"remote-{len(list(tmp_path.glob('remote-*')))}.pt"
    run_without_minformer(LOADER, repo, revision, str(out), env=env, cwd=tmp_path)
    return torch.load(out)


def local_reference(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    ids = tokenizer("Return the value of", return_tensors="pt")
    with torch.no_grad():
        return model(**ids).logits, model.generate(**ids, max_new_tokens=8, do_sample=False)


def folder_digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_push_then_load_anywhere_with_trust_remote_code(hub, env, tiny_decoder, tmp_path):
    before = folder_digest(tiny_decoder)
    pushed = cli(env, "push", str(tiny_decoder), "user/tiny-decoder", "--message", "first upload")
    assert pushed.returncode == 0, pushed.stderr[-3000:]
    assert f"{hub.url}/user/tiny-decoder" in pushed.stdout
    assert folder_digest(tiny_decoder) == before  # the local run is only read

    repo = hub.repos["user/tiny-decoder"]
    files = repo.commits[repo.branches["main"]]["files"]
    assert {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "README.md", "modeling_minformer_decoder.py", "configuration_minformer_decoder.py"} <= set(files)
    assert not [name for name in files if name.endswith((".bin", ".pt", ".pth", ".pkl"))]  # no pickles
    assert repo.commits[repo.branches["main"]]["title"] == "first upload"

    remote = load_remote(env, tmp_path, "user/tiny-decoder")
    logits, generated = local_reference(tiny_decoder)
    assert remote["module"].startswith("transformers_modules.")  # the pushed code, not an installed minformer
    torch.testing.assert_close(remote["logits"], logits, atol=0, rtol=0)
    assert torch.equal(remote["generated"], generated)

    # the model card: valid metadata whose numbers come from the run's files
    card = files["README.md"].decode()
    metadata = yaml.safe_load(card.split("---")[1])
    summary = json.loads((tiny_decoder / "summary.json").read_text())
    assert metadata["library_name"] == "transformers" and metadata["pipeline_tag"] == "text-generation"
    assert "custom_code" in metadata["tags"] and metadata["license"] == "apache-2.0"
    value = metadata["model-index"][0]["results"][0]["metrics"][0]["value"]
    assert value == pytest.approx(summary["validation_perplexity"])
    assert f"{summary['tokens_seen']:,}" in card and "trust_remote_code=True" in card

    # loading back with minformer installed: the CLI generates from the repo id
    generated_text = cli(env, "generate", "user/tiny-decoder", "Return the value of", "--greedy",
                         "--max-new-tokens", "8")
    assert generated_text.returncode == 0, generated_text.stderr[-2000:]

    # nothing anywhere holds the token
    for data in files.values():
        assert TOKEN.encode() not in data
    assert TOKEN not in pushed.stdout + pushed.stderr + "\n".join(hub.log)


def test_second_push_and_loading_the_old_revision(hub, env, tiny_decoder, tmp_path):
    cli(env, "push", str(tiny_decoder), "user/versions")
    old_sha = hub.repos["user/versions"].branches["main"]
    changed = tmp_path / "changed"
    shutil.copytree(tiny_decoder, changed, ignore=shutil.ignore_patterns("checkpoint-*"))
    model = AutoModelForCausalLM.from_pretrained(changed)
    with torch.no_grad():
        model.lm_head.weight.mul_(1.5)
    model.save_pretrained(changed)
    pushed = cli(env, "push", str(changed), "user/versions", "--message", "new weights")
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    assert hub.repos["user/versions"].branches["main"] != old_sha
    old = load_remote(env, tmp_path, "user/versions", old_sha)
    new = load_remote(env, tmp_path, "user/versions")
    torch.testing.assert_close(old["logits"], local_reference(tiny_decoder)[0], atol=0, rtol=0)
    torch.testing.assert_close(new["logits"], local_reference(changed)[0], atol=0, rtol=0)


def test_tokenizer_only_private_and_branch(hub, env, tiny_decoder, tmp_path):
    assert cli(env, "push", str(tiny_decoder), "user/tok", "--tokenizer-only", "--private").returncode == 0
    repo = hub.repos["user/tok"]
    assert repo.private and set(repo.commits[repo.branches["main"]]["files"]) == {
        ".gitattributes", "tokenizer.json", "tokenizer_config.json"}
    anonymous = {**env, "HF_TOKEN": ""}
    done = subprocess.run([sys.executable, "-c", "from transformers import AutoTokenizer; "
                           "AutoTokenizer.from_pretrained('user/tok')"], capture_output=True, text=True,
                          env=anonymous, timeout=300)
    assert done.returncode != 0  # a private repo is invisible without the token
    assert cli(env, "push", str(tiny_decoder), "user/branchy", "--revision", "dev").returncode == 0
    branchy = hub.repos["user/branchy"]
    assert "README.md" in branchy.commits[branchy.branches["dev"]]["files"]
    assert "README.md" not in branchy.commits[branchy.branches["main"]]["files"]


def test_refusals_leave_everything_untouched(hub, env, tiny_decoder, tmp_path):
    before = folder_digest(tiny_decoder)
    requests = len(hub.log)
    no_token = {**env, "HF_TOKEN": ""}
    done = cli(no_token, "push", str(tiny_decoder), "user/x")
    assert done.returncode == 2 and "no Hugging Face token: run `hf auth login`" in done.stderr
    done = cli(env, "push", str(tiny_decoder), "someone-else/x")
    assert done.returncode == 2 and "failed (403)" in done.stderr and TOKEN not in done.stderr
    broken = tmp_path / "broken"
    shutil.copytree(tiny_decoder, broken, ignore=shutil.ignore_patterns("checkpoint-*", "model.safetensors"))
    done = cli(env, "push", str(broken), "user/broken")
    assert done.returncode == 2 and "has no model.safetensors" in done.stderr
    assert "user/broken" not in hub.repos
    assert folder_digest(tiny_decoder) == before
    assert not [line for line in hub.log[requests:] if "broken" in line]


# transformers' own upload paths, with minformer imported: the model's code goes up with the weights
UPLOADER = r"""
import sys
from transformers import AutoModelForCausalLM, AutoTokenizer
import minformer
model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
model.save_pretrained(sys.argv[2], push_to_hub=True, repo_id="user/saved-and-pushed")
model.push_to_hub("user/pushed")
AutoTokenizer.from_pretrained(sys.argv[1]).push_to_hub("user/pushed")
# what is pushed is what was saved (shards, variant), and only from the rank that saves
model.save_pretrained(sys.argv[2] + "-sharded", True, None, True, "40KB", "half", repo_id="user/sharded")
model.save_pretrained(sys.argv[2] + "-rank1", is_main_process=False, push_to_hub=True, repo_id="user/rank1")
"""


def test_transformers_upload_paths_carry_the_code(hub, env, tiny_decoder, tmp_path):
    done = subprocess.run([sys.executable, "-c", UPLOADER, str(tiny_decoder), str(tmp_path / "saved")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    logits, _ = local_reference(tiny_decoder)
    for repo_id in ("user/saved-and-pushed", "user/pushed"):
        repo = hub.repos[repo_id]
        files = repo.commits[repo.branches["main"]]["files"]
        assert {"modeling_minformer_decoder.py", "configuration_minformer_decoder.py"} <= set(files), repo_id
        assert "AutoModelForCausalLM" in json.loads(files["config.json"])["auto_map"]
    repo = hub.repos["user/sharded"]
    pushed = repo.commits[repo.branches["main"]]["files"]
    saved = {path.name for path in (tmp_path / "saved-sharded").iterdir()}
    assert set(pushed) - {".gitattributes"} == saved
    assert "model.safetensors.index.half.json" in saved and len([n for n in saved if n.endswith(".safetensors")]) > 1
    assert "user/rank1" not in hub.repos and not list((tmp_path / "saved-rank1").glob("*.py"))
    remote = load_remote(env, tmp_path, "user/pushed")
    torch.testing.assert_close(remote["logits"], logits, atol=0, rtol=0)
