"""Training an encoder–decoder (sequence-to-sequence) model with `Seq2SeqTrainer`, from scratch or from a
pretrained minformer encoder and decoder, judged by exact match and BLEU against copying the input."""

import time
from dataclasses import dataclass, field

import datasets
import torch
from transformers import AutoTokenizer, DataCollatorForSeq2Seq, Seq2SeqTrainingArguments, set_seed

from ..metrics import load_metric
from ..modeling.seq2seq import seq2seq_from_configs, seq2seq_from_pretrained
from ..tokenization import for_family, train_bpe
from .options import RunOptions, SourceOptions
from .presets import check_preset, model_config
from .setup import claim_output, finish, training_arguments
from .trainer import MinformerSeq2SeqTrainer


@dataclass
class Seq2SeqOptions:
    source: SourceOptions = field(default_factory=SourceOptions)
    run: RunOptions = field(default_factory=lambda: RunOptions(learning_rate=1e-3))
    source_column: str = "source"
    target_column: str = "target"
    encoder: str | None = None  # a pretrained minformer encoder folder (warm start), with its tokenizer
    decoder: str | None = None  # a pretrained minformer decoder folder (warm start)
    tokenizer: str | None = None  # when training from scratch: a tokenizer folder (default: train one)
    vocab_size: int = 2048
    preset: str | None = "tiny"
    max_length: int = 32  # tokens per source and per target


def _data(options: Seq2SeqOptions) -> datasets.DatasetDict:
    data = options.source.load(builtin="seq2seq", text_column=options.source_column,
                               label_column=options.target_column)
    return data if options.source.builtin else data.rename_columns({"text": "source", "label": "target"})


def _model_and_tokenizer(options: Seq2SeqOptions, data: datasets.DatasetDict):
    if options.encoder or options.decoder:
        if not (options.encoder and options.decoder):
            raise ValueError("warm-starting needs both --encoder and --decoder (pretrained minformer folders).")
        tokenizer = AutoTokenizer.from_pretrained(options.encoder)
        decoder_vocab = len(AutoTokenizer.from_pretrained(options.decoder))
        if decoder_vocab != len(tokenizer):
            raise ValueError(f"the encoder's tokenizer has {len(tokenizer)} tokens but the decoder's has "
                             f"{decoder_vocab}; pretrain both with the same tokenizer (--tokenizer).")
        return seq2seq_from_pretrained(options.encoder, options.decoder, tokenizer), tokenizer
    check_preset(options.preset)
    if options.tokenizer:
        tokenizer = AutoTokenizer.from_pretrained(options.tokenizer)
    else:
        texts = (t for b in data["train"].iter(1000) for t in b["source"] + b["target"])
        tokenizer = for_family(train_bpe(texts, vocab_size=options.vocab_size), "encoder",
                               model_max_length=options.max_length)
    special = {"pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
               "eos_token_id": tokenizer.eos_token_id}
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
    run = options.run
    checkpoint = claim_output(run)
    started = time.perf_counter()
    set_seed(run.seed)
    data = _data(options)
    model, tokenizer = _model_and_tokenizer(options, data)
    if run.attn_implementation:
        model.encoder.set_attn_implementation(run.attn_implementation)
        model.decoder.set_attn_implementation(run.attn_implementation)
    print(f"EncoderDecoderModel (minformer encoder + decoder): {model.num_parameters() / 1e6:.2f} M parameters, "
          f"{len(data['train']):,} training pairs")
    encoded = _encode(data, tokenizer, options.max_length)
    args = training_arguments(run, arguments_class=Seq2SeqTrainingArguments)
    trainer = MinformerSeq2SeqTrainer(
        model=model, args=args, train_dataset=encoded["train"], eval_dataset=encoded["validation"],
        data_collator=DataCollatorForSeq2Seq(tokenizer, model=model), processing_class=tokenizer,
    )
    start_step = int(checkpoint.rsplit("-", 1)[-1]) if checkpoint else 0
    train_seconds = trainer.train(resume_from_checkpoint=checkpoint).metrics["train_runtime"]
    split = "test" if "test" in data else "validation"
    sources, references = data[split]["source"], data[split]["target"]
    predictions = generate_all(trainer.model, tokenizer, sources, options.max_length)
    scores, copy = text_metrics(predictions, references), text_metrics(sources, references)
    final = {f"{split}_exact_match": scores["exact_match"], f"{split}_bleu": scores["bleu"],
             "copy_baseline_exact_match": copy["exact_match"], "copy_baseline_bleu": copy["bleu"],
             "examples": [{"source": s, "prediction": p, "target": t}
                          for s, p, t in list(zip(sources, predictions, references))[:5]]}
    tokens_per_step = run.batch_size * run.gradient_accumulation_steps * args.world_size * options.max_length
    return finish(trainer, run, started, train_seconds, start_step, tokens_per_step, final,
                  "sequence-to-sequence training (EncoderDecoderModel)")
