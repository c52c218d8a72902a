"""Task heads on top of the final hidden states: masked-LM prediction and sequence classification.

Notation: B batch, T sequence length, C hidden size, V vocabulary size, L number of labels.
"""

import torch
from torch import nn
from transformers.activations import ACT2FN

from ..configuration.common import MinformerConfig
from .norm import build_norm


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
    """The first token's final state -> dense -> tanh -> dropout -> out_proj (BERT's pooler, then a classifier)."""

    def __init__(self, config: MinformerConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        dropout = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, L)
        pooled = torch.tanh(self.dense(hidden_states[:, 0]))  # (B, C): the <s>/[CLS] position
        return self.out_proj(self.dropout(pooled))
