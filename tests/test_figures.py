"""Every picture minformer draws is a valid PNG and leaves the user's matplotlib as it was: same backend (a notebook
keeps its own), same rcParams, and pyplot never imported on its behalf."""

import sys
from pathlib import Path

import matplotlib
import matplotlib.image
import numpy as np
import pytest
from transformers import TrainerState

from minformer.lens.plots import plot_attention_grid, plot_layer_values, plot_lens_heatmap
from minformer.scaling import CHINCHILLA, Fit
from minformer.scaling.plots import plot_scaling
from minformer.training.run_report import plot_losses

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LAYERS = ["embeddings", "layer 1", "layer 2"]
RUNS = [{"size": size, "parameters": n, "chinchilla_flops": 6 * n * d, "validation_loss": CHINCHILLA.loss(n, d)}
        for size, n in (("1x32", 4e4), ("2x64", 2e5)) for d in (1e5, 1e6)]


def lens_heatmap(folder: Path) -> Path:
    tokens = ["Return", " the", " list"]
    return plot_lens_heatmap(folder / "lens.png", tokens, [tokens] * len(LAYERS), np.ones((len(LAYERS), 2)), LAYERS,
                             {"logit lens": [3.0, 2.0, 1.0]}, title="logit lens")


def layer_values(folder: Path) -> Path:
    return plot_layer_values(folder / "kl.png", LAYERS, {"logit lens": [3.0, 1.0, 0.0], "tuned lens": [1.0, 0.5, 0.0]},
                             ylabel="KL", title="KL to the final layer")


def attention_grid(folder: Path) -> Path:
    return plot_attention_grid(folder / "attention.png", np.full((3, 4, 4), 0.25), list("abcd"), title="block 1")


def scaling(folder: Path) -> Path:
    fit = Fit(law=CHINCHILLA, stderr={}, runs=len(RUNS), rms_log_residual=0.0)
    return plot_scaling(RUNS, fit, folder / "scaling.png")


def losses(folder: Path) -> Path:
    state = TrainerState(log_history=[{"step": 10, "loss": 5.0}, {"step": 20, "loss": 4.0},
                                      {"step": 20, "eval_loss": 4.2}])
    return plot_losses(state, folder / "loss.png", title="decoder pretraining")


@pytest.fixture
def notebook_backend():
    """A backend other than Agg, as a user's notebook has its own; restored afterwards."""
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    yield "svg"
    matplotlib.use(before)


@pytest.mark.parametrize("draw", [lens_heatmap, layer_values, attention_grid, scaling, losses],
                         ids=lambda draw: draw.__name__)
def test_drawing_leaves_matplotlib_alone_and_writes_a_png(draw, notebook_backend, tmp_path):
    pyplot_loaded = "matplotlib.pyplot" in sys.modules
    settings = dict(matplotlib.rcParams)
    path = draw(tmp_path / "pictures")  # a folder that does not exist yet
    assert matplotlib.get_backend() == notebook_backend
    assert dict(matplotlib.rcParams) == settings
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_loaded
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width, _ = matplotlib.image.imread(path).shape  # decodes: a whole image, not just a header
    assert height > 100 and width > 100
