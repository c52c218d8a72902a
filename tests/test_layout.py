"""The package's layout, read from its source: dependencies run one way, core (configuration, modeling,
tokenization, convert) <- workflows (data, training, metrics, scaling, lens, hub, ...) <- cli, and files stay small.

Every import counts, relative ones resolved and those inside functions included (a lazy import is still a
dependency). A failure lists each offending import as `file:line imports module`."""

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import minformer

PACKAGE = "minformer"
ROOT = Path(minformer.__file__).resolve().parent
MAX_LINES = 250

CORE = {"configuration", "modeling", "tokenization", "convert"}
WORKFLOWS = {"data", "training", "metrics", "scaling", "lens", "hub", "demo", "generation", "text2text_pipeline"}


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository, e.g. minformer/cli/main.py
    line: int
    source: str  # the importing module's part of minformer: "cli", "modeling", ... ("" for minformer/__init__.py)
    target: str  # the imported minformer module, dotted

    @property
    def target_part(self) -> str:
        """The top-level part of minformer the import reaches: "data" for minformer.data.options."""
        return self.target.split(".")[1] if "." in self.target else ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    """minformer/data/options.py -> minformer.data.options; minformer/data/__init__.py -> minformer.data."""
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imported_modules(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """The minformer modules one import statement reads (`from X import a` reads X.a when that is a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE]
    if node.level:
        base = importer.split(".")
        base = base if is_package else base[:-1]  # the package the relative import starts from
        base = base[:len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if module.split(".")[0] != PACKAGE:
        return []
    submodules = [f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in MODULES]
    return submodules or [module]


def imports_of(name: str, path: Path) -> list[Import]:
    file = str(path.relative_to(ROOT.parent))
    source = name.split(".")[1] if "." in name else ""
    tree = ast.parse(path.read_text(), filename=file)
    return [Import(file, node.lineno, source, target)
            for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
            for target in imported_modules(node, name, path.name == "__init__.py")]


IMPORTS = [found for name, path in MODULES.items() for found in imports_of(name, path)]


@dataclass(frozen=True)
class Rule:
    importers: Callable[[str], bool]  # of the importing part
    forbidden: Callable[[str], bool]  # of the imported part


RULES = {
    "core packages never import workflows or the cli": Rule(
        lambda source: source in CORE, lambda target: target in WORKFLOWS | {"cli"}),
    "nothing outside cli imports cli": Rule(
        lambda source: source != "cli", lambda target: target == "cli"),
    "modeling imports only configuration and modeling": Rule(
        lambda source: source == "modeling", lambda target: target not in {"configuration", "modeling"}),
    "configuration imports only configuration": Rule(
        lambda source: source == "configuration", lambda target: target != "configuration"),
    "data and metrics never import training, scaling, lens or hub": Rule(
        lambda source: source in {"data", "metrics"}, lambda target: target in {"training", "scaling", "lens", "hub"}),
    "lens and hub never import training": Rule(
        lambda source: source in {"lens", "hub"}, lambda target: target == "training"),
}


def test_the_reader_finds_relative_lazy_and_absolute_imports():
    found = {(i.file, i.target) for i in IMPORTS}
    assert ("minformer/cli/main.py", "minformer.cli.backends") in found  # from .backends import ...
    assert ("minformer/cli/main.py", "minformer") in found  # from .. import __version__
    assert ("minformer/cli/evaluate.py", "minformer.training.evaluation") in found  # inside run_evaluate
    assert ("minformer/hub/push.py", "minformer.hub.card") in found  # from .card import render_card, in stage()


@pytest.mark.parametrize("rule", RULES)
def test_imports_run_one_way(rule):
    check = RULES[rule]
    offending = [str(i) for i in IMPORTS if check.importers(i.source) and check.forbidden(i.target_part)]
    assert not offending, f"{rule}:\n" + "\n".join(offending)


def test_no_module_is_over_250_lines():
    lengths = {str(path.relative_to(ROOT.parent)): len(path.read_text().splitlines()) for path in MODULES.values()}
    too_long = [f"{file}: {lines} lines" for file, lines in lengths.items() if lines > MAX_LINES]
    assert not too_long, f"modules over {MAX_LINES} lines (split them by concept):\n" + "\n".join(too_long)
