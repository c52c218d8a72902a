"""Pretraining from scratch: masked-LM for an encoder, causal LM for a decoder, with `transformers.Trainer`."""

import os
import time
from dataclasses import dataclass, field

from transformers import set_seed

from ..data import SourceOptions, causal_lm_collator, masked_lm_collator, pack_blocks, tokenize
from ..errors import UserError
from ..loading import check_vocabulary, load_config, load_tokenizer
from ..modeling import MinformerDecoderForCausalLM, MinformerEncoderForMaskedLM
from ..tokenization import for_family, train_bpe
from ..tokenization.training import check_vocab_size
from ..validation import check_positive_int
from .evaluation import language_model_perplexity, unigram_perplexity
from .options import RunOptions
from .presets import check_preset, model_config, parameter_count
from .run_folder import RunFolder, claimed_run
from .setup import finish, training_arguments
from .trainer import MinformerTrainer

MAX_EVAL_BLOCKS = 256  # validation blocks used during training (all of them for the final numbers)


@dataclass
class PretrainOptions:
    family: str = "decoder"  # "decoder" (causal LM) or "encoder" (masked LM)
    source: SourceOptions = field(default_factory=SourceOptions)
    run: RunOptions = field(default_factory=RunOptions)
    tokenizer: str | None = None  # a saved tokenizer folder; None trains one on the training split
    vocab_size: int = 8192
    preset: str | None = "small"
    hidden_size: int | None = None
    num_hidden_layers: int | None = None
    num_attention_heads: int | None = None
    intermediate_size: int | None = None
    block_size: int = 128  # tokens per training sequence
    mlm_probability: float = 0.15
    sparse_prediction: bool = False  # encoder: the MLM head only on masked positions (opt-in speed-up)


def special_ids(tokenizer) -> dict[str, int]:
    """The special-token ids a model config carries, read from its tokenizer."""
    return {"pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id}


def check_pretrain_options(options: PretrainOptions):
    """Every option checked before anything is read or written; returns the given tokenizer (if any), loaded."""
    if options.family not in ("decoder", "encoder"):
        raise UserError(f"unknown model family {options.family!r}; use 'decoder' or 'encoder'.")
    check_preset(options.preset)
    if options.sparse_prediction and options.family != "encoder":
        raise UserError("sparse prediction applies to the masked LM of --family encoder; a decoder predicts every "
                        "token. Drop --sparse-prediction.")
    check_positive_int(options.block_size, "--block-size")
    if not 0 < options.mlm_probability < 1:
        raise UserError(f"mlm_probability must be in (0, 1), got {options.mlm_probability}.")
    tokenizer = load_tokenizer(options.tokenizer) if options.tokenizer else None
    if tokenizer is None:
        check_vocab_size(options.vocab_size)
    model_config(options.family, options.preset, len(tokenizer) if tokenizer else options.vocab_size,
                 options.block_size, {}, **_sizes(options))  # a bad --num-heads fails here, not after training
    return tokenizer


def _sizes(options: PretrainOptions) -> dict:
    return dict(hidden_size=options.hidden_size, num_hidden_layers=options.num_hidden_layers,
                num_attention_heads=options.num_attention_heads, intermediate_size=options.intermediate_size,
                **({"sparse_prediction": True} if options.sparse_prediction else {}))


def _tokenizer(options: PretrainOptions, given, texts, folder: RunFolder):
    if folder.checkpoint:  # the Trainer saved the run's tokenizer in each checkpoint
        return load_tokenizer(folder.checkpoint)
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun: the tokenizer the first process saved
        return load_tokenizer(folder.staging)
    if given is not None:
        return given
    bpe = train_bpe(texts, vocab_size=options.vocab_size, length=None)
    return for_family(bpe, options.family, model_max_length=options.block_size)


def pretrain(options: PretrainOptions) -> dict:
    """Train, evaluate and save a model; return the run's summary (also written to summary.json)."""
    given = check_pretrain_options(options)
    run = options.run
    with claimed_run(run, inputs=[*options.source.files, options.tokenizer]) as folder:
        return _pretrain(options, given, folder)


def _pretrain(options: PretrainOptions, given, folder: RunFolder) -> dict:
    run = options.run
    started = time.perf_counter()
    set_seed(run.seed)
    data = options.source.load(builtin="corpus")
    if "validation" not in data:
        raise UserError("the text is too short to hold out a validation split; give more text.")
    args = training_arguments(run, folder)
    folder.prepare()
    with args.main_process_first(desc="tokenizer"):
        tokenizer = _tokenizer(options, given, (t for b in data["train"].iter(1000) for t in b["text"]), folder)
        if args.should_save:
            tokenizer.save_pretrained(folder.staging)
    if folder.checkpoint:
        config = load_config(folder.checkpoint, families=(options.family,))
    else:
        config = model_config(options.family, options.preset, len(tokenizer), options.block_size,
                              special_ids(tokenizer), **_sizes(options))
    check_vocabulary(tokenizer, config, folder.checkpoint or options.tokenizer or "the trained tokenizer")
    model_class = MinformerDecoderForCausalLM if options.family == "decoder" else MinformerEncoderForMaskedLM
    model = model_class(config)
    if run.attn_implementation:
        model.set_attn_implementation(run.attn_implementation)
    print(f"{model_class.__name__}: {parameter_count(config) / 1e6:.2f} M parameters, "
          f"{config.num_hidden_layers} layers × {config.hidden_size}, attention={model.attention_backend}")

    separator = tokenizer.eos_token_id if options.family == "decoder" else None
    tokenized = tokenize(data, tokenizer, num_proc=run.num_proc)
    train_blocks = pack_blocks(tokenized["train"], options.block_size, separator)
    eval_blocks = pack_blocks(tokenized["validation"], options.block_size, separator)
    if options.family == "decoder":
        collator, eval_collator = causal_lm_collator(tokenizer), causal_lm_collator(tokenizer)
    else:
        collator = masked_lm_collator(tokenizer, options.mlm_probability)
        eval_collator = masked_lm_collator(tokenizer, options.mlm_probability, seed=run.seed)
    print(f"{len(train_blocks):,} training blocks and {len(eval_blocks):,} validation blocks of "
          f"{options.block_size} tokens")
    trainer = MinformerTrainer(
        model=model, args=args, train_dataset=train_blocks,
        eval_dataset=eval_blocks.select(range(min(MAX_EVAL_BLOCKS, len(eval_blocks)))),
        data_collator=collator, processing_class=tokenizer,
    )
    train_seconds = trainer.train(resume_from_checkpoint=folder.checkpoint).metrics["train_runtime"]

    metrics = language_model_perplexity(trainer.model, eval_blocks, eval_collator)
    final = {"parameters": parameter_count(config), "validation_perplexity": metrics["perplexity"],
             "validation_mean_nll": metrics["mean_nll"], **options.source.describe("corpus")}
    if options.family == "decoder":
        final["unigram_perplexity"] = unigram_perplexity(train_blocks, eval_blocks, len(tokenizer))
    tokens_per_step = run.batch_size * run.gradient_accumulation_steps * args.world_size * options.block_size
    return finish(trainer, run, folder, started, train_seconds, tokens_per_step, final,
                  f"{options.family} pretraining ({model_class.__name__})")
