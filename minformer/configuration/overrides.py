"""`--config-overrides "hidden_act=gelu,qk_norm=false"`: architecture fields given on the command line, as
transformers' own training scripts take them (`run_clm.py --config_overrides`), parsed into typed values and checked
against the family's fields, so a misspelt field fails instead of becoming an attribute nobody reads."""

import json

from .common import MinformerConfig
from .decoder import MinformerDecoderConfig
from .encoder import MinformerEncoderConfig

# fields the command sets itself (the tokenizer's, the sequence length, the family) or has its own flag for
SET_ELSEWHERE = {"vocab_size": "--tokenizer / --vocab-size", "max_position_embeddings": "--sequence-length",
                 "pad_token_id": "the tokenizer", "bos_token_id": "the tokenizer", "eos_token_id": "the tokenizer",
                 "is_decoder": "--family", "hidden_size": "--hidden-size", "num_hidden_layers": "--num-hidden-layers",
                 "num_attention_heads": "--num-attention-heads", "intermediate_size": "--intermediate-size",
                 "sparse_prediction": "--sparse-prediction / --no-sparse-prediction"}


def architecture_fields(family: str) -> list[str]:
    """The minformer fields of `family`'s config (not transformers' generic ones) a user may override."""
    config_class = MinformerDecoderConfig if family == "decoder" else MinformerEncoderConfig
    names = {name for cls in (MinformerConfig, config_class) for name in vars(cls).get("__annotations__", {})}
    return sorted(names - set(SET_ELSEWHERE))


def parse_value(text: str) -> object:
    """true/false, numbers and null/none as JSON reads them; anything else is a string (e.g. gelu)."""
    if text.strip().lower() == "none":
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.strip()


def parse_config_overrides(text: str | None, family: str) -> dict:
    """{field: value} of "field=value,field=value"; a ValueError naming the entry and the fix for a bad one."""
    overrides = {}
    allowed = architecture_fields(family)
    for entry in filter(None, (part.strip() for part in (text or "").split(","))):
        name, sep, value = entry.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--config-overrides: {entry!r} is not field=value; write e.g. "
                             "--config-overrides \"hidden_act=gelu,qk_norm=false\".")
        if name in SET_ELSEWHERE:
            raise ValueError(f"--config-overrides: {name} is set by {SET_ELSEWHERE[name]}, not here.")
        if name not in allowed:
            raise ValueError(f"--config-overrides: the {family} config has no field {name!r}; its fields are "
                             f"{', '.join(allowed)}.")
        overrides[name] = parse_value(value)
    return overrides
