"""Where a command's text comes from (local files, a Hub dataset or the built-in data), as one checked option set."""

from dataclasses import dataclass, field

from ..errors import UserError
from .files import SAMPLE_BY


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
    sample_by: str = "auto"  # .txt files: "line", "paragraph", "document", or "auto" (paragraphs if blank lines)
    read: str | None = field(default=None, init=False, repr=False, compare=False)  # set by load(): what it found

    def __post_init__(self):
        for flag, column in (("--text-column", self.text_column), ("--label-column", self.label_column)):
            if not str(column).strip():
                raise UserError(f"{flag} is empty; give the name of a column of the data.")
        if self.sample_by not in SAMPLE_BY:
            raise UserError(f"--sample-by {self.sample_by!r} is not one of {', '.join(SAMPLE_BY)}.")

    def describe(self, builtin: str) -> dict:
        """What the data was, for summaries and model cards (`data_id` only for Hub datasets)."""
        read = {"text_read": self.read} if self.read else {}
        if self.builtin:
            return {"data": f"minformer's built-in {builtin} data (Python's own documentation and docstrings)"}
        if self.hub_dataset:
            return {"data": f"the Hub dataset {self.hub_dataset}", "data_id": self.hub_dataset, **read}
        return {"data": "local files: " + ", ".join(str(f).rsplit("/", 1)[-1] for f in self.files), **read}

    def load(self, builtin: str, text_column: str | None = None, label_column: str | None = None,
             label_flag: str = "--label-column"):
        """The DatasetDict these options name; `builtin` says which built-in data --builtin means. What was found in
        local files or a Hub dataset (documents, how a .txt was read) is printed and kept for `describe`."""
        from .sources import read_text_source

        source = read_text_source(
            files=self.files or None, hub_dataset=self.hub_dataset, hub_config=self.hub_config,
            hub_split=self.hub_split, builtin=builtin if self.builtin else None,
            text_column=text_column or self.text_column, label_column=label_column, seed=self.seed,
            label_flag=label_flag, sample_by=self.sample_by)
        if not self.builtin:
            self.read = source.describe()
            print(f"read {self.read}", flush=True)
        return source.data
