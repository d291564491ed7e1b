"""A non-editable install works: the wheel carries the package, its data and its licence."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile

import course_utils

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Run in a fresh interpreter (-I: no cwd, no PYTHONPATH, no user site) whose first path entry is
# the wheel's install folder; the editable install's finder is removed so it cannot answer.
_CHECK = textwrap.dedent(
    """
    import pathlib, sys
    target = pathlib.Path(sys.argv[1]).resolve()
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, str(target))
    import course_utils
    from course_utils.paths import DATA_DIR
    from course_utils.transfer import PretrainedModel, PretrainedWordEmbeddings
    from course_utils.transfer.build_embeddings import EMBEDDINGS_PATH
    assert target in pathlib.Path(course_utils.__file__).resolve().parents, course_utils.__file__
    assert target in DATA_DIR.parents, DATA_DIR
    base = PretrainedModel.from_file()
    embeddings = PretrainedWordEmbeddings.load(EMBEDDINGS_PATH)
    print("base", base.feature_dim)
    print("embeddings", len(embeddings), embeddings.dim)
    """
)


def test_version_is_written_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert course_utils.__version__


def test_licence_file_matches_the_metadata():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Training Patterns contributors" in text


def test_wheel_install_finds_the_shipped_data(tmp_path):
    # Build from a copy, so that the build's scratch folders never land in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "data", source / "data")
    shutil.copytree(
        ROOT / "course_utils",
        source / "course_utils",
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(source), "--no-deps", "-w", str(wheels)], check=True)
    (wheel,) = wheels.glob("course_utils-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "course_utils/_data/pretrained/shapes_cnn.keras" in names
    assert "course_utils/_data/embeddings/course_glove_50d.txt" in names
    assert any(name.endswith("licenses/LICENSE") for name in names)

    target = tmp_path / "installed"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    shutil.rmtree(source)  # nothing may still point at the build's source
    result = subprocess.run(
        [sys.executable, "-I", "-c", _CHECK, str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "embeddings 1320 50" in result.stdout, result.stdout
