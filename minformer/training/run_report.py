"""The picture a training run leaves: its training and validation loss curves as a PNG, from the Trainer's own log
history (the numbers are in summary.py)."""

from pathlib import Path

from transformers import TrainerState


def loss_curves(state: TrainerState) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    train = [(entry["step"], entry["loss"]) for entry in state.log_history if "loss" in entry]
    validation = [(entry["step"], entry["eval_loss"]) for entry in state.log_history if "eval_loss" in entry]
    return train, validation


def plot_losses(state: TrainerState, path: Path, title: str) -> Path:
    """Training and validation loss against the step, as a PNG (on its own canvas: `minformer.figures`)."""
    from ..figures import new_figure, save_png

    train, validation = loss_curves(state)
    fig = new_figure(figsize=(6.4, 4))
    ax = fig.subplots()
    if train:
        ax.plot(*zip(*train), label="training loss")
    if validation:
        ax.plot(*zip(*validation), marker="o", label="validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_png(fig, path, dpi=100)
