"""A light student install (issue 19): the package's own dependencies are what the
simulator needs; the lessons, the pipeline, sweeps and notebook 07 have extras, and a
missing extra is named by the error (``pip install "neurolab[...]"``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:          # Python < 3.11
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _names(lines):
    import re

    return {re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower() for line in lines}


def test_the_student_install_leaves_out_the_pipeline_sweeps_and_scikit_learn():
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    core = _names(project["dependencies"])
    extras = {k: _names(v) for k, v in project["optional-dependencies"].items()}
    heavy = {"dask", "distributed", "bokeh", "scikit-learn", "papermill", "jupyterlab",
             "nbgrader", "brian2", "nest-simulator"}
    assert not core & heavy, core & heavy
    assert not extras["course"] & {"dask", "bokeh", "scikit-learn", "papermill"}
    assert {"ipywidgets", "ipympl", "jupyterlab"} <= extras["course"]
    assert "papermill" in extras["lab"] and "dask" in extras["sweep"]
    assert extras["digits"] == {"scikit-learn"}
    for name, members in extras.items():     # dev installs every extra's packages
        assert members <= extras["dev"], (name, members - extras["dev"])


@pytest.mark.parametrize("module, extra, call", [
    ("ipywidgets", "course", lambda: __import__("neurolab.course.explorer", fromlist=["x"])
     .neuron_explorer(backend="image")),
    ("papermill", "lab", lambda: __import__("neurolab.lab.notebooks", fromlist=["x"])
     .notebook_parameters(Path(__file__).resolve().parents[2] / "notebooks"
                          / "01_stdp_network.ipynb")),
    ("distributed", "sweep", lambda: __import__("neurolab.lab.sweep", fromlist=["x"])
     ._client("local", 1, print)),
])
def test_a_missing_extra_is_named(monkeypatch, module, extra, call):
    monkeypatch.setitem(sys.modules, module, None)          # as if not installed
    with pytest.raises(ImportError, match=rf'pip install "neurolab\[{extra}\]"'):
        call()


def test_the_command_line_names_a_missing_extra(monkeypatch, capsys):
    from neurolab import cli

    monkeypatch.setitem(sys.modules, "papermill", None)
    root = Path(__file__).resolve().parents[2]
    code = cli.main(["list", "--root", str(root)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert 'pip install "neurolab[lab]"' in err and "Traceback" not in err
