"""What a training run reports when it ends, as a typed record: how long it trained, on what, and every evaluation
number with the baseline it is judged against. `summary.json` holds it; the model card reads it back by field."""

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

SUMMARY_FILE = "summary.json"
HIDDEN_IN_PRINT = ("data", "data_id", "base_model")  # long or repeated: in the file, not in the printed table


@dataclass(frozen=True)
class Score:
    """One evaluation number: a metric of the trained model (`baseline` None) or of the baseline it is judged by."""

    key: str  # its flat name in summary.json, e.g. "test_accuracy"
    name: str  # for people, e.g. "test macro-F1"
    metric: str  # the `evaluate` metric type: "perplexity", "accuracy", "f1", "exact_match", "bleu"
    split: str  # the split it was measured on: "validation" or "test"
    task: str  # the Hub task it measures: "text-generation", "fill-mask", "text-classification", ...
    value: float
    baseline: str | None = None  # e.g. "unigram model", "majority class", "copying the input"


@dataclass
class RunSummary:
    """A finished run: steps, tokens and time from the Trainer, then the recipe's scores and what it trained on."""

    steps: int
    tokens_seen: int
    train_seconds: float
    tokens_per_second: float
    total_seconds: float  # with data preparation and evaluation
    world_size: int = 1  # training processes (torchrun / accelerate launch)
    scores: list[Score] = field(default_factory=list)
    data: str = ""  # what the data was (SourceOptions.describe)
    data_id: str | None = None  # the Hub dataset id, when it came from the Hub
    text_read: str | None = None  # what the user's files held: documents, how a .txt was cut, how text was held out
    base_model: str | None = None  # the model a fine-tuning run started from
    parameters: int | None = None
    details: dict = field(default_factory=dict)  # recipe-specific extras (e.g. mean NLL, example outputs)

    def model_scores(self) -> list[Score]:
        return [score for score in self.scores if score.baseline is None]

    def baseline_scores(self) -> list[Score]:
        return [score for score in self.scores if score.baseline is not None]

    def to_dict(self) -> dict:
        """The flat view (one key per number, as printed and as scripts read it) plus the typed `scores` list."""
        flat = {"steps": self.steps, "tokens_seen": self.tokens_seen, "train_seconds": self.train_seconds,
                "tokens_per_second": self.tokens_per_second, "total_seconds": self.total_seconds,
                "world_size": self.world_size}
        if self.parameters is not None:
            flat["parameters"] = self.parameters
        flat.update({score.key: score.value for score in self.scores})
        flat.update(self.details)
        flat.update({key: value for key, value in (("data", self.data), ("data_id", self.data_id),
                                                   ("text_read", self.text_read),
                                                   ("base_model", self.base_model)) if value})
        return {**flat, "scores": [dataclasses.asdict(score) for score in self.scores]}

    def write(self, folder: Path) -> None:
        (Path(folder) / SUMMARY_FILE).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> "RunSummary | None":
        """The summary a run wrote into `folder`, or None when there is none (a model not trained by minformer) or
        the file is not one minformer wrote."""
        path = Path(folder) / SUMMARY_FILE
        if not path.is_file():
            return None
        try:
            saved = json.loads(path.read_text())
            own = {f.name for f in dataclasses.fields(cls)} - {"scores", "details"}
            scores = [Score(**score) for score in saved.get("scores", [])]
            flat_scores = {score.key for score in scores}
            details = {key: value for key, value in saved.items()
                       if key not in own and key not in flat_scores and key != "scores"}
            return cls(scores=scores, details=details, **{key: saved[key] for key in own if key in saved})
        except (ValueError, TypeError, AttributeError):  # not a summary minformer wrote: no record, not a crash
            return None


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def format_summary(summary: dict) -> str:
    """The flat summary as an aligned table of its numbers (lists, nested records and long texts left out)."""
    shown = {key: value for key, value in summary.items()
             if not isinstance(value, (dict, list)) and key not in HIDDEN_IN_PRINT}
    width = max(len(key) for key in shown) + 2
    return "\n".join(f"{key:<{width}}{_number(value)}" for key, value in shown.items())
