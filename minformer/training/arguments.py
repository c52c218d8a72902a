"""The `TrainingArguments` every training run is built with (from its `RunOptions`), and the hardware it ran on."""

import os
import platform
from pathlib import Path

import torch
from transformers import TrainingArguments

from .options import RunOptions


def training_arguments(run: RunOptions, output_dir: str | Path, evaluate: bool = True,
                       arguments_class: type = TrainingArguments, **overrides) -> TrainingArguments:
    """The Trainer's arguments for `run` writing into `output_dir`: cosine schedule, checkpoints every save_steps,
    the GPU when there is one, gloo for torchrun on CPUs; `overrides` replace any of them (e.g. a sweep's)."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1  # set by torchrun and accelerate launch
    arguments = dict(
        output_dir=str(output_dir),
        max_steps=run.max_steps,
        per_device_train_batch_size=run.batch_size,
        per_device_eval_batch_size=run.batch_size,
        gradient_accumulation_steps=run.gradient_accumulation_steps,
        learning_rate=run.learning_rate,
        warmup_steps=run.warmup_ratio,  # a float below 1 is a fraction of max_steps
        weight_decay=run.weight_decay,
        lr_scheduler_type="cosine",
        eval_strategy="steps" if evaluate else "no",
        eval_steps=run.eval_steps,
        logging_steps=run.logging_steps,
        save_strategy="steps",
        save_steps=run.save_steps,
        save_total_limit=run.save_total_limit,
        seed=run.seed,
        data_seed=run.seed,
        use_cpu=not torch.cuda.is_available(),
        ddp_backend="gloo" if distributed and not torch.cuda.is_available() else None,  # torchrun on CPUs
        torch_compile=run.torch_compile,
        bf16=run.bf16,
        report_to=run.report_to,
        dataloader_num_workers=0,
    )
    return arguments_class(**{**arguments, **overrides})


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def hardware() -> str:
    """The devices training runs on, for the model card."""
    if torch.cuda.is_available():
        return f"{torch.cuda.device_count()} × {torch.cuda.get_device_name(0)}"
    return f"{cpu_model()}, {os.cpu_count()} cores (CPU only)"
