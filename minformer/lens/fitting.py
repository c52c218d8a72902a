"""Fitting a tuned lens: the model frozen, each layer's translator trained so that its prediction matches the final
layer's, minimising KL(final ‖ lens) on text like the model's training text (Belrose et al. 2023, §3).

Notation: L blocks, layers 0..L, N blocks of text, B batch, T block length, V vocabulary size.
The paper trains with SGD and Nesterov momentum for 250 steps of 2^18 tokens. Here, to fit in a CPU minute, it is
Adam with the same linear decay to zero and far fewer tokens (B·T = 1,024 per step by default): a departure from the
paper, not a comparison with it.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import datasets
import torch
from transformers import PreTrainedTokenizerBase

from ..data import SourceOptions, pack_blocks, tokenize
from ..modeling.decoder import MinformerDecoderForCausalLM
from .loading import load_causal_lm
from .logit_lens import check_causal_lm, layer_hidden_states, readout
from .tuned_lens import TunedLens, check_lens_destination, save_tuned_lens

STEPS = 250  # the paper's number of steps
BATCH_SIZE = 8  # blocks per step
BLOCK_SIZE = 128  # tokens per block, or the model's max_position_embeddings if smaller
LEARNING_RATE = 3e-3  # Adam, decayed linearly to zero
EVALUATION_BLOCKS = 32  # held-out blocks on which the final per-layer KL is measured


def _final_distribution(model: MinformerDecoderForCausalLM,
                        hidden_states: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """The final layer's next-token probabilities p (B, T, V) and Σ_v p_v·log p_v (B, T), computed once per batch."""
    log_p = torch.log_softmax(readout(model, hidden_states[-1], len(hidden_states) - 1).float(), dim=-1)
    p = log_p.exp()
    return p, (p * log_p).sum(-1)


def _kl(target: tuple[torch.Tensor, torch.Tensor], logits: torch.Tensor) -> torch.Tensor:
    """Mean over tokens of KL(p ‖ q) in nats, q = softmax(logits (B, T, V)):
    Σ_v p_v (log p_v − log q_v) = Σ_v p_v·log p_v − Σ_v p_v·logits_v + logsumexp(logits)."""
    p, p_log_p = target
    logits = logits.float()
    per_token = p_log_p - (p * logits).sum(-1) + logits.logsumexp(-1)  # (B, T)
    return per_token.clamp(min=0).mean()  # KL >= 0; the clamp removes float rounding below it


@torch.no_grad()
def kl_per_layer(model: MinformerDecoderForCausalLM, blocks: torch.Tensor, tuned_lens: TunedLens | None = None,
                 batch_size: int = BATCH_SIZE) -> torch.Tensor:
    """Mean KL(final layer ‖ lens) per layer (L+1,) in nats/token over `blocks` (N, T), through the logit lens or
    `tuned_lens`; the last entry is 0 (the final layer against itself)."""
    check_causal_lm(model)
    total = torch.zeros(model.config.num_hidden_layers + 1)
    for start in range(0, len(blocks), batch_size):
        batch = blocks[start:start + batch_size].to(model.device)  # (B, T)
        hidden_states = layer_hidden_states(model, batch)
        target = _final_distribution(model, hidden_states)
        total[:-1] += torch.stack([_kl(target, readout(model, h, layer, tuned_lens)).cpu() * len(batch)
                                   for layer, h in enumerate(hidden_states[:-1])])
    return total / len(blocks)


def token_blocks(texts: datasets.Dataset, tokenizer: PreTrainedTokenizerBase, block_size: int) -> torch.Tensor:
    """The texts tokenised and packed into blocks (N, block_size) exactly as pretraining packs them (each document
    followed by end-of-text)."""
    blocks = pack_blocks(tokenize(texts, tokenizer), block_size, tokenizer.eos_token_id)
    return blocks.with_format("torch")[:]["input_ids"].long()  # (N, block_size)


def _check_options(steps: int, batch_size: int, learning_rate: float) -> None:
    if steps < 1 or batch_size < 1 or learning_rate <= 0:
        raise ValueError(f"need --steps >= 1, --batch-size >= 1 and a positive --learning-rate (got {steps}, "
                         f"{batch_size} and {learning_rate}).")


