"""The reproducible pipeline: run the notebooks with papermill, record and verify artifacts.

Layout (all relative to the repository root, see ``neurolab.paths``)::

    notebooks/NAME.ipynb             the committed notebooks, run in name order (never written)
    results/notebooks/NAME.ipynb     executed copies
    results/*.png                    figures
    data/raw/NAME/...                raw data of each notebook
    data/raw/runs/NAME/ID/...        a run with other parameters than the defaults: the same
                                     data/ and results/ tree in a folder of its own (ID: a
                                     hash of the differing values, see ``run_target``)
    data/raw/sweeps/SWEEP/...        `neurolab sweep` (see ``neurolab.sweep``)
    data/raw/manifest.json           every artifact: path, size, sha256, producer, provenance
    data/raw/.locks/                 lock files (see "Concurrent runs")
    data/raw/.staging/NAME/run-*/    where one run of a notebook writes before installing

A notebook runs into a staging folder of its own (its kernel sees ``NEUROLAB_DATA_DIR``
and ``NEUROLAB_RESULTS_DIR`` pointing there), unique to that run. Only when every cell has
run are its files moved into place (one atomic rename each) and the manifest rewritten
(atomically), so a failing notebook leaves the previous good artifacts and manifest
untouched.

Only the default run of a notebook (every parameter at its default) writes the canonical
paths (``data/raw/NAME/``, the figures in ``results/`` the README shows); ``reproduce NAME
-p KEY VALUE`` with a value that differs installs into ``data/raw/runs/NAME/ID/``, listed
in the manifest with its parameters (entries with ``run`` = ``NAME@ID``).

Concurrent runs. A run of notebook NAME holds the lock ``data/raw/.locks/NAME.lock`` from
its start to its end (a run of every notebook holds all of them, taken in name order; a
run with other parameters holds ``NAME@ID.lock``, the key of its own folder), so
a second run that would write the same artifacts is refused at once, naming the process
that holds the lock and since when (``PipelineBusy``), or waits for it when asked to
(``wait``). The locks are per notebook, not per repository: runs of different notebooks
write different files and may overlap; what they share, the manifest, is read, modified
and written under a second lock (``manifest.lock``), which ``verify`` also takes while it
checks. The locks are OS file locks (``filelock``): the operating system releases them
when their process dies, ``kill -9`` included, so a crashed run never blocks the next one.

The manifest also keeps, per notebook, the paths its last complete run installed
(``"notebooks": {NAME: {"paths": [...], ...}}``), so ``verify`` tells an artifact that
vanished from the list (an entry of a notebook run that is no longer listed) from one
that was never made.

``verify`` re-reads every artifact the manifest lists: present, size and sha256 as
recorded; ``.npz`` arrays with the recorded keys, dtypes and shapes, finite, and inside the
ranges the run implies (spike times inside the run, neuron ids inside the population,
plastic weights inside [w_min, w_max]); PNG files decodable; JSON and notebooks parseable.
A manifest path must be relative and stay inside the manifest's base folder: absolute
paths, ``..`` parts and symlinks that lead outside are reported, never opened; a malformed
entry is reported by name without hiding the others. ``stray_files`` lists the files
under ``data/raw/`` and ``results/`` that the manifest does not know (a warning, not a
failure). The pipeline replaces and deletes files only under ``data/`` and ``results/``.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from . import _locks, paths
from .io import atomic_write_json, git_commit, load_npz, sha256_file, versions

MANIFEST_FORMAT = "neurolab-manifest/1"
RUN_FILES = ("spikes.npz", "weights.npz", "state.npz")   # written by SimResult.save
# where a notebook runs before its files are moved into place: inside data/raw/ (ignored
# by git, on the same file system as data/ and results/ so that moves are atomic renames)
STAGING = Path("data") / "raw" / ".staging"
LOCKS = Path("data") / "raw" / ".locks"          # NAME.lock per notebook, manifest.lock
# how long an install or ``verify`` waits for another process's manifest update or check
MANIFEST_WAIT_S = 600.0
# the only top-level folders the pipeline writes, moves into or deletes from
WRITABLE = ("data", "results")


class PipelineError(Exception):
    """A refused request (unknown notebook, unknown or ill-typed parameter, bad layout)."""


class PipelineBusy(PipelineError):
    """Another process runs the same notebook (or updates the manifest): the request was
    refused, nothing ran. ``holder`` is what that process recorded about itself (pid,
    host, start time, command line; None when unknown)."""

    def __init__(self, message, holder=None):
        super().__init__(message)
        self.holder = holder


class NotebookFailed(PipelineError):
    """A notebook raised while it ran. ``cell`` is the 1-based index of the failing cell in
    the committed notebook (markdown cells counted), or None when the kernel itself died,
    the cell is unknown, or the failing cell is the one papermill injected to set the
    parameters (then ``injected`` is True)."""

    def __init__(self, name, message, cell=None, executed=None, injected=False):
        super().__init__(message)
        self.name, self.cell, self.executed = name, cell, executed
        self.injected = injected


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
def _parameters_cell(notebook) -> str | None:
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell.source
    return None


def notebook_parameters(notebook) -> dict:
    """Parameter name -> default value of a notebook's cell tagged ``parameters``.

    Read with papermill's ``inspect_notebook``. Every default must be a Python literal
    (derived values belong in the next cell), and every name the cell assigns must be one
    papermill understood (it skips lines it cannot parse, which would make that parameter
    impossible to set); otherwise ``PipelineError``.
    """
    import papermill

    name = Path(notebook).name
    source = _parameters_cell(notebook)
    if source is None:
        raise PipelineError(f"{name}: no cell tagged 'parameters'")
    found = papermill.inspect_notebook(str(notebook))
    out = {}
    for key, info in found.items():
        try:
            out[key] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            raise PipelineError(
                f"{name}: parameter {key} = {info['default']} is not a literal; keep the "
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


_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


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
    returned as plain Python values; booleans (``np.bool_`` too) are never numbers."""
    want = type(default)
    fail = PipelineError(f"parameter {name}={value!r}: expected {want.__name__} "
                         f"like the default {default!r}")
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
        return value
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

    from .io import dumps_json

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


