"""Where the repository, its notebooks, raw data and figures live.

Notebooks must write to the same ``data/`` and ``results/`` folders whatever folder their
kernel was started in (papermill starts kernels where it is told, nbval in the notebook's
folder, JupyterLab where the server runs), so every path is resolved from the repository
root, never from the current directory.

Resolution order for the root (like git, the checkout you stand in comes first):

1. the environment variable ``NEUROLAB_ROOT``, when set;
2. the first folder, walking up from the current directory, that holds both
   ``pyproject.toml`` and ``notebooks/`` (the checkout the user works in, even when the
   installed package, editable or not, lives in another checkout);
3. the same search walking up from this package's file (an editable install or a source
   checkout used from outside any checkout).

``NEUROLAB_DATA_DIR`` and ``NEUROLAB_RESULTS_DIR`` redirect the data and results folders on
their own; the pipeline uses them to run a notebook into a staging folder, so that a
failing notebook never touches the previous good artifacts.

Outside any checkout (neurolab installed from a wheel, a lesson copied into a folder of its
own, as in a classroom), :func:`data_dir` and :func:`results_dir` fall back to ``data/`` and
``results/`` in the current directory: beside the notebook, where Jupyter starts its
kernel. The variables above still take precedence; :func:`repo_root` and
:func:`notebooks_dir` still raise there (the pipeline needs a checkout).

Room: ``neurolab.base``. May import: the standard library only.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_ENV = "NEUROLAB_ROOT"
DATA_ENV = "NEUROLAB_DATA_DIR"
RESULTS_ENV = "NEUROLAB_RESULTS_DIR"

_MARKERS = ("pyproject.toml", "notebooks")


def is_root(folder) -> bool:
    """True when ``folder`` holds ``pyproject.toml`` and a ``notebooks/`` folder."""
    folder = Path(folder)
    return (folder / _MARKERS[0]).is_file() and (folder / _MARKERS[1]).is_dir()


def _walk_up(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if is_root(folder):
            return folder
    return None


def repo_root() -> Path:
    """The repository root (absolute path); see the module docstring for the search order.

    Raises ``FileNotFoundError`` naming the places searched when no root is found.
    """
    env = os.environ.get(ROOT_ENV)
    if env:
        root = Path(env).expanduser().resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"{ROOT_ENV}={env!r} is not a folder")
        return root
    here = Path(__file__).resolve().parent
    cwd = Path.cwd().resolve()
    for start in (cwd, here):
        found = _walk_up(start)
        if found is not None:
            return found
    raise FileNotFoundError(
        f"cannot find the neurolab repository root (a folder with pyproject.toml and "
        f"notebooks/) above {cwd} or {here}; set {ROOT_ENV} to the repository folder")


def _override(env: str, default: str) -> Path:
    """``$env`` when set, else ``repo_root() / default``, else (outside any checkout)
    ``default`` in the current directory. The root is only looked up when the variable is
    unset."""
    value = os.environ.get(env)
    if value:
        return Path(value).expanduser().resolve()
    try:
        return repo_root() / default
    except FileNotFoundError:
        return Path.cwd().resolve() / default


def data_dir() -> Path:
    """``<root>/data`` (or ``$NEUROLAB_DATA_DIR``; outside a checkout ``./data``); runs go
    to ``data_dir() / "raw" / name``."""
    return _override(DATA_ENV, "data")


def raw_dir(name: str | None = None) -> Path:
    """``data_dir()/raw`` or, with ``name``, the raw-data folder of that notebook or run."""
    raw = data_dir() / "raw"
    return raw / name if name else raw


def results_dir() -> Path:
    """``<root>/results`` (or ``$NEUROLAB_RESULTS_DIR``; outside a checkout ``./results``):
    figures and executed notebooks."""
    return _override(RESULTS_ENV, "results")


def notebooks_dir() -> Path:
    """``<root>/notebooks``: the committed notebooks (never written by the pipeline)."""
    return repo_root() / "notebooks"
