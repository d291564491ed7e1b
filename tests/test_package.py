"""The package's shape: public names, the notebooks' import paths, no import cycles."""

from __future__ import annotations

import ast
import importlib
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_utils"
SUBPACKAGES = [
    "course_utils.checkpoints",
    "course_utils.datasets",
    "course_utils.distribution",
    "course_utils.distribution.simulator",
    "course_utils.rollback",
    "course_utils.transfer",
]
# The lecture's UML classes, importable from their pattern's sub-package by name.
UML = {
    "course_utils.checkpoints": [
        "CheckpointManager",
        "CheckpointPolicy",
        "CloudStorage",
        "InMemoryStorage",
        "LocalStorage",
        "ModelState",
        "Storage",
        "Trainer",
    ],
    "course_utils.transfer": [
        "ImageClassificationModel",
        "NewTaskModel",
        "PretrainedModel",
        "PretrainedWordEmbeddings",
        "SentimentAnalysisModel",
        "TaskSpecificModel",
    ],
    "course_utils.distribution": [
        "CentralServer",
        "DataPartitioner",
        "DistributedTrainer",
        "ParameterServer",
        "SimulatedWork",
        "Task",
        "Worker",
        "WorkerLauncher",
    ],
}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "_data" not in p.parts}


def _notebook_imports() -> list[tuple[str, str]]:
    """(module, name) for every ``from course_utils... import name`` in the notebooks."""
    found = set()
    for notebook in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines() if line.lstrip()[:1] not in "%!"]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "course_utils"
                ):
                    found.update((node.module, alias.name) for alias in node.names)
    return sorted(found)


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_every_public_name_is_listed_and_visible(package):
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__), f"{package}.__all__ has duplicates"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == [], f"{package}.__all__ lists names it does not define: {missing}"
    invisible = [name for name in module.__all__ if name not in dir(module)]
    assert invisible == [], f"{package}: dir() does not show {invisible}"


@pytest.mark.parametrize(("package", "names"), sorted(UML.items()))
def test_lecture_classes_are_importable_from_their_pattern(package, names):
    module = importlib.import_module(package)
    assert [name for name in names if name not in module.__all__] == []


def test_every_import_path_of_the_notebooks_still_works():
    imports = _notebook_imports()
    assert len(imports) > 40, "the notebooks' imports were not found"
    broken = []
    for module_name, name in imports:
        module = importlib.import_module(module_name)
        if not hasattr(module, name) and not _is_submodule(module_name, name):
            broken.append(f"from {module_name} import {name}")
    assert broken == []


def _is_submodule(package: str, name: str) -> bool:
    try:
        importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError:
        return False
    return True


def _import_graph() -> dict[str, set[str]]:
    """Module -> the course_utils modules it imports, at import time or in a function body."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def test_no_import_cycles_even_in_function_bodies():
    graph = _import_graph()
    assert "course_utils.devices" in graph["course_utils.notebook"]  # the graph sees imports
    cycles = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(graph[node]):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []


def test_importing_the_patterns_does_not_import_tensorflow():
    code = (
        "import sys, course_utils.distribution, course_utils.transfer, course_utils.datasets; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"