# ----------------------------------------------------------------------------- running
def _kernel_manager_class():
    """A kernel manager that starts ipykernel with this very interpreter, so the notebook
    imports the same neurolab as the pipeline whatever kernelspecs are installed."""
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from traitlets import default

    class _SpecManager(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            spec = ipykernel.kernelspec.get_kernel_dict(
                extra_arguments=["--IPKernelApp.log_level=ERROR"])   # no start-up chatter
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)

    class _Manager(KernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return _SpecManager(data_dir=self.data_dir)

    return _Manager


def _kernel_env(root: Path, stage: Path) -> dict:
    """Environment variables for the kernel: where to write, and where this neurolab is
    (a source checkout used without installing: put it on the kernel's PYTHONPATH)."""
    import site

    pkg_parent = str(Path(__file__).resolve().parent.parent)
    installed = {str(Path(p).resolve()) for p in site.getsitepackages()}
    pythonpath = os.environ.get("PYTHONPATH", "")
    if pkg_parent not in installed and pkg_parent not in pythonpath.split(os.pathsep):
        pythonpath = os.pathsep.join(p for p in (pkg_parent, pythonpath) if p)
    return {paths.ROOT_ENV: str(root), paths.DATA_ENV: str(stage / "data"),
            paths.RESULTS_ENV: str(stage / "results"), "PYTHONPATH": pythonpath,
            "MPLBACKEND": "module://matplotlib_inline.backend_inline"}


class _env:
    """Set environment variables for the duration of a ``with`` block."""

    def __init__(self, values):
        self.values, self.saved = values, {}

    def __enter__(self):
        for k, v in self.values.items():
            self.saved[k] = os.environ.get(k)
            os.environ[k] = v

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


INJECTED = "injected parameters"
# the kernel's environment is passed through os.environ: one kernel start at a time
_ENV_LOCK = threading.Lock()


def _first_tagged(cells, tag: str) -> int | None:
    return next((k for k, c in enumerate(cells)
                 if tag in c.get("metadata", {}).get("tags", [])), None)


def _failing_cell(notebook: Path, err, injected: bool) -> int | str | None:
    """Which cell of the committed ``notebook`` raised ``err`` (a papermill
    ``PapermillExecutionError``): its 1-based index (markdown cells counted), ``INJECTED``
    for the cell papermill injected to set the parameters, or None when unknown.

    ``err.cell_index`` counts the cells of the executed notebook. With parameters
    (``injected``), papermill replaces a committed ``injected-parameters`` cell, or else
    inserts one after the ``parameters`` cell (at the top without one), shifting the
    later cells by one. Without a usable index, the cell is found by its source (the first
    of identical cells)."""
    import nbformat

    cells = nbformat.read(str(notebook), as_version=4).cells
    index = getattr(err, "cell_index", None)
    if isinstance(index, int) and not isinstance(index, bool) and index >= 0:
        if injected:
            slot = _first_tagged(cells, "injected-parameters")
            if slot is None:                          # inserted, not replaced
                param = _first_tagged(cells, "parameters")
                slot = 0 if param is None else param + 1
                if index > slot:
                    index -= 1
                elif index == slot:
                    return INJECTED
            elif index == slot:
                return INJECTED
        if index < len(cells):
            return index + 1
    for k, cell in enumerate(cells, start=1):
        if cell.source == getattr(err, "source", None):
            return k
    return None


def lock_path(root, name: str) -> Path:
    """The lock file of notebook ``name`` (``manifest`` for the manifest's own lock)."""
    return _root(root) / LOCKS / f"{name}.lock"


def _busy(err: _locks.LockBusy, refused="nothing was run or changed") -> PipelineBusy:
    return PipelineBusy(f"{err}; {refused}", holder=err.holder)


@contextlib.contextmanager
def notebook_locks(names, *, root=None, wait: float | None = 0):
    """Hold the locks of the notebooks ``names`` (taken in name order, so that two runs
    waiting for each other's notebooks cannot deadlock) for the ``with`` block.

    ``wait``: seconds to wait for all of them together; 0 refuses at once, None waits as
    long as it takes. Raises ``PipelineBusy`` naming the process that holds a lock (pid,
    host, since when); then no lock is held and nothing ran."""
    root = _root(root)
    deadline = None if wait is None else time.monotonic() + max(0.0, float(wait))
    with contextlib.ExitStack() as stack:
        for name in sorted(set(names)):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                stack.enter_context(_locks.hold(
                    lock_path(root, name), timeout=left, what=f"notebook {name}"))
            except _locks.LockBusy as err:
                raise _busy(err) from None
        yield


@contextlib.contextmanager
def _manifest_lock(root: Path, *, required: bool = True, refused: str):
    """Hold the manifest's lock (``PipelineBusy`` ending with ``refused`` after
    ``MANIFEST_WAIT_S`` seconds). With ``required`` False (``verify``), a folder where the
    lock cannot be created (a read-only checkout) is checked without it."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(_locks.hold(lock_path(root, "manifest"),
                                            timeout=MANIFEST_WAIT_S, what="the manifest"))
        except _locks.LockBusy as err:
            raise _busy(err, refused) from None
        except OSError:
            if required:
                raise
        yield


def run_notebook(name: str, parameters: Mapping | None = None, *, root=None,
                 timeout: float | None = 1800, wait: float | None = 0):
    """Execute one notebook with papermill and move its artifacts into place.

    ``parameters`` override the notebook's defaults (checked with ``check_parameters``;
    strings are parsed to the defaults' types). ``timeout``: seconds one cell may run.
    ``wait``: seconds to wait when another process runs this notebook (0: refuse at once,
    None: wait as long as it takes). Returns the manifest entries of the new artifacts.
    Raises ``PipelineError`` for a refused request, ``PipelineBusy`` when the notebook is
    being run elsewhere, and ``NotebookFailed`` when a cell raises; then nothing under
    ``data/`` or ``results/`` has changed, except the executed copy with the traceback, kept
    as ``results/notebooks/NAME.failed.ipynb`` (under the run's own folder for a run with
    other parameters than the defaults, see ``run_target``).
    """
    root = _root(root)
    notebook = find_notebook(name, root)
    target = run_target(notebook, parameters)         # refuse before waiting for a lock
    with notebook_locks([target.key], root=root, wait=wait):
        return _run_locked(notebook, parameters, root=root, timeout=timeout)


def _clear_stale_stages(folder: Path) -> None:
    """Remove what runs of this notebook that were killed left in its staging folder
    (called with the notebook's lock held: no other run of it is alive)."""
    if folder.is_dir():
        for old in folder.iterdir():
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)


def _run_locked(notebook: Path, parameters, *, root: Path, timeout) -> list:
    """``run_notebook`` once the lock of the run's key (``run_target``) is held."""
    name = notebook.stem
    overrides = check_parameters(notebook, parameters)
    target = run_target(notebook, overrides)
    effective = {**notebook_parameters(notebook), **overrides}
    base = root / target.folder if target.folder else root
    stages = root / STAGING / target.key
    _clear_stale_stages(stages)
    stages.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix="run-", dir=stages))    # this run's alone
    failed_copy = base / "results" / "notebooks" / f"{name}.failed.ipynb"
    try:
        execute(notebook, overrides, stage, root=root, timeout=timeout,
                failed_copy=failed_copy)
        entries = _install(root, stage, name, effective, overrides, target=target)
        failed_copy.unlink(missing_ok=True)
        return entries
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        for folder in (stages, root / STAGING):
            try:
                folder.rmdir()
            except OSError:
                pass


