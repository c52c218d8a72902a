"""What both model families share as `transformers.PreTrainedModel`s: flags, weight initialisation, backend checks."""

import math

import torch
from transformers import PreTrainedModel
from transformers import initialization as init

from .backends import check_attention_backend


class MinformerPreTrainedModel(PreTrainedModel):
    """Base of every minformer model; subclasses set `config_class` to the encoder or decoder config."""

    base_model_prefix = "model"
    supports_gradient_checkpointing = True
    _no_split_modules = ["Block"]
    _supports_sdpa = True
    _supports_attention_backend = True

    @torch.no_grad()
    def _init_weights(self, module: torch.nn.Module) -> None:
        """Normal(0, initializer_range) everywhere (transformers' default), except the projections that write into
        the residual stream (`o_proj`, `down_proj`, marked `is_residual_projection`): std / sqrt(2·N), so the
        stream's variance does not grow with depth (GPT-2, Radford et al. 2019, §2.3). The mark sits on the Linear
        itself because transformers never calls this hook on custom-code modules without parameters of their own."""
        super()._init_weights(module)
        if isinstance(module, torch.nn.Linear) and getattr(module, "is_residual_projection", False):
            std = self.config.initializer_range / math.sqrt(2 * self.config.num_hidden_layers)
            init.normal_(module.weight, mean=0.0, std=std)

    def get_correct_attn_implementation(self, requested_attention: str | None, is_init_check: bool = False) -> str:
        check_attention_backend(requested_attention)
        return super().get_correct_attn_implementation(requested_attention, is_init_check)

    def get_input_embeddings(self) -> torch.nn.Embedding:
        return self.base_model.embeddings.embed_tokens

    def set_input_embeddings(self, value: torch.nn.Embedding) -> None:
        self.base_model.embeddings.embed_tokens = value

    def _output_flags(self, output_attentions: bool | None, output_hidden_states: bool | None) -> tuple[bool, bool]:
        """Fill unset output flags from the config; attention maps exist only when the eager backend computes them."""
        if output_attentions is None:
            output_attentions = self.config.output_attentions
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        if output_attentions and self.config._attn_implementation != "eager":
            raise ValueError(
                f"output_attentions=True needs the attention maps, which the {self.config._attn_implementation!r} "
                "backend does not materialise; load the model with attn_implementation='eager' or call "
                "model.set_attn_implementation('eager') first."
            )
        return bool(output_attentions), bool(output_hidden_states)

    @property
    def attention_backend(self) -> str:
        """The attention backend this model runs (`eager`, `sdpa`, ...)."""
        return self.config._attn_implementation

