"""The encoder–decoder transformer of "Attention Is All You Need": a minformer encoder and a minformer decoder with
cross-attention, joined by `transformers.EncoderDecoderModel` (which adds a projection when their widths differ).

The decoder starts from `<s>` (decoder_start_token_id), stops at `</s>` and pads with `<pad>`; these are set on the
config and on the generation config (generate() reads only the latter)."""

from transformers import EncoderDecoderConfig, EncoderDecoderModel, PreTrainedTokenizerBase

from ..configuration import MinformerDecoderConfig, MinformerEncoderConfig
from ..tokenization import special_ids


def _special_ids(tokenizer: PreTrainedTokenizerBase) -> dict[str, int]:
    special = special_ids(tokenizer)
    ids = {"decoder_start_token_id": special["bos_token_id"], "eos_token_id": special["eos_token_id"],
           "pad_token_id": special["pad_token_id"]}
    missing = [name for name, value in ids.items() if value is None]
    if missing:
        raise ValueError(f"the tokenizer has no token for {', '.join(missing)}: a sequence-to-sequence model needs "
                         "<s> (decoder start), </s> (end) and <pad>; use a minformer tokenizer (train-tokenizer).")
    return ids


def configure_for_generation(model: EncoderDecoderModel, tokenizer: PreTrainedTokenizerBase) -> EncoderDecoderModel:
    """Set the decoder start, end and padding ids from `tokenizer` where training and generate() read them."""
    ids = _special_ids(tokenizer)
    for key, value in ids.items():
        setattr(model.config, key, value)
        setattr(model.generation_config, key, value)
    model.generation_config.bos_token_id = ids["decoder_start_token_id"]
    return model


def seq2seq_from_configs(encoder_config: MinformerEncoderConfig, decoder_config: MinformerDecoderConfig,
                         tokenizer: PreTrainedTokenizerBase) -> EncoderDecoderModel:
    """A new encoder–decoder model; the decoder gets cross-attention (is_decoder and add_cross_attention)."""
    if not isinstance(encoder_config, MinformerEncoderConfig) or not isinstance(decoder_config, MinformerDecoderConfig):
        raise TypeError("seq2seq_from_configs needs a MinformerEncoderConfig and a MinformerDecoderConfig.")
    config = EncoderDecoderConfig.from_encoder_decoder_configs(encoder_config, decoder_config)
    return configure_for_generation(EncoderDecoderModel(config=config), tokenizer)


def seq2seq_from_pretrained(encoder_path: str, decoder_path: str, tokenizer: PreTrainedTokenizerBase,
                            **kwargs) -> EncoderDecoderModel:
    """Warm-start from a pretrained minformer encoder and decoder; the new cross-attention layers start random."""
    model = EncoderDecoderModel.from_encoder_decoder_pretrained(encoder_path, decoder_path, **kwargs)
    return configure_for_generation(model, tokenizer)