def execute(notebook: Path, overrides: Mapping, stage: Path, *, root: Path, timeout,
            failed_copy: Path | None = None, progress_bar: bool | None = None) -> Path:
    """Run ``notebook`` with papermill, its parameters set to ``overrides`` (checked), into
    the empty folder ``stage``: the kernel's ``data/`` and ``results/`` are
    ``stage/data`` and ``stage/results``, the executed copy is
    ``stage/results/notebooks/NAME.ipynb`` (returned). The runner of ``reproduce`` and of
    every point of ``neurolab sweep``.

    ``timeout``: seconds one cell may run. A failing cell raises ``NotebookFailed``
    (naming the cell of the committed notebook, its error and the cell's first line); the
    executed copy with the traceback is then copied to ``failed_copy`` when given.
    The kernel's environment is set through this process's ``os.environ`` for the start
    of the kernel, under a process-wide lock, so threads of one process run notebooks one
    at a time (a Dask worker with several threads stays correct, without gaining)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = notebook.stem
    executed = stage / "results" / "notebooks" / f"{name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    (stage / "data").mkdir(parents=True, exist_ok=True)
    shown = failed_copy.relative_to(root) if failed_copy is not None and \
        failed_copy.is_relative_to(root) else failed_copy
    with _ENV_LOCK, _env(_kernel_env(root, stage)):
        try:
            papermill.execute_notebook(
                str(notebook), str(executed), parameters=_injectable(overrides) or None,
                kernel_name="python3",
                progress_bar=sys.stderr.isatty() if progress_bar is None else progress_bar,
                cwd=str(notebook.parent), execution_timeout=timeout,
                kernel_manager_class=_kernel_manager_class())
        except PapermillExecutionError as err:
            cell = _failing_cell(notebook, err, injected=bool(overrides))
            _keep_failed_copy(executed, failed_copy)
            first = next((ln for ln in (err.source or "").splitlines() if ln.strip()), "")
            where = (f"the {INJECTED} cell" if cell == INJECTED else
                     f"cell {cell}" if cell is not None else "an unidentified cell")
            raise NotebookFailed(
                name, f"notebook {name} failed in {where} (In [{err.exec_count}]): "
                f"{err.ename}: {err.evalue}\n  cell starts: {first}\n  traceback in "
                f"{shown}",
                cell=cell if isinstance(cell, int) else None, executed=failed_copy,
                injected=cell == INJECTED,
            ) from None
        except Exception as err:   # kernel died, timeout, ...
            _keep_failed_copy(executed, failed_copy)
            raise NotebookFailed(name, f"notebook {name} did not complete: "
                                 f"{type(err).__name__}: {err}") from None
    if not executed.is_file():     # papermill returned, yet the run is not whole
        raise NotebookFailed(name, f"notebook {name} did not complete: its executed "
                             f"copy was not written; nothing was installed")
    return executed


def _keep_failed_copy(executed: Path, failed_copy: Path | None) -> None:
    if failed_copy is not None and executed.is_file():
        failed_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, failed_copy)


def _install(root: Path, stage: Path, name: str, effective: dict, overrides: dict, *,
             target: RunTarget | None = None) -> list:
    """Move the staged files into place, update the manifest, drop stale artifacts.

    ``target`` (``run_target``): the default run installs ``stage/data/...`` and
    ``stage/results/...`` at the canonical ``data/...`` and ``results/...``; a run with
    other parameters installs them under its own folder (``data/raw/runs/NAME/ID/data/...``,
    ``.../results/...``), and its manifest entries carry ``run`` (the key ``NAME@ID``) and
    ``run_folder``. "Previous artifacts" are those of the same key: a run with other
    parameters never removes the default run's files, nor another such run's.

    The moves and the manifest's read-modify-write happen under the manifest's lock. The
    previous artifacts of the notebook that the new run did not make again are deleted
    only after every new file is in place. Nothing outside ``root/data`` and
    ``root/results`` is ever replaced or deleted: a staged file that would land elsewhere
    refuses the whole install (``PipelineError``, nothing moved), and a stale manifest
    entry pointing elsewhere is dropped without deleting."""
    target = target or RunTarget(name, name, None, {})
    key = target.key
    staged = sorted(p for p in stage.rglob("*") if p.is_file())
    moves = []
    for src in staged:
        rel = src.relative_to(stage).as_posix()          # data/... or results/...
        if target.folder:
            rel = f"{target.folder}/{rel}"
        try:
            moves.append((src, _inside(root, rel, tops=WRITABLE)))
        except ValueError as err:
            raise PipelineError(f"notebook {name} wrote {rel} in its staging folder: {err}; "
                                f"nothing was installed") from None
    seed = effective.get("seed")
    provenance = {"notebook": name, "parameters": effective, "overrides": overrides,
                  "seed": seed, "versions": versions(), "git_commit": git_commit(root)}
    if target.folder:
        provenance.update(run=key, run_folder=target.folder)
    entries = []
    for src, dst in moves:
        entry = describe_artifact(src, root_rel=dst.relative_to(root).as_posix())
        entry.update(provenance)
        run = run_record(src)
        if seed is None and run is not None:
            entry["seed"] = run.get("seed")           # the network seed of a saved run
        entries.append(entry)
    with _manifest_lock(root, refused=f"the files of this run of {key} were not "
                                      f"installed; the previous ones are in place"):
        manifest = load_manifest(root)                # read under the lock, fresh
        for src, dst in moves:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
        new_paths = {e["path"] for e in entries}
        old_entries = [a for a in manifest.get("artifacts") or [] if isinstance(a, dict)]
        for old in old_entries:
            if _run_key(old) == key and old.get("path") not in new_paths:
                try:
                    stale = _inside(root, old.get("path"), tops=WRITABLE)
                except ValueError:
                    continue                     # never delete outside data/ and results/
                if stale.is_file() or stale.is_symlink():
                    stale.unlink(missing_ok=True)
        kept = [a for a in old_entries
                if _run_key(a) != key and a.get("path") not in new_paths]
        manifest["artifacts"] = sorted(kept + entries, key=lambda a: str(a.get("path")))
        runs = manifest.get("notebooks")
        runs = dict(runs) if isinstance(runs, dict) else {}
        for other, record in list(runs.items()):       # an artifact changed hands
            if other != key and isinstance(record, dict) and \
                    isinstance(record.get("paths"), list):
                record = dict(record)
                record["paths"] = [q for q in record["paths"] if q not in new_paths]
                runs[other] = record
        runs[key] = {"paths": sorted(new_paths), "overrides": overrides,
                     "installed": _dt.datetime.now(_dt.timezone.utc).isoformat(
                         timespec="seconds")}
        if target.folder:
            runs[key].update(notebook=name, parameters=effective, folder=target.folder)
        manifest["notebooks"] = dict(sorted(runs.items()))
        write_manifest(root, manifest)
    return entries


def _run_key(entry: dict) -> str | None:
    """The run a manifest entry belongs to: ``run`` (``NAME@ID``) for a run with other
    parameters than the defaults, else the notebook's name (the default run)."""
    return entry.get("run") or entry.get("notebook")


