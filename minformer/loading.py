"""Loading what the user gives a command (a model folder, a tokenizer, a checkpoint) with one clear error for each way
it can be wrong: not a minformer model, a config without its architecture, a damaged tokenizer.json or weights file,
a tokenizer that does not match the model's vocabulary."""

import json
from pathlib import Path

from huggingface_hub.errors import StrictDataclassError
from transformers import AutoConfig, AutoTokenizer, PreTrainedConfig, PreTrainedTokenizerBase

from .errors import UserError, first_line, reading

MINFORMER_MODEL_TYPES = {"minformer_decoder": "decoder", "minformer_encoder": "encoder"}
ARCHITECTURE_KEYS = ("model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads")
RESAVE = "save the model again with save_pretrained, or give the output folder of a minformer run"


def _local_config(path: Path) -> dict:
    file = path / "config.json"
    if not file.is_file():
        raise UserError(f"{path} has no config.json, so it is not a saved model; give a model folder ({RESAVE}).")
    with reading(file, f"Fix the JSON or {RESAVE}."):
        raw = json.loads(file.read_text())
    if not isinstance(raw, dict):
        raise UserError(f"{file} is not a JSON object; {RESAVE}.")
    missing = [key for key in ARCHITECTURE_KEYS if key not in raw]
    if missing:
        raise UserError(f"{file} lacks {', '.join(missing)}, so the model's shape is unknown; {RESAVE}.")
    return raw


def _strict_message(error: Exception) -> str:
    """The config check's own sentence on one line, without @strict's "Validation error for ..." preamble."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if isinstance(error, StrictDataclassError) and len(lines) > 1:
        lines = lines[1:]
    return " ".join(" ".join(lines).split())


def load_config(model: str | Path, families: tuple[str, ...] = ("decoder", "encoder")) -> PreTrainedConfig:
    """The config of a saved minformer model of one of `families`, from a local folder or a Hub repo id."""
    path = Path(model)
    if path.exists() and not path.is_dir():
        raise UserError(f"{model} is a file; give the model's folder (the one holding config.json).")
    if path.is_dir():
        _local_config(path)
    try:
        config = AutoConfig.from_pretrained(model)
    except (ValueError, StrictDataclassError) as error:  # the config's own checks, naming the field and the fix
        raise UserError(f"{model}: {_strict_message(error)}") from None
    except Exception as error:
        raise UserError(f"cannot read the config of {model}: {first_line(error)}. Check the path or repo id, or "
                        f"{RESAVE}.") from error
    family = MINFORMER_MODEL_TYPES.get(config.model_type)
    if family not in families:
        wanted = " or ".join(f"minformer {name}" for name in families)
        raise UserError(f"{model} holds a {config.model_type} model, not a {wanted}; give a folder written by "
                        "minformer (convert GPT-2 or BERT checkpoints with minformer.convert first).")
    return config


def load_tokenizer(folder: str | Path) -> PreTrainedTokenizerBase:
    """A saved tokenizer; a damaged tokenizer.json (a bad merge, no "model") is reported with its folder."""
    path = Path(folder)
    if path.is_dir() and not (path / "tokenizer.json").is_file():
        raise UserError(f"{folder} has no tokenizer.json; save the tokenizer into it (tokenizer.save_pretrained) or "
                        "train one with `minformer train-tokenizer`.")
    with reading(f"the tokenizer in {folder}", "Its tokenizer.json is damaged: copy it again from where it was "
                                               "trained, or train a new one with `minformer train-tokenizer`."):
        return AutoTokenizer.from_pretrained(folder)


def check_vocabulary(tokenizer: PreTrainedTokenizerBase, config: PreTrainedConfig, where: str) -> None:
    """A tokenizer and a model that disagree on the vocabulary would silently index the wrong embeddings."""
    if config.vocab_size != len(tokenizer):
        raise UserError(f"the tokenizer in {where} has {len(tokenizer)} tokens but the model expects "
                        f"{config.vocab_size}; use the tokenizer the model was trained with.")


def load_weights(model_class, model: str | Path, **kwargs):
    """`model_class.from_pretrained(model, **kwargs)`, with a truncated or pickle-only weights file reported as the
    user's file, not as a traceback."""
    with reading(f"the model weights in {model}", "The weights file is damaged, incomplete or not plain tensors "
                                                  "(pickles that would run code are refused): copy the folder "
                                                  f"again, or {RESAVE}."):
        return model_class.from_pretrained(model, **kwargs)


def load_pretrained(model_class, model: str | Path, families: tuple[str, ...] = ("decoder", "encoder"), **kwargs):
    """A saved minformer model and its tokenizer, every check above made before the weights are read."""
    config = load_config(model, families)
    tokenizer = load_tokenizer(model)
    check_vocabulary(tokenizer, config, str(model))
    if kwargs.get("attn_implementation"):
        from .modeling.attention_backends import check_attention_backend

        check_attention_backend(kwargs["attn_implementation"])
    return load_weights(model_class, model, **kwargs), tokenizer


def check_checkpoint(checkpoint: str | Path, optimizer: str | None = None) -> None:
    """Read every file the Trainer resumes from, so that a damaged checkpoint is named before training starts
    (its weights, optimizer and scheduler state, RNG state and trainer_state.json), and, given `optimizer`
    ("adamw" or "muon"), that its optimizer state is of that optimizer."""
    import torch
    from safetensors.torch import load_file
    from transformers.trainer_pt_utils import safe_globals  # the numpy types in rng_state.pth, as the Trainer allows

    path = Path(checkpoint)
    fix = f"Delete {path} to resume from the checkpoint before it, or start again with --overwrite."
    for name in sorted(p.name for p in path.iterdir()):
        file = path / name
        with reading(file, fix):
            if name.endswith(".safetensors"):
                load_file(file)
            elif name.endswith((".pt", ".pth")):
                with safe_globals():
                    state = torch.load(file, map_location="cpu", weights_only=True)
                if name == "optimizer.pt" and optimizer is not None:
                    saved = "muon" if any(group.get("muon") for group in state["param_groups"]) else "adamw"
                    if saved != optimizer:
                        raise UserError(f"{path} was trained with --optimizer {saved}, not {optimizer}: resume with "
                                        f"--optimizer {saved}, or start again with --overwrite.")
            elif name == "trainer_state.json":
                json.loads(file.read_text())["global_step"]
    if not (path / "trainer_state.json").is_file():
        raise UserError(f"{path} has no trainer_state.json, so it is not a complete checkpoint. {fix}")
