"""Steps every training command takes around training: build the TrainingArguments for the run's staging folder,
and finish: final save, summary and loss plot (the folder itself is claimed by `run_folder.claimed_run`)."""

import dataclasses
import json
import os
import platform
import time

import torch
from transformers import TrainingArguments

from .options import RunOptions
from .run_folder import RunFolder
from .run_report import format_summary, plot_losses, write_summary


def training_arguments(run: RunOptions, folder: RunFolder, evaluate: bool = True,
                       arguments_class: type = TrainingArguments, **extra) -> TrainingArguments:
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1  # set by torchrun and accelerate launch
    return arguments_class(
        output_dir=str(folder.staging),
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
        **extra,
    )


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def hardware() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.device_count()} × {torch.cuda.get_device_name(0)}"
    return f"{cpu_model()}, {os.cpu_count()} cores (CPU only)"


def finish(trainer, run: RunOptions, folder: RunFolder, started: float, train_seconds: float, tokens_per_step: int,
           metrics: dict, title: str) -> dict:
    """Save the final model (+ tokenizer, trainer_state.json), the summary JSON and the loss plot into the staging
    folder (which then replaces the output folder); print them."""
    output, start_step = folder.staging, folder.start_step
    trainer.save_model(str(output))
    trainer.save_state()
    steps = trainer.state.global_step
    if trainer.is_world_process_zero():  # what the model card reports about training
        (output / "training_options.json").write_text(json.dumps(
            {**dataclasses.asdict(run), "world_size": trainer.args.world_size, "hardware": hardware()}, indent=2))
    summary = {
        "steps": steps,
        "tokens_seen": steps * tokens_per_step,
        "train_seconds": round(train_seconds, 1),
        "tokens_per_second": round((steps - start_step) * tokens_per_step / train_seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1),  # with data preparation and evaluation
        **metrics,
    }
    if trainer.is_world_process_zero():
        write_summary(output, summary)
        plot_losses(trainer.state, output / "loss.png", title)
        print(format_summary(summary))
        print(f"saved the model, tokenizer, summary.json and loss.png to {run.output_dir}")
    return summary
