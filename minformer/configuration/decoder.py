"""Config of the causal (GPT-like) decoder, optionally with cross-attention to an encoder (`add_cross_attention`)."""

from transformers.configuration_utils import strict

from .common import MinformerConfig


@strict
class MinformerDecoderConfig(MinformerConfig):
    """Configuration of `MinformerDecoderModel` and `MinformerDecoderForCausalLM`."""

    model_type = "minformer_decoder"
    keys_to_ignore_at_inference = ["cache", "past_key_values"]  # the name from transformers 5.24 on, and before

    is_decoder: bool = True  # causal self-attention; must stay True
    use_cache: bool = True  # return the key/value cache from forward, used by generate()

    def validate_architecture(self) -> None:
        super().validate_architecture()
        if not self.is_decoder:
            raise ValueError(
                "MinformerDecoderConfig: is_decoder=False is not a decoder; use MinformerEncoderConfig for a "
                "bidirectional model."
            )