def reproduce(names=None, parameters: Mapping | None = None, *, root=None,
              log: Callable[[str], None] = print, run_verify=True,
              wait: float | None = 0) -> list:
    """Run notebooks in order (default: all of them, with their default parameters), then
    ``verify``. Stops at the first failing notebook (``NotebookFailed``). Returns the list
    of problems found by ``verify`` (empty when everything holds).

    The locks of every notebook to run are taken before the first one starts: when
    another process runs one of them, the request is refused at once (``PipelineBusy``,
    nothing ran), or, with ``wait`` seconds (None: no limit), waits for it."""
    root = _root(root)
    if names is None:
        notebooks = [p.stem for p in list_notebooks(root)]
        if not notebooks:
            raise PipelineError(f"no notebooks in {root / 'notebooks'}")
    else:
        notebooks = [find_notebook(n, root).stem for n in names]
    if parameters and len(notebooks) != 1:
        raise PipelineError("parameters can only be given when running one notebook")
    targets = [run_target(find_notebook(nb, root), parameters)   # refuse bad requests
               for nb in notebooks]                                # before running anything
    with notebook_locks([t.key for t in targets], root=root, wait=wait):
        start = time.perf_counter()
        for k, (nb, target) in enumerate(zip(notebooks, targets), start=1):
            t0 = time.perf_counter()
            if target.folder:
                log(f"parameters {target.changed} differ from the defaults of {nb}: this "
                    f"run goes to {target.folder}/ (the default run's files are left alone)")
            log(f"[{k}/{len(notebooks)}] {nb}: running ...")
            entries = _run_locked(find_notebook(nb, root), parameters, root=root,
                                  timeout=1800)
            now = time.perf_counter()
            log(f"[{k}/{len(notebooks)}] {nb}: done in {now - t0:.1f} s, {len(entries)} "
                f"artifacts (elapsed {now - start:.1f} s)")
        if not run_verify:
            return []
        problems = verify(root=root)
        log(format_report(problems, root=root, strays=stray_files(root)))
    return problems


