"""The causal decoder (GPT-like), optionally cross-attending to an encoder, and its task models: causal LM and
sequence classification.

Notation: B batch, T new tokens, P tokens already in the cache, S encoder length, C hidden size, V vocabulary size,
L number of labels.
Data flow: ids -> `Embeddings` (positions P..P+T-1) -> causal mask (+ padding) -> `BlockStack` (keys/values appended
to the cache) -> head (heads.py).
"""

import torch
from torch import nn
from transformers import GenerationMixin
from transformers.cache_utils import Cache, DynamicCache, EncoderDecoderCache
from transformers.masking_utils import create_bidirectional_mask, create_causal_mask
from transformers.modeling_outputs import (
    BaseModelOutputWithPastAndCrossAttentions,
    CausalLMOutputWithCrossAttentions,
    SequenceClassifierOutputWithPast,
)
from transformers.processing_utils import Unpack
from transformers.utils import TransformersKwargs, can_return_tuple
from transformers.utils.output_capturing import capture_outputs

from ..configuration.decoder import MinformerDecoderConfig
from .cache_name import CACHE, accepts_past_key_values, cache_field, cache_of
from .embeddings import Embeddings
from .heads import CausalLMHead, LastTokenClassificationHead
from .preallocated_cache import PreallocatedCache
from .pretrained import RECORD_CROSS_ATTENTIONS, MinformerPreTrainedModel
from .stack import BlockStack


class MinformerDecoderPreTrainedModel(MinformerPreTrainedModel):
    config_class = MinformerDecoderConfig
    _skip_keys_device_placement = ["cache", "past_key_values"]
    _can_record_outputs = {**MinformerPreTrainedModel._can_record_outputs, "cross_attentions": RECORD_CROSS_ATTENTIONS}


class MinformerDecoderModel(MinformerDecoderPreTrainedModel):
    """Token ids -> contextual vectors (B, T, C); each token attends to itself and earlier tokens only."""

    def __init__(self, config: MinformerDecoderConfig):
        super().__init__(config)
        self.embeddings = Embeddings(config)
        self.stack = BlockStack(config)
        self.post_init()

    def _new_cache(self, with_cross_attention: bool) -> Cache:
        if with_cross_attention:
            return EncoderDecoderCache(PreallocatedCache(config=self.config), DynamicCache(config=self.config))
        return PreallocatedCache(config=self.config)

    @accepts_past_key_values  # the name before 5.24 (peft, older libraries)
    @capture_outputs
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        use_cache: bool | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> BaseModelOutputWithPastAndCrossAttentions:
        self.check_output_attentions(kwargs.get("output_attentions"))
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of input_ids or inputs_embeds.")
        if encoder_hidden_states is not None and not self.config.add_cross_attention:
            raise ValueError(
                "encoder_hidden_states were given, but this decoder has no cross-attention; build it with "
                "MinformerDecoderConfig(add_cross_attention=True) (EncoderDecoderModel does this for you)."
            )
        if use_cache is None:  # a new cache is for decoding: off while training unless asked for
            use_cache = self.config.use_cache and not self.training
        if use_cache and cache is None:
            cache = self._new_cache(encoder_hidden_states is not None)
        # a cache the caller gives is always attended to, as in transformers' models: peft's prefix tuning trains
        # through one, its keys and values the learned prefix
        if (cache is not None and self.training and torch.is_grad_enabled()
                and any(block.gradient_checkpointing for block in self.stack.layers) and cache.get_seq_length() > 0):
            # transformers' checkpointed layers drop the cache (a replay would write it twice): its keys would be
            # missing while the mask still covers them
            raise ValueError(
                "A cache (peft's prefix tuning, or past keys and values) cannot be trained through with gradient "
                "checkpointing on: the checkpointed blocks drop it. Turn gradient checkpointing off "
                "(model.gradient_checkpointing_disable(), or TrainingArguments(gradient_checkpointing=False))."
            )

        seq_length = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        if position_ids is None:
            past_length = cache.get_seq_length() if cache is not None else 0  # P
            position_ids = torch.arange(past_length, past_length + seq_length, device=self.device)[None]  # (1, T)
        hidden_states, rotary_angles = self.embeddings(position_ids, input_ids, inputs_embeds)

        mask = create_causal_mask(
            config=self.config, inputs_embeds=hidden_states, attention_mask=attention_mask,
            position_ids=position_ids, **cache_field(cache),
        )  # (B, 1, T, P+T) or None when causality alone suffices
        if encoder_hidden_states is not None:
            encoder_attention_mask = create_bidirectional_mask(
                config=self.config, inputs_embeds=hidden_states, attention_mask=encoder_attention_mask,
                encoder_hidden_states=encoder_hidden_states,
            )  # (B, 1, T, S) or None
        hidden_states = self.stack(
            hidden_states,
            mask,
            rotary_angles,
            cache=cache,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            **kwargs,
        )  # (B, T, C)
        return BaseModelOutputWithPastAndCrossAttentions(last_hidden_state=hidden_states, **cache_field(cache))


