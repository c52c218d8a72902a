"""The logit lens (nostalgebraist 2020, "interpreting GPT: the logit lens"): read every layer's residual stream with
the model's own final norm and unembedding, as if the blocks above it were skipped.

Notation: L blocks, B batch, T sequence length, C hidden size, V vocabulary size, k predictions kept per position.
Layer 0 is the embeddings' output and layer ℓ the output of block ℓ: L+1 layers in all, exactly the states that
`output_hidden_states=True` returns. The last of them has already been through the stack's final norm (as in
`transformers`), so the lens applies `final_norm` to layers 0..L-1 only, and layer L gives the model's own logits.
(Post-norm models have no final norm: `final_norm` is the identity.)
"""

from dataclasses import dataclass

import torch
from torch import nn

from ..modeling.decoder import MinformerDecoderForCausalLM


def check_causal_lm(model: nn.Module) -> None:
    """A ValueError unless `model` is a decoder with its language-model head (the lens reads next-token logits)."""
    if isinstance(model, MinformerDecoderForCausalLM):
        return
    raise ValueError(
        f"the logit and tuned lenses read next-token predictions, which a {type(model).__name__} does not make; "
        "give a MinformerDecoderForCausalLM (a decoder saved by `minformer pretrain --family decoder`). For an "
        "encoder, look at its attention with `minformer attention-maps`."
    )


def layer_names(num_hidden_layers: int) -> list[str]:
    """Row labels of the L+1 layers: "embeddings", "block 1", ..., "block L"."""
    return ["embeddings"] + [f"block {layer}" for layer in range(1, num_hidden_layers + 1)]


def layer_hidden_states(model: MinformerDecoderForCausalLM, input_ids: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The residual stream after the embeddings and after each block: L+1 tensors (B, T, C), the last normalised."""
    check_causal_lm(model)
    return model(input_ids=input_ids, use_cache=False, output_hidden_states=True).hidden_states


def readout(model: MinformerDecoderForCausalLM, hidden_states: torch.Tensor, layer: int,
            tuned_lens: nn.Module | None = None) -> torch.Tensor:
    """Logits (B, T, V) that layer `layer`'s stream (B, T, C) predicts: the tuned lens's translator if one is
    given, then the final norm (except at layer L, already normalised), then the unembedding `lm_head`."""
    if tuned_lens is not None:
        hidden_states = tuned_lens(hidden_states, layer)
    if layer < model.config.num_hidden_layers:
        hidden_states = model.model.stack.final_norm(hidden_states)
    return model.lm_head(hidden_states)  # (B, T, V)


def layer_logits(model: MinformerDecoderForCausalLM, input_ids: torch.Tensor,
                 tuned_lens: nn.Module | None = None) -> torch.Tensor:
    """The logits (L+1, B, T, V) of every layer through the logit lens (or the tuned lens, if given)."""
    hidden_states = layer_hidden_states(model, input_ids)
    return torch.stack([readout(model, h, layer, tuned_lens) for layer, h in enumerate(hidden_states)])


@dataclass
class LensPredictions:
    """What each layer predicts at each position, and how well it predicts the token that actually comes next."""

    top_ids: torch.Tensor  # (L+1, B, T, k) the k most likely next tokens, most likely first
    top_probs: torch.Tensor  # (L+1, B, T, k) their probabilities
    next_token_loss: torch.Tensor  # (L+1, B, T-1) cross-entropy in nats of token t+1 under the prediction at t

    @property
    def mean_loss(self) -> torch.Tensor:
        """Cross-entropy per layer (L+1,), averaged over the batch and positions."""
        return self.next_token_loss.mean(dim=(1, 2))


@torch.no_grad()
def logit_lens(model: MinformerDecoderForCausalLM, input_ids: torch.Tensor, top_k: int = 1,
               tuned_lens: nn.Module | None = None) -> LensPredictions:
    """Top-k predictions and next-token cross-entropy of every layer for `input_ids` (B, T) (no padding), read
    through the logit lens, or through `tuned_lens` if one is given."""
    check_causal_lm(model)
    vocab_size = model.config.vocab_size
    if not 1 <= top_k <= vocab_size:
        raise ValueError(f"top_k must be between 1 and the vocabulary size {vocab_size}, got {top_k}.")
    if input_ids.shape[1] < 2:
        raise ValueError("the lens scores each token's prediction of the next one, so it needs at least 2 tokens; "
                         "give a longer text.")
    log_probs = torch.log_softmax(layer_logits(model, input_ids, tuned_lens).float(), dim=-1)  # (L+1, B, T, V)
    top_log_probs, top_ids = log_probs.topk(top_k, dim=-1)  # (L+1, B, T, k)
    next_ids = input_ids[:, 1:].expand(log_probs.shape[0], -1, -1)  # (L+1, B, T-1)
    next_token_loss = -log_probs[:, :, :-1].gather(-1, next_ids.unsqueeze(-1)).squeeze(-1)  # (L+1, B, T-1)
    return LensPredictions(top_ids=top_ids, top_probs=top_log_probs.exp(), next_token_loss=next_token_loss)