# ----------------------------------------------------------------------------- manifest
def manifest_path(root=None) -> Path:
    return _root(root) / "data" / "raw" / "manifest.json"


def load_manifest(root=None, path=None) -> dict:
    """The manifest as a dict (an empty one when none was written yet)."""
    path = Path(path) if path is not None else manifest_path(root)
    if not path.is_file():
        return {"format": MANIFEST_FORMAT, "artifacts": []}
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise PipelineError(f"{path}: not a {MANIFEST_FORMAT} manifest")
    if not isinstance(manifest.get("artifacts", []), list):
        raise PipelineError(f"{path}: 'artifacts' is not a list")
    return manifest


def write_manifest(root=None, manifest=None, path=None) -> Path:
    path = Path(path) if path is not None else manifest_path(root)
    manifest = {**manifest, "format": MANIFEST_FORMAT}
    return atomic_write_json(path, manifest)


def _kind(path: Path) -> str:
    return {".npz": "npz", ".png": "png", ".json": "json", ".ipynb": "notebook"}.get(
        path.suffix.lower(), "file")


def run_record(path: Path) -> dict | None:
    """The ``run.json`` (written by ``SimResult.save``) beside an ``.npz`` file, parsed;
    None for other files."""
    run = Path(path).parent / "run.json"
    if Path(path).suffix != ".npz" or not run.is_file():
        return None
    with open(run, encoding="utf-8") as fh:
        return json.load(fh)


