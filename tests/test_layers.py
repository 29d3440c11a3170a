"""The one-way import rule between avgan's parts, read from the source with `ast`.

Nothing is imported, so this takes a fraction of a second: every module under avgan/ is
parsed, its imports (top level and inside functions; `import a.b`, `from a import b`
and relative ones) are resolved to module names and checked against LAYERS, and the
private names of other modules (`from m import _x`, `m._x`, `parameter._x`) are
refused. A failure lists every violation, one a line:
`path:line: <module> imports <target> (layer X may import: ...)`.
"""

from __future__ import annotations

import ast
import fnmatch
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Layer(NamedTuple):
    modules: str  # module names or fnmatch patterns, space-separated
    may_import: str  # layers, single modules, "stdlib" or "third-party", space-separated


# Imports run one way, from each layer to those it lists, so each part can be read,
# tested and changed alone: the configuration and the data know nothing of the networks,
# evaluation and export work from a model directory (run_dir) without the trainer, and
# the rating app (humaneval) serves pictures and never loads a model. The demo page runs
# exported SavedModels only: data, synthesis and export, the rating app's guard and
# server, and avgan.cli for its command line; never the trainer, a network or a run
# directory. Only the entry points assemble everything. A module belongs to the FIRST
# layer with a matching pattern, so humaneval's and demo's __main__ stay in their
# packages while the other __main__ and cli modules are entry points.
LAYERS: dict[str, Layer] = {
    "package": Layer("avgan", "stdlib third-party"),  # avgan/__init__.py: nothing from avgan
    "config": Layer("avgan.config", "stdlib"),  # not even numpy: anything may read it
    "humaneval": Layer(
        "avgan.humaneval avgan.humaneval.*", "stdlib third-party humaneval avgan.data.files"
    ),
    "demo": Layer(
        "avgan.demo avgan.demo.*",
        "stdlib third-party config data synthesis export demo avgan.cli avgan.humaneval.guard"
        " avgan.humaneval.server",
    ),
    "entry": Layer(
        "avgan.train avgan.evaluate avgan.generate avgan.export_main avgan.probe *.__main__ *.cli",
        "stdlib third-party package config data synthesis models run_dir training evaluation"
        " export entry",
    ),
    "data": Layer("avgan.data avgan.data.*", "stdlib third-party config data"),
    "synthesis": Layer("avgan.synthesis", "stdlib third-party config data"),
    "models": Layer(
        "avgan.models avgan.models.*", "stdlib third-party config data synthesis models"
    ),
    "run_dir": Layer("avgan.run_dir", "stdlib third-party config data models"),
    "training": Layer(
        "avgan.training avgan.training.*",
        "stdlib third-party config data synthesis models run_dir training evaluation",
    ),
    "evaluation": Layer(
        "avgan.evaluation avgan.evaluation.*",
        "stdlib third-party config data synthesis models run_dir evaluation",
    ),
    "export": Layer(
        "avgan.export avgan.export.*",
        "stdlib third-party config data synthesis models run_dir export",
    ),
}


class Import(NamedTuple):
    line: int
    module: str  # the imported module, resolved: "avgan.data.pipeline", "numpy"
    name: str | None  # the name taken from it (`from m import name`, `m.name`), if any


