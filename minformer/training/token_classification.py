"""Fine-tuning an encoder for token classification (one label per word, e.g. NER-style tags) with the Trainer.

Words are joined with spaces and tokenised once; each token is mapped back to its word through the fast
tokenizer's character offsets, and only a word's first token carries its label (the rest get -100), the usual
word-level scheme, which works with byte-level BPE without pre-tokenised input."""

from dataclasses import dataclass, field

import datasets
from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification

from ..data import SourceOptions
from ..errors import UserError
from .finetune import Classification
from .labels import label_names
from .options import RunOptions
from .recipe import run_recipe


@dataclass
class TokenClassificationOptions:
    model: str = ""  # a pretrained minformer encoder folder or Hub repo id (with its tokenizer)
    source: SourceOptions = field(default_factory=SourceOptions)  # text column: words; label column: their tags
    run: RunOptions = field(default_factory=lambda: RunOptions(learning_rate=3e-4))
    max_length: int = 128
    num_labels: int | None = None  # checked against the tags; None means "as many as the data has"


def align(batch: dict, tokenizer, max_length: int) -> dict:
    """input_ids for the space-joined words and labels on each word's first token (-100 elsewhere)."""
    texts, starts = [], []
    for words in batch["text"]:
        positions, offset = [], 0
        for word in words:
            positions.append(offset)
            offset += len(word) + 1
        texts.append(" ".join(words))
        starts.append(positions)
    encoded = tokenizer(texts, truncation=True, max_length=max_length, return_offsets_mapping=True)
    labels = []
    for text, offsets, word_starts, tags in zip(texts, encoded["offset_mapping"], starts, batch["label"]):
        start_to_tag = dict(zip(word_starts, tags))
        row = []
        for begin, end in offsets:
            piece = text[begin:end]
            if not piece.strip():  # special tokens (empty span) and pure-space tokens carry no label
                row.append(-100)
                continue
            # byte-level BPE puts the space before a word into its first token: the word starts after it
            row.append(start_to_tag.pop(begin + len(piece) - len(piece.lstrip()), -100))
        labels.append(row)
    return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"], "labels": labels}


def check_rows(data: datasets.DatasetDict, text_flag: str, label_flag: str) -> None:
    """Each row must hold a list of words and a list of as many tags; name the first row that does not."""
    for split, rows in data.items():
        for row, (words, tags) in enumerate(zip(rows["text"], rows["label"])):
            if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
                raise UserError(f"row {row + 1} of the {split} split: {text_flag} must hold a list of words (e.g. "
                                f'["Alice", "met", "Bob"]), got {type(words).__name__} {str(words)[:40]!r}.')
            if not isinstance(tags, list) or len(tags) != len(words):
                count = f"{len(tags)} tags" if isinstance(tags, list) else f"a {type(tags).__name__}"
                raise UserError(f"row {row + 1} of the {split} split has {len(words)} words but {count} in "
                                f"{label_flag}; give one tag per word.")
            if any(tag is None for tag in tags):
                raise UserError(f"row {row + 1} of the {split} split has an empty tag; give every word a tag.")


class TokenClassification(Classification):
    """A pretrained encoder with a new per-token classifier, trained on words and their tags."""

    builtin = "tokens"
    families = ("encoder",)
    model_class = AutoModelForTokenClassification
    task = "token-classification"
    score_prefix = "token_"

    def load_data(self) -> datasets.DatasetDict:
        data = self.source.load(builtin=self.builtin, label_column=self.source.label_column)
        if self.source.builtin:
            data = data.rename_columns({"tokens": "text", "tags": "label"})
        check_rows(data, "--text-column", "--label-column")
        data, self.names = label_names(data, self.options.num_labels, per_token=True)
        return data

    def encode(self, data: datasets.DatasetDict, max_length: int) -> datasets.DatasetDict:
        return data.map(lambda batch: align(batch, self.tokenizer, max_length), batched=True,
                        remove_columns=data["train"].column_names, desc="Aligning labels")

    def collator(self):
        return DataCollatorForTokenClassification(self.tokenizer)

    def compute_metrics(self):
        return None

    def gold_labels(self, split: str) -> tuple[list[int], list[int]]:
        """The tags of each word's first token (the ones the classifier is scored on)."""
        return [[tag for tags in self.encoded[name]["labels"] for tag in tags if tag != -100]
                for name in ("train", split)]

    def describe_data(self) -> dict:
        return self.source.describe("token-classification")


def finetune_tokens(options: TokenClassificationOptions) -> dict:
    """Fine-tune, evaluate per word on the test split against the majority tag, save; return the summary."""
    return run_recipe(TokenClassification(options))
