"""The scaling sweep as a picture: measured validation loss against training compute, each model size's fitted
curve, and the compute-optimal frontier of the fitted law (a matplotlib Figure on its own canvas:
`minformer.figures`)."""

from pathlib import Path

import numpy as np

from ..figures import new_figure, save_png
from .fit import Fit


def plot_scaling(runs: list[dict], fit: Fit, path: Path) -> Path:
    """Loss (y) against C = 6·N·D (x, log scale): points per run, a fitted line per size, the frontier dashed."""
    import matplotlib

    law = fit.law
    flops = [r["chinchilla_flops"] for r in runs]
    grid = np.geomspace(min(flops) / 2, max(flops) * 2, 200)
    fig = new_figure(figsize=(7, 4.6))
    ax = fig.subplots()
    sizes = list(dict.fromkeys(r["size"] for r in runs))
    colours = matplotlib.colormaps["viridis"](np.linspace(0, 0.85, len(sizes)))
    for size, colour in zip(sizes, colours):
        own = [r for r in runs if r["size"] == size]
        n = own[0]["parameters"]
        ax.scatter([r["chinchilla_flops"] for r in own], [r["validation_loss"] for r in own], color=colour,
                   zorder=3, label=f"{size} ({n / 1e3:,.0f} k parameters)")
        own_grid = np.geomspace(min(r["chinchilla_flops"] for r in own) / 1.5,
                                max(r["chinchilla_flops"] for r in own) * 1.5, 50)  # the law near this size's runs
        ax.plot(own_grid, [law.loss(n, c / (6 * n)) for c in own_grid], color=colour, alpha=0.6)
    ax.plot(grid, [law.frontier(c) for c in grid], "k--", label="fitted compute-optimal frontier")
    ax.set_xscale("log")
    ax.set_xlabel("training compute C = 6·N·D (FLOPs)")
    ax.set_ylabel("validation loss (nats/token)")
    ax.set_title(f"Fitted: E={law.E:.2f}, A={law.A:.3g}, α={law.alpha:.2f}, B={law.B:.3g}, β={law.beta:.2f} "
                 "(tiny models: not the paper's constants)", fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_png(fig, path, dpi=110)
