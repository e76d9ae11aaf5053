"""The records a sweep leaves: its manifest, its journal and the paths they account for.

``data/raw/sweeps/SWEEP/manifest.json`` lists every point of a sweep (parameters, status,
artifacts); it is written whole when a sweep starts and when it ends. In between, each
point that finishes is appended as one line to ``journal.jsonl`` beside it (a
:class:`Journal`: append-only, one ``write`` per point, so the cost of recording a point
does not grow with the number of points). A reader sees the manifest
with the journal's records laid over it (:func:`load_sweep_manifest`; a later line for the
same point wins), so a sweep killed half-way (``kill -9`` included) still accounts for
every point that finished. A line cut short by a kill is not read, and the next writer
cuts it off before appending. :func:`known_paths` gives the files those records account
for, which ``neurolab verify`` must not call strays.

Room: ``neurolab.lab``, below ``sweep`` and ``verify``. May import: ``neurolab.base`` and
``neurolab.lab.errors`` / ``neurolab.lab.notebooks``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..base.io import to_jsonable
from .errors import PipelineError
from .notebooks import _root


SWEEP_FORMAT = "neurolab-sweep/1"


SWEEPS = Path("data") / "raw" / "sweeps"
POINT_RECORD = "point.json"
JOURNAL = "journal.jsonl"


def journal_path(manifest) -> Path:
    """The journal beside the sweep manifest ``manifest``."""
    return Path(manifest).with_name(JOURNAL)


def read_journal(path) -> tuple[list[dict], int]:
    """(records, length): the point records of the journal at ``path`` in the order they
    were written, and the length in bytes of its complete lines. A last line without its
    newline (a writer killed while writing it) is left out, and so is any line that is not
    a JSON object with an ``id``; a missing journal has no records."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return [], 0
    end = data.rfind(b"\n") + 1
    records = []
    for line in data[:end].split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            records.append(record)
    return records, end


_datasync = getattr(os, "fdatasync", os.fsync)        # macOS and Windows have no fdatasync


class Journal:
    """The append-only journal of a running sweep; one writer at a time (the command that
    holds the sweep's lock).

    Opening it cuts off a last line left incomplete by a killed writer (so that the next
    line starts on a line of its own); ``records`` holds what it already held. ``append``
    writes one record as one line with a single ``os.write`` on a descriptor opened with
    ``O_APPEND``: a process killed at any moment (``kill -9`` included: the data is in the
    operating system's hands once ``write`` returns) leaves every line it finished whole
    and at most one incomplete last line, which readers skip. ``close`` syncs it to disk.
    There is no sync per line: the journal is an index, not the record of truth, and a
    line lost with the machine's power costs nothing (a point is done when its folder,
    ``point.json`` included, is installed; a rerun finds it there)."""

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.records, end = read_journal(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if os.fstat(self._fd).st_size != end:
            os.ftruncate(self._fd, end)

    def append(self, record: dict) -> None:
        line = json.dumps(to_jsonable(record), sort_keys=True, separators=(",", ":"),
                          allow_nan=False) + "\n"
        view = memoryview(line.encode("utf-8"))
        while view:
            view = view[os.write(self._fd, view):]

    def clear(self) -> None:
        """Empty the journal (its records are now in the manifest)."""
        os.ftruncate(self._fd, 0)
        self.records = []

    def close(self) -> None:
        if self._fd is not None:
            try:
                _datasync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def apply_journal(data: dict, records) -> dict:
    """The manifest ``data`` with the journal ``records`` laid over its points (matched by
    ``id``, a later record winning; a record of a point the manifest does not list is
    ignored) and its ``counts`` recounted."""
    if not records:
        return data
    points = list(data["points"])
    where = {p.get("id"): k for k, p in enumerate(points) if isinstance(p, dict)}
    for record in records:
        k = where.get(record["id"])
        if k is not None:
            points[k] = record
    counts = {s: sum(isinstance(p, dict) and p.get("status") == s for p in points)
              for s in ("ok", "failed", "pending")}
    return {**data, "points": points, "counts": counts}


def load_sweep_manifest(path, *, journal: bool = True) -> dict:
    """A sweep manifest as a dict, with the records of its journal laid over it (unless
    ``journal`` is False: the manifest file alone); ``PipelineError`` when it is not one."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("format") != SWEEP_FORMAT:
        raise PipelineError(f"{path}: not a {SWEEP_FORMAT} manifest")
    if not isinstance(data.get("points"), list):
        raise PipelineError(f"{path}: 'points' is not a list")
    if journal:
        data = apply_journal(data, read_journal(journal_path(path))[0])
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
        out.add(journal_path(mpath).relative_to(root).as_posix())
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