def fit_tuned_lens(model: MinformerDecoderForCausalLM, blocks: torch.Tensor, steps: int = STEPS,
                   batch_size: int = BATCH_SIZE, learning_rate: float = LEARNING_RATE, seed: int = 0) -> TunedLens:
    """A tuned lens for `model` fitted on `blocks` (N, T) of token ids: `steps` Adam steps on batches drawn with
    `seed`, minimising Σ_ℓ KL(final ‖ lens_ℓ); the model's weights are not changed."""
    check_causal_lm(model)
    _check_options(steps, batch_size, learning_rate)
    lens = TunedLens.for_model(model)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(lens.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)  # linear decay to 0
    was_training, trainable = model.training, [p.requires_grad for p in model.parameters()]
    model.eval().requires_grad_(False)  # frozen: gradients flow through the final norm and lm_head to the lens only
    try:
        for _ in range(steps):
            batch = blocks[torch.randint(len(blocks), (batch_size,), generator=generator)].to(model.device)  # (B, T)
            with torch.no_grad():
                hidden_states = layer_hidden_states(model, batch)  # L+1 tensors (B, T, C)
                target = _final_distribution(model, hidden_states)  # p (B, T, V), Σ p·log p (B, T)
            loss = sum(_kl(target, readout(model, hidden_states[layer], layer, lens))
                       for layer in range(lens.num_hidden_layers))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    finally:
        model.train(was_training)
        for parameter, flag in zip(model.parameters(), trainable):
            parameter.requires_grad_(flag)
    return lens.eval()


@dataclass
class LensFit:
    """A fitted and saved tuned lens, and its per-layer KL next to the logit lens's (nats/token, layers 0..L)."""

    folder: Path
    logit_lens_kl: list[float]
    tuned_lens_kl: list[float]
    evaluated_on: str
    info: dict


def fit_and_save(model_path: str | Path, source: SourceOptions, steps: int = STEPS, batch_size: int = BATCH_SIZE,
                 learning_rate: float = LEARNING_RATE, overwrite: bool = False) -> LensFit:
    """Fit a tuned lens for the decoder in `model_path` on the train split of `source` (seeded by `source.seed`),
    measure both lenses on held-out text, and save the lens in MODEL/tuned_lens/."""
    _check_options(steps, batch_size, learning_rate)  # before any work
    check_lens_destination(model_path, overwrite)
    started = time.perf_counter()
    model, tokenizer = load_causal_lm(model_path)
    data = source.load("corpus")
    block_size = min(BLOCK_SIZE, model.config.max_position_embeddings)
    train = token_blocks(data["train"], tokenizer, block_size)
    evaluation, evaluated_on = train, "the training text"
    if "validation" in data:
        try:
            evaluation, evaluated_on = token_blocks(data["validation"], tokenizer, block_size), "held-out text"
        except ValueError:  # a validation split shorter than one block: measure on the training text
            pass
    evaluation = evaluation[:EVALUATION_BLOCKS]
    evaluated_on = f"{evaluated_on} ({len(evaluation)} blocks of {block_size} tokens)"
    lens = fit_tuned_lens(model, train, steps, batch_size, learning_rate, source.seed)
    logit_kl = [round(float(x), 4) for x in kl_per_layer(model, evaluation)]
    tuned_kl = [round(float(x), 4) for x in kl_per_layer(model, evaluation, lens)]
    info = {
        "text_source": source.describe("corpus")["data"],
        "steps": steps, "batch_size": batch_size, "block_size": block_size, "learning_rate": learning_rate,
        "seed": source.seed, "tokens_seen": steps * batch_size * block_size,
        "fit_seconds": round(time.perf_counter() - started, 1),
        "kl_evaluated_on": evaluated_on,
        "kl_per_layer": {"logit_lens": logit_kl, "tuned_lens": tuned_kl},  # nats/token, layers 0 (embeddings)..L
    }
    folder = save_tuned_lens(lens, model_path, info, overwrite)
    return LensFit(folder=folder, logit_lens_kl=logit_kl, tuned_lens_kl=tuned_kl, evaluated_on=evaluated_on,
                   info=info)
