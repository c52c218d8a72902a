"""The tuned lens (Belrose et al. 2023, "Eliciting Latent Predictions from Transformers with the Tuned Lens"): one
affine translator per layer that maps that layer's residual stream to where the final layer would put it,
h -> h + A_ℓ·h + b_ℓ, read out like the logit lens (final norm, unembedding). A_ℓ and b_ℓ start at zero, so an
unfitted tuned lens is the logit lens; the last layer needs no translator (it is the model's output).

Notation: L blocks, layers 0..L (0 = embeddings), B batch, T sequence length, C hidden size.
Saved next to the model, in MODEL/tuned_lens/: the translators as safetensors and a JSON saying what they were fitted
on. Fitting is in `fitting.py`.
"""

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..atomic import atomic_directory
from ..modeling.decoder import MinformerDecoderForCausalLM

LENS_FOLDER = "tuned_lens"  # inside the model folder
WEIGHTS_FILE = "translators.safetensors"
INFO_FILE = "tuned_lens.json"


class TunedLens(nn.Module):
    """L affine translators (C -> C), one for layers 0..L-1; layer L passes through unchanged."""

    def __init__(self, num_hidden_layers: int, hidden_size: int):
        super().__init__()
        self.translators = nn.ModuleList(nn.Linear(hidden_size, hidden_size) for _ in range(num_hidden_layers))
        for translator in self.translators:  # start as the logit lens (Belrose et al. 2023, §3)
            nn.init.zeros_(translator.weight)
            nn.init.zeros_(translator.bias)

    @classmethod
    def for_model(cls, model: MinformerDecoderForCausalLM) -> "TunedLens":
        """An unfitted lens (identical to the logit lens) shaped for `model`, on its device."""
        lens = cls(model.config.num_hidden_layers, model.config.hidden_size)
        return lens.to(model.device)

    @property
    def num_hidden_layers(self) -> int:
        return len(self.translators)

    @property
    def hidden_size(self) -> int:
        return self.translators[0].in_features if self.translators else 0

    def forward(self, hidden_states: torch.Tensor, layer: int) -> torch.Tensor:
        """Layer `layer`'s stream (B, T, C) translated into the final layer's basis (B, T, C)."""
        if layer == self.num_hidden_layers:  # the model's own output
            return hidden_states
        return hidden_states + self.translators[layer](hidden_states)  # h + A·h + b


def lens_folder(model_dir: str | Path) -> Path:
    """Where the tuned lens of the model in `model_dir` lives."""
    return Path(model_dir) / LENS_FOLDER


def has_tuned_lens(model_dir: str | Path) -> bool:
    return (lens_folder(model_dir) / WEIGHTS_FILE).is_file()


def check_lens_destination(model_dir: str | Path, overwrite: bool = False) -> Path:
    """The lens folder of `model_dir`; an error if the model folder is missing, or if a lens is there already
    and `overwrite` is False (checked before fitting, so no work is lost)."""
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{model_dir} is not a saved model folder (no config.json); the tuned lens is saved "
                                "next to the model, so give the local folder of a decoder.")
    folder = lens_folder(model_dir)
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise FileExistsError(f"{folder} already holds a tuned lens; pass --overwrite (overwrite=True) to replace "
                              "it with a new fit.")
    return folder


def save_tuned_lens(lens: TunedLens, model_dir: str | Path, info: dict, overwrite: bool = False) -> Path:
    """Write `lens` and `info` (what it was fitted on) to MODEL/tuned_lens/ all at once; an existing lens is
    replaced only with `overwrite=True`. Returns the folder."""
    folder = check_lens_destination(model_dir, overwrite)
    info = {"num_hidden_layers": lens.num_hidden_layers, "hidden_size": lens.hidden_size, **info}
    with atomic_directory(folder, overwrite=overwrite) as staging:
        weights = {name: tensor.detach().cpu().contiguous() for name, tensor in lens.state_dict().items()}
        save_file(weights, staging / WEIGHTS_FILE, metadata={"format": "pt"})
        (staging / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n")
    return folder


def read_lens_info(model_dir: str | Path) -> dict:
    """The JSON saved with the tuned lens of `model_dir` (what it was fitted on, and its per-layer KL)."""
    folder = lens_folder(model_dir)
    if not has_tuned_lens(model_dir):
        raise FileNotFoundError(f"{model_dir} has no tuned lens ({folder / WEIGHTS_FILE} is missing); fit one with "
                                f"`minformer fit-lens {model_dir} --builtin` (or with your own text files).")
    return json.loads((folder / INFO_FILE).read_text())


def load_tuned_lens(model_dir: str | Path, model: MinformerDecoderForCausalLM) -> TunedLens:
    """The tuned lens saved in `model_dir`, checked against `model`'s layers and hidden size."""
    info = read_lens_info(model_dir)
    lens = TunedLens.for_model(model)
    weights = load_file(lens_folder(model_dir) / WEIGHTS_FILE, device=str(model.device))
    expected = {name: tuple(tensor.shape) for name, tensor in lens.state_dict().items()}
    found = {name: tuple(tensor.shape) for name, tensor in weights.items()}
    if found != expected:
        raise ValueError(
            f"the tuned lens in {lens_folder(model_dir)} was fitted for a model with "
            f"{info.get('num_hidden_layers', '?')} layers of size {info.get('hidden_size', '?')}, but this model "
            f"has {model.config.num_hidden_layers} layers of size {model.config.hidden_size}; fit it again with "
            f"`minformer fit-lens {model_dir} --overwrite`."
        )
    lens.load_state_dict(weights)
    return lens
