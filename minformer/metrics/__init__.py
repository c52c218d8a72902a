"""Metric modules for `evaluate`, shipped in the package and loaded by path so they work offline."""

from pathlib import Path

METRICS = ("accuracy", "bleu", "exact_match", "f1", "perplexity")


def load_metric(name: str):
    """`evaluate.load` of one of minformer's own metric scripts (no Hub access)."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; minformer ships {', '.join(METRICS)}.")
    import evaluate

    return evaluate.load(str(Path(__file__).with_name(f"{name}.py")))
