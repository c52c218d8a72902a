"""The text a lens looks at: one string -> token ids (checked against the model's positions) and printable token
labels for tables and plot axes."""

import torch
from transformers import PreTrainedConfig, PreTrainedTokenizerBase

VISIBLE_SPACE = "␣"  # a leading space would be invisible in a table cell or on a plot axis
VISIBLE_NEWLINE = "↵"


def encode_text(tokenizer: PreTrainedTokenizerBase, text: str, config: PreTrainedConfig) -> torch.Tensor:
    """Token ids (1, T) of `text` with the tokenizer's special tokens; a ValueError if the text is empty or longer
    than the model's `max_position_embeddings`."""
    if not text.strip():
        raise ValueError('the text is empty; give the words to look at, e.g. "The cat sat on the".')
    input_ids = tokenizer(text, return_tensors="pt", return_attention_mask=False)["input_ids"]  # (1, T)
    limit = config.max_position_embeddings
    if input_ids.shape[1] > limit:
        raise ValueError(f"the text is {input_ids.shape[1]} tokens long, but this model reads at most {limit} "
                         "(max_position_embeddings); shorten the text.")
    return input_ids


def token_label(tokenizer: PreTrainedTokenizerBase, token_id: int) -> str:
    """One token as readable text: decoded bytes, with a leading space shown as ␣ and newlines as ↵."""
    text = tokenizer.decode([token_id])
    if text.startswith(" "):
        text = VISIBLE_SPACE + text[1:]
    return text.replace("\n", VISIBLE_NEWLINE) or tokenizer.convert_ids_to_tokens(token_id)


def token_labels(tokenizer: PreTrainedTokenizerBase, token_ids: torch.Tensor | list[int]) -> list[str]:
    """`token_label` of each id in a 1-D sequence."""
    return [token_label(tokenizer, int(token_id)) for token_id in token_ids]
