"""Training an encoder–decoder (sequence-to-sequence) model with `Seq2SeqTrainer`, from scratch or from a
pretrained minformer encoder and decoder, judged by exact match and BLEU against copying the input."""

import time
from dataclasses import dataclass, field

import datasets
import torch
from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainingArguments, set_seed

from ..data import SourceOptions
from ..errors import UserError, reading
from ..loading import load_config, load_tokenizer
from ..metrics import load_metric
from ..modeling.seq2seq import seq2seq_from_configs, seq2seq_from_pretrained
from ..tokenization import for_family, train_bpe
from ..tokenization.training import check_vocab_size
from ..validation import check_positive_int
from .options import RunOptions
from .presets import check_preset, model_config
from .pretrain import special_ids
from .run_folder import RunFolder, claimed_run
from .setup import finish, training_arguments
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


def train_seq2seq(options: Seq2SeqOptions) -> dict:
    """Train, evaluate on the test split against the copy baseline, save; return the summary."""
    given = check_seq2seq_options(options)
    inputs = [options.encoder, options.decoder, options.tokenizer, *options.source.files]
    with claimed_run(options.run, inputs=inputs) as folder:
        return _train_seq2seq(options, given, folder)


def _train_seq2seq(options: Seq2SeqOptions, given, folder: RunFolder) -> dict:
    run = options.run
    started = time.perf_counter()
    set_seed(run.seed)
    data = _data(options)
    model, tokenizer = _model_and_tokenizer(options, given, data)
    if run.attn_implementation:
        model.encoder.set_attn_implementation(run.attn_implementation)
        model.decoder.set_attn_implementation(run.attn_implementation)
    print(f"EncoderDecoderModel (minformer encoder + decoder): {model.num_parameters() / 1e6:.2f} M parameters, "
          f"{len(data['train']):,} training pairs")
    encoded = _encode(data, tokenizer, options.max_length)
    args = training_arguments(run, folder, arguments_class=Seq2SeqTrainingArguments)
    folder.prepare()
    trainer = MinformerSeq2SeqTrainer(
        model=model, args=args, train_dataset=encoded["train"], eval_dataset=encoded["validation"],
        data_collator=DataCollatorForSeq2Seq(tokenizer, model=model), processing_class=tokenizer,
    )
    train_seconds = trainer.train(resume_from_checkpoint=folder.checkpoint).metrics["train_runtime"]
    split = "test" if "test" in data else "validation"
    sources, references = data[split]["source"], data[split]["target"]
    predictions = generate_all(trainer.model, tokenizer, sources, options.max_length)
    scores, copy = text_metrics(predictions, references), text_metrics(sources, references)
    final = {f"{split}_exact_match": scores["exact_match"], f"{split}_bleu": scores["bleu"],
             "copy_baseline_exact_match": copy["exact_match"], "copy_baseline_bleu": copy["bleu"],
             "examples": [{"source": s, "prediction": p, "target": t}
                          for s, p, t in list(zip(sources, predictions, references))[:5]]}
    tokens_per_step = run.batch_size * run.gradient_accumulation_steps * args.world_size * options.max_length
    return finish(trainer, run, folder, started, train_seconds, tokens_per_step, final,
                  "sequence-to-sequence training (EncoderDecoderModel)")
