"""One way to run a training recipe. `run_recipe` owns the sequence every training command shares: check, claim and
lock the output folder, seed, build the TrainingArguments and the Trainer, resume, train, evaluate, save, write the
summary and the loss plot. A `Recipe` supplies only what differs: its checks, its data, its model and collator, and
its evaluation (pretrain.py, finetune.py, token_classification.py and seq2seq.py are the four recipes)."""

import dataclasses
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import datasets
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainingArguments, set_seed

from ..data import SourceOptions
from ..run_summary import RunSummary, Score, format_summary
from .arguments import hardware, training_arguments
from .denormals import flushed_denormals
from .optimizers import optimizer_cls_and_kwargs
from .options import RunOptions
from .pretrain_defaults import OTHER_RUNS
from .run_folder import RunFolder, claimed_run
from .run_report import plot_losses
from .trainer import MinformerTrainer


@dataclass
class Setup:
    """What a recipe hands the runner once its data and model are ready."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    train_dataset: datasets.Dataset
    eval_dataset: datasets.Dataset
    data_collator: Callable
    tokens_per_sequence: float  # mean tokens of one training example, for tokens seen and throughput
    title: str  # of the loss plot
    compute_metrics: Callable | None = None  # the Trainer's metrics at each evaluation


@dataclass
class Evaluation:
    """What a recipe measured after training: its scores and the summary fields it fills."""

    scores: list[Score]
    parameters: int | None = None
    base_model: str | None = None
    details: dict = dataclasses.field(default_factory=dict)


class Recipe(ABC):
    """A training command: subclasses set `run` and `source` and define the abstract hooks."""

    run: RunOptions
    source: SourceOptions
    builtin: str  # which built-in data --builtin means ("corpus", "labelled", "tokens", "seq2seq")
    arguments_class: type = TrainingArguments
    trainer_class: type = MinformerTrainer
    default_optimizer: str = OTHER_RUNS.optimizer  # where RunOptions.optimizer / learning_rate are None
    default_learning_rate: float = OTHER_RUNS.learning_rate

    def inputs(self) -> list[str | Path | None]:
        """Paths the run reads (the output folder may neither be nor contain them)."""
        return []

    def check(self) -> None:
        """Check every option and input before anything is read or written."""

    @abstractmethod
    def load_data(self) -> datasets.DatasetDict:
        """The run's data, with every check of its content (before the staging folder exists)."""

    @abstractmethod
    def setup(self, data: datasets.DatasetDict, folder: RunFolder, args: TrainingArguments) -> Setup:
        """Tokenizer, model, datasets and collator (the staging folder exists; the first process writes to it)."""

    @abstractmethod
    def evaluate(self, trainer, setup: Setup, data: datasets.DatasetDict) -> Evaluation:
        """The final numbers of the trained model and of the baselines it is judged against."""

    def describe_data(self) -> dict:
        """What the data was, for the summary and the model card."""
        return self.source.describe(self.builtin)


def use_attention(model: PreTrainedModel, implementation: str | None) -> None:
    """Switch the model (both halves of an encoder-decoder) to the `--attn-implementation` backend."""
    if implementation is None:
        return
    for part in (model.encoder, model.decoder) if hasattr(model, "encoder") else (model,):
        part.set_attn_implementation(implementation)


def run_recipe(recipe: Recipe) -> dict:
    """Train, evaluate and save the recipe's model into its output folder; return the flat summary."""
    recipe.check()
    run = recipe.run = recipe.run.with_defaults(recipe.default_optimizer, recipe.default_learning_rate)
    with claimed_run(run, inputs=recipe.inputs()) as folder:
        started = time.perf_counter()
        set_seed(run.seed)
        data = recipe.load_data()
        args = training_arguments(run, folder.staging, arguments_class=recipe.arguments_class)
        folder.prepare()
        setup = recipe.setup(data, folder, args)
        use_attention(setup.model, run.attn_implementation)
        trainer = recipe.trainer_class(
            model=setup.model, args=args, train_dataset=setup.train_dataset, eval_dataset=setup.eval_dataset,
            data_collator=setup.data_collator, processing_class=setup.tokenizer, compute_metrics=setup.compute_metrics,
            optimizer_cls_and_kwargs=optimizer_cls_and_kwargs(run.optimizer, args),
        )
        with flushed_denormals():
            train_seconds = trainer.train(resume_from_checkpoint=folder.checkpoint).metrics["train_runtime"]
        evaluation = recipe.evaluate(trainer, setup, data)
        tokens_per_step = round(setup.tokens_per_sequence * run.batch_size * run.gradient_accumulation_steps
                                * args.world_size)
        steps = trainer.state.global_step
        summary = RunSummary(
            steps=steps, tokens_seen=steps * tokens_per_step, train_seconds=round(train_seconds, 1),
            tokens_per_second=round((steps - folder.start_step) * tokens_per_step / train_seconds, 1),
            total_seconds=round(time.perf_counter() - started, 1), world_size=args.world_size,
            scores=evaluation.scores, parameters=evaluation.parameters, base_model=evaluation.base_model,
            details=evaluation.details, **recipe.describe_data(),
        )
        _save(trainer, run, folder, summary, setup.title)
        return summary.to_dict()


def _save(trainer, run: RunOptions, folder: RunFolder, summary: RunSummary, title: str) -> None:
    """The final model (+ tokenizer, trainer_state.json), training_options.json, summary.json and the loss plot,
    into the staging folder that then replaces the output folder; printed for the user."""
    output = folder.staging
    trainer.save_model(str(output))
    trainer.save_state()
    if not trainer.is_world_process_zero():
        return
    (output / "training_options.json").write_text(json.dumps(  # what the model card reports about training
        {**dataclasses.asdict(run), "world_size": trainer.args.world_size, "hardware": hardware()}, indent=2))
    summary.write(output)
    plot_losses(trainer.state, output / "loss.png", title)
    print(format_summary(summary.to_dict()))
    print(f"saved the model, tokenizer, summary.json and loss.png to {run.output_dir}")
