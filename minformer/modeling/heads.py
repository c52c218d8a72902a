"""Task heads on the final hidden states: the causal-LM unembedding, BERT's masked-LM head, and the classifiers of
the encoder (first token, every token) and of the decoder (last real token).

Each head keeps the parameter names that saved checkpoints, the GPT-2/BERT converters and the tied-weight keys use
(`lm_head.weight`, `lm_head.decoder.weight`, `classifier.dense.weight`, `classifier.weight`, `score.weight`, ...), so
the single-matrix heads are `nn.Linear`s themselves rather than modules holding one.

Notation: B batch, T sequence length, C hidden size, V vocabulary size, L number of labels.
"""

import torch
from torch import nn
from transformers.activations import ACT2FN

from ..configuration.common import MinformerConfig
from ..configuration.encoder import MinformerEncoderConfig
from .norm import build_norm


def _classifier_dropout(config: MinformerEncoderConfig) -> nn.Dropout:
    """Dropout before a classifier: `classifier_dropout`, or `hidden_dropout_prob` when that is None."""
    dropout = config.classifier_dropout
    return nn.Dropout(dropout if dropout is not None else config.hidden_dropout_prob)


class CausalLMHead(nn.Linear):
    """The unembedding (B, T, C) -> (B, T, V) of the decoder; its weight is the token-embedding matrix when
    `tie_word_embeddings` (Press & Wolf, 2017)."""

    def __init__(self, config: MinformerConfig):
        super().__init__(config.hidden_size, config.vocab_size, bias=False)


class MaskedLMHead(nn.Module):
    """BERT's prediction head: dense -> activation -> norm -> decoder, whose weight is tied to the token embeddings."""

    def __init__(self, config: MinformerConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = ACT2FN[config.hidden_act]
        self.norm = build_norm(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)  # the bias is the head's own, never tied

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, V)
        return self.decoder(self.norm(self.act(self.dense(hidden_states))))


class SequenceClassificationHead(nn.Module):
    """The pooled final states -> dense -> tanh -> dropout -> out_proj (BERT's pooler, then a classifier). Pooled is
    the first token's state (`classifier_pooling="cls"`, BERT) or the mean over the real tokens ("mean", ModernBERT's
    option), which needs no pretraining of the first position's state."""

    def __init__(self, config: MinformerEncoderConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = _classifier_dropout(config)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)
        self.pooling = config.classifier_pooling

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        # (B, T, C), mask (B, T) of 1 = real token -> (B, L)
        if self.pooling == "cls":
            pooled = hidden_states[:, 0]  # (B, C): the <s>/[CLS] position
        elif attention_mask is None:
            pooled = hidden_states.mean(dim=1)
        else:
            weights = attention_mask.to(hidden_states.dtype).unsqueeze(-1)  # (B, T, 1)
            pooled = (hidden_states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)  # (B, C)
        return self.out_proj(self.dropout(torch.tanh(self.dense(pooled))))


class TokenClassificationHead(nn.Linear):
    """Dropout, then a linear classifier on every token: (B, T, C) -> (B, T, L)."""

    def __init__(self, config: MinformerEncoderConfig):
        super().__init__(config.hidden_size, config.num_labels)
        self.dropout = _classifier_dropout(config)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return super().forward(self.dropout(hidden_states))


class LastTokenClassificationHead(nn.Linear):
    """A linear classifier on the last non-padding token, the only one that has seen the whole text under causal
    attention (as GPT-2's classifier): (B, T, C) -> (B, L)."""

    def __init__(self, config: MinformerConfig):
        super().__init__(config.hidden_size, config.num_labels, bias=False)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        B, T, _ = hidden_states.shape
        if attention_mask is not None:  # the last real token, whether padding is on the left or the right
            positions = torch.arange(T, device=hidden_states.device)
            current = attention_mask[:, -T:]  # (B, T): with a cache the mask covers the past tokens too
            last = (positions * current.to(hidden_states.device)).argmax(-1)  # (B,)
        else:
            last = torch.full((B,), T - 1, device=hidden_states.device)
        return super().forward(hidden_states[torch.arange(B, device=hidden_states.device), last])  # (B, L)