def describe_artifact(path, *, root_rel: str) -> dict:
    """Manifest entry for the file at ``path`` (recorded as ``root_rel``): size, sha256,
    kind and, for ``.npz``, every array's dtype and shape, plus the value ranges the run
    implies when the file belongs to a saved run (see ``run_ranges``)."""
    path = Path(path)
    entry = {"path": root_rel, "size": path.stat().st_size, "sha256": sha256_file(path),
             "kind": _kind(path)}
    if entry["kind"] == "npz":
        arrays = load_npz(path)
        entry["arrays"] = {k: {"dtype": str(a.dtype), "shape": list(a.shape)}
                           for k, a in sorted(arrays.items())}
        run = run_record(path) if path.name in RUN_FILES else None
        ranges = run_ranges(run, arrays) if run is not None else {}
        if ranges:
            entry["ranges"] = ranges
    return entry


def run_ranges(run: dict, arrays: Mapping) -> dict:
    """Allowed closed value ranges per array key of a saved run's ``spikes.npz``,
    ``weights.npz`` or ``state.npz``, from its ``run.json`` record ``run``.

    Spike and sample times lie in [0, t_end]; neuron ids in [0, n - 1] of their
    population; synapse and neuron indices of a projection in [0, n_syn - 1],
    [0, n_pre - 1], [0, n_post - 1]; weights of plastic projections in [w_min, w_max]."""
    net = run["params"]["network"]
    pops = {p["name"]: int(p["n"]) for p in net["populations"]}
    projs = {p["name"]: p for p in net["projections"]}
    t_end = float(run["t_end"])
    out = {}
    for key in arrays:
        owner, _, field = key.rpartition("/")
        if field == "t":
            out[key] = [0.0, t_end]
        elif field in ("i", "ids", "recorded") and owner in pops:
            out[key] = [0, pops[owner] - 1]
        elif owner in projs:
            proj = projs[owner]
            size = {"syn": proj["n_syn"], "pre": pops.get(proj["pre"]),
                    "post": pops.get(proj["post"]), "pre_ids": pops.get(proj["pre"]),
                    "post_ids": pops.get(proj["post"])}.get(field)
            if size is not None:
                out[key] = [0, int(size) - 1]
            elif field in ("w", "final") and proj.get("stdp"):
                out[key] = [float(proj["stdp"]["w_min"]), float(proj["stdp"]["w_max"])]
    return out


def _inside(base: Path, rel, *, tops=None) -> Path:
    """``base / rel`` for a manifest path ``rel``, or ``ValueError`` saying why it is
    refused: not a non-empty string, absolute, with a ``..`` part, its first folder not one
    of ``tops`` (when given), or resolving (through symlinks) outside ``base``. A path whose
    first folder is ``data`` or ``results`` may also resolve inside that folder's own
    target, so a ``data/`` symlinked to another disk keeps working."""
    if not isinstance(rel, str) or not rel.strip():
        raise ValueError(f"path {rel!r} is not a non-empty string")
    pure, win = PurePosixPath(rel), PureWindowsPath(rel)
    if pure.is_absolute() or win.is_absolute() or win.drive or win.root:
        raise ValueError("absolute path refused")
    if ".." in pure.parts or ".." in win.parts:
        raise ValueError("'..' in path refused")
    if not pure.parts:
        raise ValueError(f"path {rel!r} names no file")
    first = pure.parts[0]
    if tops is not None and first not in tops:
        raise ValueError(f"outside {' and '.join(f'{t}/' for t in tops)}")
    base = Path(base)
    path = base.joinpath(*pure.parts)
    roots = [] if tops is not None else [base.resolve()]
    if first in WRITABLE:
        roots.append((base / first).resolve())
    real = path.resolve()
    if not any(real == r or r in real.parents for r in roots):
        raise ValueError(f"a symlink: resolves to {real}, outside "
                         f"{' and '.join(str(r) for r in roots)}")
    return path


