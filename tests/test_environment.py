"""environment.yml (conda) and pyproject.toml (pip) must describe the same installation."""

from __future__ import annotations

import pathlib
import re
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


# conda-forge names that differ from the PyPI ones.
CONDA_TO_PIP = {"python-xxhash": "xxhash"}


def _name(requirement: str) -> str:
    """'moto[server]>=5.0' -> 'moto'; names normalised as pip does, conda names mapped to pip's."""
    name = re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0]
    name = re.sub(r"[-_.]+", "-", name).lower()
    return CONDA_TO_PIP.get(name, name)


def _spec(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement.split(";")[0])


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + project["optional-dependencies"]["test"]
    return {_name(r): _spec(r) for r in listed}


def _environment_requirements() -> dict[str, str]:
    """Parse the small YAML subset environment.yml uses (a list, and a nested pip list)."""
    requirements: dict[str, str] = {}
    in_dependencies = False
    for raw_line in (ROOT / "environment.yml").read_text().splitlines():
        line = raw_line.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not line.startswith(" "):
            in_dependencies = line.startswith("dependencies:")
            continue
        if not in_dependencies:
            continue
        item = line.strip()
        if not item.startswith("- ") or item.endswith(":"):
            continue
        requirement = item[2:].strip()
        if requirement in {"pip", "-e ."} or requirement.startswith("python="):
            continue
        requirements[_name(requirement)] = _spec(requirement)
    return requirements


def test_same_packages_in_both_files():
    pip_side = _pyproject_requirements()
    conda_side = _environment_requirements()
    only_pip = sorted(set(pip_side) - set(conda_side))
    only_conda = sorted(set(conda_side) - set(pip_side))
    assert not only_pip, f"in pyproject.toml but not environment.yml: {only_pip}"
    assert not only_conda, f"in environment.yml but not pyproject.toml: {only_conda}"


@pytest.mark.parametrize("name", sorted(_pyproject_requirements()))
def test_same_version_range_in_both_files(name):
    pip_spec = _pyproject_requirements()[name].split("]")[-1].lstrip(name)
    conda_spec = _environment_requirements()[name].split("]")[-1].lstrip(name)
    # Compare only the range: the part after the name and any extras.
    strip = re.compile(r"^[A-Za-z0-9_.\-]+(\[[^\]]*\])?")
    assert strip.sub("", _pyproject_requirements()[name]) == strip.sub(
        "", _environment_requirements()[name]
    ), f"{name}: {pip_spec!r} (pyproject.toml) vs {conda_spec!r} (environment.yml)"


def test_tensorflow_range_is_stated():
    assert re.search(r">=\d.*<\d", _pyproject_requirements()["tensorflow"])


def test_environment_installs_the_package_itself():
    assert "- -e ." in (ROOT / "environment.yml").read_text()
