"""Stored notebook outputs are what students read on the web: one clean run, no errors."""

from __future__ import annotations

import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    path for path in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
)
TF_IMPORT_NOISE = ("oneDNN custom operations", "cuInit", "cuda_platform", "TF_ENABLE_ONEDNN_OPTS")


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_outputs_come_from_one_clean_run(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    counts = [cell["execution_count"] for cell in code_cells]
    assert counts == list(range(1, len(code_cells) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..n: re-run it with `make notebooks`"
    )
    for index, cell in enumerate(code_cells, start=1):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{path.name}: cell {index} stored an error"
            text = "".join(output.get("text", ""))
            for noise in TF_IMPORT_NOISE:
                assert noise not in text, f"{path.name}: cell {index} stored TF log {noise!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_open_clean_in_jupyterlab(path):
    """The stored kernelspec is what JupyterLab writes for this environment's kernel: otherwise
    JupyterLab rewrites it on opening, and closing an untouched notebook asks to save it."""
    from jupyter_client.kernelspec import KernelSpecManager

    from tools.run_notebooks import KERNELSPEC

    installed = KernelSpecManager().get_kernel_spec("python3")
    assert KERNELSPEC == {
        "display_name": installed.display_name,
        "language": installed.language,
        "name": "python3",
    }, "tools/run_notebooks.py KERNELSPEC no longer matches the installed ipykernel"
    stored = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("kernelspec")
    assert stored == KERNELSPEC, (
        f"{path.name}: kernelspec {stored} would be rewritten by JupyterLab: `make notebooks`"
    )
