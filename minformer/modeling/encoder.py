"""The bidirectional encoder (BERT-like) and its task models: masked LM, sequence and token classification.

Notation: B batch, T sequence length, C hidden size, V vocabulary size, L number of labels.
Data flow: ids -> `Embeddings` -> bidirectional padding mask -> `BlockStack` -> head (heads.py). A padded batch runs
the stack on its real tokens only (unpadding.py).
"""

import torch
from torch import nn
from transformers.masking_utils import create_bidirectional_mask
from transformers.modeling_outputs import (
    BaseModelOutput,
    MaskedLMOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs, can_return_tuple
from transformers.utils.output_capturing import capture_outputs

from ..configuration.encoder import MinformerEncoderConfig
from .embeddings import Embeddings
from .heads import MaskedLMHead, SequenceClassificationHead, TokenClassificationHead
from .pretrained import MinformerPreTrainedModel
from .stack import BlockStack
from .unpadding import unpadding_for


class MinformerEncoderPreTrainedModel(MinformerPreTrainedModel):
    config_class = MinformerEncoderConfig


class MinformerEncoderModel(MinformerEncoderPreTrainedModel):
    """Token ids -> contextual vectors (B, T, C); every token attends to every non-padding token."""

    def __init__(self, config: MinformerEncoderConfig):
        super().__init__(config)
        self.embeddings = Embeddings(config)
        self.stack = BlockStack(config)
        self.post_init()

    @capture_outputs
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> BaseModelOutput:
        self.check_output_attentions(kwargs.get("output_attentions"))
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of input_ids or inputs_embeds.")
        seq_length = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        if position_ids is None:
            position_ids = torch.arange(seq_length, device=self.device)[None]  # (1, T)
        unpadding = unpadding_for(self.config, attention_mask, kwargs)
        if unpadding is not None:  # embed and encode the real tokens only, as one sequence (1, N)
            input_ids, inputs_embeds, token_type_ids, position_ids = (
                None if x is None else unpadding.pack(x.expand(unpadding.batch_size, *x.shape[1:]))
                for x in (input_ids, inputs_embeds, token_type_ids, position_ids)
            )
        hidden_states, rotary_angles = self.embeddings(position_ids, input_ids, inputs_embeds, token_type_ids)
        mask = None  # padding-free: each text attends to its own tokens only, and needs no mask
        if unpadding is None:
            mask = create_bidirectional_mask(config=self.config, inputs_embeds=hidden_states,
                                             attention_mask=attention_mask)
        # (B, T, C), or (1, N, C) padding-free
        hidden_states = self.stack(hidden_states, mask, rotary_angles, unpadding=unpadding, **kwargs)
        if unpadding is not None:
            hidden_states = unpadding.unpack(hidden_states)  # (B, T, C), zeros at padding
        return BaseModelOutput(last_hidden_state=hidden_states)


class MinformerEncoderWithHead(MinformerEncoderPreTrainedModel):
    """The encoder followed by a task head: subclasses define `head_logits`, `head_loss` and `output_class`.

    The loss comes from `transformers`' `loss_function`, which picks masked-LM, sequence- or token-classification
    loss from the subclass's name.
    """

    output_class: type[ModelOutput]  # MaskedLMOutput, SequenceClassifierOutput, ...

    def predicted_positions(
        self, hidden_states: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The hidden states the head runs on, with their labels: all of them unless a subclass narrows it."""
        return hidden_states, labels

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> MaskedLMOutput | SequenceClassifierOutput | TokenClassifierOutput:  # the head's `output_class`
        outputs = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            **kwargs,
        )
        hidden_states = outputs.last_hidden_state  # (B, T, C)
        if labels is not None:
            hidden_states, labels = self.predicted_positions(hidden_states, labels)
        logits = self.head_logits(hidden_states, attention_mask)
        loss = self.head_loss(logits, labels, **kwargs) if labels is not None else None
        return self.output_class(loss=loss, logits=logits, hidden_states=outputs.hidden_states,
                                 attentions=outputs.attentions)


class MinformerEncoderForMaskedLM(MinformerEncoderWithHead):
    """The encoder with BERT's masked-language-model head; `labels` (-100 = ignore) give the MLM loss.

    With `config.sparse_prediction` and labels, the head runs only on the labelled (masked) positions and the
    logits are (N, V) for the N labels != -100 in row-major order: the same loss for ~15% of the head's work.
    """

    _tied_weights_keys = {"lm_head.decoder.weight": "model.embeddings.embed_tokens.weight"}
    output_class = MaskedLMOutput

    def __init__(self, config: MinformerEncoderConfig):
        super().__init__(config)
        self.model = MinformerEncoderModel(config)
        self.lm_head = MaskedLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.lm_head.decoder = new_embeddings

    def predicted_positions(
        self, hidden_states: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.config.sparse_prediction:
            return hidden_states, labels
        labelled = labels != -100  # (B, T)
        return hidden_states[labelled], labels[labelled]  # (N, C), (N,)

    def head_logits(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        # (B, T, V), or (N, V) with sparse prediction
        return self.lm_head(hidden_states)

    def head_loss(
        self, logits: torch.Tensor, labels: torch.Tensor, **kwargs: Unpack[TransformersKwargs]
    ) -> torch.Tensor:
        # kwargs may carry the Trainer's num_items_in_batch, which makes gradient accumulation exact
        return self.loss_function(logits=logits, labels=labels, vocab_size=self.config.vocab_size, **kwargs)


class MinformerEncoderForSequenceClassification(MinformerEncoderWithHead):
    """The encoder with a classifier on the first token; `labels` give cross-entropy (or MSE if num_labels == 1)."""

    accepts_loss_kwargs = False  # the loss is a mean per batch: let the Trainer divide by accumulation steps
    output_class = SequenceClassifierOutput

    def __init__(self, config: MinformerEncoderConfig):
        super().__init__(config)
        self.model = MinformerEncoderModel(config)
        self.classifier = SequenceClassificationHead(config)
        self.post_init()

    def head_logits(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.classifier(hidden_states, attention_mask)  # (B, L)

    def head_loss(
        self, logits: torch.Tensor, labels: torch.Tensor, **kwargs: Unpack[TransformersKwargs]
    ) -> torch.Tensor:
        return self.loss_function(labels=labels, pooled_logits=logits, config=self.config)


class MinformerEncoderForTokenClassification(MinformerEncoderWithHead):
    """The encoder with a linear classifier on every token; `labels` (B, T), -100 = ignore."""

    accepts_loss_kwargs = False  # mean loss per batch, as for sequence classification
    output_class = TokenClassifierOutput

    def __init__(self, config: MinformerEncoderConfig):
        super().__init__(config)
        self.model = MinformerEncoderModel(config)
        self.classifier = TokenClassificationHead(config)
        self.post_init()

    def head_logits(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.classifier(hidden_states)  # (B, T, L)

    def head_loss(
        self, logits: torch.Tensor, labels: torch.Tensor, **kwargs: Unpack[TransformersKwargs]
    ) -> torch.Tensor:
        return self.loss_function(logits=logits, labels=labels, config=self.config)
