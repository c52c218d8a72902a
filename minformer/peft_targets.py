"""peft's default target modules for minformer's models, so `LoraConfig(task_type="CAUSAL_LM")` works without
`target_modules`, as it does for Llama.

peft looks its defaults up by model type in tables such as `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`.
minformer names its projections as Llama does (`q_proj`, `k_proj`, `v_proj`, `o_proj`, `up_proj`, `gate_proj`,
`down_proj`), so each table whose Llama entry names only those gets the same entry for both minformer families.
"""

import importlib
import importlib.util

from .configuration import MinformerDecoderConfig, MinformerEncoderConfig

PROJECTIONS = {"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "gate_proj", "down_proj"}
MODEL_TYPES = (MinformerEncoderConfig.model_type, MinformerDecoderConfig.model_type)


def register_peft_targets() -> list[str]:
    """Add minformer's model types to peft's default-target tables when peft is installed (idempotent); returns the
    names of the tables it filled (none without peft)."""
    if importlib.util.find_spec("peft") is None:
        return []
    try:
        constants = importlib.import_module("peft.utils.constants")
    except Exception:  # a peft that fails to import beside this transformers (any error): nothing to register with
        return []
    filled = []
    for name in dir(constants):
        table = getattr(constants, name)
        if not (name.startswith("TRANSFORMERS_MODELS_TO_") and isinstance(table, dict)):
            continue
        llama = table.get("llama")
        if isinstance(llama, list) and llama and set(llama) <= PROJECTIONS:
            for model_type in MODEL_TYPES:
                table.setdefault(model_type, list(llama))
            filled.append(name)
    return filled
