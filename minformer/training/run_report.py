"""What a training run tells its user at the end: tokens seen, time, throughput, final metrics, and a PNG of the
training and validation loss curves, all computed from the Trainer's own log history."""

import json
from pathlib import Path

from transformers import TrainerState


def loss_curves(state: TrainerState) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    train = [(entry["step"], entry["loss"]) for entry in state.log_history if "loss" in entry]
    validation = [(entry["step"], entry["eval_loss"]) for entry in state.log_history if "eval_loss" in entry]
    return train, validation


def plot_losses(state: TrainerState, path: Path, title: str) -> Path:
    """Training and validation loss against the step, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, validation = loss_curves(state)
    fig, ax = plt.subplots(figsize=(6.4, 4))
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
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_summary(output_dir: Path, summary: dict) -> None:
    (output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def format_summary(summary: dict) -> str:
    width = max(len(key) for key in summary) + 2
    return "\n".join(f"{key:<{width}}{_number(value)}" for key, value in summary.items()
                     if not isinstance(value, (dict, list)) and key not in ("data", "data_id", "base_model"))
