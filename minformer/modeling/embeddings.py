"""Token embeddings plus the positional encoding (and BERT's token types), the input of the block stack.

Notation: B batch, T sequence length, C hidden size, hs head size.
"""

import torch
from torch import nn
from transformers.utils import is_torchdynamo_compiling

from ..configuration.common import MinformerConfig
from .norm import build_norm
from .positions import LearnedPositions, RotaryEmbedding, sinusoidal_positions


class Embeddings(nn.Module):
    """ids -> vectors: embed_tokens(ids) [+ absolute positions] [+ token types], then optional norm and dropout.

    Rotary positions are not added here: they rotate queries and keys inside attention, so the (cos, sin) angles are
    returned beside the hidden states and passed down to every attention layer.
    """

    def __init__(self, config: MinformerConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        kind = config.position_embedding_type
        self.position_embeddings = LearnedPositions(config) if kind == "learned" else None
        self.rotary = RotaryEmbedding(config) if kind == "rope" else None
        self.token_type_embeddings = (
            nn.Embedding(config.type_vocab_size, config.hidden_size) if config.type_vocab_size else None
        )
        self.norm = build_norm(config) if config.embedding_norm else nn.Identity()
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        position_ids: torch.Tensor,
        input_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """Returns hidden states (B, T, C) and, for rope, the (cos, sin) angles (B, T, hs)."""
        hidden_states = self.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds  # (B, T, C)
        if self.position_embeddings is not None:
            hidden_states = hidden_states + self.position_embeddings(position_ids)
        elif self.config.position_embedding_type == "sinusoidal":
            hidden_states = hidden_states + sinusoidal_positions(position_ids, self.config.hidden_size,
                                                                 hidden_states.dtype)
        if self.token_type_embeddings is not None:
            if token_type_ids is None:
                token_type_ids = torch.zeros(hidden_states.shape[:2], dtype=torch.long, device=hidden_states.device)
            hidden_states = hidden_states + self.token_type_embeddings(token_type_ids)
        elif token_type_ids is not None and not is_torchdynamo_compiling() and bool(token_type_ids.any()):
            raise ValueError(
                "token_type_ids were given, but this model has no token-type embeddings (type_vocab_size=0); "
                "drop them or build the model with type_vocab_size=2."
            )
        hidden_states = self.dropout(self.norm(hidden_states))
        rotary_angles = self.rotary(position_ids, hidden_states.dtype) if self.rotary is not None else None
        return hidden_states, rotary_angles
