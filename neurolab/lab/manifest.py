"""The manifest: every artifact the pipeline made, with its size, sha256 and producer.

``data/raw/manifest.json`` lists each artifact (path, size, sha256, the notebook and
parameters that produced it, and for raw runs the ranges their arrays must lie in); it is
read, modified and written under ``manifest.lock``, always atomically.

Room: ``neurolab.lab`` (the pipeline). May import: ``neurolab.base`` and the lab modules
listed in its own imports; papermill, nbclient and jupyter_client are imported where used.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

from . import locks as _locks
from ..base.io import atomic_write_json, load_npz, sha256_file
from .errors import PipelineBusy, PipelineError
from .notebooks import _root


# where a notebook runs before its files are moved into place: inside data/raw/ (ignored
# by git, on the same file system as data/ and results/ so that moves are atomic renames)
STAGING = Path("data") / "raw" / ".staging"


# the only top-level folders the pipeline writes, moves into or deletes from
WRITABLE = ("data", "results")


MANIFEST_FORMAT = "neurolab-manifest/1"


RUN_FILES = ("spikes.npz", "weights.npz", "state.npz")   # written by SimResult.save


LOCKS = Path("data") / "raw" / ".locks"          # NAME.lock per notebook, manifest.lock
# how long an install or ``verify`` waits for another process's manifest update or check
MANIFEST_WAIT_S = 600.0


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
