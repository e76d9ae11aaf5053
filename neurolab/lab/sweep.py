"""Parameter sweeps of a notebook on Dask: ``neurolab sweep NOTEBOOK -p KEY VALUES ...``.

A sweep runs one notebook at every point of a grid of parameter values, each point
through the same papermill runner as ``neurolab reproduce`` (``execute``), as a
task of a Dask cluster (``dask.distributed``): a ``LocalCluster`` on this machine by
default (one worker process per core, one thread each), or any running Dask cluster given
by its scheduler's address or scheduler file (SLURM through dask-jobqueue, Kubernetes,
``dask scheduler`` / ``dask worker`` by hand). Workers need neurolab installed and the
repository on a file system they share with the command.

Layout (relative to the repository root)::

    data/raw/sweeps/SWEEP/manifest.json          the sweep manifest (format neurolab-sweep/1),
                                                 written when the sweep starts and ends
    data/raw/sweeps/SWEEP/journal.jsonl          one line per point finished since then
                                                 (append-only; gone once the manifest holds
                                                 them)
    data/raw/sweeps/SWEEP/POINT/                 one point: the data/ and results/ tree its
                                                 notebook wrote (data/raw/NAME/..., results/
                                                 figures, results/notebooks/NAME.ipynb) and
                                                 point.json (its record, artifacts' sha256)
    data/raw/sweeps/SWEEP/failed/POINT.ipynb     executed copy of a failed point (traceback)
    results/sweeps/SWEEP/summary.csv             one row per point: its parameters, status
                                                 and every number it marked as a result
    results/sweeps/SWEEP/summary.png             each result against each swept key
    data/raw/.locks/sweeps/SWEEP.lock            held by the command running the sweep
    data/raw/.locks/sweeps/SWEEP/POINT.lock      held by the worker running the point
                                                 (deleted when it is done)
    data/raw/.staging/sweeps/SWEEP/POINT/run-*/  where a point runs before it is installed
                                                 (deleted when it is done)

SWEEP is ``NAME-HASH`` (a hash of the notebook's code cells and of the grid's points; or
``--id``), POINT the ``params_id`` of the point's parameters (a short hash). Two
different sweeps therefore never share a folder, and the same command run again is the
same sweep: it resumes. A point runs into a staging folder of its own and is installed by
one atomic rename of that folder, ``point.json`` included, so a point folder is whole or
absent; a rerun skips every point whose ``point.json`` lists artifacts that still verify
(size and sha256), so a sweep killed by Ctrl-C, ``kill -9`` or a lost worker loses only the
points that were running. The command records each point that ends by appending one line
to the journal (``sweep_records.Journal``) instead of rewriting the manifest, so its
bookkeeping per point stays the same at 10 000 points as at 100; readers of the manifest
lay the journal over it, and a killed sweep's journal is read up to its last whole line.
Ctrl-C stops a sweep with ``SweepInterrupted`` (a ``KeyboardInterrupt``) saying how many
points are done: the worker processes of the command's own ``LocalCluster`` ignore SIGINT
and are killed by the command (a worker closing in order would shut its running kernel
down, which prints), so nothing but the command's message reaches the terminal. The
command holds the sweep's lock (a second command running the same sweep is refused,
``PipelineBusy``); a worker holds the point's lock while it runs it (a worker orphaned by
a killed command finishes or dies before the same point runs again).

A point whose notebook raises is recorded as failed with the error and the failing cell
(and its executed copy under ``failed/``); the others go on, and ``run_sweep`` reports the
count (the command exits 1). Results: a notebook marks numbers with
``neurolab.mark_result`` (``results.json`` beside its data); the sweep collects them into
``summary.csv`` and draws ``summary.png``.

Identity. The same parameters and seed give the same bytes wherever and whenever a point
runs (locally, on a cluster, first or on retry, or through ``neurolab reproduce NAME -p
...``) for the files the notebook writes: ``.npz`` arrays (fixed zip time stamps), PNG
figures (no software name or time stamp), ``results.json``; ``run.json`` too when the
package versions and git commit it records are the same. Not byte-stable, and not part of
that claim: the executed notebook (papermill records start/end times and durations), and
the records ``point.json`` and the manifests (run time, worker, time of writing). They are
checksummed all the same, so ``verify`` sees any change made after a point was recorded.

Room: ``neurolab.lab``. May import: ``neurolab.base``, the other lab modules and ``neurolab.plotting``;
Dask, bokeh and tqdm are imported where used.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as _dt
import hashlib
import io as _io
import json
import math
import os
import re
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import locks as _locks
from ..base.io import atomic_write_bytes, atomic_write_json, dumps_json
from .marks import RESULTS_FILE, read_results
from ..base.errors import require
from .errors import NotebookFailed, PipelineError
from .manifest import LOCKS, STAGING, _busy, describe_artifact
from .notebooks import (_coerce, _plain, _root, find_notebook,
                        notebook_parameters, params_id)
from .runner import _clear_stale_stages, execute
from .verify import Problem, _check_entry
from .sweep_records import (POINT_RECORD, SWEEPS, SWEEP_FORMAT, Journal, journal_path,
                            load_sweep_manifest)


SUMMARIES = Path("results") / "sweeps"


# float values of a range start:stop:count are rounded to this many significant digits, so
# that 0.008:0.013:6 gives 0.009, not 0.009000000000000001 (the value the notebook sees)
RANGE_DIGITS = 12


# the most points one sweep may have: a larger grid is refused, saying its size, before
# any value of it is built (a range 0:1:1e7 would otherwise plan for minutes at gigabytes)
MAX_POINTS = 100_000


# a point whose kernel did not start (a port taken by another process between
# jupyter_client choosing it and the kernel binding it) is run again, at most this many times
KERNEL_START_TRIES = 3


_SWEEP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\Z")


class SweepError(PipelineError):
    """A refused sweep request (bad VALUES, unknown key, a grid that does not fit)."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep. ``sweep_id``, and point counts: ``ok`` (done, kept; a rerun
    skips them), ``failed`` and ``total``. The points that were running are lost and run
    again when the same sweep is run again."""

    def __init__(self, sweep_id: str, *, ok: int, failed: int, total: int):
        super().__init__(f"sweep {sweep_id} interrupted: {ok} of {total} points done"
                         + (f", {failed} failed" if failed else ""))
        self.sweep_id, self.ok, self.failed, self.total = sweep_id, ok, failed, total


# ----------------------------------------------------------------------------- the grid
def _split(text: str) -> list[str]:
    """``text`` split at commas outside brackets and quotes (``[1, 2],[3, 4]`` is two)."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def parse_values(key: str, text: str, default) -> list:
    """The values VALUES stands for, converted to the type of the parameter's ``default``
    (with the pipeline's typing: ``check_parameters``).

    - a list ``a,b,c`` (commas inside brackets or quotes do not split);
    - for a float or int parameter, a range ``start:stop:count``: ``count`` evenly spaced
      values from ``start`` to ``stop``, both included (``numpy.linspace``; floats rounded
      to 12 significant digits; for an int parameter every value must be whole);
    - for an int parameter, ``start:stop``: the integers start, start + 1, ..., stop - 1
      (Python's ``range``: seeds ``0:4`` are 0, 1, 2, 3);
    - a single value.

    Raises ``SweepError`` naming the key, VALUES and what is allowed; also for a range of
    more than ``MAX_POINTS`` values, before any of them is made."""
    if not isinstance(text, str) or not text.strip():
        raise SweepError(f"-p {key} {text!r}: no values; give a list a,b,c, a range "
                         f"start:stop:count or one value")
    want = type(default)
    numeric = want in (int, float)
    if numeric and ":" in text:
        parts = [p.strip() for p in text.split(":")]
        allowed = ("start:stop:count (count values from start to stop, both included)"
                   + (" or start:stop (integers start ... stop - 1)" if want is int else ""))
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise SweepError(f"-p {key} {text!r}: not a range of numbers; expected "
                             f"{allowed}") from None
        if len(parts) == 2 and want is int:
            if not all(n.is_integer() for n in nums):
                raise SweepError(f"-p {key} {text!r}: start and stop of an integer range "
                                 f"must be whole numbers")
            _not_too_many(key, text, int(nums[1]) - int(nums[0]))
            values = list(range(int(nums[0]), int(nums[1])))
            if not values:
                raise SweepError(f"-p {key} {text!r}: empty range (stop must be greater "
                                 f"than start; stop is excluded)")
            return values
        if len(parts) != 3:
            raise SweepError(f"-p {key} {text!r}: expected {allowed}")
        start, stop, count = nums
        if not (count.is_integer() and count >= 1) or not all(map(math.isfinite, nums)):
            raise SweepError(f"-p {key} {text!r}: count must be a whole number >= 1 and "
                             f"start, stop finite")
        _not_too_many(key, text, count)
        grid = np.linspace(start, stop, int(count))
        if want is int:
            if not all(float(g).is_integer() for g in np.round(grid, 9)):
                raise SweepError(f"-p {key} {text!r}: {key} is an integer parameter but "
                                 f"this range gives {grid.tolist()}")
            return [int(round(g)) for g in grid]
        return [float(f"{g:.{RANGE_DIGITS}g}") for g in grid]
    out = []
    for item in _split(text):
        if item == "":
            raise SweepError(f"-p {key} {text!r}: an empty value in the list")
        out.append(_coerce(key, item, default))
    return out


