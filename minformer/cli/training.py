"""`minformer pretrain` and `minformer finetune`: the Trainer recipes, with their options."""

import argparse
from typing import TYPE_CHECKING

from .flags import add_output_dir_argument, add_sequence_length_argument, options_from
from .sources import add_source_arguments, source_options

if TYPE_CHECKING:
    from ..training.options import RunOptions

SIZE_FIELDS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")  # pretrain's sizes


def add_run_arguments(parser: argparse.ArgumentParser, learning_rate: float | None, max_steps: int) -> None:
    """The run's flags; learning_rate=None: the pretraining families' defaults (for --learning-rate, --optimizer)."""
    group = parser.add_argument_group("run")
    add_output_dir_argument(group, required=True, help="the run's folder (checkpoints, final model, plots)")
    group.add_argument("--overwrite", action="store_true", help="replace an output folder that holds another run")
    group.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --output-dir")
    group.add_argument("--max-steps", type=int, default=max_steps, help=f"optimizer steps (default {max_steps})")
    group.add_argument("--batch-size", type=int, default=16, help="sequences per device per step (default 16)")
    group.add_argument("--gradient-accumulation-steps", "--gradient-accumulation", dest="gradient_accumulation_steps",
                       metavar="N", type=int, default=1, help="micro-batches per step (default 1)")
    given = learning_rate is not None
    group.add_argument("--learning-rate", type=float, default=learning_rate,
                       help=f"peak (default {learning_rate if given else describe_defaults('learning_rate')})")
    group.add_argument("--optimizer", choices=("adamw", "muon"),
                       help=f"adamw, or muon: Muon for the blocks' weight matrices and AdamW for the rest (default "
                            f"{'adamw' if given else describe_defaults('optimizer')})")
    group.add_argument("--eval-steps", type=int, default=50, help="evaluate every N steps (default 50)")
    group.add_argument("--logging-steps", type=int, default=10, help="print the loss every N steps (default 10)")
    group.add_argument("--save-steps", type=int, default=100, help="checkpoint every N steps (default 100)")
    group.add_argument("--attn-implementation", help="attention backend: eager, sdpa, chunked, xformers")
    group.add_argument("--torch-compile", action="store_true", help="compile the model (opt-in speed-up)")
    group.add_argument("--bf16", action="store_true",
                       help="bfloat16 autocast with fp32 weights (opt-in speed-up: ~2x on CPUs with AMX)")
    group.add_argument("--num-proc", type=int, help="processes for tokenisation")
    # RunOptions.seed, under another name: --seed is the source's split seed (SourceOptions.seed)
    group.add_argument("--train-seed", type=int, default=0, help="seed of initialisation and data order")


def run_options(args: argparse.Namespace) -> "RunOptions":
    """The RunOptions of the parsed run flags (checked on creation)."""
    from ..training.options import RunOptions

    return options_from(RunOptions, args, seed=args.train_seed)


def add_pretrain_command(commands: argparse._SubParsersAction) -> None:
    from ..training.presets import PRESETS

    parser = commands.add_parser("pretrain", help="pretrain a decoder (causal LM) or an encoder (masked LM)",
                                 description="Pretrain a minformer model from scratch with transformers.Trainer.")
    parser.add_argument("--family", choices=["decoder", "encoder", "seq2seq"], default="decoder",
                        help="decoder: causal LM (GPT-like); encoder: masked LM (BERT-like); seq2seq: encoder-decoder "
                             "on source/target pairs (--builtin: the word-reversal task)")
    add_source_arguments(parser)
    parser.add_argument("--target-column", default="target", help="seq2seq: column of the target text")
    model = parser.add_argument_group("model")
    model.add_argument("--preset", default="small", help=f"model size: {', '.join(PRESETS)} (default small); "
                                                         "`minformer presets` shows their parameter counts")
    model.add_argument("--hidden-size", type=int)
    model.add_argument("--num-hidden-layers", "--num-layers", dest="num_hidden_layers", metavar="N", type=int)
    model.add_argument("--num-attention-heads", "--num-heads", dest="num_attention_heads", metavar="N", type=int)
    model.add_argument("--intermediate-size", type=int)
    add_sequence_length_argument(model, default=128, help="tokens per training sequence")
    model.add_argument("--tokenizer", help="a saved tokenizer folder (default: train one on the training split)")
    model.add_argument("--vocab-size", type=int, default=8192, help="when training the tokenizer (default 8192)")
    model.add_argument("--sparse-prediction", action=argparse.BooleanOptionalAction,
                       help="encoder: run the masked-LM head only on the masked tokens (same loss, faster; on by "
                            "default, so the saved model returns logits for labelled tokens only when given labels)")
    model.add_argument("--mlm-probability", type=float, help="encoder: share of the tokens masked in training "
                                                             f"(default {describe_defaults('mlm_probability')})")
    model.add_argument("--config-overrides", metavar="FIELD=VALUE,...",
                       help="config fields over the family's defaults, e.g. \"hidden_act=gelu,qk_norm=false\" "
                            f"(defaults over the config classes': {describe_defaults('architecture')})")
    add_run_arguments(parser, learning_rate=None, max_steps=500)
    parser.set_defaults(run=run_pretrain)


