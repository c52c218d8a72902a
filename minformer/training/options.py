"""The options every training command shares: where the text comes from, where the run goes, how long it trains."""

from dataclasses import dataclass, field


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

    def describe(self, builtin: str) -> dict:
        """What the data was, for summaries and model cards (`data_id` only for Hub datasets)."""
        if self.builtin:
            return {"data": f"minformer's built-in {builtin} data (Python's own documentation and docstrings)"}
        if self.hub_dataset:
            return {"data": f"the Hub dataset {self.hub_dataset}", "data_id": self.hub_dataset}
        return {"data": "local files: " + ", ".join(str(f).rsplit("/", 1)[-1] for f in self.files)}

    def load(self, builtin: str, text_column: str | None = None, label_column: str | None = None):
        """The DatasetDict these options name; `builtin` says which built-in data --builtin means."""
        from ..data import load_text

        return load_text(files=self.files or None, hub_dataset=self.hub_dataset, hub_config=self.hub_config,
                         hub_split=self.hub_split, builtin=builtin if self.builtin else None,
                         text_column=text_column or self.text_column, label_column=label_column, seed=self.seed)


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