def _not_too_many(key, text, count) -> None:
    """``SweepError`` when a range gives more than ``MAX_POINTS`` values."""
    if count > MAX_POINTS:
        raise SweepError(f"-p {key} {text!r}: {count:.0f} values; a sweep has at most "
                         f"{MAX_POINTS} points (use fewer values, or split the sweep)")


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A planned sweep: ``notebook`` (path), ``keys`` (swept, in the order given),
    ``points`` (one dict of typed values per point, in grid order), ``ids`` (the point ids,
    same order), ``sweep_id`` and ``root``."""
    root: Path
    notebook: Path
    keys: tuple
    points: tuple
    ids: tuple
    sweep_id: str
    zipped: bool
    code: str

    @property
    def name(self) -> str:
        return self.notebook.stem

    @property
    def folder(self) -> str:
        return (SWEEPS / self.sweep_id).as_posix()

    @property
    def manifest_path(self) -> Path:
        return self.root / SWEEPS / self.sweep_id / "manifest.json"


def code_hash(notebook) -> str:
    """sha256 of the notebook's code cells (sources only: outputs and metadata do not
    change what a point computes); part of the sweep id, so that an edited notebook starts
    a new sweep rather than mixing old and new points."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    text = "\n\x00".join(c.source for c in nb.cells if c.cell_type == "code")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan(name: str, specs: Sequence, *, root=None, zipped: bool = False,
         sweep_id: str | None = None) -> Sweep:
    """Check a sweep request and build its grid; nothing runs.

    ``specs``: (KEY, VALUES) pairs (``parse_values``). The grid is the product of the
    keys' values (the first key varies slowest), or with ``zipped`` the values paired in
    order (every key then needs as many values, except that a key given one value keeps
    it at every point). Every point is checked with
    ``check_parameters`` against the notebook's declared parameters. Raises
    ``PipelineError`` (unknown notebook or key, ill-typed value) or ``SweepError`` (bad
    VALUES, a key given twice, a value repeated, lists of different lengths with
    ``zipped``, a bad ``sweep_id``, a grid of more than ``MAX_POINTS`` points: refused
    with its size before it is built)."""
    import itertools

    root = _root(root)
    notebook = find_notebook(name, root)
    declared = notebook_parameters(notebook)
    listing = ", ".join(f"{k}={v!r}" for k, v in declared.items()) or "(none)"
    if not specs:
        raise SweepError(f"nothing to sweep: give -p KEY VALUES; parameters of "
                         f"{notebook.stem}: {listing}")
    keys, values = [], []
    for key, text in specs:
        if key not in declared:
            raise PipelineError(f"{notebook.stem} has no parameter {key!r}; valid "
                                f"parameters: {listing}")
        if key in keys:
            raise SweepError(f"-p {key} given twice; give all its values at once "
                             f"(a,b,c or start:stop:count)")
        vals = parse_values(key, text, declared[key])
        seen = set()
        for v in vals:
            tag = json.dumps(_plain(v), sort_keys=True)
            if tag in seen:
                raise SweepError(f"-p {key} {text!r}: the value {v!r} is given twice")
            seen.add(tag)
        keys.append(key)
        values.append(vals)
    size = math.prod(len(v) for v in values) if not zipped else max(map(len, values))
    if size > MAX_POINTS:
        sizes = " x ".join(str(len(v)) for v in values)
        raise SweepError(f"the grid has {sizes} = {size} points; a sweep has at most "
                         f"{MAX_POINTS} (use fewer values, --zip, or split the sweep)")
    if zipped:
        lengths = {k: len(v) for k, v in zip(keys, values)}
        n = max(lengths.values())
        if any(m not in (1, n) for m in lengths.values()):
            raise SweepError(f"--zip pairs the values in order and needs as many of each: "
                             f"got {lengths} (a key given one value keeps it at every "
                             f"point)")
        combos = list(zip(*(v * n if len(v) == 1 else v for v in values)))
    else:
        combos = list(itertools.product(*values))
    points = []
    for combo in combos:                 # the pipeline's typing (check_parameters), without
        points.append({k: _coerce(k, v, declared[k])     # reading the notebook per point
                       for k, v in zip(keys, combo)})
    ids = [params_id(p) for p in points]
    if len(set(ids)) != len(ids):
        raise SweepError("two points of the grid have the same parameters")
    code = code_hash(notebook)
    if sweep_id is None:
        digest = hashlib.sha256(dumps_json({"notebook": notebook.stem, "code": code,
                                            "points": sorted(ids)}).encode()).hexdigest()
        sweep_id = f"{notebook.stem}-{digest[:10]}"
    elif not _SWEEP_ID.match(sweep_id):
        raise SweepError(f"--id {sweep_id!r}: expected letters, digits, '_', '.', '-' "
                         f"(at most 81, starting with a letter or digit)")
    return Sweep(root, notebook, tuple(keys), tuple(points), tuple(ids), sweep_id,
                 zipped, code)


