"""The lens and attention pictures as PNGs (a matplotlib Figure on its own canvas: `minformer.figures`): the
logit-lens heatmap with the per-layer loss beside it, a per-layer curve (e.g. KL of each lens), and a grid of
attention maps, one panel per head.

Notation: L blocks (layers 0..L, 0 = embeddings), T positions, nh heads.
"""

import math
from pathlib import Path

import numpy as np

from ..figures import new_figure, save_png

CELL_INCHES = 0.62  # width of one position in the heatmap and of one token in an attention panel
ROW_INCHES = 0.45  # height of one layer in the heatmap
MAX_LABEL = 8  # characters of a token shown in a heatmap cell


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def plot_lens_heatmap(path: str | Path, tokens: list[str], top_tokens: list[list[str]], losses: np.ndarray,
                      layer_names: list[str], mean_losses: dict[str, list[float]], title: str) -> Path:
    """Heatmap of layers (rows, embeddings at the bottom) × positions (columns, input token below and actual next
    token above); colour = cross-entropy of the actual next token, each cell annotated with the layer's top
    prediction. `losses` is (L+1, T-1); the last position has no next token and is left grey. Beside it, each
    lens's mean cross-entropy per layer (`mean_losses`: lens name -> L+1 values)."""
    import matplotlib

    layers, positions = len(layer_names), len(tokens)
    grid = np.full((layers, positions), np.nan)
    grid[:, :positions - 1] = losses
    fig = new_figure(figsize=(CELL_INCHES * positions + 4.5, ROW_INCHES * layers + 2.2), layout="constrained")
    heat, side = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [CELL_INCHES * positions, 2.2]})
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")  # the last position: no next token
    image = heat.imshow(grid, origin="lower", aspect="auto", cmap=cmap, vmin=0)
    threshold = np.nanmean(grid) if np.isfinite(grid).any() else 0.0
    for row in range(layers):
        for column in range(positions):
            dark = not np.isfinite(grid[row, column]) or grid[row, column] > threshold
            heat.text(column, row, _short(top_tokens[row][column]), ha="center", va="center", fontsize=7,
                      color="black" if dark else "white")
    heat.set_xticks(range(positions), [_short(t) for t in tokens], rotation=90, fontsize=8)
    heat.set_yticks(range(layers), layer_names, fontsize=8)
    heat.set_xlabel("input token (the cell shows the layer's top prediction for the next one)")
    above = heat.secondary_xaxis("top")
    above.set_xticks(range(positions - 1), [_short(t) for t in tokens[1:]], rotation=90, fontsize=8)
    above.set_xlabel("actual next token")
    fig.colorbar(image, ax=side, fraction=0.12, pad=0.08, label="cross-entropy (nats)")
    for name, values in mean_losses.items():
        side.plot(values, range(layers), marker="o", label=name)
    side.set_xlabel("mean cross-entropy (nats)")
    side.grid(alpha=0.3)
    side.legend(fontsize=8, loc="upper right")
    fig.suptitle(title)
    return save_png(fig, path, bbox_inches="tight")


def plot_layer_values(path: str | Path, layer_names: list[str], series: dict[str, list[float]], ylabel: str,
                      title: str) -> Path:
    """One curve per series (e.g. "logit lens", "tuned lens") over the layers 0..L, on a log scale when every
    value but the last is positive (the last layer's KL to itself is 0 and is then left out)."""
    fig = new_figure(figsize=(6.4, 4))
    ax = fig.subplots()
    log = all(value > 0 for values in series.values() for value in values[:-1])
    for name, values in series.items():
        shown = values[:-1] if log and values[-1] <= 0 else values
        ax.plot(range(len(shown)), shown, marker="o", label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xticks(range(len(layer_names)), layer_names, rotation=30, ha="right")
    dropped = " (the last is left out: 0 on a log scale)" if log and any(v[-1] <= 0 for v in series.values()) else ""
    ax.set_xlabel("layer whose residual stream is read" + dropped)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return save_png(fig, path, bbox_inches="tight")


def plot_attention_grid(path: str | Path, weights: np.ndarray, tokens: list[str], title: str) -> Path:
    """Attention weights (nh, T, T) as one panel per head: rows are queries, columns the keys they attend to,
    both labelled with the tokens; colour = weight (0 to 1)."""
    heads, positions = weights.shape[0], weights.shape[-1]
    columns = math.ceil(math.sqrt(heads))
    rows = math.ceil(heads / columns)
    side = max(2.5, CELL_INCHES * 0.45 * positions + 1.2)
    fig = new_figure(figsize=(side * columns, side * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    labels = [_short(t) for t in tokens]
    fontsize = max(4, min(8, 200 // max(positions, 1)))
    for head, ax in enumerate(axes.flat):
        if head >= heads:
            ax.axis("off")
            continue
        image = ax.imshow(weights[head], cmap="Blues", vmin=0, vmax=1)
        ax.set_title(f"head {head + 1}", fontsize=10)
        ax.set_xticks(range(positions), labels, rotation=90, fontsize=fontsize)
        ax.set_yticks(range(positions), labels, fontsize=fontsize)
        if head % columns == 0:
            ax.set_ylabel("query")
        if head >= heads - columns:
            ax.set_xlabel("key")
    fig.colorbar(image, ax=axes, shrink=0.6, label="attention weight")
    fig.suptitle(title)
    return save_png(fig, path, bbox_inches="tight")
