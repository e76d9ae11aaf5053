"""Running notebooks: papermill in a staging folder, under per-notebook locks.

A notebook runs into a staging folder of its own; only when every cell has run are its
files moved into place (one atomic rename each) and the manifest rewritten. See
:mod:`neurolab.lab` for the layout and the locking rules.

Room: ``neurolab.lab`` (the pipeline). May import: ``neurolab.base`` and the lab modules
listed in its own imports; papermill, nbclient and jupyter_client are imported where used.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ..base import paths
from ..base.io import git_commit, versions
from ..base.errors import require
from .errors import NotebookFailed, PipelineError
from .manifest import (STAGING, WRITABLE, _inside, _manifest_lock, describe_artifact,
                       load_manifest, notebook_locks, run_record, write_manifest)
from .notebooks import (RunTarget, _injectable, _root, check_parameters, find_notebook,
                        list_notebooks, notebook_parameters, run_target)
from .verify import format_report, stray_files, verify


# ----------------------------------------------------------------------------- running
#: the stderr file of the kernel this thread started last (see ``_Manager.start_kernel``)
_KERNEL_STDERR = threading.local()


def _kernel_last_words(lines: int = 6) -> str:
    """The last ``lines`` lines the kernel this thread started last wrote to its process's
    stderr (a crash's message: "Fatal Python error: ...", "Segmentation fault"), then the
    file is closed; ``""`` when there are none."""
    log = getattr(_KERNEL_STDERR, "log", None)
    _KERNEL_STDERR.log = None
    if log is None:
        return ""
    try:
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - 4096))
        text = log.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""
    finally:
        log.close()
    return "\n".join(ln.rstrip() for ln in text.strip().splitlines()[-lines:])


@functools.cache
def _kernel_manager_class():
    """A kernel manager that starts ipykernel with this very interpreter, so the notebook
    imports the same neurolab as the pipeline whatever kernelspecs are installed.

    jupyter_client's ``AsyncKernelManager``, as nbclient expects: with the synchronous
    manager and its blocking client, nbclient's wait for a cell's output blocked its event
    loop, so neither its dead-kernel check (the kernel process polled every second) nor the
    cell timeout could run, and a notebook whose kernel died hung for ever.

    Its client re-checks a socket's events after each message it sends (``_Channel``):
    jupyter_client sends through a blocking shadow of the asyncio socket, and that send can
    consume the wake-up of a reply that has just arrived on the same socket; a wait for that
    reply then never ends. nbclient sends on the shell socket while it waits for a cell's
    reply whenever the cell writes into an ``ipywidgets.Output`` (as the slider explorers
    do), so without the re-check about one run in thirty of such a notebook hung with the
    kernel idle (nbclient issue 312)."""
    import ipykernel.kernelspec
    import zmq
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.channels import AsyncZMQSocketChannel
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Type, default

    class _SpecManager(KernelSpecManager):
        # the kernel logs nothing below CRITICAL: no start-up chatter, and no "KeyboardInterrupt
        # caught in kernel" when jupyter_client interrupts it before every shutdown (Ctrl-C
        # of a sweep: neurolab's one line says what happened; a cell's error reaches the
        # user through nbclient, not through the kernel's log)
        def get_kernel_spec(self, kernel_name):
            spec = ipykernel.kernelspec.get_kernel_dict(
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)

    class _Channel(AsyncZMQSocketChannel):
        running = None             # the execute request whose reply has not come yet

        def send(self, msg):
            super().send(msg)
            if msg["msg_type"] == "execute_request":
                self.running = msg["header"]["msg_id"]
            # reading EVENTS through the asyncio socket makes pyzmq wake a pending
            # poll when a message is already waiting (the edge the send consumed)
            self.socket.get(zmq.EVENTS)

        async def get_msg(self, timeout=None):
            msg = await super().get_msg(timeout)
            if msg["parent_header"].get("msg_id") == self.running and \
                    msg["msg_type"] == "execute_reply":
                self.running = None
            return msg

    class _Client(AsyncKernelClient):
        shell_channel_class = Type(_Channel)
        stdin_channel_class = Type(_Channel)
        control_channel_class = Type(_Channel)

    class _Manager(AsyncKernelManager):
        _kc = None

        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return _SpecManager(data_dir=self.data_dir)

        @default("client_factory")
        def _client_factory_default(self):
            return _Client

        def client(self, **kwargs):
            self._kc = super().client(**kwargs)
            return self._kc

        async def start_kernel(self, **kw):
            """Start the kernel with its process's own stderr (fd 2) in a temporary file
            instead of this command's terminal: a cell's output reaches the notebook
            through the kernel's messages, and what else a kernel prints there is its own
            noise (ipykernel's and tornado's tracebacks when it is shut down in the middle
            of a reply) or, when it dies, its last words, which ``execute`` quotes."""
            if "stderr" not in kw:
                log = tempfile.TemporaryFile()
                _KERNEL_STDERR.log = log
                kw["stderr"] = log
            await super().start_kernel(**kw)

        async def shutdown_kernel(self, now=False, restart=False):
            """Shut the kernel down; at once when a cell is still running (Ctrl-C, a
            timeout): the graceful way interrupts the cell and asks the kernel to shut
            down at the same moment, and ipykernel then prints a traceback for the reply
            it can no longer send."""
            shell = getattr(self._kc, "_shell_channel", None)
            await super().shutdown_kernel(
                now=now or getattr(shell, "running", None) is not None, restart=restart)

    return _Manager


def _kernel_env(root: Path, stage: Path) -> dict:
    """Environment variables for the kernel: where to write, and where this neurolab is
    (a source checkout used without installing: put it on the kernel's PYTHONPATH)."""
    import site

    pkg_parent = str(Path(__file__).resolve().parents[2])
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
    executed copy with the traceback is then copied to ``failed_copy`` when given. A
    kernel that dies (a crash, ``os._exit``, the out-of-memory killer) or a cell that runs
    past ``timeout`` raises ``NotebookFailed`` too, within seconds, naming the cell that
    was running. The kernel's environment is set through this process's ``os.environ``
    for the start of the kernel, under a process-wide lock, so threads of one process run
    notebooks one at a time (a Dask worker with several threads stays correct, without
    gaining)."""
    papermill = require("papermill", "lab", "the notebook pipeline (neurolab reproduce)")
    from papermill.exceptions import PapermillExecutionError

    name = notebook.stem
    executed = stage / "results" / "notebooks" / f"{name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    (stage / "data").mkdir(parents=True, exist_ok=True)
    shown = failed_copy.relative_to(root) if failed_copy is not None and \
        failed_copy.is_relative_to(root) else failed_copy
    with _ENV_LOCK, _env(_kernel_env(root, stage)):
        _quiet_duplicates()
        try:
            papermill.execute_notebook(
                str(notebook), str(executed), parameters=_injectable(overrides) or None,
                kernel_name="python3", language="python",   # kernelspec metadata optional
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
        except KeyboardInterrupt:
            _drop_pending_tasks()
            raise
        except Exception as err:  # noqa: BLE001  (the kernel died, a cell timed out, ...)
            _drop_pending_tasks()
            _keep_failed_copy(executed, failed_copy)
            cell, count, first = _running_cell(notebook, executed, injected=bool(overrides))
            where = ("" if cell is None else f" in the {INJECTED} cell" if cell == INJECTED
                     else f" in cell {cell}")
            last = (_kernel_last_words() if type(err).__name__ == "DeadKernelError"
                    else "")
            raise NotebookFailed(
                name, f"notebook {name} did not complete{where}"
                + (f" (In [{count}])" if count is not None else "")
                + f": {_why_stopped(err, timeout)}"
                + (f"\n  cell starts: {first}" if first else "")
                + ("".join(f"\n  kernel's stderr: {ln}" for ln in last.splitlines()))
                + (f"\n  executed copy in {shown}" if failed_copy is not None
                   and failed_copy.is_file() else ""),
                cell=cell if isinstance(cell, int) else None, executed=failed_copy,
                injected=cell == INJECTED,
            ) from None
        finally:
            _kernel_last_words()               # close the kernel's stderr file
    if not executed.is_file():     # papermill returned, yet the run is not whole
        raise NotebookFailed(name, f"notebook {name} did not complete: its executed "
                             f"copy was not written; nothing was installed")
    return executed


#: what nbclient logs (through papermill's logger) when a run stops without a cell error;
#: neurolab's own message says it, naming the notebook and the cell
_NBCLIENT_DUPLICATES = ("Kernel died while waiting for execute reply",
                        "Timeout waiting for execute reply")


class _DropDuplicates:
    """A logging filter: nbclient's lines that repeat what neurolab reports."""

    def filter(self, record) -> bool:
        return not str(record.msg).startswith(_NBCLIENT_DUPLICATES)


_DROP_DUPLICATES = _DropDuplicates()


def _quiet_duplicates() -> None:
    """Before a run: nbclient's log lines that repeat neurolab's message are dropped, and
    the event loop nbclient runs on does not print "Task exception was never retrieved"
    for the cell it was executing when the kernel died, timed out or Ctrl-C stopped the run
    (nbclient leaves that task behind; the error it holds is the one neurolab reports)."""
    import asyncio
    import logging

    from jupyter_core.utils import ensure_event_loop

    logger = logging.getLogger("papermill")
    if _DROP_DUPLICATES not in logger.filters:
        logger.addFilter(_DROP_DUPLICATES)
    loop = ensure_event_loop()
    if getattr(loop.get_exception_handler(), "_neurolab", False):
        return

    def handler(loop, context):
        exc = context.get("exception")
        if type(exc).__name__ in ("DeadKernelError", "CellTimeoutError") or \
                isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
            return
        loop.default_exception_handler(context)

    handler._neurolab = True
    loop.set_exception_handler(handler)


def _drop_pending_tasks() -> None:
    """Cancel what nbclient left running in this thread's event loop after a run that
    stopped without a cell error (after a timeout, its wait for the cell's output), so that
    asyncio does not print "Task was destroyed but it is pending!" later."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if loop.is_running():          # called from inside a running loop: leave it alone
        return
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.wait(tasks, timeout=5))


def _why_stopped(err: Exception, timeout) -> str:
    """What stopped a run that ended without a cell error, in one line."""
    kind = type(err).__name__
    if kind == "DeadKernelError":
        return (f"{kind}: the kernel died (its process ended: a crash, os._exit, or the "
                f"out-of-memory killer)")
    if kind == "CellTimeoutError" and timeout:
        return (f"{kind}: the cell ran longer than the timeout ({timeout:g} s per cell) "
                f"and was stopped")
    text = str(err).strip().splitlines()
    return f"{kind}: {text[0]}" if text else kind


def _running_cell(notebook: Path, executed: Path, injected: bool):
    """``(cell, execution count, first line)`` of the cell that was running when a run
    stopped without a cell error (the kernel died, a timeout): the last cell of the
    executed copy that papermill started, numbered as ``_failing_cell`` numbers cells;
    ``(None, None, "")`` when no cell had started or the copy cannot be read."""
    import types

    import nbformat

    try:
        cells = nbformat.read(str(executed), as_version=4).cells
    except (OSError, ValueError, KeyError):   # not written, or half-written: unknown cell
        return None, None, ""
    started = [k for k, c in enumerate(cells)
               if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    if not started:
        return None, None, ""
    k = started[-1]
    source = cells[k].source
    first = next((ln for ln in source.splitlines() if ln.strip()), "")
    where = types.SimpleNamespace(cell_index=k, source=source)
    return (_failing_cell(notebook, where, injected=injected),
            cells[k].get("execution_count"), first)


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