# ----------------------------------------------------------------------------- one point
def _point_lock(root: Path, sweep_id: str, point_id: str) -> Path:
    return root / LOCKS / "sweeps" / sweep_id / f"{point_id}.lock"


def _stage_folder(root: Path, sweep_id: str, point_id: str) -> Path:
    return root / STAGING / "sweeps" / sweep_id / point_id


def point_record(root, folder: str, point_id: str, *, check: bool = True) -> dict | None:
    """The ``point.json`` of an installed point, or None when there is none, it is
    unreadable, or (with ``check``) one of its artifacts no longer verifies (missing,
    other size or sha256, malformed)."""
    root = Path(root)
    path = root / folder / point_id / POINT_RECORD
    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("status") != "ok" or \
            not isinstance(record.get("artifacts"), list):
        return None
    if check:
        for entry in record["artifacts"]:
            try:
                if _check_entry(root, entry):
                    return None
            except Exception:
                return None
    return record


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


def run_point(root: str, notebook: str, sweep_id: str, point_id: str, params: dict,
              timeout: float | None = 1800, code: str | None = None) -> dict:
    """Run one point of a sweep (a Dask task; any process that sees the repository).

    Holds the point's lock, skips the run when the point is already installed and
    verifies (another attempt got there first), runs the notebook into a fresh staging
    folder, writes ``point.json`` there and installs the folder by one rename. Returns the
    point's record: ``id``, ``parameters``, ``status`` ("ok" or "failed"), ``artifacts``
    (manifest entries, root-relative paths), ``run_time_s``, ``worker``, ``finished``, and
    for a failure ``error``, ``cell`` (1-based, the committed notebook's numbering, None
    when unknown) and ``failed_notebook``. Never raises for a failing notebook.
    ``code``: the notebook's ``code_hash`` when the caller knows it (read here otherwise)."""
    root, notebook = Path(root), Path(notebook)
    folder = (SWEEPS / sweep_id).as_posix()
    with _locks.hold(_point_lock(root, sweep_id, point_id), timeout=None,
                     what=f"point {point_id} of sweep {sweep_id}", remove=True):
        done = point_record(root, folder, point_id)
        if done is not None:
            return {**done, "skipped": True}
        stages = _stage_folder(root, sweep_id, point_id)
        _clear_stale_stages(stages)
        stages.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix="run-", dir=stages))
        failed_rel = f"{folder}/failed/{point_id}.ipynb"
        record = {"id": point_id, "parameters": params, "worker": _worker_name()}
        t0 = time.perf_counter()
        try:
            attempt = 1
            try:
                for attempt in range(1, KERNEL_START_TRIES + 1):
                    try:
                        execute(notebook, params, stage, root=root,
                                         timeout=timeout, failed_copy=root / failed_rel,
                                         progress_bar=False)
                        break
                    except NotebookFailed as err:
                        if attempt == KERNEL_START_TRIES or not _kernel_did_not_start(err):
                            raise
                        shutil.rmtree(stage, ignore_errors=True)
                        stage.mkdir()
                record["attempts"] = attempt
            except NotebookFailed as err:
                record.update(status="failed", error=str(err), cell=err.cell,
                              injected=err.injected, attempts=attempt,
                              run_time_s=round(time.perf_counter() - t0, 3),
                              failed_notebook=failed_rel if (root / failed_rel).is_file()
                              else None, finished=_now())
                return record
            record["run_time_s"] = round(time.perf_counter() - t0, 3)
            target = root / folder / point_id
            artifacts = []
            for src in sorted(p for p in stage.rglob("*") if p.is_file()):
                rel = f"{folder}/{point_id}/{src.relative_to(stage).as_posix()}"
                artifacts.append(describe_artifact(src, root_rel=rel))
            record.update(status="ok", artifacts=artifacts, finished=_now(),
                          notebook=notebook.stem, sweep=sweep_id,
                          code=code if code is not None else code_hash(notebook))
            atomic_write_json(stage / POINT_RECORD, record)
            _install_folder(stage, target, stages)
            (root / failed_rel).unlink(missing_ok=True)
            return record
        finally:
            shutil.rmtree(stage, ignore_errors=True)
            with contextlib.suppress(OSError):
                stages.rmdir()


