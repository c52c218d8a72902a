"""The one way minformer draws a picture: a `matplotlib.figure.Figure` on its own Agg canvas, saved as a PNG.

Library code must not change process-wide state, so nothing here touches pyplot, `matplotlib.use` or rcParams: a
user's notebook keeps its backend and its settings after any minformer command or plot. matplotlib is imported
only when a picture is drawn (the CLI starts faster without it).
"""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(**kwargs) -> "Figure":
    """A Figure (`kwargs` as for `Figure`: figsize, layout, ...) attached to a private Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(**kwargs)
    FigureCanvasAgg(figure)  # attaches itself as figure.canvas; renders PNGs without any GUI backend
    return figure


def save_png(figure: "Figure", path: str | Path, dpi: int = 100, **kwargs) -> Path:
    """Write the figure as a PNG at `path` (its folder created if missing); `kwargs` go to `savefig`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi, format="png", **kwargs)
    return path
