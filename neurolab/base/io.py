"""Atomic, byte-deterministic file writing and provenance helpers.

Every writer puts its bytes in a temporary file in the destination folder, flushes and
fsyncs it, then renames it over the destination (``os.replace`` is atomic on POSIX and
Windows): an interrupted run never leaves a half-written file that looks whole, and an
existing good file stays in place until its replacement is complete.

Room: ``neurolab.base`` (the floor below everything). May import: numpy and the standard
library only.
"""

from __future__ import annotations

import functools
import hashlib
import io as _io
import json
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(obj):
    """Convert numpy scalars/arrays, tuples and Paths into plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dumps_json(obj) -> str:
    """Canonical JSON text: sorted keys, indent 2, trailing newline."""
    return json.dumps(to_jsonable(obj), sort_keys=True, indent=2, allow_nan=False) + "\n"


def atomic_write_json(path, obj) -> Path:
    return atomic_write_text(path, dumps_json(obj))


def npz_bytes(arrays: dict) -> bytes:
    """Serialise ``arrays`` as an ``.npz`` archive whose bytes depend only on the data.

    ``numpy.savez`` stamps every member with the current time; here every member gets a
    fixed timestamp and members are stored in sorted key order.
    """
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for key in sorted(arrays):
            arr = np.ascontiguousarray(arrays[key])
            member = _io.BytesIO()
            np.lib.format.write_array(member, arr, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def save_npz(path, arrays: dict) -> Path:
    """Write ``arrays`` (name -> array) to ``path`` deterministically and atomically."""
    return atomic_write_bytes(path, npz_bytes(arrays))


def load_npz(path) -> dict:
    """Read an ``.npz`` archive into a dict of arrays (no pickles)."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def sha256_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def versions() -> dict:
    """Versions of Python and of the packages that shape a result (looked up once per
    process: installed versions do not change under a running interpreter)."""
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def _versions() -> tuple:
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ("neurolab", "numpy", "numba", "matplotlib"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return tuple(out.items())


# the folder of the package this code was imported from (resolved once: the code that
# runs is the code imported from here, whatever happens to symbolic links later)
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def git_commit(path=None) -> str | None:
    """The git commit of the repository holding ``path`` (default: this package), with
    ``-dirty`` appended when tracked files outside ``results/`` and ``data/`` (relative to
    the repository's top) differ from it; ``None`` outside a repository. Not cached: each
    call asks git again (once: ``git status --porcelain=v2 --branch`` gives the commit and
    the changes together; ``git rev-parse HEAD`` then ``git status --porcelain`` where
    that fails, e.g. with a git older than 2.17)."""
    where = Path(path) if path is not None else _PACKAGE_DIR
    # the pipeline itself rewrites tracked files under results/ (figures) and data/:
    # changes there must not make the checkout "dirty", or two consecutive
    # `neurolab reproduce` runs would record `<sha>` and then `<sha>-dirty`
    pathspecs = [":(top)", ":(top,exclude)results", ":(top,exclude)data"]
    try:
        both = subprocess.run(["git", "status", "--porcelain=v2", "--branch",
                               "--no-ahead-behind", "--untracked-files=no", "--", *pathspecs],
                              cwd=where, capture_output=True, text=True, timeout=10)
        if both.returncode == 0:
            lines = both.stdout.splitlines()
            oid = [ln.split()[2] for ln in lines if ln.startswith("# branch.oid ")]
            if len(oid) == 1:
                if oid[0] == "(initial)":            # no commit yet: rev-parse HEAD fails
                    return None
                # headers start with "#"; every other line is a changed tracked file
                dirty = any(ln.strip() and not ln.startswith("#") for ln in lines)
                return oid[0] + ("-dirty" if dirty else "")
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return None
        commit = head.stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no",
                                "--", *pathspecs],
                               cwd=where, capture_output=True, text=True, timeout=10)
        if dirty.returncode == 0 and dirty.stdout.strip():
            commit += "-dirty"
        return commit
    except (OSError, subprocess.SubprocessError):
        return None


def tracked_files(folder) -> set[str] | None:
    """The files under ``folder`` that git tracks (committed or added), as POSIX paths
    relative to ``folder``; ``None`` when ``folder`` is not inside a git checkout or git
    cannot be run. One ``git ls-files`` call, not cached."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", "."], cwd=folder,
                                capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if listed.returncode != 0:
        return None
    return {p for p in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if p}


def summary(arr: np.ndarray):
    """A JSON-friendly description of a parameter array: the value when uniform, else its
    range, mean and sha256."""
    arr = np.asarray(arr)
    if arr.size and np.all(arr == arr.reshape(-1)[0]):
        return float(arr.reshape(-1)[0])
    if arr.size == 0:
        return []
    return {"min": float(arr.min()), "max": float(arr.max()), "mean": float(arr.mean()),
            "n": int(arr.size),
            "sha256": hashlib.sha256(np.ascontiguousarray(arr).data).hexdigest()}
