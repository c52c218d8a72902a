"""The options every training command shares: where the run goes and how long it trains (where the text comes from
is `data.options.SourceOptions`). Each is checked when the options are made, before anything is read or written,
with the flag that sets it."""

import dataclasses
from dataclasses import dataclass

from ..errors import UserError
from ..validation import check_positive_float, check_positive_int
from .optimizers import OPTIMIZERS

# RunOptions fields that must be positive integers, and the flags that set them
POSITIVE_COUNTS = {"max_steps": "--max-steps", "batch_size": "--batch-size",
                   "gradient_accumulation_steps": "--gradient-accumulation", "eval_steps": "--eval-steps",
                   "logging_steps": "--logging-steps", "save_steps": "--save-steps",
                   "save_total_limit": "save_total_limit"}


@dataclass
class RunOptions:
    output_dir: str = "runs/minformer"
    overwrite: bool = False  # replace an output folder that holds another run
    resume: bool = False  # continue from the last checkpoint in output_dir
    max_steps: int = 200
    batch_size: int = 16  # per device
    gradient_accumulation_steps: int = 1
    learning_rate: float | None = None  # None: the command's default (pretrain_defaults.py for pretraining)
    warmup_ratio: float = 0.05
    weight_decay: float = 0.01
    optimizer: str | None = None  # "adamw" or "muon" (Muon for the blocks' matrices, AdamW for the rest); None: the
    # command's default, as learning_rate
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
        if self.learning_rate is not None:
            check_positive_float(self.learning_rate, "--learning-rate")
        if self.num_proc is not None:
            check_positive_int(self.num_proc, "--num-proc")
        if not 0 <= self.warmup_ratio < 1 or not 0 <= self.weight_decay < 1:
            raise UserError(f"warmup_ratio and weight_decay must be in [0, 1), got {self.warmup_ratio} and "
                            f"{self.weight_decay}.")
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise UserError(f"unknown --optimizer {self.optimizer!r}; use one of {', '.join(OPTIMIZERS)}.")
        if self.attn_implementation is not None:
            from ..modeling.attention_backends import check_attention_backend

            check_attention_backend(self.attn_implementation)

    def with_defaults(self, optimizer: str, learning_rate: float) -> "RunOptions":
        """These options with a command's defaults for the optimiser and learning rate where they are None."""
        return dataclasses.replace(self, optimizer=self.optimizer or optimizer,
                                   learning_rate=self.learning_rate or learning_rate)
