"""The bidirectional encoder (BERT-like) and its task models: masked LM, sequence and token classification.

Notation: B batch, T sequence length, C hidden size, V vocabulary size, L number of labels.
Data flow: ids -> `Embeddings` -> bidirectional padding mask -> `BlockStack` -> head.
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
from transformers.utils import ModelOutput
from transformers.utils import can_return_tuple

from ..configuration.encoder import MinformerEncoderConfig
from .embeddings import Embeddings
from .heads import MaskedLMHead, SequenceClassificationHead
from .pretrained import MinformerPreTrainedModel
from .stack import BlockStack


class MinformerEncoderPreTrainedModel(MinformerPreTrainedModel):
    config_class = MinformerEncoderConfig


class MinformerEncoderModel(MinformerEncoderPreTrainedModel):
    """Token ids -> contextual vectors (B, T, C); every token attends to every non-padding token."""

    def __init__(self, config: MinformerEncoderConfig):
        super().__init__(config)
        self.embeddings = Embeddings(config)
        self.stack = BlockStack(config)
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        **kwargs,
    ) -> BaseModelOutput:
        output_attentions, output_hidden_states = self._output_flags(output_attentions, output_hidden_states)
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of input_ids or inputs_embeds.")
        seq_length = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        if position_ids is None:
            position_ids = torch.arange(seq_length, device=self.device)[None]  # (1, T)
        hidden_states, rotary_angles = self.embeddings(position_ids, input_ids, inputs_embeds, token_type_ids)
        mask = create_bidirectional_mask(config=self.config, inputs_embeds=hidden_states, attention_mask=attention_mask)
        outputs = self.stack(
            hidden_states,
            mask,
            rotary_angles,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            **kwargs,
        )
        return BaseModelOutput(
            last_hidden_state=outputs.last_hidden_state,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )


class MinformerEncoderWithHead(MinformerEncoderPreTrainedModel):
    """The encoder followed by a task head: subclasses define `head_logits`, `head_loss` and `output_class`.

    The loss comes from `transformers`' `loss_function`, which picks masked-LM, sequence- or token-classification
    loss from the subclass's name.
    """

    output_class: type[ModelOutput]  # MaskedLMOutput, SequenceClassifierOutput, ...

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        **kwargs,
    ):
        outputs = self.model(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states,
        )
        logits = self.head_logits(outputs.last_hidden_state)
        loss = self.head_loss(logits, labels, **kwargs) if labels is not None else None
        return self.output_class(loss=loss, logits=logits, hidden_states=outputs.hidden_states,
                                 attentions=outputs.attentions)


class MinformerEncoderForMaskedLM(MinformerEncoderWithHead):
    """The encoder with BERT's masked-language-model head; `labels` (-100 = ignore) give the MLM loss."""

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

    def head_logits(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.lm_head(hidden_states)  # (B, T, V)

    def head_loss(self, logits: torch.Tensor, labels: torch.Tensor, **kwargs) -> torch.Tensor:
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

    def head_logits(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.classifier(hidden_states)  # (B, L)

    def head_loss(self, logits: torch.Tensor, labels: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.loss_function(labels=labels, pooled_logits=logits, config=self.config)


class MinformerEncoderForTokenClassification(MinformerEncoderWithHead):
    """The encoder with a linear classifier on every token; `labels` (B, T), -100 = ignore."""

    accepts_loss_kwargs = False  # mean loss per batch, as for sequence classification
    output_class = TokenClassifierOutput

    def __init__(self, config: MinformerEncoderConfig):
        super().__init__(config)
        self.model = MinformerEncoderModel(config)
        dropout = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def head_logits(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(hidden_states))  # (B, T, L)

    def head_loss(self, logits: torch.Tensor, labels: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.loss_function(logits=logits, labels=labels, config=self.config)