class MinformerDecoderForCausalLM(MinformerDecoderPreTrainedModel, GenerationMixin):
    """The decoder with a language-model head tied to the token embeddings; `labels=input_ids` give the
    next-token loss (shifted inside `loss_function`), and `generate()` decodes with the key/value cache."""

    _tied_weights_keys = {"lm_head.weight": "model.embeddings.embed_tokens.weight"}

    def __init__(self, config: MinformerDecoderConfig):
        super().__init__(config)
        self.model = MinformerDecoderModel(config)
        self.lm_head = CausalLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.lm_head = new_embeddings

    def _prepare_cache_for_generation(self, generation_config, model_kwargs: dict, *args, **kwargs):
        """generate() makes a `DynamicCache` when neither the caller nor `cache_implementation` chose one: decode
        with the `PreallocatedCache` instead, the same keys and values without a copy of the cache per step."""
        chosen = model_kwargs.get(CACHE)
        result = super()._prepare_cache_for_generation(generation_config, model_kwargs, *args, **kwargs)
        if chosen is None and type(model_kwargs.get(CACHE)) is DynamicCache:
            model_kwargs[CACHE] = PreallocatedCache(config=self.config)
        return result

    @accepts_past_key_values
    @can_return_tuple
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        **kwargs: Unpack[TransformersKwargs],
    ) -> CausalLMOutputWithCrossAttentions:
        outputs = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            cache=cache,
            inputs_embeds=inputs_embeds,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            use_cache=use_cache,
            **kwargs,
        )
        # generate() needs only the last position's logits (an int: the last n; a tensor: those positions, as
        # transformers' continuous batching passes them; 0: all)
        keep = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        logits = self.lm_head(outputs.last_hidden_state[:, keep, :])
        loss = None
        if labels is not None:
            # kwargs may carry the Trainer's num_items_in_batch, which makes gradient accumulation exact
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.vocab_size, **kwargs)
        return CausalLMOutputWithCrossAttentions(
            loss=loss,
            logits=logits,
            **cache_field(cache_of(outputs)),
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            cross_attentions=outputs.cross_attentions,
        )


class MinformerDecoderForSequenceClassification(MinformerDecoderPreTrainedModel):
    """The decoder with a linear classifier on the last non-padding token (`LastTokenClassificationHead`)."""

    accepts_loss_kwargs = False  # mean loss per batch: let the Trainer divide by accumulation steps

    def __init__(self, config: MinformerDecoderConfig):
        super().__init__(config)
        self.model = MinformerDecoderModel(config)
        self.score = LastTokenClassificationHead(config)
        self.post_init()

    @accepts_past_key_values
    @can_return_tuple
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SequenceClassifierOutputWithPast:
        """Classifies each text. A `cache` given is continued from and returned (as GPT-2's and Llama's classifiers
        do); none is made unless `use_cache=True`, since classifying needs no decoding state."""
        outputs = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                             cache=cache, inputs_embeds=inputs_embeds, use_cache=bool(use_cache), **kwargs)
        logits = self.score(outputs.last_hidden_state, attention_mask)  # (B, L)
        loss = None
        if labels is not None:
            loss = self.loss_function(labels=labels, pooled_logits=logits, config=self.config)
        return SequenceClassifierOutputWithPast(loss=loss, logits=logits, **cache_field(cache_of(outputs)),
                                                hidden_states=outputs.hidden_states, attentions=outputs.attentions)
