"""The records a sweep leaves: its manifest and the paths it accounts for.

``data/raw/sweeps/SWEEP/sweep.json`` lists every point of a sweep (parameters, status,
artifacts); :func:`known_paths` gives the files those manifests account for, which
``neurolab verify`` must not call strays.

Room: ``neurolab.lab``, below ``sweep`` and ``verify``. May import: ``neurolab.base`` and
``neurolab.lab.errors`` / ``neurolab.lab.notebooks``.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import PipelineError
from .notebooks import _root


SWEEP_FORMAT = "neurolab-sweep/1"


SWEEPS = Path("data") / "raw" / "sweeps"
POINT_RECORD = "point.json"


def load_sweep_manifest(path) -> dict:
    """A sweep manifest as a dict; ``PipelineError`` when it is not one."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("format") != SWEEP_FORMAT:
        raise PipelineError(f"{path}: not a {SWEEP_FORMAT} manifest")
    if not isinstance(data.get("points"), list):
        raise PipelineError(f"{path}: 'points' is not a list")
    return data


def is_sweep_manifest(path) -> bool:
    try:
        load_sweep_manifest(path)
    except (OSError, ValueError, PipelineError):
        return False
    return True


def sweep_manifests(root=None) -> list[Path]:
    """Every ``data/raw/sweeps/*/manifest.json`` of the repository, sorted."""
    return sorted((_root(root) / SWEEPS).glob("*/manifest.json"))


def known_paths(root=None) -> set[str]:
    """Root-relative paths that the sweep manifests account for (artifacts, summary
    files, ``point.json`` records, failed points' executed copies, the manifests): not
    strays."""
    root = _root(root)
    out = set()
    for mpath in sweep_manifests(root):
        out.add(mpath.relative_to(root).as_posix())
        try:
            data = load_sweep_manifest(mpath)
        except (OSError, ValueError, PipelineError):
            continue
        folder = data.get("folder")
        for point in data["points"]:
            if not isinstance(point, dict):
                continue
            out.update(e.get("path") for e in point.get("artifacts") or []
                       if isinstance(e, dict))
            if point.get("status") == "ok":
                out.add(f"{folder}/{point.get('id')}/{POINT_RECORD}")
            if point.get("failed_notebook"):
                out.add(point["failed_notebook"])
        out.update(e.get("path") for e in data.get("summary") or [] if isinstance(e, dict))
    return out