def _kernel_did_not_start(err: NotebookFailed) -> bool:
    """Whether a run failed before its kernel answered (no cell ran): jupyter_client's
    "Kernel died before replying to kernel_info" or "Kernel didn't respond", as when
    another process took the port the kernel was given. Such a point is tried again."""
    text = str(err)
    return err.cell is None and not err.injected and (
        "Kernel died before replying to kernel_info" in text
        or "Kernel didn't respond in" in text)


def _install_folder(stage: Path, target: Path, stages: Path) -> None:
    """Move the folder ``stage`` to ``target`` by one rename; an older ``target`` (a point
    that no longer verified) is first renamed aside, then deleted."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix="old-", dir=stages))
        os.replace(target, old / "point")
    os.replace(stage, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- the manifest
def _pending(sweep: Sweep, k: int) -> dict:
    return {"id": sweep.ids[k], "parameters": sweep.points[k], "status": "pending"}


def _write_manifest(sweep: Sweep, records: dict, summary: list | None = None) -> None:
    points = [records.get(pid) or _pending(sweep, k) for k, pid in enumerate(sweep.ids)]
    counts = {s: sum(p["status"] == s for p in points) for s in ("ok", "failed", "pending")}
    manifest = {"format": SWEEP_FORMAT, "sweep": sweep.sweep_id, "folder": sweep.folder,
                "notebook": sweep.name, "code": sweep.code, "keys": list(sweep.keys),
                "zip": sweep.zipped, "defaults": notebook_parameters(sweep.notebook),
                "counts": counts, "points": points, "summary": summary or [],
                "written": _now()}
    atomic_write_json(sweep.manifest_path, manifest)


def _root_of(mpath: Path, data: dict) -> Path:
    """The repository root of a sweep manifest: its folder minus the recorded
    ``folder`` (``data/raw/sweeps/SWEEP``); ``PipelineError`` when they do not match."""
    parts = Path(str(data.get("folder", ""))).parts
    here = mpath.resolve().parent
    if not parts or here.parts[-len(parts):] != parts:
        raise PipelineError(f"{mpath}: the sweep manifest records folder "
                            f"{data.get('folder')!r} but lies in {here}")
    return Path(*here.parts[:-len(parts)])


def verify_sweep(mpath) -> list[Problem]:
    """Check one sweep manifest: every artifact of every point recorded "ok" (present,
    size, sha256, content as ``verify`` checks them) and the summary files.
    Problems are named by root-relative path. A point still pending or failed is not a
    problem of the files (the sweep command reports those)."""
    mpath = Path(mpath)
    try:
        data = load_sweep_manifest(mpath)
        root = _root_of(mpath, data)
    except (OSError, ValueError, PipelineError) as err:
        return [Problem(str(mpath), f"unreadable sweep manifest: {err}")]
    problems = []
    entries = [e for p in data["points"] if isinstance(p, dict) and p.get("status") == "ok"
               for e in (p.get("artifacts") or [])]
    entries += list(data.get("summary") or [])
    for k, entry in enumerate(entries, start=1):
        rel = entry.get("path") if isinstance(entry, dict) else None
        label = rel if isinstance(rel, str) and rel.strip() else f"{mpath}: entry #{k}"
        try:
            reasons = _check_entry(root, entry)
        except Exception as err:                 # one bad entry never hides the others
            reasons = [f"cannot check: {type(err).__name__}: {err}"]
        problems += [Problem(label, r) for r in reasons]
    return problems


def count_artifacts(mpath) -> int:
    data = load_sweep_manifest(mpath)
    return sum(len(p.get("artifacts") or []) for p in data["points"]
               if isinstance(p, dict) and p.get("status") == "ok") + \
        len(data.get("summary") or [])


# ----------------------------------------------------------------------------- summary
def collect_results(root: Path, record: dict) -> dict:
    """Every number a point's notebook marked (``results.json`` files among its
    artifacts), name -> value."""
    out = {}
    for entry in record.get("artifacts") or []:
        path = entry.get("path", "")
        if path.rsplit("/", 1)[-1] == RESULTS_FILE:
            try:
                out.update(read_results(root / path))
            except (OSError, ValueError):
                continue
    return out


def summary_table(sweep: Sweep, records: dict) -> tuple[list[str], list[dict]]:
    """(columns, rows): one row per point in grid order, columns ``point``, ``status``,
    the swept keys, then every result name any point marked (sorted)."""
    found = []
    for k, pid in enumerate(sweep.ids):
        rec = records.get(pid) or _pending(sweep, k)
        found.append(collect_results(sweep.root, rec) if rec["status"] == "ok" else {})
    names = sorted(set().union(*found))
    fixed = ["point", "status", *sweep.keys]
    column = {n: n if n not in fixed else f"result_{n}" for n in names}
    rows = []
    for k, (pid, results) in enumerate(zip(sweep.ids, found)):
        rec = records.get(pid) or _pending(sweep, k)
        row = {"point": pid, "status": rec["status"], **sweep.points[k]}
        row.update({column[n]: results.get(n) for n in names})
        rows.append(row)
    return fixed + [column[n] for n in names], rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(_plain(value))
    return str(value)


def write_summary(sweep: Sweep, records: dict) -> list[dict]:
    """Write ``results/sweeps/SWEEP/summary.csv`` and, when any point marked a result,
    ``summary.png`` (each result against each swept key, one line per combination of the
    other keys); returns their manifest entries."""
    from .. import plotting

    columns, rows = summary_table(sweep, records)
    out = sweep.root / SUMMARIES / sweep.sweep_id
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    written = [atomic_write_bytes(out / "summary.csv", buf.getvalue().encode("utf-8"))]
    results = columns[2 + len(sweep.keys):]
    fig_path = out / "summary.png"
    if results:
        fig = summary_figure(sweep.keys, results, rows)
        written.append(plotting.save_figure(fig, fig_path))
    else:
        fig_path.unlink(missing_ok=True)
    return [describe_artifact(p, root_rel=p.relative_to(sweep.root).as_posix())
            for p in written]


def summary_figure(keys: Sequence[str], results: Sequence[str], rows: list[dict]):
    """A matplotlib ``Figure`` (no pyplot): one panel per (result, swept key), the result
    of every finished point against that key, points that share the other keys' values
    joined by a line (labelled in the top panel of each column when there are at most 8
    such lines). Non-numeric key values are placed in the order they first appear. A key
    that has one value at every point (``-p duration_s 2``) gets no panels: it is named in
    the title (unless no key varies)."""
    from matplotlib.figure import Figure

    from .. import plotting

    done = [r for r in rows if r["status"] == "ok"]
    varying = [k for k in keys if len({_cell(r[k]) for r in rows}) > 1]
    fixed = [k for k in keys if k not in varying] if varying else []
    keys = varying or list(keys)
    fig = Figure(figsize=(3.6 * len(keys), 2.8 * len(results)), layout="constrained")
    axes = fig.subplots(len(results), len(keys), squeeze=False)
    for i, res in enumerate(results):
        for j, key in enumerate(keys):
            ax = axes[i, j]
            others = [k for k in keys if k != key]
            xs = [r[key] for r in done]
            numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
            order = list(dict.fromkeys(_cell(x) for x in xs))
            groups: dict = {}
            for r in done:
                label = ", ".join(f"{k}={_cell(r[k])}" for k in others)
                groups.setdefault(label, []).append(r)
            for g, (label, members) in enumerate(sorted(groups.items())):
                pts = sorted(((r[key] if numeric else order.index(_cell(r[key])),
                               r.get(res)) for r in members), key=lambda p: p[0])
                pts = [(x, float(y)) for x, y in pts if isinstance(y, (int, float))]
                if not pts:
                    continue
                color = plotting.PALETTE[g % len(plotting.PALETTE)]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=4,
                        lw=1.2 if len(groups) <= 8 else 0.6, color=color,
                        label=label or None)
            if not numeric:
                ax.set_xticks(range(len(order)), order)
            ax.set_xlabel(key)
            ax.set_ylabel(res)
            if i == 0 and 1 < len(groups) <= 8:
                ax.legend(fontsize=7, frameon=False)
    n_ok = len(done)
    same = ", ".join(f"{k}={_cell(rows[0][k])}" for k in fixed) if rows else ""
    fig.suptitle(f"{n_ok} of {len(rows)} points" + (f" ({same})" if same else ""),
                 fontsize=10)
    return fig


# ----------------------------------------------------------------------------- running
@dataclasses.dataclass
class Outcome:
    """What ``run_sweep`` did: point counts, the manifest and summary paths."""
    sweep: Sweep
    ok: int
    failed: int
    pending: int
    skipped: int
    ran: int
    manifest: Path
    summary: list
    failures: list


def _client(scheduler: str, n_workers: int | None, log):
    """A ``distributed.Client``, the cluster it started (None for an existing one) and
    whether it has a dashboard.

    ``scheduler``: "local" (a ``LocalCluster`` of ``n_workers`` processes, default one
    per core, one thread each, on 127.0.0.1 with the dashboard on a free port when bokeh
    is installed), a scheduler address (``tcp://host:8786``) or the path of a scheduler
    file (``dask scheduler --scheduler-file FILE``)."""
    import importlib.util
    import logging

    require("distributed", "sweep", "neurolab sweep (points run on Dask)")
    from distributed import Client, LocalCluster

    if scheduler == "local":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else (os.cpu_count() or 1)
        n = n_workers or cores
        dashboard = "127.0.0.1:0" if importlib.util.find_spec("bokeh") else None
        with _sigint_ignored():          # the worker processes inherit SIG_IGN: Ctrl-C
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=dashboard,
                                   silence_logs=logging.ERROR)      # stops the command only
        return Client(cluster), cluster, dashboard is not None
    if _scheduler_kind(scheduler, n_workers) == "address":
        return Client(scheduler, timeout=30), None, True
    return Client(scheduler_file=scheduler, timeout=30), None, True


_KILL = getattr(signal, "SIGKILL", signal.SIGTERM)     # Windows has no SIGKILL


@contextlib.contextmanager
def _dask_quiet():
    """Dask's own log lines off while an interrupted sweep closes its cluster: the
    scheduler, which runs in this process, logs at ERROR level the results it can no
    longer hand over (``Couldn't gather keys ...``) when Ctrl-C lands while a point's
    result is collected; the user is told what happened by neurolab's one line."""
    import logging

    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore SIGINT in the ``with`` block (main thread only; elsewhere nothing changes).
    Processes started meanwhile keep ignoring it (``SIG_IGN`` survives ``exec``, and Python
    then installs no ``KeyboardInterrupt`` handler), so a terminal's Ctrl-C, sent to the
    whole process group, reaches the command but not its LocalCluster's workers."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _scheduler_kind(scheduler: str, n_workers) -> str:
    """"local", "address" or "file"; ``SweepError`` for anything else."""
    if scheduler == "local":
        return "local"
    if n_workers is not None:
        raise SweepError("--workers only applies to --scheduler local; an existing "
                         "cluster has the workers it has")
    if "://" in scheduler or re.fullmatch(r"[\w.-]+:\d+", scheduler):
        return "address"
    if Path(scheduler).is_file():
        return "file"
    raise SweepError(f"--scheduler {scheduler!r}: expected 'local', a scheduler address "
                     f"(tcp://host:8786) or an existing scheduler file")


def run_sweep(sweep: Sweep, *, scheduler: str = "local", n_workers: int | None = None,
              timeout: float | None = 1800, wait: float | None = 0,
              log: Callable[[str], None] = print, progress: bool = True,
              client=None) -> Outcome:
    """Run every point of ``sweep`` that is not already installed and verified; write the
    sweep manifest at the start, append each point that ends to the sweep's journal, and
    write the summary and the whole manifest at the end.

    ``scheduler``/``n_workers``: see ``_client`` (``client``: an existing
    ``distributed.Client`` to use instead). ``timeout``: seconds one cell may run.
    ``wait``: seconds to wait when another command runs this sweep (0: refuse at once,
    ``PipelineBusy``; None: no limit). ``progress``: a tqdm bar (done/failed/running,
    elapsed, estimated time left). Failing points are recorded and counted, not raised.
    Ctrl-C raises ``SweepInterrupted`` once the cluster is closed (what finished is kept)."""
    root = sweep.root
    if client is None:
        _scheduler_kind(scheduler, n_workers)          # refuse before anything is written
    lock = root / LOCKS / "sweeps" / f"{sweep.sweep_id}.lock"
    try:
        held = _locks.hold(lock, timeout=wait, what=f"sweep {sweep.sweep_id}")
        held.__enter__()
    except _locks.LockBusy as err:
        raise _busy(err) from None
    try:
        return _run_locked(sweep, scheduler, n_workers, timeout, log, progress, client)
    finally:
        held.__exit__(None, None, None)


def _check_same_grid(sweep: Sweep) -> None:
    if not sweep.manifest_path.is_file():
        return
    old = load_sweep_manifest(sweep.manifest_path)
    same = (old.get("notebook") == sweep.name and old.get("code") == sweep.code and
            sorted(p.get("id") for p in old["points"]) == sorted(sweep.ids))
    if not same:
        raise SweepError(f"sweep {sweep.sweep_id} ({sweep.folder}) holds another grid or "
                         f"another version of {old.get('notebook')}; choose another --id")


def _run_locked(sweep, scheduler, n_workers, timeout, log, progress, client) -> Outcome:
    from tqdm.auto import tqdm

    _check_same_grid(sweep)
    records, todo = {}, []
    for k, pid in enumerate(sweep.ids):
        done = point_record(sweep.root, sweep.folder, pid)
        if done is not None:
            records[pid] = done
        else:
            todo.append(k)
    skipped = len(sweep.ids) - len(todo)
    _write_manifest(sweep, records)
    log(f"sweep {sweep.sweep_id}: {len(sweep.ids)} points of {sweep.name} over "
        f"{', '.join(sweep.keys)} -> {sweep.folder}/")
    if skipped:
        log(f"  {skipped} already done and verified (skipped), {len(todo)} to run")
    failures = []
    journal = Journal(journal_path(sweep.manifest_path))
    try:
        journal.clear()                  # the manifest just written holds what it held
        if todo:
            failures = _run_todo(sweep, client, scheduler, n_workers, todo, records,
                                 timeout, progress, log, tqdm, journal)
        summary = write_summary(sweep, records)
        _write_manifest(sweep, records, summary)
    finally:
        journal.close()
    journal.path.unlink(missing_ok=True)          # its records are in the manifest now
    for folder in (_point_lock(sweep.root, sweep.sweep_id, "x").parent,
                   _stage_folder(sweep.root, sweep.sweep_id, "x").parent):
        with contextlib.suppress(OSError):
            folder.rmdir()                        # empty once every point is done
    counts = {s: sum((records.get(pid) or {"status": "pending"})["status"] == s
                     for pid in sweep.ids) for s in ("ok", "failed", "pending")}
    return Outcome(sweep, counts["ok"], counts["failed"], counts["pending"], skipped,
                   len(todo), sweep.manifest_path, summary, failures)


def _run_todo(sweep, client, scheduler, n_workers, todo, records, timeout, progress, log,
              tqdm, journal) -> list:
    """Run the points ``todo`` on ``client`` (or on a cluster started here and closed
    again); ``SweepInterrupted`` on Ctrl-C, once the cluster is closed."""
    own, has_dashboard, made = None, True, client is None
    interrupted, pids = False, []
    try:
        if made:
            client, own, has_dashboard = _client(scheduler, n_workers, log)
        if own is not None:                      # the worker processes this command started
            pids = [p for p in client.run(os.getpid).values() if p != os.getpid()]
        link = client.dashboard_link if has_dashboard else None
        n = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        log(f"  Dask scheduler {client.scheduler.address}, {n} workers"
            + (f"; dashboard: {link}" if link else ""))
        return _submit(sweep, client, todo, records, timeout, progress, tqdm, journal)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        with _sigint_ignored() if interrupted else contextlib.nullcontext(), \
                _dask_quiet() if interrupted else contextlib.nullcontext():
            if interrupted:                      # stop our workers at once: a worker told
                for pid in pids:                 # to close would shut its running kernel
                    with contextlib.suppress(OSError):       # down, and the kernel would
                        os.kill(pid, _KILL)                  # print "KeyboardInterrupt"
            if made and client is not None:
                client.close()
            if own is not None:
                own.close()
        if interrupted:               # points installed count as done, journaled or not
            done = sum(1 for _ in (sweep.root / sweep.folder).glob(f"*/{POINT_RECORD}"))
            status = [(records.get(pid) or {}).get("status") for pid in sweep.ids]
            raise SweepInterrupted(sweep.sweep_id, ok=max(done, status.count("ok")),
                                   failed=status.count("failed"),
                                   total=len(sweep.ids)) from None


def _submit(sweep, client, todo, records, timeout, progress, tqdm, journal) -> list:
    n = len(todo)                  # one call for all the tasks (a submit each costs ~1 ms)
    keys = [f"neurolab-point-{sweep.sweep_id}-{sweep.ids[k]}" for k in todo]
    futures = dict(zip(client.map(run_point, [str(sweep.root)] * n,
                                  [str(sweep.notebook)] * n, [sweep.sweep_id] * n,
                                  [sweep.ids[k] for k in todo],
                                  [sweep.points[k] for k in todo], [timeout] * n,
                                  [sweep.code] * n, key=keys, pure=False), todo))
    failures = []
    threads = _n_threads(client)                  # asked once: it is a call to the scheduler
    bar = tqdm(total=len(todo), unit="point", disable=not progress, dynamic_ncols=True,
               desc=_short(sweep.sweep_id))
    ok = failed = 0
    try:
        for fut, result in _completed(client, futures):
            k = futures.pop(fut)                  # dropped: Dask forgets the task
            pid = sweep.ids[k]
            if isinstance(result, BaseException):
                record = {"id": pid, "parameters": sweep.points[k], "status": "failed",
                          "error": f"{type(result).__name__}: {result}", "cell": None,
                          "finished": _now()}     # lost worker, unpicklable, cancelled ...
            else:
                record = result
            record.pop("skipped", None)
            records[pid] = record
            if record["status"] == "ok":
                ok += 1
            else:
                failed += 1
                failures.append(record)
            journal.append(record)
            bar.update(1)
            running = len(todo) - ok - failed
            bar.set_postfix(done=ok, failed=failed, running=min(running, threads),
                            refresh=False)
    finally:
        bar.close()
    return failures


def _completed(client, futures):
    """(future, result) as the futures finish, a batch at a time: the results of every
    future that finished since the last batch are fetched in one ``gather`` (not one round
    trip per point); the result of a future that failed is its exception. Nothing fetches
    in the background, so Ctrl-C leaves no fetch to fail noisily while the cluster closes
    (``as_completed(with_results=True)`` would log a traceback for each)."""
    from distributed import as_completed

    for batch in as_completed(list(futures)).batches():
        done = [f for f in batch if f.status == "finished"]
        values = client.gather(done) if done else []
        yield from zip(done, values)
        for fut in batch:
            if fut.status != "finished":
                try:
                    err = fut.exception()
                except BaseException as exc:     # cancelled: the exception is its own
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    err = exc
                yield fut, err if err is not None else RuntimeError(fut.status)


def _short(text: str, width: int = 32) -> str:
    """``text``, or its end after an ellipsis when longer than ``width`` characters."""
    return text if len(text) <= width else "\u2026" + text[-(width - 1):]


def _n_threads(client) -> int:
    try:
        return sum(w.get("nthreads", 1)
                   for w in client.scheduler_info(n_workers=-1)["workers"].values())
    except Exception:
        return 0
