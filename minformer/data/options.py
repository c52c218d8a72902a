"""Where a command's text comes from (local files, a Hub dataset or the built-in data), as one checked option set."""

from dataclasses import dataclass, field

from ..errors import UserError


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
        from .sources import load_text

        return load_text(files=self.files or None, hub_dataset=self.hub_dataset, hub_config=self.hub_config,
                         hub_split=self.hub_split, builtin=builtin if self.builtin else None,
                         text_column=text_column or self.text_column, label_column=label_column, seed=self.seed,
                         label_flag=label_flag)
