"""Pushing a trained minformer model (or just its tokenizer) to the Hugging Face Hub in one commit: safetensors
weights, config, generation config, tokenizer, the model code for `trust_remote_code`, and a model card."""

import json
import shutil
import tempfile
from pathlib import Path

from .remote_code import write_remote_code

MODEL_FILES = ("config.json", "generation_config.json", "model.safetensors", "summary.json", "loss.png",
               "trainer_state.json", "training_options.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer_report.json")
PICKLES = (".bin", ".pt", ".pth", ".pkl", ".pickle")  # never uploaded: safetensors only


class PushError(ValueError):
    """A push that could not be done; the message says why and what to do (and never contains the token)."""


def check_pushable(folder: Path, tokenizer_only: bool) -> None:
    """Refuse, before any upload, a folder that would not load."""
    if not folder.is_dir():
        raise PushError(f"{folder} is not a folder; pass the output folder of a minformer run.")
    if not (folder / "tokenizer.json").is_file():
        raise PushError(f"{folder} has no tokenizer.json; save the tokenizer with the model before pushing.")
    if tokenizer_only:
        return
    for name in ("config.json", "model.safetensors"):
        if not (folder / name).is_file():
            hint = " (minformer pushes safetensors only)" if any(folder.glob("*.bin")) else ""
            raise PushError(f"{folder} has no {name}{hint}; pass a folder written by save_pretrained or a "
                            "minformer run.")
    config = json.loads((folder / "config.json").read_text())
    vocab = json.loads((folder / "tokenizer.json").read_text())
    size = len(vocab["model"]["vocab"]) + sum(1 for t in vocab.get("added_tokens", [])
                                              if t["content"] not in vocab["model"]["vocab"])
    if size != config.get("vocab_size"):
        raise PushError(f"the tokenizer in {folder} has {size} tokens but the model expects "
                        f"{config.get('vocab_size')}; push the tokenizer the model was trained with.")


def stage(folder: Path, staging: Path, repo_id: str, tokenizer_only: bool) -> None:
    """Copy what the repo will hold into `staging`: files, remote code, model card."""
    names = TOKENIZER_FILES if tokenizer_only else MODEL_FILES + TOKENIZER_FILES
    for name in names:
        if (folder / name).is_file() and not name.endswith(PICKLES):
            shutil.copy2(folder / name, staging / name)
    if tokenizer_only:
        return
    write_remote_code(staging)
    from ..hub_card.card import render_card

    render_card(staging, repo_id).save(staging / "README.md")


def push(folder: str | Path, repo_id: str, private: bool = False, revision: str | None = None,
         tokenizer_only: bool = False, commit_message: str | None = None, token: str | None = None) -> str:
    """Upload `folder` to `repo_id` in one commit and return the repo URL. Honours HF_ENDPOINT, HF_TOKEN / the
    stored login, and HF_HOME. The local folder is only read."""
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    folder = Path(folder)
    check_pushable(folder, tokenizer_only)
    token = token or get_token()
    if not token:
        raise PushError("no Hugging Face token: run `hf auth login` (or set HF_TOKEN) with a token that can write "
                        f"to {repo_id.split('/')[0]}.")
    what = "tokenizer" if tokenizer_only else "model, tokenizer, code and model card"
    message = commit_message or f"Upload minformer {what}"
    api = HfApi(token=token)
    try:
        with tempfile.TemporaryDirectory(prefix="minformer-push-") as staging:
            stage(folder, Path(staging), repo_id, tokenizer_only)
            url = api.create_repo(repo_id, private=private, exist_ok=True)
            if revision:
                api.create_branch(repo_id, branch=revision, exist_ok=True)
            api.upload_folder(folder_path=staging, repo_id=repo_id, revision=revision, commit_message=message)
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "no response"
        reason = {401: "the token was refused (log in again with `hf auth login`)",
                  403: f"the token may not write to {repo_id.split('/')[0]} (check the namespace)",
                  404: f"{repo_id} or the revision was not found"}.get(status, str(error).splitlines()[0])
        raise PushError(f"pushing to {repo_id} failed ({status}): {reason}".replace(token, "***")) from None
    except OSError as error:  # network failures
        raise PushError(f"pushing to {repo_id} failed: {type(error).__name__}: {error}".replace(token, "***")) from None
    return str(url)
