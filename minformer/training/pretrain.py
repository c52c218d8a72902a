"""Pretraining from scratch: masked-LM for an encoder, causal LM for a decoder, with `transformers.Trainer`."""

import os
from dataclasses import dataclass, field

import datasets
from huggingface_hub.errors import StrictDataclassError

from ..data import SourceOptions, causal_lm_collator, check_held_out, masked_lm_collator, packed_splits
from ..errors import UserError
from ..loading import check_vocabulary, load_config, load_tokenizer
from ..modeling import MinformerDecoderForCausalLM, MinformerEncoderForMaskedLM
from ..run_summary import Score
from ..tokenization import for_family, special_ids, train_bpe
from ..tokenization.training import check_vocab_size
from ..validation import check_positive_int
from .evaluation import language_model_perplexity, unigram_perplexity
from .options import RunOptions
from .presets import check_preset, model_config, parameter_count
from .pretrain_defaults import OTHER_RUNS, PRETRAIN_DEFAULTS, PretrainDefaults
from .recipe import Evaluation, Recipe, Setup, run_recipe
from .run_folder import RunFolder

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
    sequence_length: int = 128  # tokens per training sequence (the CLI's --sequence-length, alias --block-size)
    mlm_probability: float | None = None  # encoder: the share of tokens masked; None: the family's default
    sparse_prediction: bool | None = None  # encoder: the MLM head on masked positions only; None: the default (on)
    # config fields over the family's defaults (pretrain_defaults.py), e.g. {"hidden_act": "gelu"}; the CLI's
    # --config-overrides
    config_overrides: dict = field(default_factory=dict)

    @property
    def defaults(self) -> PretrainDefaults:
        return PRETRAIN_DEFAULTS.get(self.family, OTHER_RUNS)

    @property
    def masking(self) -> float:
        return self.mlm_probability if self.mlm_probability is not None else self.defaults.mlm_probability


def check_pretrain_options(options: PretrainOptions):
    """Every option checked before anything is read or written; returns the given tokenizer (if any), loaded."""
    if options.family not in ("decoder", "encoder"):
        raise UserError(f"unknown model family {options.family!r}; use 'decoder' or 'encoder'.")
    check_preset(options.preset)
    if options.sparse_prediction and options.family != "encoder":
        raise UserError("sparse prediction applies to the masked LM of --family encoder; a decoder predicts every "
                        "token. Drop --sparse-prediction.")
    check_positive_int(options.sequence_length, "--sequence-length")
    if options.mlm_probability is not None and options.family != "encoder":
        raise UserError("--mlm-probability is the masking of --family encoder; a decoder predicts every token. Drop "
                        "--mlm-probability.")
    if not 0 < options.masking < 1:
        raise UserError(f"--mlm-probability must be in (0, 1), got {options.masking}.")
    tokenizer = load_tokenizer(options.tokenizer) if options.tokenizer else None
    if tokenizer is None:
        check_vocab_size(options.vocab_size)
    _config(options, len(tokenizer) if tokenizer else options.vocab_size, {})  # a bad --num-heads fails here
    return tokenizer


def _config(options: PretrainOptions, vocab_size: int, special: dict):
    """The family's default architecture, then the preset's and the flags' sizes, then --config-overrides."""
    sizes = dict(hidden_size=options.hidden_size, num_hidden_layers=options.num_hidden_layers,
                 num_attention_heads=options.num_attention_heads, intermediate_size=options.intermediate_size,
                 **({} if options.sparse_prediction is None else {"sparse_prediction": options.sparse_prediction}))
    architecture = {**options.defaults.architecture, **options.config_overrides}
    try:
        return model_config(options.family, options.preset, vocab_size, options.sequence_length, special,
                            architecture, **sizes)
    except StrictDataclassError as error:  # a value of the wrong type, e.g. qk_norm=3
        raise UserError(f"--config-overrides: {' '.join(str(error).split())}") from None


def _tokenizer(options: PretrainOptions, given, texts, folder: RunFolder):
    if folder.checkpoint:  # the Trainer saved the run's tokenizer in each checkpoint
        return load_tokenizer(folder.checkpoint)
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun: the tokenizer the first process saved
        return load_tokenizer(folder.staging)
    if given is not None:
        return given
    bpe = train_bpe(texts, vocab_size=options.vocab_size, length=None)
    return for_family(bpe, options.family, model_max_length=options.sequence_length)


