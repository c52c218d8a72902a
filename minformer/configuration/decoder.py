"""Config of the causal (GPT-like) decoder, optionally with cross-attention to an encoder."""

from .common import MinformerConfig


class MinformerDecoderConfig(MinformerConfig):
    """Configuration of `MinformerDecoderModel` and `MinformerDecoderForCausalLM`."""

    model_type = "minformer_decoder"
    keys_to_ignore_at_inference = ["cache"]

    is_decoder: bool = True  # causal self-attention; must stay True
    add_cross_attention: bool = False  # add a cross-attention sublayer to every block (seq2seq decoder)
    use_cache: bool = True  # return the key/value cache from forward, used by generate()

    def check(self) -> None:
        super().check()
        if not self.is_decoder:
            raise ValueError(
                "MinformerDecoderConfig: is_decoder=False is not a decoder; use MinformerEncoderConfig for a "
                "bidirectional model."
            )
