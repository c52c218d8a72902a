"""`minformer train-tokenizer`: train a byte-level BPE tokenizer on files, a Hub dataset or the built-in corpus,
save it as a `transformers` fast tokenizer and print what users check about it."""

import argparse
import json
from pathlib import Path

from .flags import add_output_dir_argument
from .sources import add_source_arguments, source_options

HELD_OUT_SAMPLE = 200  # validation texts used for the compression numbers


def add_train_tokenizer_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train-tokenizer", help="train a byte-level BPE tokenizer and save it for AutoTokenizer",
        description="Train a byte-level BPE tokenizer (streaming) and save tokenizer.json + tokenizer_config.json.",
    )
    add_source_arguments(parser)
    parser.add_argument("--vocab-size", type=int, default=8192, help="vocabulary size (default 8192)")
    parser.add_argument("--min-frequency", type=int, default=2, help="minimum count of a merge (default 2)")
    parser.add_argument("--family", choices=["decoder", "encoder"], default="decoder",
                        help="special-token template and padding side: decoder (<s> text, left padding) or "
                             "encoder (<s> text </s>, right padding); default decoder")
    parser.add_argument("--model-max-length", type=int, default=1024, help="longest input the models take")
    add_output_dir_argument(parser, required=True, help="folder to write the tokenizer into")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    parser.set_defaults(run=run_train_tokenizer)


def run_train_tokenizer(args: argparse.Namespace) -> int:
    from ..outputs import claimed_output
    from ..tokenization.training import check_vocab_size
    from ..validation import check_positive_int

    check_vocab_size(args.vocab_size)  # every option before reading any data
    check_positive_int(args.min_frequency, "--min-frequency")
    check_positive_int(args.model_max_length, "--model-max-length")
    with claimed_output(args.output_dir, args.files, args.overwrite) as staging:
        train_and_report(args, staging)  # the old output is replaced only when the new tokenizer is complete
    print(f"saved to {args.output_dir} (load it with AutoTokenizer.from_pretrained({str(args.output_dir)!r}))")
    return 0


def train_and_report(args: argparse.Namespace, staging: Path) -> None:
    """Train the tokenizer and write it, with its report, into the staging folder."""
    from ..tokenization import for_family, format_report, tokenizer_report, train_bpe
    from ..tokenization.saving import write_tokenizer

    data = source_options(args).load(builtin="corpus")
    train = data["train"]

    def texts():
        for batch in train.iter(batch_size=1000):
            yield from batch["text"]

    print(f"training a {args.vocab_size}-token byte-level BPE on {len(train):,} texts")
    bpe = train_bpe(texts(), vocab_size=args.vocab_size, min_frequency=args.min_frequency, length=len(train))
    tokenizer = for_family(bpe, args.family, model_max_length=args.model_max_length)
    sample_name = "held-out" if "validation" in data else "training (too little text for a held-out split)"
    held_out = data["validation"] if "validation" in data else train
    report = tokenizer_report(tokenizer, held_out.select(range(min(HELD_OUT_SAMPLE, len(held_out))))["text"],
                              sample_name=sample_name)
    write_tokenizer(tokenizer, staging)
    (staging / "tokenizer_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(format_report(report))
