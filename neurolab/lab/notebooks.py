"""The notebooks the pipeline runs and their parameters.

Discovery (``notebooks/*.ipynb`` in name order, then the course's lessons), the
``parameters`` cell papermill overrides, the typing of ``-p NAME VALUE`` overrides against
each parameter's default, and where a run with other parameters than the defaults goes
(``data/raw/runs/NAME/ID/``, ID a hash of the differing values).

Room: ``neurolab.lab`` (the pipeline). May import: ``neurolab.base`` and the lab modules
listed in its own imports; papermill, nbclient and jupyter_client are imported where used.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..base import paths
from ..base.errors import require
from .errors import PipelineError


_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


# ----------------------------------------------------------------------------- registry
def _root(root) -> Path:
    return Path(root).resolve() if root is not None else paths.repo_root()


COURSE = "course"     # notebooks/course/: the lessons, run after the research notebooks


def list_notebooks(root=None) -> list[Path]:
    """The notebooks the pipeline runs, in run order: ``notebooks/*.ipynb`` sorted by file
    name, then the course's lessons ``notebooks/course/*.ipynb`` sorted by file name. A
    notebook's name is its file stem (``01_stdp_network``, ``lesson1_lif_neuron``)."""
    folder = _root(root) / "notebooks"

    def listed(where):
        return sorted(p for p in where.glob("*.ipynb") if not p.name.startswith("."))

    return listed(folder) + listed(folder / COURSE)


def notebook_names(root=None) -> list[str]:
    return [p.stem for p in list_notebooks(root)]


def find_notebook(name: str, root=None) -> Path:
    """The notebook called ``name``: its file stem (``01_stdp_network``), the stem without
    its number (``stdp_network``) or the file name. Unknown names raise ``PipelineError``
    listing the valid ones."""
    notebooks = list_notebooks(root)
    key = name[:-6] if name.endswith(".ipynb") else name
    for nb in notebooks:
        if nb.stem == key or nb.stem.lstrip("0123456789_") == key:
            return nb
    valid = ", ".join(nb.stem for nb in notebooks) or "(none found)"
    raise PipelineError(f"unknown notebook {name!r}; valid notebooks: {valid}")


# ----------------------------------------------------------------------------- parameters
def _parameters_cell(notebook):
    """The first cell of ``notebook`` tagged ``parameters`` (None when there is none)."""
    nbformat = require("nbformat", "lab", "reading a notebook's parameters")

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def notebook_parameters(notebook) -> dict:
    """Parameter name -> default value of a notebook's cell tagged ``parameters``.

    Read with papermill's Python translator (the pipeline runs every notebook on the
    ``python3`` kernel, so a notebook without kernelspec metadata reads the same). Every
    default must be a Python literal (derived values belong in the next cell), and every
    name the cell assigns must be one papermill understood (it skips lines it cannot
    parse, which would make that parameter impossible to set); otherwise
    ``PipelineError``.
    """
    require("papermill", "lab", "the notebook pipeline")
    from papermill.translators import PythonTranslator

    name = Path(notebook).name
    cell = _parameters_cell(notebook)
    if cell is None:
        raise PipelineError(f"{name}: no cell tagged 'parameters'")
    source = cell.source
    out = {}
    for param in PythonTranslator.inspect(cell):
        key, default = param.name, param.default
        try:
            out[key] = ast.literal_eval(default)
        except (ValueError, SyntaxError):
            raise PipelineError(
                f"{name}: parameter {key} = {default} is not a literal; keep the "
                f"parameters cell to literals and derive values in the next cell") from None
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            if isinstance(target, ast.Name) and target.id not in out:
                raise PipelineError(
                    f"{name}: papermill cannot read parameter {target.id!r} (line "
                    f"{node.lineno} of the parameters cell); write it as `name = literal  "
                    f"# comment` on one line, without '=' in the comment")
    return out


def _plain(value):
    """``value`` with numpy scalars replaced by the Python value of the same kind
    (``np.bool_`` -> bool, ``np.integer`` -> int, ``np.floating`` -> float, ``np.str_`` ->
    str), also inside lists, tuples and dicts; papermill writes injected values with
    ``repr``, and ``np.float64(5.0)`` is not a literal the notebook can read."""
    if isinstance(value, np.generic):
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.str_):
            return str(value)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _coerce(name, value, default):
    """``value`` converted to the type of ``default``; strings (from the command line) are
    parsed, other values must already have a compatible type. numpy scalars count as the
    Python number of their kind (``np.int64(3)`` as 3, ``np.float64(5.0)`` as 5.0) and are
    returned as plain Python values; booleans (``np.bool_`` too) are never numbers.

    Floats must be finite, also inside lists, tuples and dicts. The elements of a list or
    tuple whose default holds elements of one type (``[10.0, 15.0]``) must have that type
    (ints become floats where the default's are floats; a string element is never parsed).
    Raises ``PipelineError`` naming the parameter, the value given (and the element) and
    what is allowed."""
    want = type(default)
    fail = PipelineError(f"parameter {name}={value!r}: expected {want.__name__} "
                         f"like the default {default!r}")
    original = value
    value = _plain(value)
    if isinstance(value, str) and want is not str:
        text = value.strip()
        if want is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise fail
        if want is int:
            try:
                return int(text)
            except ValueError:
                raise fail from None
        if want is float:
            try:
                number = float(text)
            except ValueError:
                raise fail from None
            return _finite(name, value, number, default)
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            if default is None:
                return value
            raise fail from None
    if default is None:
        return _finite_inside(name, original, value)
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if want is float and type(value) is float:
        return _finite(name, value, value, default)
    if want is tuple and isinstance(value, list):
        value = tuple(value)
    if want is list and isinstance(value, tuple):
        value = list(value)
    if type(value) is not want:
        raise fail
    if want in (list, tuple):
        like = _element_default(default)
        items = [_element(name, original, f"[{k}]", item, like, default)
                 for k, item in enumerate(value)]
        return want(items)
    if want is dict:
        return _finite_inside(name, original, value)
    return value


_NUMBER_TYPES = (int, float)


def _element_default(default):
    """What every element of a list or tuple parameter must look like: an element of
    ``default`` when all of its elements have one type (a mix of ints and floats counts as
    floats), else None (then only finiteness is checked)."""
    kinds = {type(v) for v in default}
    if kinds == {int, float}:
        return 0.0
    if len(kinds) == 1:
        return default[0]
    return None


def _element(name, given, where, item, like, default):
    """One element ``item`` (at ``where``, e.g. ``[1]``) of the list or tuple parameter
    ``name`` (``given``: the whole value as the caller wrote it) checked against ``like``
    (``_element_default``); nested lists are checked the same way."""
    kind = type(like)
    if like is None:
        return _finite_inside(name, given, item, where)
    if kind is float and type(item) in _NUMBER_TYPES:
        number = float(item)
        if not math.isfinite(number):
            raise PipelineError(f"parameter {name}={given!r}: element {where} is "
                                f"{number!r}; expected finite floats like the default "
                                f"{default!r}")
        return number
    if kind in (list, tuple) and type(item) in (list, tuple):
        inner = _element_default(like)
        return kind(_element(name, given, f"{where}[{k}]", v, inner, default)
                    for k, v in enumerate(item))
    if type(item) is not kind:
        raise PipelineError(f"parameter {name}={given!r}: element {where} is {item!r}; "
                            f"expected elements of type {kind.__name__} like those of the "
                            f"default {default!r}")
    if kind is dict:
        return _finite_inside(name, given, item, where)
    return item


def _finite_inside(name, given, value, where=""):
    """``value`` unless a float in it (at any depth of lists, tuples and dicts) is NaN or
    infinite; ``PipelineError`` names the parameter, ``given`` and where the float is."""
    if isinstance(value, float) and not math.isfinite(value):
        at = f" element {where} is {value!r}:" if where else ""
        raise PipelineError(f"parameter {name}={given!r}:{at} expected finite floats")
    if isinstance(value, (list, tuple)):
        for k, v in enumerate(value):
            _finite_inside(name, given, v, f"{where}[{k}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            _finite_inside(name, given, v, f"{where}[{k!r}]")
    return value


def _injectable(value):
    """Parameter values as papermill can write them into a cell: it writes a tuple as a
    string, so tuples become lists (also inside lists and dicts)."""
    if isinstance(value, dict):
        return {k: _injectable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_injectable(v) for v in value]
    return value


def _finite(name, given, value: float, default) -> float:
    """``value`` unless it is NaN or infinite (``given`` is what the caller wrote)."""
    if not math.isfinite(value):
        raise PipelineError(f"parameter {name}={given!r}: expected a finite float like "
                            f"the default {default!r}")
    return value


def check_parameters(notebook, overrides: Mapping | None) -> dict:
    """Validate ``overrides`` against the parameters ``notebook`` declares.

    Returns the overrides converted to the defaults' types. An undeclared name, or a value
    that does not fit the default's type, raises ``PipelineError`` listing the valid
    parameters with their defaults (papermill alone would inject it silently).
    """
    declared = notebook_parameters(notebook)
    listing = ", ".join(f"{k}={v!r}" for k, v in declared.items()) or "(none)"
    out = {}
    for name, value in (overrides or {}).items():
        if name not in declared:
            raise PipelineError(f"{Path(notebook).stem} has no parameter {name!r}; "
                                f"valid parameters: {listing}")
        out[name] = _coerce(name, value, declared[name])
    return out


def params_id(params: Mapping) -> str:
    """A short, stable name for a set of parameter values: the first 12 hex digits of the
    sha256 of their canonical JSON (sorted keys, ``repr`` of floats). The values must be
    typed already (``check_parameters``): ``1`` and ``1.0`` are different names."""
    import hashlib

    from ..base.io import dumps_json

    return hashlib.sha256(dumps_json(_plain(dict(params))).encode("utf-8")).hexdigest()[:12]


def differing(notebook, overrides: Mapping | None) -> dict:
    """The checked ``overrides`` whose values differ from the notebook's defaults (type
    included: ``True`` is not ``1``). Empty: the run is the default run."""
    declared = notebook_parameters(notebook)
    checked = check_parameters(notebook, overrides)
    return {k: v for k, v in checked.items()
            if type(v) is not type(declared[k]) or v != declared[k]}


@dataclass(frozen=True)
class RunTarget:
    """Where one run of a notebook goes. The default run (no parameter differs from the
    notebook's defaults) owns the canonical paths (``folder`` None; ``key`` is the
    notebook's name). A run with other parameters writes the same tree under its own
    folder ``data/raw/runs/NAME/ID/`` (``ID``: ``params_id`` of the differing values), so
    it never replaces the default run's data or the README's figures; ``key`` is then
    ``NAME@ID``, the name of its lock, staging folder and manifest record."""
    name: str
    key: str
    folder: str | None            # relative to the repository root, POSIX
    changed: dict


RUNS = Path("data") / "raw" / "runs"


def run_target(notebook, overrides: Mapping | None) -> RunTarget:
    """The ``RunTarget`` of running ``notebook`` with ``overrides`` (checked; a bad request
    raises ``PipelineError``)."""
    name = Path(notebook).stem
    changed = differing(notebook, overrides)
    if not changed:
        return RunTarget(name, name, None, {})
    rid = params_id(changed)
    return RunTarget(name, f"{name}@{rid}", (RUNS / name / rid).as_posix(), changed)