# ----------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Problem:
    path: str
    reason: str

    def __str__(self):
        return f"{self.path}: {self.reason}"


def _check_png(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head != b"\x89PNG\r\n\x1a\n":
        return ["not a PNG file (bad signature)"]
    try:
        from PIL import Image

        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            im.load()
    except Exception as err:       # PIL raises many types for broken files
        return [f"PNG does not decode: {err}"]
    return []


def _check_npz(path: Path, entry: dict) -> list[str]:
    try:
        arrays = load_npz(path)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        return [f"cannot read as .npz: {err}"]
    problems = []
    expected = entry.get("arrays", {})
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing:
        problems.append(f"missing arrays {missing}")
    if extra:
        problems.append(f"unexpected arrays {extra}")
    for key in sorted(set(expected) & set(arrays)):
        a, want = arrays[key], expected[key]
        if str(a.dtype) != want["dtype"]:
            problems.append(f"{key}: dtype {a.dtype}, expected {want['dtype']}")
        if list(a.shape) != list(want["shape"]):
            problems.append(f"{key}: shape {tuple(a.shape)}, expected {tuple(want['shape'])}")
    for key, a in sorted(arrays.items()):
        if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
            problems.append(f"{key}: {int(np.size(a) - np.isfinite(a).sum())} NaN/inf values")
    for key, (lo, hi) in sorted(entry.get("ranges", {}).items()):
        a = arrays.get(key)
        if a is None or a.size == 0 or a.dtype.kind not in "iuf":
            continue
        finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
        bad = (finite < lo) | (finite > hi)
        if bad.any():
            problems.append(f"{key}: {int(bad.sum())} values outside [{lo}, {hi}] "
                            f"(min {finite.min():g}, max {finite.max():g})")
    return problems


def _check_content(path: Path, entry: dict) -> list[str]:
    kind = entry.get("kind", _kind(path))
    if kind == "npz":
        return _check_npz(path, entry)
    if kind == "png":
        return _check_png(path)
    if kind in ("json", "notebook"):
        try:
            with open(path, encoding="utf-8") as fh:
                json.load(fh)
        except (ValueError, UnicodeDecodeError) as err:
            return [f"not valid JSON: {err}"]
        if kind == "notebook":
            import nbformat

            try:
                nbformat.validate(nbformat.read(str(path), as_version=4))
            except Exception as err:
                return [f"not a valid notebook: {err}"]
    return []


def verify(root=None, manifest=None) -> list[Problem]:
    """Check every artifact listed in the manifest; return the problems found (empty list:
    everything holds). ``manifest`` is a path to another manifest (e.g. one written by
    ``neurolab simulate``); its artifact paths are relative to the manifest's folder.

    With the repository's manifest, the check runs under the manifest's lock (a run that
    is installing its files finishes first; ``PipelineBusy`` after ``MANIFEST_WAIT_S``
    seconds), and every path that the last run of a notebook installed (the manifest's
    ``notebooks`` records) must still be listed: an entry dropped from the list is
    reported, not silently forgotten."""
    if manifest is not None:
        mpath = Path(manifest).resolve()
        if not mpath.is_file():
            return [Problem(str(mpath), "manifest missing")]
        return _verify(mpath.parent, mpath)
    base = _root(root)
    mpath = manifest_path(base)
    if not mpath.is_file():
        return [Problem(str(mpath.relative_to(base)),
                        "manifest missing: run `neurolab reproduce` first")]
    with _manifest_lock(base, required=False, refused="nothing was checked"):
        return _verify(base, mpath)


def _verify(base: Path, mpath: Path) -> list[Problem]:
    try:
        data = load_manifest(path=mpath)
    except (ValueError, PipelineError) as err:
        return [Problem(str(mpath), f"unreadable manifest: {err}")]
    problems = []
    listed = set()
    for k, entry in enumerate(data.get("artifacts", []), start=1):
        rel = entry.get("path") if isinstance(entry, dict) else None
        label = rel if isinstance(rel, str) and rel.strip() else f"manifest entry #{k}"
        listed.add(rel if isinstance(rel, str) else None)
        try:
            reasons = _check_entry(base, entry)
        except Exception as err:           # one bad entry never hides the others
            reasons = [f"cannot check: {type(err).__name__}: {err}"]
        problems += [Problem(label, r) for r in reasons]
    runs = data.get("notebooks", {})
    if not isinstance(runs, dict):
        return problems + [Problem(str(mpath.name), f"'notebooks' is not an object: "
                                                    f"{runs!r}")]
    for name, record in sorted(runs.items()):
        paths_ = record.get("paths") if isinstance(record, dict) else None
        if not isinstance(paths_, list):
            problems.append(Problem(f"notebook {name}", f"manifest record has no list of "
                                                        f"paths: {record!r}"))
            continue
        for rel in paths_:
            if rel not in listed:
                problems.append(Problem(str(rel), f"installed by the last run of {name} "
                                                  f"but no longer listed in the manifest"))
    return problems


def stray_files(root=None, manifest=None) -> list[str]:
    """Files the manifest does not know: under ``data/raw/`` and ``results/`` of the
    repository (default), or, with ``manifest`` (a path), in that manifest's folder.

    Not counted as strays: the manifest itself, the pipeline's lock and staging folders
    (``data/raw/.locks``, ``data/raw/.staging``), ``.gitkeep`` files, the executed copies
    of failed notebooks (``results/notebooks/NAME.failed.ipynb``, named by the failure
    message), the files of a folder that holds its own ``manifest.json`` and lists
    them (a ``neurolab simulate`` run folder; check it with ``verify --manifest``), and
    (for the repository) the files the sweep manifests list (``sweep.known_paths``).
    Returns sorted paths, relative to the repository root (or the manifest's folder);
    empty when there is no manifest (``verify`` reports that instead)."""
    if manifest is not None:
        mpath = Path(manifest).resolve()
        base, tops = mpath.parent, [mpath.parent]
    else:
        base = _root(root)
        mpath = manifest_path(base)
        tops = [base / "data" / "raw", base / "results"]
    if not mpath.is_file():
        return []
    try:
        known = {a.get("path") for a in load_manifest(path=mpath).get("artifacts", [])
                 if isinstance(a, dict)}
    except (OSError, ValueError, PipelineError):
        known = set()
    if manifest is None:
        from . import sweep                     # the files the sweep manifests account for

        known |= sweep.known_paths(base)
    skip_dirs = {(base / LOCKS).resolve(), (base / STAGING).resolve()}
    out = []
    for top in tops:
        if not top.is_dir():
            continue
        for folder, dirs, files in os.walk(top):
            folder = Path(folder)
            if folder.resolve() in skip_dirs:
                dirs[:] = []
                continue
            own = set()
            if folder != mpath.parent and "manifest.json" in files:
                try:
                    own = {a.get("path") for a in load_manifest(
                        path=folder / "manifest.json").get("artifacts", [])
                        if isinstance(a, dict)} | {"manifest.json"}
                except (OSError, ValueError, PipelineError):
                    own = set()
            for fname in files:
                path = folder / fname
                rel = path.relative_to(base).as_posix()
                if (path == mpath or fname == ".gitkeep" or rel in known
                        or path.relative_to(folder).as_posix() in own
                        or (folder.name == "notebooks" and fname.endswith(".failed.ipynb"))):
                    continue
                out.append(rel)
    return sorted(out)


def _check_entry(base: Path, entry) -> list[str]:
    """The problems of one manifest entry (see ``verify``)."""
    if not isinstance(entry, dict):
        return [f"manifest entry is not an object: {entry!r}"]
    try:
        path = _inside(base, entry.get("path"))
    except ValueError as err:
        return [f"refused: {err}"]         # never opened
    reasons = []
    size_ok = isinstance(entry.get("size"), int) and not isinstance(entry.get("size"), bool)
    sha_ok = isinstance(entry.get("sha256"), str)
    for key, ok in (("size", size_ok), ("sha256", sha_ok)):
        if key not in entry:
            reasons.append(f"manifest entry lacks {key!r}")
        elif not ok:
            reasons.append(f"manifest entry has a bad {key!r}: {entry[key]!r}")
    if not path.is_file():
        return reasons + ["missing"]
    size = path.stat().st_size
    if size_ok and size != entry["size"]:
        reasons.append(f"size {size} bytes, expected {entry['size']}")
    if sha_ok:
        digest = sha256_file(path)
        if digest != entry["sha256"]:
            reasons.append(f"sha256 {digest[:12]}..., expected {entry['sha256'][:12]}...")
    return reasons + _check_content(path, entry)


def format_report(problems: list[Problem], root=None, manifest=None,
                  strays: list[str] | None = None) -> str:
    """A human summary of ``verify``'s result, followed by a warning listing ``strays``
    (files the manifest does not know, see ``stray_files``) when there are any."""
    if not problems:
        n = len(load_manifest(root, path=manifest)["artifacts"])
        lines = [f"verify: all {n} artifacts OK"]
    else:
        files = sorted({p.path for p in problems})
        lines = [f"verify: {len(files)} file(s) failed:"]
        for f in files:
            lines.append(f"  {f}")
            lines += [f"    - {p.reason}" for p in problems if p.path == f]
    if strays:
        lines.append(f"warning: {len(strays)} file(s) not in the manifest (stray or "
                     f"half-copied?):")
        lines += [f"  {s}" for s in strays]
    return "\n".join(lines)
