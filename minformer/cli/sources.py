"""The command-line options that choose a text source, shared by every command that reads text."""

import argparse


def add_source_arguments(parser: argparse.ArgumentParser, labelled: bool = False) -> None:
    group = parser.add_argument_group("text source (choose one)")
    group.add_argument("files", nargs="*", metavar="FILE", help="local .txt, .jsonl, .csv or .parquet files")
    group.add_argument("--dataset", metavar="NAME", help="a Hugging Face Hub dataset (needs internet)")
    group.add_argument("--dataset-config", metavar="CONFIG", help="the Hub dataset's configuration")
    group.add_argument("--split", metavar="SPLIT", help="the Hub dataset's split (default: all)")
    group.add_argument("--builtin", action="store_true",
                       help="the built-in corpus (Python's documentation and docstrings; no download)")
    group.add_argument("--text-column", default="text", help="column holding the text (default 'text')")
    if labelled:
        group.add_argument("--label-column", default="label", help="column holding the label (default 'label')")
    group.add_argument("--seed", type=int, default=0, help="seed of the train/validation/test split (default 0)")


def load_source(args: argparse.Namespace, labelled: bool = False):
    """The DatasetDict the options name (exactly one source must be given)."""
    from ..data import load_text

    chosen = sum(bool(x) for x in (args.files, args.dataset, args.builtin))
    if chosen != 1:
        raise ValueError("give exactly one text source: FILE ..., --dataset NAME, or --builtin.")
    return load_text(
        files=args.files or None, hub_dataset=args.dataset, hub_config=args.dataset_config, hub_split=args.split,
        builtin=("labelled" if labelled else "corpus") if args.builtin else None,
        text_column=args.text_column, label_column=getattr(args, "label_column", None) if labelled else None,
        seed=args.seed,
    )
