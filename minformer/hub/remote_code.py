"""The model code a Hub repo carries for `trust_remote_code=True`, generated from the package's own modules.

`transformers` copies remote code as ONE flat folder of uniquely named files that reach each other only with
`from .module import Name`. minformer is a package with subfolders, so at export time each module the models need
is written as `configuration_minformer_<name>.py` / `modeling_minformer_<name>.py` with its relative imports
rewritten to those names; nothing else changes, so the exported code cannot drift from the package.
"""

import json
import re
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PREFIXES = {"configuration": "configuration_minformer_", "modeling": "modeling_minformer_"}
# the modules that define the model classes; everything they import relatively comes along
ENTRY_MODULES = ("configuration.encoder", "configuration.decoder", "modeling.encoder", "modeling.decoder")
RELATIVE_IMPORT = re.compile(r"^(\s*from\s+)(\.+)([\w.]*)(\s+import\s)", re.MULTILINE)

# Auto class -> (config module, class) for each family
AUTO_MAP = {
    "minformer_encoder": {
        "AutoConfig": "configuration.encoder.MinformerEncoderConfig",
        "AutoModel": "modeling.encoder.MinformerEncoderModel",
        "AutoModelForMaskedLM": "modeling.encoder.MinformerEncoderForMaskedLM",
        "AutoModelForSequenceClassification": "modeling.encoder.MinformerEncoderForSequenceClassification",
        "AutoModelForTokenClassification": "modeling.encoder.MinformerEncoderForTokenClassification",
    },
    "minformer_decoder": {
        "AutoConfig": "configuration.decoder.MinformerDecoderConfig",
        "AutoModel": "modeling.decoder.MinformerDecoderModel",
        "AutoModelForCausalLM": "modeling.decoder.MinformerDecoderForCausalLM",
        "AutoModelForSequenceClassification": "modeling.decoder.MinformerDecoderForSequenceClassification",
    },
}


def flat_name(module: str) -> str:
    """'modeling.attention' -> 'modeling_minformer_attention'."""
    package, name = module.split(".")
    return PREFIXES[package] + name


def _resolve(current: str, dots: str, target: str) -> str:
    """The package-relative module that `from <dots><target> import` in module `current` refers to."""
    base = current.split(".")[: -len(dots)]
    return ".".join(base + ([target] if target else []))


def rewrite(module: str) -> tuple[str, list[str]]:
    """The source of `module` with relative imports pointing at flat names, and the modules it imports."""
    source = (PACKAGE_ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
    imported = []

    def replace(match: re.Match) -> str:
        target = _resolve(module, match.group(2), match.group(3))
        if target.count(".") != 1 or target.split(".")[0] not in PREFIXES:
            raise ValueError(f"{module} imports {target!r}, which the flat remote-code layout cannot express")
        imported.append(target)
        return f"{match.group(1)}.{flat_name(target)}{match.group(4)}"

    return RELATIVE_IMPORT.sub(replace, source), imported


def remote_code_files() -> dict[str, str]:
    """Flat file name -> source, for every module the models need (imports followed transitively)."""
    files, pending = {}, list(ENTRY_MODULES)
    while pending:
        module = pending.pop()
        name = flat_name(module) + ".py"
        if name in files:
            continue
        files[name], imported = rewrite(module)
        pending += imported
    return files


def write_remote_code(folder: Path) -> list[str]:
    """Write the code files into `folder` and point its config.json's `auto_map` at them (other entries kept);
    returns the file names."""
    folder = Path(folder)
    files = remote_code_files()
    for name, source in files.items():
        (folder / name).write_text(source, encoding="utf-8")
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    model_type = config.get("model_type")
    if model_type not in AUTO_MAP:
        raise ValueError(f"{folder} holds a {model_type!r} model; only minformer encoders and decoders carry "
                         "remote code.")
    ours = {auto: f"{flat_name(path.rsplit('.', 1)[0])}.{path.rsplit('.', 1)[1]}"
            for auto, path in AUTO_MAP[model_type].items()}
    config["auto_map"] = config.get("auto_map", {}) | ours
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return sorted(files)
