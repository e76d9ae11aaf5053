"""How the kernels' shared functions are compiled: numba's options for them, as a dict
(``@njit(**CALLEE)``), so that this floor needs no numba.

The step loops (:func:`neurolab.engine.kernels.run_steps`, the threaded kernel) are
compiled once per *specialisation* (each combination of optional rule families). The
functions they call (the LIF update, delivery, the rules' pathways...) are not inlined into
each specialisation at numba's IR level (``inline="always"`` re-runs numba's front end,
typing to lowering, for every call site of every specialisation); each is compiled once
per argument types, kept in numba's cache, and linked into every kernel that calls it, where
LLVM still inlines the small ones. The options:

- ``cache``: compiled once per machine, like the kernels;
- ``no_cpython_wrapper``, ``no_cfunc_wrapper``: only other jitted code calls them, so
  numba skips the wrappers that convert Python objects (a good part of the compile time of
  a small function with many array arguments). Calling such a function from Python
  crashes the process: a function that Python code calls too keeps numba's defaults
  (``@njit(cache=True)``, e.g. ``plasticity.reward._sync``);
- ``_nrt=False`` (numba's private name for "no reference counting"): the arrays a kernel
  passes are owned by its caller for the whole call, and these functions allocate nothing
  (numba refuses to compile one that does). With reference counting, every call would
  increment and decrement the count of every array argument (two atomic operations per
  array, a dozen arrays per call): measured, that made benchmark B1 (one neuron, a million
  steps, a call per arriving spike) ~1.6x slower than the inlined kernel; without, it is
  as fast.

Room: ``neurolab.base``. May import: the standard library (nothing here imports at all).
"""

#: ``@njit(**CALLEE)``: a function that only jitted code calls, compiled once and cached
CALLEE = {"cache": True, "no_cpython_wrapper": True, "no_cfunc_wrapper": True, "_nrt": False}
