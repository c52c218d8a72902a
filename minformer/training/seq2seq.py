"""Training an encoder–decoder (sequence-to-sequence) model with `Seq2SeqTrainer`, from scratch or from a
pretrained minformer encoder and decoder, judged by exact match and BLEU against copying the input."""

from dataclasses import dataclass, field

import datasets
import torch
from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainingArguments

from ..data import SourceOptions
from ..errors import UserError, reading
from ..loading import load_config, load_tokenizer
from ..metrics import load_metric
from ..run_summary import Score
from ..tokenization import for_family, special_ids, train_bpe
from ..tokenization.training import check_vocab_size
from ..validation import check_positive_int
from .options import RunOptions
from .presets import check_preset, model_config
from .recipe import Evaluation, Recipe, Setup, run_recipe
from .run_folder import RunFolder
from .seq2seq_model import seq2seq_from_configs, seq2seq_from_pretrained
from .trainer import MinformerSeq2SeqTrainer


@dataclass
class Seq2SeqOptions:
    source: SourceOptions = field(default_factory=SourceOptions)
    run: RunOptions = field(default_factory=lambda: RunOptions(learning_rate=1e-3))
    source_column: str = "source"
    target_column: str = "target"
    target_flag: str = "--target-column"  # the flag that names the target column (finetune: --label-column)
    encoder: str | None = None  # a pretrained minformer encoder folder (warm start), with its tokenizer
    decoder: str | None = None  # a pretrained minformer decoder folder (warm start)
    tokenizer: str | None = None  # when training from scratch: a tokenizer folder (default: train one)
    vocab_size: int = 2048
    preset: str | None = "tiny"
    max_length: int = 32  # tokens per source and per target


def _data(options: Seq2SeqOptions) -> datasets.DatasetDict:
    data = options.source.load(builtin="seq2seq", text_column=options.source_column,
                               label_column=options.target_column, label_flag=options.target_flag)
    return data if options.source.builtin else data.rename_columns({"text": "source", "label": "target"})


def check_seq2seq_options(options: Seq2SeqOptions):
    """Every option and pretrained folder checked before anything is read or written; the tokenizer, loaded."""
    check_positive_int(options.max_length, "--max-length" if options.encoder else "--block-size")
    if options.encoder or options.decoder:
        if not (options.encoder and options.decoder):
            raise UserError("warm-starting needs both --encoder and --decoder (pretrained minformer folders).")
        load_config(options.encoder, families=("encoder",))
        load_config(options.decoder, families=("decoder",))
        tokenizer = load_tokenizer(options.encoder)
        decoder_vocab = len(load_tokenizer(options.decoder))
        if decoder_vocab != len(tokenizer):
            raise UserError(f"the encoder's tokenizer has {len(tokenizer)} tokens but the decoder's has "
                            f"{decoder_vocab}; pretrain both with the same tokenizer (--tokenizer).")
        return tokenizer
    check_preset(options.preset)
    if options.tokenizer:
        return load_tokenizer(options.tokenizer)
    check_vocab_size(options.vocab_size)
    return None


def _model_and_tokenizer(options: Seq2SeqOptions, tokenizer, data: datasets.DatasetDict):
    if options.encoder:
        with reading(f"the pretrained encoder {options.encoder} and decoder {options.decoder}",
                     "Their weights files are damaged: copy the folders again, or pretrain them again."):
            return seq2seq_from_pretrained(options.encoder, options.decoder, tokenizer), tokenizer
    if tokenizer is None:
        texts = (t for b in data["train"].iter(1000) for t in b["source"] + b["target"])
        tokenizer = for_family(train_bpe(texts, vocab_size=options.vocab_size), "encoder",
                               model_max_length=options.max_length)
    special = special_ids(tokenizer)
    encoder = model_config("encoder", options.preset, len(tokenizer), options.max_length, special)
    decoder = model_config("decoder", options.preset, len(tokenizer), options.max_length + 1, special)
    return seq2seq_from_configs(encoder, decoder, tokenizer), tokenizer