def run_pretrain(args: argparse.Namespace) -> int:
    from ..training.pretrain import PretrainOptions, pretrain

    if args.family == "seq2seq":
        from ..training.seq2seq import Seq2SeqOptions, train_seq2seq

        if any(getattr(args, name) is not None for name in SIZE_FIELDS):
            raise ValueError("--family seq2seq takes its sizes from --preset (tiny, small, base).")
        if args.config_overrides or args.mlm_probability is not None:
            raise ValueError("--config-overrides and --mlm-probability apply to --family decoder and encoder; "
                             "--family seq2seq builds minformer's default encoder and decoder.")
        train_seq2seq(Seq2SeqOptions(source=source_options(args), run=run_options(args),
                                     source_column=args.text_column, target_column=args.target_column,
                                     tokenizer=args.tokenizer, vocab_size=args.vocab_size, preset=args.preset,
                                     max_length=args.sequence_length))
        return 0
    from ..configuration.overrides import parse_config_overrides

    pretrain(options_from(PretrainOptions, args, source=source_options(args), run=run_options(args),
                          config_overrides=parse_config_overrides(args.config_overrides, args.family)))
    return 0


def describe_defaults(field: str) -> str:
    """Each family's default `field` (optimizer, learning_rate, mlm_probability, architecture), for --help."""
    from ..training.pretrain_defaults import OTHER_RUNS, PRETRAIN_DEFAULTS

    if field == "mlm_probability":
        return f"{PRETRAIN_DEFAULTS['encoder'].mlm_probability:g}"
    if field == "architecture":
        return "; ".join(f"{name}: " + (", ".join(f"{k}={v}" for k, v in d.architecture.items()) or "none")
                         for name, d in PRETRAIN_DEFAULTS.items())
    families = {**PRETRAIN_DEFAULTS, "seq2seq": OTHER_RUNS}
    return ", ".join(f"{name} {getattr(d, field):g}" if field == "learning_rate" else f"{name} {getattr(d, field)}"
                     for name, d in families.items())


def add_finetune_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("finetune", help="fine-tune a pretrained model: classifier or seq2seq",
                                 description="Fine-tune a pretrained minformer encoder or decoder as a classifier, "
                                             "or a pretrained encoder + decoder as a sequence-to-sequence model.")
    parser.add_argument("model", help="a pretrained minformer folder or Hub repo id (with its tokenizer); the "
                                      "encoder for --task seq2seq")
    parser.add_argument("--task", choices=["sequence-classification", "token-classification", "seq2seq"],
                        default="sequence-classification",
                        help="token-classification: --text-column holds lists of words, --label-column their tags")
    parser.add_argument("--decoder", help="--task seq2seq: the pretrained minformer decoder to warm-start from")
    add_source_arguments(parser, labelled=True)
    parser.add_argument("--max-length", type=int, default=128, help="truncate texts to this many tokens")
    parser.add_argument("--num-labels", type=int, help="expected number of labels (checked against the data)")
    add_run_arguments(parser, learning_rate=3e-4, max_steps=200)  # fine-tuning: AdamW unless --optimizer muon
    parser.set_defaults(run=run_finetune)


def run_finetune(args: argparse.Namespace) -> int:
    from ..training.finetune import FinetuneOptions, finetune

    if args.task == "token-classification":
        from ..training.token_classification import TokenClassificationOptions, finetune_tokens

        finetune_tokens(options_from(TokenClassificationOptions, args, source=source_options(args),
                                     run=run_options(args)))
        return 0
    if args.task == "seq2seq":
        from ..training.seq2seq import Seq2SeqOptions, train_seq2seq

        if not args.decoder:
            raise ValueError("--task seq2seq needs --decoder DECODER (a pretrained minformer decoder folder).")
        train_seq2seq(Seq2SeqOptions(source=source_options(args), run=run_options(args), encoder=args.model,
                                     decoder=args.decoder, source_column=args.text_column,
                                     target_column=args.label_column, target_flag="--label-column",
                                     max_length=args.max_length))
        return 0
    finetune(options_from(FinetuneOptions, args, source=source_options(args), run=run_options(args)))
    return 0


def add_presets_command(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("presets", help="show the model-size presets and their parameter counts")
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.set_defaults(run=run_presets)


def run_presets(args: argparse.Namespace) -> int:
    from ..training.presets import PRESETS, describe

    for name in PRESETS:
        print(f"{name:<6} {describe(name, args.vocab_size)}")
    return 0
