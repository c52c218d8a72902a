"""transformers' own common model tests (`ModelTesterMixin`, tests/test_modeling_common.py), as the transformers
release installed here ships them in its source distribution on PyPI (the wheel has no tests).

The file is fetched once per transformers version into ~/.cache/minformer-tests/ (or MINFORMER_TRANSFORMERS_TESTS) and
imported unchanged. The sdist lacks two modules it imports, the generation and the export mixins
(tests/generation/test_utils.py, tests/exporters/test_export.py): they stand in as empty classes, so those two mixins'
tests do not run here (minformer's own tests cover generate, compile and ONNX export).
"""

import importlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import transformers

from minformer.hub.remote_code import AUTO_MAP

PACKAGE = "transformers_common_tests"
# the Auto class of each head -> the table of class names by which the common tests recognise a head (built-in models
# only); the test module gets copies of these tables with minformer's classes added (transformers' own stay as they are)
NAME_TABLES = {"AutoModel": "MODEL_MAPPING_NAMES", "AutoModelForCausalLM": "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
               "AutoModelForMaskedLM": "MODEL_FOR_MASKED_LM_MAPPING_NAMES",
               "AutoModelForSequenceClassification": "MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",
               "AutoModelForTokenClassification": "MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES"}
STAND_INS = {"generation/test_utils.py": "class GenerationTesterMixin:\n    pass\n",
             "exporters/test_export.py": "class ExportTesterMixin:\n    pass\n"}


def tests_folder() -> Path:
    root = os.environ.get("MINFORMER_TRANSFORMERS_TESTS", Path.home() / ".cache" / "minformer-tests")
    return Path(root) / f"transformers-{transformers.__version__}-tests"


def fetch(folder: Path) -> None:
    """Download the sdist and keep tests/test_modeling_common.py, as the package PACKAGE (raises OSError offline)."""
    with tempfile.TemporaryDirectory() as download:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                               "--no-build-isolation", f"transformers=={transformers.__version__}", "-d", download],
                              capture_output=True, text=True, timeout=600)
        archives = list(Path(download).glob("transformers-*.tar.gz"))
        if done.returncode != 0 or not archives:
            raise OSError(f"pip could not download the transformers {transformers.__version__} sdist: "
                          f"{done.stderr.strip()[-300:]}")
        with tarfile.open(archives[0]) as archive:
            member = archive.getmember(f"transformers-{transformers.__version__}/tests/test_modeling_common.py")
            source = archive.extractfile(member).read().decode("utf-8")
    staging = folder.with_name(folder.name + ".partial")
    package = staging / PACKAGE
    for name, text in {"__init__.py": "", "test_modeling_common.py": source, **STAND_INS}.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    for sub in {Path(name).parent for name in STAND_INS}:
        (package / sub / "__init__.py").write_text("", encoding="utf-8")
    if not folder.exists():  # another process may have fetched it meanwhile
        staging.replace(folder)


def common_test_module():
    """transformers' tests/test_modeling_common.py as a module (fetched on first use)."""
    folder = tests_folder()
    if not (folder / PACKAGE / "test_modeling_common.py").is_file():
        fetch(folder)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    module = importlib.import_module(f"{PACKAGE}.test_modeling_common")
    for model_type, heads in AUTO_MAP.items():
        for auto, path in heads.items():
            if auto in NAME_TABLES:
                table = NAME_TABLES[auto]
                setattr(module, table, {**getattr(module, table), model_type: path.rsplit(".", 1)[1]})
    return module