class Pretraining(Recipe):
    """Masked-LM (encoder) or causal-LM (decoder) pretraining on packed sequences of `sequence_length` tokens."""

    builtin = "corpus"

    def __init__(self, options: PretrainOptions):
        self.options, self.run, self.source = options, options.run, options.source
        self.default_optimizer = options.defaults.optimizer
        self.default_learning_rate = options.defaults.learning_rate
        self.given = None  # the tokenizer of --tokenizer, loaded by check()

    def inputs(self) -> list:
        return [*self.source.files, self.options.tokenizer]

    def check(self) -> None:
        self.given = check_pretrain_options(self.options)

    def load_data(self) -> datasets.DatasetDict:
        data = self.source.load(builtin=self.builtin)
        check_held_out(data)
        return data

    def setup(self, data: datasets.DatasetDict, folder: RunFolder, args) -> Setup:
        options, length = self.options, self.options.sequence_length
        with args.main_process_first(desc="tokenizer"):
            texts = (t for batch in data["train"].iter(1000) for t in batch["text"])
            tokenizer = _tokenizer(options, self.given, texts, folder)
            if args.should_save:
                tokenizer.save_pretrained(folder.staging)
        if folder.checkpoint:
            config = load_config(folder.checkpoint, families=(options.family,))
        else:
            config = _config(options, len(tokenizer), special_ids(tokenizer))
        check_vocabulary(tokenizer, config, folder.checkpoint or options.tokenizer or "the trained tokenizer")
        model_class = MinformerDecoderForCausalLM if options.family == "decoder" else MinformerEncoderForMaskedLM
        model = model_class(config)
        print(f"{model_class.__name__}: {parameter_count(config) / 1e6:.2f} M parameters, "
              f"{config.num_hidden_layers} layers × {config.hidden_size}, "
              f"attention={self.run.attn_implementation or model.attention_backend}")

        separator = tokenizer.eos_token_id if options.family == "decoder" else None
        blocks = packed_splits(data, tokenizer, length, separator, num_proc=self.run.num_proc)
        self.train_blocks, self.eval_blocks = blocks["train"], blocks["validation"]
        if options.family == "decoder":
            collator, self.eval_collator = causal_lm_collator(tokenizer), causal_lm_collator(tokenizer)
        else:
            collator = masked_lm_collator(tokenizer, options.masking)
            # the validation loss is always on 15% masks (BERT's), so runs with other mask rates compare
            self.eval_collator = masked_lm_collator(tokenizer, seed=self.run.seed)
        print(f"{len(self.train_blocks):,} training blocks and {len(self.eval_blocks):,} validation blocks of "
              f"{length} tokens")
        return Setup(model=model, tokenizer=tokenizer, train_dataset=self.train_blocks,
                     eval_dataset=self.eval_blocks.select(range(min(MAX_EVAL_BLOCKS, len(self.eval_blocks)))),
                     data_collator=collator, tokens_per_sequence=length,
                     title=f"{options.family} pretraining ({model_class.__name__})")

    def evaluate(self, trainer, setup: Setup, data: datasets.DatasetDict) -> Evaluation:
        metrics = language_model_perplexity(trainer.model, self.eval_blocks, self.eval_collator)
        task = "text-generation" if self.options.family == "decoder" else "fill-mask"
        scores = [Score("validation_perplexity", "validation perplexity", "perplexity", "validation", task,
                        metrics["perplexity"])]
        if self.options.family == "decoder":
            unigram = unigram_perplexity(self.train_blocks, self.eval_blocks, len(setup.tokenizer))
            scores.append(Score("unigram_perplexity", "validation perplexity", "perplexity", "validation", task,
                                unigram, baseline="unigram model"))
        return Evaluation(scores, parameters=parameter_count(setup.model.config),
                          details={"validation_mean_nll": metrics["mean_nll"]})


def pretrain(options: PretrainOptions) -> dict:
    """Train, evaluate and save a model; return the run's summary (also written to summary.json)."""
    return run_recipe(Pretraining(options))
