"""Padding-free ("unpadded") encoding, as ModernBERT does it: the real tokens of a padded batch are packed into one
sequence, so projections, feed-forward networks and norms spend no work on padding, and attention runs one text at a
time on its own real tokens (the "varlen" attention of flash-attention kernels, written as a loop of calls to the
model's backend), so no score is computed for padding either. The results at the real tokens are the padded
computation's; the final states at padding positions are zeros (no head reads them: the losses skip them and
classifiers read the first token or the real tokens' mean).

Notation: B batch, T padded length, N real tokens in the batch (N ≤ B·T), C hidden size, nh heads, hs head size.
"""

from dataclasses import dataclass

import torch
from transformers.utils import is_torchdynamo_compiling

from ..configuration.common import MinformerConfig

# The backends called once per text; transformers' own varlen backends (flash attention, paged) unpad by themselves
# and are left on the padded path.
PER_TEXT_BACKENDS = ("eager", "sdpa", "chunked", "xformers")


@dataclass(frozen=True)
class Unpadding:
    """Where the real tokens of a (B, T) batch are, to move tensors between the padded and the packed layout."""

    indices: torch.Tensor  # (N,) flat positions b·T + t of the real tokens, in row-major order
    lengths: list[int]  # real tokens per text, in batch order, texts without any left out (they sum to N)
    batch_size: int
    seq_length: int

    @classmethod
    def of(cls, attention_mask: torch.Tensor) -> "Unpadding":
        """From a (B, T) mask of 1 = real token, 0 = padding."""
        indices = attention_mask.flatten().nonzero().squeeze(1)  # (N,)
        lengths = [n for n in attention_mask.bool().sum(1).tolist() if n > 0]
        return cls(indices, lengths, *attention_mask.shape)

    def texts(self, *packed: torch.Tensor) -> zip:
        """Split packed queries, keys and values (1, nh, N, hs) into each text's (1, nh, n_i, hs), to attend one text
        at a time: Σ n_i² scores instead of the padded B·T²."""
        return zip(*(x.split(self.lengths, dim=2) for x in packed))

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, ...) -> (1, N, ...): the real tokens only, as one sequence."""
        return x.flatten(0, 1).index_select(0, self.indices)[None]

    def unpack(self, x: torch.Tensor) -> torch.Tensor:
        """(1, N, ...) -> (B, T, ...), zeros at the padding."""
        padded = x.new_zeros(self.batch_size * self.seq_length, *x.shape[2:])
        return padded.index_copy(0, self.indices, x[0]).unflatten(0, (self.batch_size, self.seq_length))


def unpadding_for(config: MinformerConfig, attention_mask: torch.Tensor | None, kwargs: dict) -> Unpadding | None:
    """The batch's `Unpadding` when padding-free encoding applies and gains something, else None (the padded path):
    it needs `config.padding_free`, a (B, T) mask with padding at the end of some row (right padding, as encoders'
    tokenizers pad), one of minformer's backends,
    no per-layer outputs requested (hidden states and attention maps keep the padded shape), and eager execution
    (a traced graph cannot depend on how many tokens are real)."""
    if not config.padding_free or attention_mask is None or attention_mask.dim() != 2 or is_torchdynamo_compiling():
        return None
    if config._attn_implementation not in PER_TEXT_BACKENDS:
        return None
    for output in ("output_hidden_states", "output_attentions"):
        requested = kwargs.get(output)
        if requested or (requested is None and getattr(config, output, False)):
            return None
    if bool(attention_mask.all()) or not bool(attention_mask[:, 0].all()):
        # nothing to remove; or left padding, where a classifier on the first token reads a padding position, whose
        # state (the padding attends to the text) only the padded computation gives
        return None
    return Unpadding.of(attention_mask)
