"""Which kernel a run calls: one thread (:func:`neurolab.engine.kernels.run_steps`) or
several (:func:`neurolab.engine.parallel.run_steps_threads`), with the process-wide guards
the threaded kernel needs (one threaded call at a time, fork and NEST safety).

Room: ``neurolab.engine``. May import: numba, ``neurolab.base`` and the engine's kernel
modules.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings

from . import compile as _compile
from . import kernels as K
from ..base import validate as V
from ..base.errors import _caller_level


def _check_threads(threads):
    """``threads`` as an int in [1, numba's thread count]; TypeError for a non-integer,
    ValueError naming the range and where its top comes from otherwise."""
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    threads = V.integer("threads", threads)
    if not 1 <= threads <= limit:
        env = os.environ.get("NUMBA_NUM_THREADS")
        source = (f"NUMBA_NUM_THREADS={env} in the environment" if env else
                  "the cores it found; the environment variable NUMBA_NUM_THREADS sets it")
        allowed = "1 here" if limit == 1 else f"between 1 and {limit}"
        raise ValueError(f"threads must be {allowed} (numba's thread count is {limit}: "
                         f"{source}), got threads={threads}")
    return threads


#: held around every call of the threaded kernel (see _kernel_for)
_PARALLEL_CALL = threading.Lock()


def _new_lock_in_child():
    """A forked child gets a fresh lock: one held by another thread of the parent at the
    fork would never be released in the child."""
    global _PARALLEL_CALL
    _PARALLEL_CALL = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)
#: the process that last called the threaded kernel (a forked child inherits it)
_threaded_pid = None


def _forked_after_openmp():
    """Whether this process was forked from one that ran the threaded kernel on numba's
    OpenMP layer: GNU OpenMP is not fork-safe, and numba terminates such a child when it
    enters a parallel region."""
    if _threaded_pid is None or _threaded_pid == os.getpid():
        return False
    import numba

    try:
        return numba.threading_layer() == "omp"
    except ValueError:                     # no layer started (none was inherited)
        return False


def _kernel_for(state, pv, threads, nm=None):
    """The kernel call for this run (a :class:`_Kernel`), on one
    thread (:func:`neurolab.engine.kernels.run_steps`) or on ``threads``
    (:func:`neurolab.engine.parallel.run_steps_threads`, for the networks it is written for)."""
    if threads > 1:
        unsupported = [name for name, f in zip(("the triplet rule", "Vogels' inhibitory rule",
                                                "reward-modulated STDP", "homeostasis"),
                                               state.families) if f is not None]
        if getattr(state, "clopath", None) is not None:
            unsupported.append("Clopath's voltage rule")
        if pv is not None:
            unsupported.append("a pair-rule variant (pre-centred or restricted pairing, "
                               "power-law weights or a same-step order other than "
                               "'potentiate')")
        if unsupported:
            warnings.warn(f"threads={threads}: this network uses {', '.join(unsupported)}, "
                          f"which the threaded kernel does not implement; it runs on one "
                          f"thread (same results)", RuntimeWarning,
                          stacklevel=_caller_level())
            threads = 1
        elif "nest" in sys.modules:
            warnings.warn(f"threads={threads}: NEST is loaded in this process; its OpenMP "
                          f"runtime and numba's crash a process that runs both (a "
                          f"segmentation fault in nest.ResetKernel); it runs on one thread "
                          f"(same results). Run NEST and threaded neurolab in separate "
                          f"processes", RuntimeWarning, stacklevel=_caller_level())
            threads = 1
        elif _forked_after_openmp():
            warnings.warn(f"threads={threads}: this process was forked from one that ran "
                          f"threads > 1 on numba's OpenMP threading layer, which is not "
                          f"fork-safe; it runs on one thread (same results). Start worker "
                          f"processes with the 'spawn' method to use threads in them",
                          RuntimeWarning, stacklevel=_caller_level())
            threads = 1
    cl = getattr(state, "clopath", None)
    n_families = (sum(f is not None for f in state.families) + (pv is not None)
                  + (nm is not None) + (cl is not None))
    if threads == 1:
        def args(start, stop, inp, mon, counters):
            return (start, stop, state.nrn, state.syn, state.tr, inp, mon, counters,
                    *state.families, pv, nm, cl)

        return _Kernel(K.run_steps, args, n_families, False, state=state)

    import numba

    from . import parallel as _parallel

    tables = state.thread_tables(threads)

    def args(start, stop, inp, mon, counters):
        return (start, stop, state.nrn, state.syn, state.tr, inp, mon, counters, *tables,
                None, nm)

    def call(*a):
        # one threaded call at a time in this process: numba's workqueue threading layer
        # (its fallback without OpenMP or TBB) aborts the process on concurrent calls
        global _threaded_pid
        with _PARALLEL_CALL:
            _threaded_pid = os.getpid()
            before = numba.get_num_threads()
            numba.set_num_threads(threads)
            try:
                _parallel.run_steps_threads(*a)
            finally:
                numba.set_num_threads(before)

    return _Kernel(_parallel.run_steps_threads, args, n_families, True, call, state=state)


class _Kernel:
    """The kernel call of one run: ``kernel(start, stop, inp, mon, counters)``.

    Its first call compiles the specialisation it needs (or loads it from numba's cache)
    under the inter-process compile lock (:mod:`neurolab.engine.compile`);
    :meth:`notice` says beforehand whether that will take seconds."""

    def __init__(self, dispatcher, args, n_families, threaded, call=None, state=None):
        self.dispatcher, self.args = dispatcher, args
        self.n_families, self.threaded = n_families, threaded
        self.call = dispatcher if call is None else call
        # a network's tables keep their types from run to run: once its kernel is ready,
        # later runs skip computing the signature (~0.3 ms, much of a short run)
        self.state = state
        self.key = (getattr(dispatcher, "__name__", None), threaded)
        self.ready = self.key in getattr(state, "_kernels_ready", ())

    def notice(self, inp, mon, counters):
        """The line to print before the first call when it must compile, else None."""
        if self.ready:
            return None
        sig = _compile.signature(self.args(0, 0, inp, mon, counters))
        return _compile.notice(self.dispatcher, sig, self.n_families, self.threaded)

    def __call__(self, start, stop, inp, mon, counters):
        a = self.args(start, stop, inp, mon, counters)
        if not self.ready:
            _compile.ensure_compiled(self.dispatcher, a)
            self.ready = True
            if self.state is not None:
                if not hasattr(self.state, "_kernels_ready"):
                    self.state._kernels_ready = set()
                self.state._kernels_ready.add(self.key)
        self.call(*a)