def layer_of(module: str) -> str | None:
    """The layer `module` belongs to: the first in LAYERS with a matching pattern."""
    for name, layer in LAYERS.items():
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in layer.modules.split()):
            return name
    return None


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(path: Path, root: Path = ROOT) -> str:
    """avgan/data/pipeline.py -> avgan.data.pipeline; avgan/data/__init__.py -> avgan.data."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def known_modules(root: Path = ROOT) -> set[str]:
    return {module_name(path, root) for path in (root / "avgan").rglob("*.py")}


def parse_imports(
    source: str, module: str, is_package: bool = False, known: set[str] | None = None
) -> list[Import]:
    """Every import in `source`, the text of `module`, anywhere in it, plus each
    `name._private` where `name` was bound by an import of avgan (a private name of
    another module reached through an attribute).

    `from package import x` counts as an import of `package.x` when that is one of the
    `known` modules (default: those under ROOT). Relative imports are resolved against
    `module` (a package's own name when `is_package`).
    """
    known = known_modules() if known is None else known
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    bound: dict[str, str] = {}  # local name -> the avgan module or object it stands for
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(node.lineno, alias.name, None))
                if alias.name.partition(".")[0] == "avgan":
                    local = alias.asname or alias.name.partition(".")[0]
                    bound[local] = alias.name if alias.asname else "avgan"
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    found.append(Import(node.lineno, submodule, None))
                else:
                    found.append(Import(node.lineno, base, alias.name))
                if base.partition(".")[0] == "avgan" and alias.name != "*":
                    bound[alias.asname or alias.name] = submodule
    # A second pass: the bindings are known only once every import has been seen (a
    # function may use a name imported further down). Scopes are not told apart.
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            chain = [node.attr]
            value = node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            # Only the first private name of a chain: `m._a._b` is reported once.
            private_inside = any(is_private(attr) for attr in chain[1:])
            if isinstance(value, ast.Name) and value.id in bound and not private_inside:
                dotted = [bound[value.id], *reversed(chain[1:])]
                found.append(Import(node.lineno, ".".join(dotted), node.attr))
    return sorted(found, key=lambda i: (i.line, i.module, i.name or ""))


def private_attributes(source: str) -> list[tuple[int, str]]:
    """Each `name._private` in `source` on a name that is not `self` or `cls`, not one of
    the module's own top-level definitions, and not bound by an import of avgan (those
    are `parse_imports`'s): a private attribute of an object made elsewhere, such as a
    parameter (`evaluator._encode_features`). (line, "name._private") pairs."""
    tree = ast.parse(source)
    own = {"self", "cls"}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            own.update(t.id for t in targets if isinstance(t, ast.Name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            own.update(
                alias.asname or "avgan"
                for alias in node.names
                if alias.name.partition(".")[0] == "avgan"
            )
        elif isinstance(node, ast.ImportFrom) and (
            node.level or node.module.partition(".")[0] == "avgan"
        ):
            own.update(alias.asname or alias.name for alias in node.names)
    return sorted(
        (node.lineno, f"{node.value.id}.{node.attr}")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and is_private(node.attr)
        and isinstance(node.value, ast.Name)
        and node.value.id not in own
    )


def allowed(layer: str, target: str) -> bool:
    """Whether a module of `layer` may import the module `target`."""
    rules = LAYERS[layer].may_import.split()
    top = target.partition(".")[0]
    if top != "avgan":
        return ("stdlib" if top in sys.stdlib_module_names else "third-party") in rules
    return target in rules or layer_of(target) in rules


def check(
    path: str, module: str, imports: Iterable[Import], private: Iterable[tuple[int, str]] = ()
) -> list[str]:
    """The violations of `module` (at `path`, for the messages), one message each:
    `imports` from `parse_imports`, `private` from `private_attributes`."""
    layer = layer_of(module)
    if layer is None:
        return [f"{path}:1: {module} is in no layer: add it to LAYERS in tests/test_layers.py"]
    rules = ", ".join(LAYERS[layer].may_import.split())
    problems = {
        (line, f"uses {expression} (a private attribute of another object)")
        for line, expression in private
    }
    for line, target, name in imports:
        if name is not None and is_private(name) and target != module:
            problems.add((line, f"imports {target}.{name} (a private name of {target})"))
        elif not allowed(layer, target):
            problems.add((line, f"imports {target} (layer {layer} may import: {rules})"))
    # A set: `from m import a, b` is one message, not two.
    return [f"{path}:{line}: {module} {problem}" for line, problem in sorted(problems)]


def check_tree(root: Path = ROOT) -> list[str]:
    known = known_modules(root)
    problems = []
    for path in sorted((root / "avgan").rglob("*.py")):
        module, source = module_name(path, root), path.read_text(encoding="utf-8")
        imports = parse_imports(source, module, path.name == "__init__.py", known)
        problems += check(str(path.relative_to(root)), module, imports, private_attributes(source))
    return problems


def test_every_module_keeps_to_the_layer_rule():
    problems = check_tree()
    if problems:
        pytest.fail(
            f"{len(problems)} import(s) against the layer rule:\n" + "\n".join(problems),
            pytrace=False,
        )


def test_the_checker_reports_wrong_and_private_imports():
    # A synthetic module, so that this test cannot pass by checking nothing.
    source = (
        "import numpy\n"
        "from avgan.config import UPSAMPLINGS\n"
        "from avgan.training import losses\n"
        "from avgan.data.pipeline import _select, CHUNK_SAMPLES\n"
        "from avgan.data import pipeline\n"
        "\n"
        "def f(evaluator):\n"
        "    import avgan.evaluation.run\n"
        "    return pipeline._select, pipeline.__name__, avgan.evaluation.run._helper\n"
        "\n"
        "def g(self, evaluator):\n"
        "    return self._cache, evaluator._encode_features, _Local._x\n"
        "\n"
        "class _Local:\n"
        "    _x = 1\n"
    )
    known = {"avgan.data.pipeline", "avgan.training.losses", "avgan.evaluation.run"}
    imports = parse_imports(source, "avgan.models.x", known=known)
    problems = check("avgan/models/x.py", "avgan.models.x", imports, private_attributes(source))
    rules = ", ".join(LAYERS["models"].may_import.split())
    start = "avgan/models/x.py:{}: avgan.models.x "
    assert problems == [
        start.format(3) + f"imports avgan.training.losses (layer models may import: {rules})",
        start.format(4) + "imports avgan.data.pipeline._select"
        " (a private name of avgan.data.pipeline)",
        start.format(8) + f"imports avgan.evaluation.run (layer models may import: {rules})",
        start.format(9) + "imports avgan.data.pipeline._select"
        " (a private name of avgan.data.pipeline)",
        start.format(9) + "imports avgan.evaluation.run._helper"
        " (a private name of avgan.evaluation.run)",
        start.format(12) + "uses evaluator._encode_features"
        " (a private attribute of another object)",
    ]


def test_relative_imports_are_resolved():
    known = {"avgan.config", "avgan.data.files", "avgan.data.synthetic.render"}
    source = "from . import files\nfrom .synthetic.render import Note\nfrom .. import config\n"
    assert parse_imports(source, "avgan.data.pipeline", known=known) == [
        Import(1, "avgan.data.files", None),
        Import(2, "avgan.data.synthetic.render", "Note"),
        Import(3, "avgan.config", None),
    ]
    # In a package's __init__, "." is the package itself.
    assert parse_imports("from . import files\n", "avgan.data", is_package=True, known=known) == [
        Import(1, "avgan.data.files", None)
    ]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("avgan", "package"),
        ("avgan.config", "config"),
        ("avgan.data.synthetic.render", "data"),
        ("avgan.data.synthetic.__main__", "entry"),
        ("avgan.humaneval.__main__", "humaneval"),
        ("avgan.demo", "demo"),
        ("avgan.demo.__main__", "demo"),
        ("avgan.demo.app", "demo"),
        ("avgan.evaluation.cli", "entry"),
        ("avgan.train", "entry"),
        ("avgan.run_dir", "run_dir"),
        ("avgan.newpart", None),
    ],
)
def test_each_module_has_one_layer(module, layer):
    assert layer_of(module) == layer


def test_a_module_in_no_layer_fails_with_what_to_do():
    assert check("avgan/newpart.py", "avgan.newpart", []) == [
        "avgan/newpart.py:1: avgan.newpart is in no layer: add it to LAYERS in tests/test_layers.py"
    ]


def test_config_may_import_only_the_standard_library():
    imports = parse_imports("import json\nimport numpy\nfrom avgan.data import files\n", "x")
    assert sorted(i.module for i in imports if not allowed("config", i.module)) == [
        "avgan.data.files",
        "numpy",
    ]
    assert allowed("humaneval", "avgan.data.files") and not allowed("humaneval", "avgan.data")
    assert not allowed("humaneval", "avgan.models.s2i") and allowed("humaneval", "flask")


def test_the_demo_runs_exported_models_without_the_trainer():
    for module in (
        "avgan.export.serving",
        "avgan.data.audio",
        "avgan.humaneval.guard",
        "avgan.cli",
    ):
        assert allowed("demo", module), module
    for module in (
        "avgan.training.gan",
        "avgan.models.s2i",
        "avgan.run_dir",
        "avgan.evaluation.run",
        "avgan.humaneval.app",
        "avgan.train",
    ):
        assert not allowed("demo", module), module


def test_a_tree_is_checked_file_by_file(tmp_path):
    files = {
        "__init__.py": "",
        "config.py": "import json\nimport numpy\n",
        "data/__init__.py": "",
        "data/files.py": "from .. import config\n",
        "newpart.py": "",
    }
    for name, text in files.items():
        (tmp_path / "avgan" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "avgan" / name).write_text(text)
    assert check_tree(tmp_path) == [
        "avgan/config.py:2: avgan.config imports numpy (layer config may import: stdlib)",
        "avgan/newpart.py:1: avgan.newpart is in no layer:"
        " add it to LAYERS in tests/test_layers.py",
    ]
