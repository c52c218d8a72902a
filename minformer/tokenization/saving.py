"""Saving a tokenizer folder atomically, readable by `transformers` 5.x and 4.x."""

import json
from pathlib import Path

from transformers import PreTrainedTokenizerFast

from ..atomic import atomic_directory

# transformers 5 writes its own class name, which 4.x cannot import; 4.x knows this one, and 5.x maps it back
PORTABLE_TOKENIZER_CLASS = "PreTrainedTokenizerFast"


def write_tokenizer(tokenizer: PreTrainedTokenizerFast, folder: Path) -> None:
    """Write tokenizer.json + tokenizer_config.json (with the portable class name) into an existing folder."""
    tokenizer.save_pretrained(folder)
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_class"] = PORTABLE_TOKENIZER_CLASS
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")


def save_tokenizer(tokenizer: PreTrainedTokenizerFast, output_dir: str | Path, overwrite: bool = False) -> Path:
    """Write the tokenizer into `output_dir` all at once (see `atomic_directory`)."""
    with atomic_directory(output_dir, overwrite=overwrite) as staging:
        write_tokenizer(tokenizer, staging)
    return Path(output_dir)
