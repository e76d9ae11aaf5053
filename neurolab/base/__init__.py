"""The floor below everything: what every room shares.

``validate`` (argument checks with messages naming the parameter), ``layout`` (the column
layout of the kernel's tables), ``errors`` (error types, where warnings point), ``streams``
and ``poisson`` (random input streams and the block-drawn Poisson process), ``io`` (atomic
file writes, JSON, npz, versions and git commit), ``resources`` (memory checks), ``paths``
(the repository root, ``data/`` and ``results/``), ``jit`` (numba's options for the
kernels' shared functions, as a dict).

Room: ``neurolab.base``. May import: numpy, psutil and the standard library; never another
neurolab room.
"""
