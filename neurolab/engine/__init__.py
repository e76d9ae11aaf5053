"""How a network runs: tables, kernels, threads and the run entry point.

``tables`` (``RunState``: the packed tables a network runs on), ``kernels`` (the one-thread
step loop, ``@njit``), ``parallel`` (the threaded step loop), ``dispatch`` (which kernel a
run calls), ``selection`` (recording requests), ``run`` (``simulate``). The engine reads a
network through its documented attributes only.

Room: ``neurolab.engine``. May import: numpy, numba, ``neurolab.base``,
``neurolab.plasticity`` and ``neurolab.results``; never ``neurolab.model``.
"""
