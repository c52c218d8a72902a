"""The command-line options that choose a text source, shared by every command that reads text, and the
`SourceOptions` they make (which loads the text: `minformer.data.options`)."""

import argparse
from typing import TYPE_CHECKING

from .flags import options_from

if TYPE_CHECKING:
    from ..data import SourceOptions


def add_source_arguments(parser: argparse.ArgumentParser, labelled: bool = False) -> None:
    group = parser.add_argument_group("text source (choose one)")
    group.add_argument("files", nargs="*", metavar="FILE", help="local .txt, .jsonl, .csv or .parquet files")
    group.add_argument("--hub-dataset", "--dataset", dest="hub_dataset", metavar="NAME",
                       help="a Hugging Face Hub dataset (needs internet)")
    group.add_argument("--hub-config", "--dataset-config", dest="hub_config", metavar="CONFIG",
                       help="the Hub dataset's configuration")
    group.add_argument("--hub-split", "--split", dest="hub_split", metavar="SPLIT",
                       help="the Hub dataset's split (default: all)")
    group.add_argument("--builtin", action="store_true",
                       help="the built-in corpus (Python's documentation and docstrings; no download)")
    group.add_argument("--sample-by", default="auto", metavar="{line,paragraph,document,auto}",
                       help=".txt files: one document per line, per paragraph (blank-line separated) or per file; "
                            "auto (default): paragraphs when the file has blank lines between them, lines otherwise")
    group.add_argument("--text-column", default="text", help="column holding the text (default 'text')")
    if labelled:
        group.add_argument("--label-column", default="label", help="column holding the label (default 'label')")
    group.add_argument("--seed", type=int, default=0, help="seed of the train/validation/test split (default 0)")


def source_options(args: argparse.Namespace) -> "SourceOptions":
    """The SourceOptions of the parsed source flags (exactly one source must be given); `.load(builtin=...)` reads
    the text."""
    from ..data import SourceOptions

    if sum(bool(x) for x in (args.files, args.hub_dataset, args.builtin)) != 1:
        raise ValueError("give exactly one text source: FILE ..., --dataset NAME, or --builtin.")
    return options_from(SourceOptions, args)
