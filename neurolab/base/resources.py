"""Memory checks made before big allocations, so that a request too big for the machine
raises ``MemoryError`` with numbers instead of being killed by the operating system (in
Jupyter: a dead kernel with no message).

Room: ``neurolab.base``. May import: psutil, numpy and the standard library.
"""

from __future__ import annotations

import warnings

from .layout import N_PAR

# bytes per synapse over a projection's life: its ids, weights and delays (32), the
# kernel's tables (post ids, weights, column tables, permutation: 16-24 with 32-bit ids,
# twice that with 64-bit ones) and slack for the
# temporaries of drawing connectivity
SYNAPSE_BYTES = 96
# bytes per neuron of the kernel's tables (its parameter rows and state variables)
NEURON_BYTES = 8 * (N_PAR + 8)


def fmt_bytes(n) -> str:
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def available_memory() -> int:
    """Bytes of memory available to this process now (psutil's ``available``). On Linux
    that is the kernel's ``MemAvailable`` of ``/proc/meminfo``, read here directly (a run
    that records more than 64 MB asks, and importing psutil took a good part of a short
    first run); psutil answers wherever that line is missing, zero or larger than
    ``MemTotal`` (psutil then computes its own estimate)."""
    try:
        with open("/proc/meminfo", "rb") as fh:
            fields = dict(line.split()[:2] for line in fh if line.count(b":") == 1)
        avail = int(fields[b"MemAvailable:"]) * 1024
        if 0 < avail <= int(fields[b"MemTotal:"]) * 1024:
            return avail
    except (OSError, KeyError, ValueError):
        pass
    import psutil

    return int(psutil.virtual_memory().available)


def check_memory(what: str, nbytes: float, advice: str, *, warn_above=2 * 2 ** 30) -> None:
    """Raise ``MemoryError`` before allocating ``nbytes`` that would not fit (more than
    90 % of the available memory); warn (``ResourceWarning``) above ``warn_above``. The
    message says how much is needed, how much is available and ``advice``: which parameter
    to change."""
    if nbytes < 64 * 2 ** 20:
        return
    avail = available_memory()
    if nbytes > 0.9 * avail:
        raise MemoryError(f"{what} need about {fmt_bytes(nbytes)}; {fmt_bytes(avail)} "
                          f"available; {advice}")
    if nbytes > warn_above:
        warnings.warn(f"{what} take about {fmt_bytes(nbytes)} of {fmt_bytes(avail)} "
                      f"available; {advice}", ResourceWarning, stacklevel=3)
