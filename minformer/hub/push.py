"""Pushing a trained minformer model (or just its tokenizer) to the Hugging Face Hub in one commit: safetensors
weights, config, generation config, tokenizer, the model code for `trust_remote_code`, and a model card."""

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import UserError, first_line, reading
from .remote_code import write_remote_code

MODEL_FILES = ("config.json", "generation_config.json", "model.safetensors", "summary.json", "loss.png",
               "trainer_state.json", "training_options.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer_report.json")
PICKLES = (".bin", ".pt", ".pth", ".pkl", ".pickle")  # never uploaded: safetensors only


class PushError(UserError):
    """A push that could not be done; the message says why and what to do (and never contains the token)."""


# the HTTP stacks huggingface_hub has used (httpx, its fork httpx2, requests): their errors are network failures
NETWORK_MODULES = ("httpx", "httpx2", "httpcore", "httpcore2", "requests", "urllib3")


def is_network_error(error: Exception) -> bool:
    """A refused, unreachable or timed-out connection (huggingface_hub's client errors are not OSErrors)."""
    return isinstance(error, OSError) or any(cls.__module__.split(".")[0] in NETWORK_MODULES
                                             for cls in type(error).__mro__)


def check_pushable(folder: Path, tokenizer_only: bool) -> None:
    """Refuse, before any upload, a folder that would not load."""
    if not folder.is_dir():
        raise PushError(f"{folder} is not a folder; pass the output folder of a minformer run.")
    if not (folder / "tokenizer.json").is_file():
        raise PushError(f"{folder} has no tokenizer.json; save the tokenizer with the model before pushing.")
    from ..loading import check_vocabulary, load_config, load_tokenizer

    tokenizer = load_tokenizer(folder)
    if tokenizer_only:
        return
    for name in ("config.json", "model.safetensors"):
        if not (folder / name).is_file():
            hint = " (minformer pushes safetensors only)" if any(folder.glob("*.bin")) else ""
            raise PushError(f"{folder} has no {name}{hint}; pass a folder written by save_pretrained or a "
                            "minformer run.")
    from safetensors import safe_open

    check_vocabulary(tokenizer, load_config(folder), str(folder))
    with reading(folder / "model.safetensors", "The weights file is damaged or incomplete: copy the folder again, "
                                              "or save the model again with save_pretrained."):
        with safe_open(folder / "model.safetensors", framework="pt") as weights:
            for name in weights.keys():
                weights.get_slice(name)[:1]  # reads each tensor's first row: a truncated file fails here


def stage(folder: Path, staging: Path, repo_id: str, tokenizer_only: bool) -> None:
    """Copy what the repo will hold into `staging`: files, remote code, model card."""
    names = TOKENIZER_FILES if tokenizer_only else MODEL_FILES + TOKENIZER_FILES
    for name in names:
        if (folder / name).is_file() and not name.endswith(PICKLES):
            shutil.copy2(folder / name, staging / name)
    if tokenizer_only:
        return
    write_remote_code(staging)
    from .card import render_card

    render_card(staging, repo_id).save(staging / "README.md")


def _upload(api, staging: Path, repo_id: str, private: bool, revision: str | None, message: str, token: str) -> str:
    """Create the repo (and branch) and upload the staged folder in one commit; Hub and network failures become
    PushErrors that say what to do."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
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
    except Exception as error:
        if not is_network_error(error):
            raise
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        raise PushError(f"pushing to {repo_id} failed: cannot reach {endpoint} ({first_line(error)}); check the "
                        "network connection and HF_ENDPOINT, then push again.".replace(token, "***")) from None
    return str(url)


def push(folder: str | Path, repo_id: str, private: bool = False, revision: str | None = None,
         tokenizer_only: bool = False, commit_message: str | None = None, token: str | None = None) -> str:
    """Upload `folder` to `repo_id` in one commit and return the repo URL. Honours HF_ENDPOINT, HF_TOKEN / the
    stored login, and HF_HOME. The local folder is only read."""
    from huggingface_hub import HfApi, get_token

    folder = Path(folder)
    check_pushable(folder, tokenizer_only)
    token = token or get_token()
    if not token:
        raise PushError("no Hugging Face token: run `hf auth login` (or set HF_TOKEN) with a token that can write "
                        f"to {repo_id.split('/')[0]}.")
    what = "tokenizer" if tokenizer_only else "model, tokenizer, code and model card"
    message = commit_message or f"Upload minformer {what}"
    api = HfApi(token=token)
    with tempfile.TemporaryDirectory(prefix="minformer-push-") as staging:
        stage(folder, Path(staging), repo_id, tokenizer_only)
        url = _upload(api, Path(staging), repo_id, private, revision, message, token)
    return str(url)