def _encode(data: datasets.DatasetDict, tokenizer, max_length: int) -> datasets.DatasetDict:
    """input_ids: `<s> source </s>` for the encoder; labels: `target </s>` (the model prepends `<s>` itself)."""
    def encode(batch):
        inputs = tokenizer(batch["source"], truncation=True, max_length=max_length)
        targets = tokenizer(batch["target"], add_special_tokens=False, truncation=True, max_length=max_length - 1)
        return {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"],
                "labels": [ids + [tokenizer.eos_token_id] for ids in targets["input_ids"]]}

    return data.map(encode, batched=True, remove_columns=["source", "target"], desc="Tokenizing")


@torch.no_grad()
def generate_all(model, tokenizer, sources: list[str], max_length: int, batch_size: int = 64) -> list[str]:
    """Greedy outputs for every source, decoded without special tokens."""
    model.eval()
    outputs = []
    for start in range(0, len(sources), batch_size):
        inputs = tokenizer(sources[start:start + batch_size], return_tensors="pt", padding=True, truncation=True,
                           max_length=max_length).to(model.device)
        generated = model.generate(**inputs, max_new_tokens=max_length, do_sample=False)
        outputs += [text.strip() for text in tokenizer.batch_decode(generated, skip_special_tokens=True)]
    return outputs


def text_metrics(predictions: list[str], references: list[str]) -> dict:
    return {**load_metric("exact_match").compute(predictions=predictions, references=references),
            **load_metric("bleu").compute(predictions=predictions, references=references)}


class Seq2SeqTraining(Recipe):
    """An encoder-decoder trained on (source, target) pairs, from scratch or warm-started from pretrained halves."""

    builtin = "seq2seq"
    arguments_class = Seq2SeqTrainingArguments
    trainer_class = MinformerSeq2SeqTrainer

    def __init__(self, options: Seq2SeqOptions):
        self.options, self.run, self.source = options, options.run, options.source

    def inputs(self) -> list:
        return [self.options.encoder, self.options.decoder, self.options.tokenizer, *self.source.files]

    def check(self) -> None:
        self.given = check_seq2seq_options(self.options)

    def load_data(self) -> datasets.DatasetDict:
        return _data(self.options)

    def setup(self, data: datasets.DatasetDict, folder: RunFolder, args) -> Setup:
        model, tokenizer = _model_and_tokenizer(self.options, self.given, data)
        print(f"EncoderDecoderModel (minformer encoder + decoder): {model.num_parameters() / 1e6:.2f} M "
              f"parameters, {len(data['train']):,} training pairs")
        encoded = _encode(data, tokenizer, self.options.max_length)
        tokens = sum(len(a) + len(b) for a, b in zip(encoded["train"]["input_ids"], encoded["train"]["labels"]))
        return Setup(model=model, tokenizer=tokenizer, train_dataset=encoded["train"],
                     eval_dataset=encoded["validation"], data_collator=DataCollatorForSeq2Seq(tokenizer, model=model),
                     tokens_per_sequence=tokens / len(encoded["train"]),
                     title="sequence-to-sequence training (EncoderDecoderModel)")

    def evaluate(self, trainer, setup: Setup, data: datasets.DatasetDict) -> Evaluation:
        split = "test" if "test" in data else "validation"
        sources, references = data[split]["source"], data[split]["target"]
        predictions = generate_all(trainer.model, setup.tokenizer, sources, self.options.max_length)
        model, copy = text_metrics(predictions, references), text_metrics(sources, references)
        task = "text2text-generation"
        scores = [Score(f"{split}_exact_match", f"{split} exact match", "exact_match", split, task,
                        model["exact_match"]),
                  Score(f"{split}_bleu", f"{split} BLEU", "bleu", split, task, model["bleu"]),
                  Score("copy_baseline_exact_match", f"{split} exact match", "exact_match", split, task,
                        copy["exact_match"], baseline="copying the input"),
                  Score("copy_baseline_bleu", f"{split} BLEU", "bleu", split, task, copy["bleu"],
                        baseline="copying the input")]
        examples = [{"source": s, "prediction": p, "target": t}
                    for s, p, t in list(zip(sources, predictions, references))[:5]]
        warm_start = {"encoder": self.options.encoder, "decoder": self.options.decoder} if self.options.encoder else {}
        return Evaluation(scores, parameters=trainer.model.num_parameters(),
                          details={**warm_start, "examples": examples})


def train_seq2seq(options: Seq2SeqOptions) -> dict:
    """Train, evaluate on the test split against the copy baseline, save; return the summary."""
    return run_recipe(Seq2SeqTraining(options))
