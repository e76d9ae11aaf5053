"""Compiling the kernels: at most once per machine, never two processes at once, never in
silence.

numba compiles :func:`neurolab.engine.kernels.run_steps` (and the threaded
:func:`neurolab.engine.parallel.run_steps_threads`) once per *specialisation*: one per
combination of the optional rule families a network uses (the arguments that are ``None``
or not). A compiled specialisation is written to numba's on-disk cache and loaded from it
by every later process (a fraction of a second instead of seconds).

Two things numba leaves to its users, done here:

- **Concurrent writers.** numba's cache index (``*.nbi``) is rewritten whole by every
  process that adds an entry, and the name of a new data file (``*.nbc``) is chosen from
  the index that process read: two processes compiling different specialisations at once
  can lose an index entry or, worse, write one data file each under the same name, so
  that the index points at the other process's code. Every compile of a kernel here runs
  under an inter-process file lock (``filelock``) kept in numba's cache folder; a process
  that finds the lock taken waits, then loads what the other compiled.
- **Saying so.** A run whose kernel is neither loaded in this process nor in the cache
  prints one line before it waits ("compiling the simulator..."), so a first simulation
  that takes seconds is not mistaken for a hang. ``neurolab warmup``
  (:mod:`neurolab.lab.warmup`) fills the cache ahead of time.

numba picks the cache folder: ``NUMBA_CACHE_DIR`` when set, else ``__pycache__`` beside the
package's sources, else (a read-only install) a per-user folder (numba's
``UserWideCacheLocator``). :func:`cache_folder` says which one is used.

Room: ``neurolab.engine``. May import: numba, filelock and the standard library (the
kernel modules import this one).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

#: seconds a process waits for another one's compile before giving up with an error
LOCK_TIMEOUT = 900.0

#: rough compile time on a laptop core (s): the default kernel, and each family or variant
#: more (measured on the development machine, benchmarks/compile.py and the per-kernel
#: times in benchmarks/README.md, 2026-12-07: the shared functions compiled once,
#: neurolab.base.jit; at load ~3: the first kernel ~5-7 s, each further specialisation
#: ~3-6 s, the threaded kernel ~11 s)
_BASE_SECONDS = 5
_PER_FAMILY_SECONDS = 3
_THREADED_SECONDS = 10

_said = set()              # the specialisations this process already announced
#: ``(kernel function, str(signature))`` of every specialisation this process compiled or
#: loaded through :func:`ensure_compiled`, in order (what ``neurolab warmup`` records)
used = []
_said_lock = threading.Lock()


#: the kernel whose cache folder holds the compile lock: ``run_steps``, registered by
#: :mod:`neurolab.engine.kernels` when it is imported (this module imports no kernel)
_default = None


def register_default(dispatcher) -> None:
    """Make ``dispatcher``'s cache folder the one :func:`compile_lock` locks in."""
    global _default
    _default = dispatcher


def cache_folder(dispatcher=None) -> str | None:
    """The folder where numba keeps ``dispatcher``'s compiled code (default: ``run_steps``),
    or None when numba has no cache for it (caching disabled, the kernels not imported
    yet, or numba's internals changed)."""
    if dispatcher is None:
        dispatcher = _default
    try:
        return dispatcher._cache._cache_path
    except AttributeError:
        return None


def _writable(folder: str) -> bool:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


@contextlib.contextmanager
def compile_lock(dispatcher=None, timeout: float = LOCK_TIMEOUT):
    """Hold the inter-process lock under which kernels are compiled and written to numba's
    cache, and stale cache files removed (``neurolab-compile.lock`` in the cache folder of
    ``dispatcher``, default ``run_steps``: the kernel and every function it calls are
    compiled under this one lock). Without a writable cache folder there is nothing to
    protect and nothing is locked.

    Raises
    ------
    TimeoutError
        another process held the lock for more than ``timeout`` seconds.
    """
    folder = cache_folder(dispatcher)
    if folder is None or not _writable(folder):
        yield
        return
    from filelock import FileLock, Timeout

    path = os.path.join(folder, "neurolab-compile.lock")
    lock = FileLock(path, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise TimeoutError(f"another process has been compiling neurolab's kernels for more "
                           f"than {timeout:g} s (lock {path}); if none is running, delete "
                           f"that file") from None
    try:
        yield
    finally:
        lock.release()


def signature(args) -> tuple:
    """numba's types of ``args``: the specialisation a call with them uses."""
    from numba import typeof

    return tuple(typeof(a) for a in args)


def loaded(dispatcher, sig) -> bool:
    """Whether the specialisation ``sig`` is compiled (or loaded) in this process. A
    callable that is not a numba dispatcher (e.g. a profiler's wrapper around the kernel)
    counts as ready: it is not ours to compile."""
    overloads = getattr(dispatcher, "overloads", None)
    return overloads is None or tuple(sig) in overloads


def in_cache(dispatcher, sig) -> bool | None:
    """Whether numba's on-disk cache holds ``sig`` for this machine and these sources
    (None when it cannot be told: no cache, or numba's internals changed)."""
    try:
        cache = dispatcher._cache
        key = cache._index_key(tuple(sig), dispatcher.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except Exception:       # private numba API: any change means "cannot tell"
        return None


def estimate_seconds(n_families: int, threaded: bool = False) -> int:
    """A rough compile time for a specialisation with ``n_families`` optional families."""
    return (_THREADED_SECONDS if threaded else _BASE_SECONDS) + _PER_FAMILY_SECONDS * n_families


_local = threading.local()


@contextlib.contextmanager
def quietly():
    """No :func:`notice` in this thread meanwhile (``neurolab warmup`` shows a progress
    bar instead)."""
    before = getattr(_local, "quiet", False)
    _local.quiet = True
    try:
        yield
    finally:
        _local.quiet = before


def notice(dispatcher, sig, n_families: int, threaded: bool = False) -> str | None:
    """The line to print before a run that must compile its kernel, or None when the
    kernel is loaded, in the cache, or was already announced by this process (or
    :func:`quietly` is in force)."""
    if getattr(_local, "quiet", False):
        return None
    if loaded(dispatcher, sig) or in_cache(dispatcher, sig) is not False:
        return None
    key = (dispatcher.py_func.__name__, tuple(sig))
    with _said_lock:
        if key in _said:
            return None
        _said.add(key)
    return (f"neurolab: compiling the simulator for this kind of network (first use on this "
            f"machine only, about {estimate_seconds(n_families, threaded)} s; "
            f"`neurolab warmup` compiles every kernel ahead of time)")


def ensure_compiled(dispatcher, args) -> float:
    """Compile (or load from numba's cache) ``dispatcher``'s specialisation for ``args``
    under :func:`compile_lock`, unless this process has it already. Returns the seconds
    spent (0.0 when it was loaded)."""
    if not hasattr(dispatcher, "overloads"):       # not a numba dispatcher (a wrapper)
        return 0.0
    sig = signature(args)
    used.append((dispatcher.py_func.__name__, str(sig)))
    if loaded(dispatcher, sig):
        return 0.0
    t0 = time.perf_counter()
    with compile_lock():           # one lock for every kernel
        dispatcher.compile(sig)
    return time.perf_counter() - t0


def say(line: str | None) -> None:
    """Print ``line`` (a :func:`notice`) at once, on stdout."""
    if line:
        print(line, file=sys.stdout, flush=True)
