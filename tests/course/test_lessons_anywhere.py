"""Lessons that run anywhere (issue 19): a lesson copied out of the repository, with
neurolab installed from a wheel (the classroom's offline route), runs top to bottom and
writes its figure beside itself (``./results``), instead of failing in its second cell
with "cannot find the neurolab repository root"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow          # builds a wheel and runs a lesson with a cold numba cache
def test_a_lesson_copied_outside_the_checkout_runs_from_a_wheel(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    src = tmp_path / "src"                 # build from a copy: nothing is written in the checkout
    shutil.copytree(REPO / "neurolab", src / "neurolab",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(src)], check=True, capture_output=True, timeout=600)
    [wheel] = wheels.glob("neurolab-*.whl")
    site = tmp_path / "site"             # the wheel's files only (dependencies: this venv's)
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True, capture_output=True, timeout=600)
    assert (site / "neurolab" / "course" / "exercises.py").is_file()
    classroom = tmp_path / "classroom"               # a folder a teacher handed out
    classroom.mkdir()
    lesson = classroom / "lesson1_lif_neuron.ipynb"
    shutil.copy(REPO / "notebooks" / "course" / "lesson1_lif_neuron.ipynb", lesson)
    for env in ("NEUROLAB_ROOT", "NEUROLAB_DATA_DIR", "NEUROLAB_RESULTS_DIR"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(site))      # the kernel imports the wheel's copy
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(str(lesson), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import neurolab, pathlib\nprint('NEUROLAB FROM', pathlib.Path(neurolab.__file__)"
        ".resolve().parent)\nprint('RESULTS IN', paths.results_dir())"))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(classroom)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert f"NEUROLAB FROM {(site / 'neurolab').resolve()}" in printed
    assert f"RESULTS IN {classroom.resolve() / 'results'}" in printed
    assert (classroom / "results" / "lesson1_lif_neuron.png").is_file()
    assert not (REPO / "results" / "lesson1_lif_neuron.png").exists() or \
        os.path.getmtime(REPO / "results" / "lesson1_lif_neuron.png") < \
        os.path.getmtime(classroom / "results" / "lesson1_lif_neuron.png")
