"""``neurolab verify``: re-check every artifact the manifest lists.

Present, size and sha256 as recorded; ``.npz`` arrays with the recorded keys, dtypes and
shapes, finite and inside the ranges their run implies; PNG files decodable; JSON and
notebooks parseable; manifest paths inside the manifest's folder. ``stray_files`` lists
files the manifests do not know.

Room: ``neurolab.lab`` (the pipeline). May import: ``neurolab.base`` and the lab modules
listed in its own imports; papermill, nbclient and jupyter_client are imported where used.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..base.io import load_npz, sha256_file, tracked_files
from .errors import PipelineError
from .manifest import LOCKS, STAGING, _inside, _kind, _manifest_lock, load_manifest, manifest_path
from .notebooks import _root
from .sweep_records import known_paths


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
    them (a ``neurolab simulate`` run folder; check it with ``verify --manifest``),
    (for the repository) the files the sweep manifests list
    (``neurolab.lab.sweep_records.known_paths``), and files git tracks (the README's
    committed figures in a fresh clone; asked once with ``git ls-files``, and outside a
    git checkout nothing is skipped for this reason).
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
        known |= known_paths(base)
    known |= tracked_files(base) or set()
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
