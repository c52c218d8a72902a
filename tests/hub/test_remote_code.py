"""The exported remote code is the package's own code with only its relative imports rewritten."""

import ast
import json

import pytest

import minformer
from minformer.hub.remote_code import PACKAGE_ROOT, flat_name, remote_code_files, write_remote_code
from tests.conftest import decoder_config


def test_exported_files_are_the_package_modules_with_flat_imports():
    files = remote_code_files()
    assert "modeling_minformer_decoder.py" in files and "configuration_minformer_common.py" in files
    for name, source in files.items():
        package, module = name.removesuffix(".py").split("_minformer_")
        original = (PACKAGE_ROOT / package / f"{module}.py").read_text()
        changed = [(a, b) for a, b in zip(original.splitlines(), source.splitlines()) if a != b]
        assert len(original.splitlines()) == len(source.splitlines())
        assert all(a.lstrip().startswith("from .") and b.lstrip().startswith("from .") for a, b in changed), name
        for node in ast.walk(ast.parse(source)):  # every relative import names an exported flat module
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1 and f"{node.module}.py" in files, (name, node.module)
            if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and not node.level):
                top = (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name).split(".")[0]
                # the standard library, torch, transformers and what transformers requires (packaging): no minformer,
                # no xformers
                assert top in {"torch", "transformers", "packaging", "collections", "dataclasses", "typing", "math",
                               "functools", "importlib", "logging", "os", "__future__"}, (name, top)


def test_config_auto_map_points_at_the_exported_classes(tmp_path):
    minformer.MinformerDecoderForCausalLM(decoder_config()).save_pretrained(tmp_path)
    write_remote_code(tmp_path)
    auto_map = json.loads((tmp_path / "config.json").read_text())["auto_map"]
    assert auto_map["AutoModelForCausalLM"] == "modeling_minformer_decoder.MinformerDecoderForCausalLM"
    assert auto_map["AutoConfig"] == "configuration_minformer_decoder.MinformerDecoderConfig"
    assert flat_name("modeling.attention") == "modeling_minformer_attention"


def test_non_minformer_folders_are_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(ValueError, match="only minformer encoders and decoders carry remote code"):
        write_remote_code(tmp_path)
