"""The options every training command shares: where the text comes from, where the run goes, how long it trains.
Each is checked when the options are made, before anything is read or written, with the flag that sets it."""

import math
from dataclasses import dataclass, field

from ..errors import UserError

# RunOptions fields that must be positive integers, and the flags that set them
POSITIVE_COUNTS = {"max_steps": "--max-steps", "batch_size": "--batch-size",
                   "gradient_accumulation_steps": "--gradient-accumulation", "eval_steps": "--eval-steps",
                   "logging_steps": "--logging-steps", "save_steps": "--save-steps",
                   "save_total_limit": "save_total_limit"}


def check_positive_int(value: object, flag: str) -> None:
    """Refuse a count that is not a positive integer (0, negatives, floats, NaN), naming its flag."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{flag} must be a positive integer, got {value!r}.")


def check_positive_float(value: object, flag: str) -> None:
    """Refuse a rate that is not a finite positive number (0, negatives, NaN, inf), naming its flag."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise UserError(f"{flag} must be a finite positive number, got {value!r}.")


@dataclass
class SourceOptions:
    files: list[str] = field(default_factory=list)  # local .txt/.jsonl/.csv/.parquet files
    hub_dataset: str | None = None  # a Hub dataset name (needs internet)
    hub_config: str | None = None
    hub_split: str | None = None
    builtin: bool = False  # the built-in corpus / labelled task (no download)
    text_column: str = "text"
    label_column: str = "label"
    seed: int = 0  # of the train/validation/test split

    def __post_init__(self):
        for flag, column in (("--text-column", self.text_column), ("--label-column", self.label_column)):
            if not str(column).strip():
                raise UserError(f"{flag} is empty; give the name of a column of the data.")

    def describe(self, builtin: str) -> dict:
        """What the data was, for summaries and model cards (`data_id` only for Hub datasets)."""
        if self.builtin:
            return {"data": f"minformer's built-in {builtin} data (Python's own documentation and docstrings)"}
        if self.hub_dataset:
            return {"data": f"the Hub dataset {self.hub_dataset}", "data_id": self.hub_dataset}
        return {"data": "local files: " + ", ".join(str(f).rsplit("/", 1)[-1] for f in self.files)}

    def load(self, builtin: str, text_column: str | None = None, label_column: str | None = None,
             label_flag: str = "--label-column"):
        """The DatasetDict these options name; `builtin` says which built-in data --builtin means."""
        from ..data import load_text

        return load_text(files=self.files or None, hub_dataset=self.hub_dataset, hub_config=self.hub_config,
                         hub_split=self.hub_split, builtin=builtin if self.builtin else None,
                         text_column=text_column or self.text_column, label_column=label_column, seed=self.seed,
                         label_flag=label_flag)


@dataclass
class RunOptions:
    output_dir: str = "runs/minformer"
    overwrite: bool = False  # replace an output folder that holds another run
    resume: bool = False  # continue from the last checkpoint in output_dir
    max_steps: int = 200
    batch_size: int = 16  # per device
    gradient_accumulation_steps: int = 1
    learning_rate: float = 1e-3
    warmup_ratio: float = 0.05
    weight_decay: float = 0.01
    eval_steps: int = 50
    logging_steps: int = 10
    save_steps: int = 100
    save_total_limit: int = 2
    seed: int = 0
    num_proc: int | None = None  # processes for tokenisation
    attn_implementation: str | None = None
    torch_compile: bool = False  # opt-in speed-up through the Trainer's torch_compile
    bf16: bool = False  # opt-in: the Trainer's bfloat16 autocast (fp32 weights); fast on CPUs with AMX or a GPU
    report_to: str = "none"

    def __post_init__(self):
        for name, flag in POSITIVE_COUNTS.items():
            check_positive_int(getattr(self, name), flag)
        check_positive_float(self.learning_rate, "--learning-rate")
        if self.num_proc is not None:
            check_positive_int(self.num_proc, "--num-proc")
        if not 0 <= self.warmup_ratio < 1 or not 0 <= self.weight_decay < 1:
            raise UserError(f"warmup_ratio and weight_decay must be in [0, 1), got {self.warmup_ratio} and "
                            f"{self.weight_decay}.")
        if self.attn_implementation is not None:
            from ..modeling.backends import check_attention_backend

            check_attention_backend(self.attn_implementation)
