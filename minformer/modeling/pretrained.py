"""What both model families share as `transformers.PreTrainedModel`s: flags, weight initialisation, backend checks,
and the outputs transformers' output capturing records (`_can_record_outputs`, as Llama and BERT in 5.x).

`output_hidden_states=True` returns the embeddings' output, then each block's output with the last one replaced by
the final-normed `last_hidden_state` (what transformers' models return); `output_attentions=True` returns each
self-attention's weights, and the decoder adds `cross_attentions`.
"""

import math
import os
from collections.abc import Callable
from typing import ClassVar

import torch
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.utils import logging
from transformers.utils.output_capturing import OutputRecorder

from .attention import MultiHeadAttention
from .attention_backends import check_attention_backend
from .block import Block

logger = logging.get_logger(__name__)

RECORD_SELF_ATTENTIONS = OutputRecorder(MultiHeadAttention, index=1, layer_name="self_attn")  # (output, weights)
RECORD_CROSS_ATTENTIONS = OutputRecorder(MultiHeadAttention, index=1, layer_name="cross_attn")


class MinformerPreTrainedModel(PreTrainedModel):
    """Base of every minformer model; subclasses set `config_class` to the encoder or decoder config."""

    base_model_prefix = "model"
    supports_gradient_checkpointing = True
    _no_split_modules = ["Block"]
    _supports_sdpa = True
    _supports_flex_attn = True  # torch flex_attention through transformers; parity tested against eager
    _supports_attention_backend = True
    _can_compile_fullgraph = True  # no value-dependent branch when tracing (see positions.py, attention_chunked.py)
    _can_record_outputs = {"hidden_states": Block, "attentions": RECORD_SELF_ATTENTIONS}
    # Writes the model code and `auto_map` into a saved folder, so the folder loads with trust_remote_code=True where
    # minformer is not installed. `minformer.registration` sets it to the package's remote-code exporter; the copy of
    # this class loaded as remote code keeps None, and transformers copies its files itself (it registers remote
    # classes with their Auto class).
    code_writer: ClassVar[Callable[[str | os.PathLike], object] | None] = None

    def save_pretrained(self, save_directory: str | os.PathLike, is_main_process: bool = True, *args, **kwargs) -> None:
        """transformers' save_pretrained (every argument passed through, positional ones too), plus the model code
        (see `code_writer`) on the rank that saves."""
        if not self.should_save_on_this_rank(is_main_process):
            # transformers before 5.24 creates the Hub repo and uploads from every process asked to push
            if len(args) > 1:  # (state_dict, push_to_hub, ...)
                args = (args[0], False, *args[2:])
            else:
                kwargs["push_to_hub"] = False
        super().save_pretrained(save_directory, is_main_process, *args, **kwargs)
        if self.should_save_on_this_rank(is_main_process):
            self._write_code(save_directory)

    def _upload_modified_files(self, working_dir: str | os.PathLike, *args, **kwargs):
        """transformers' upload after `save_pretrained(push_to_hub=True)` and `push_to_hub()` (on the saving rank,
        of the files the save touched): the code is written first, so it goes up with the weights."""
        self._write_code(working_dir)
        return super()._upload_modified_files(working_dir, *args, **kwargs)

    def _write_code(self, folder: str | os.PathLike) -> None:
        """The model code and `auto_map`, into a folder that holds a saved config (an adapter-only save of a
        peft-wrapped model writes none, and carries no code)."""
        if (type(self).code_writer is not None and not getattr(self, "_hf_peft_config_loaded", False)
                and os.path.isfile(os.path.join(folder, "config.json"))):
            type(self).code_writer(folder)

    @torch.no_grad()
    def _init_weights(self, module: torch.nn.Module) -> None:
        """Normal(0, initializer_range) everywhere (transformers' default), except the projections that write into
        the residual stream (`o_proj`, `down_proj`, marked `is_residual_projection`): std / sqrt(2·N), so the
        stream's variance does not grow with depth (GPT-2, Radford et al. 2019, §2.3), or zero with
        `zero_init_residual` (each block starts as the identity, as in the NanoGPT speedrun). The mark sits on the
        Linear itself because transformers never calls this hook on custom-code modules without parameters of their
        own."""
        super()._init_weights(module)
        if isinstance(module, torch.nn.Linear) and getattr(module, "is_residual_projection", False):
            if self.config.zero_init_residual:
                init.zeros_(module.weight)
            else:
                std = self.config.initializer_range / math.sqrt(2 * self.config.num_hidden_layers)
                init.normal_(module.weight, mean=0.0, std=std)

    def get_correct_attn_implementation(self, requested_attention: str | None, is_init_check: bool = False) -> str:
        check_attention_backend(requested_attention)
        return super().get_correct_attn_implementation(requested_attention, is_init_check)

    def get_input_embeddings(self) -> torch.nn.Embedding:
        return self.base_model.embeddings.embed_tokens

    def set_input_embeddings(self, value: torch.nn.Embedding) -> None:
        self.base_model.embeddings.embed_tokens = value

    def check_output_attentions(self, output_attentions: bool | None) -> None:
        """`output_attentions=True` (or `config.output_attentions`) under a backend that materialises no attention
        maps: warn once and return no maps, as transformers' own models do under sdpa."""
        if output_attentions is None:
            output_attentions = self.config.output_attentions
        if output_attentions and self.config._attn_implementation != "eager":
            logger.warning_once(
                f"`{self.config._attn_implementation}` attention does not support `output_attentions=True`. Please "
                "set your attention to `eager` if you want any of these features (attn_implementation='eager' or "
                "model.set_attn_implementation('eager'))."
            )

    @property
    def attention_backend(self) -> str:
        """The attention backend this model runs (`eager`, `sdpa`, ...)."""
        return self.config._attn_implementation
