"""The logit lens as a text table: one row per layer (embeddings first, the model's output last), one column per
position, each cell the layer's top prediction(s) for the next token, then each lens's mean cross-entropy."""

MAX_CELL = 10  # characters per prediction shown in a cell


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def lens_table(tokens: list[str], predictions: list[list[list[str]]], layer_names: list[str],
               mean_losses: dict[str, list[float]]) -> str:
    """`tokens`: the T input tokens; `predictions[layer][position]`: the top-k tokens there; `mean_losses`: lens name
    -> the L+1 mean cross-entropies (nats). The last row shows the token that actually comes next."""
    cells = [["/".join(_fit(token, MAX_CELL) for token in top) for top in row] for row in predictions]
    header = ["input"] + [_fit(token, MAX_CELL) for token in tokens]
    next_row = ["actual next"] + [_fit(token, MAX_CELL) for token in tokens[1:]] + ["—"]
    rows = [[name] + row for name, row in zip(layer_names, cells)]
    widths = [max(len(row[column]) for row in [header, next_row, *rows]) for column in range(len(header))]
    loss_names = [f"CE {name}" for name in mean_losses]

    def line(row: list[str], losses: list[str]) -> str:
        text = "  ".join(cell.ljust(width) for cell, width in zip(row, widths))
        return (text + "  " + "  ".join(loss.rjust(len(name)) for loss, name in zip(losses, loss_names))).rstrip()

    lines = [line(header, loss_names), line(["-" * width for width in widths], ["-" * len(n) for n in loss_names])]
    for layer, row in enumerate(rows):
        lines.append(line(row, [f"{values[layer]:.3f}" for values in mean_losses.values()]))
    lines.append(line(next_row, ["" for _ in loss_names]))
    return "\n".join(lines)
