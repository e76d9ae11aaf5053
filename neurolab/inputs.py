"""Spike sources: Poisson trains and explicit spike times, turned into step tables.

Randomness lives here, in numpy, never in the kernel (numba's random state is separate
from numpy's). A Poisson source of rate ``r`` (Hz) spikes in each step of ``dt`` (ms) with
probability ``p = r * dt / 1000``, independently: the same process as Brian2's
``PoissonGroup``. Instead of one draw per source per step, the gaps between spikes are
drawn from the geometric distribution of that Bernoulli process, so the work grows with
the number of spikes, not with the number of steps.
"""

from __future__ import annotations

import math

import numpy as np


def poisson_steps(rates_hz: np.ndarray, dt: float, n_steps: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Spike steps of independent Bernoulli-per-step (Poisson) sources.

    Parameters
    ----------
    rates_hz : (n,) firing rates in Hz, each with ``rate * dt / 1000 <= 1``.
    dt : time step in ms.
    n_steps : number of steps of the run.
    rng : numpy Generator; the result depends only on its state and the arguments.

    Returns
    -------
    steps, ids : int64 arrays sorted by step, then id.
    """
    n = rates_hz.shape[0]
    p = rates_hz * (dt / 1000.0)
    active = np.flatnonzero(p > 0.0)
    steps_out = []
    ids_out = []
    if active.size and n_steps > 0:
        pa = p[active]
        mean = n_steps * pa
        m = int(np.ceil(np.max(mean + 6.0 * np.sqrt(mean * (1.0 - pa))))) + 8
        pos = np.full(active.size, -1, dtype=np.int64)  # last spike step so far
        todo = np.arange(active.size)
        while todo.size:
            gaps = rng.geometric(pa[todo][:, None], size=(todo.size, m))
            cum = pos[todo][:, None] + np.cumsum(gaps, axis=1)
            keep = cum < n_steps
            rows, cols = np.nonzero(keep)
            steps_out.append(cum[rows, cols])
            ids_out.append(active[todo][rows])
            pos[todo] = cum[:, -1]
            todo = todo[cum[:, -1] < n_steps]
    if not steps_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    steps = np.concatenate(steps_out).astype(np.int64)
    ids = np.concatenate(ids_out).astype(np.int64)
    key = np.sort(steps * n + ids)           # step-major, ids ascending within a step
    return key // n, key % n


def step_table(steps: np.ndarray, ids: np.ndarray, n_steps: int):
    """CSR table of spikes by step: ``ptr`` (n_steps + 1) and ``ids`` such that the spikes
    of step k are ``ids[ptr[k]:ptr[k + 1]]``. A stable sort by step: spikes of one step keep
    their input order."""
    order = np.argsort(steps, kind="stable")   # timsort: fast on concatenated sorted runs
    ptr = np.zeros(n_steps + 1, dtype=np.int64)
    np.cumsum(np.bincount(steps, minlength=n_steps), out=ptr[1:])
    return ptr, np.ascontiguousarray(ids[order], dtype=np.int64)


def explicit_steps(times_ms: np.ndarray, indices: np.ndarray, dt: float, duration: float,
                   name: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert explicit spike times (ms) to steps ``round(t / dt)``, sorted by step, id.

    Raises ``ValueError`` for times outside ``[0, duration)`` and for two spikes of one
    source in the same step (as Brian2's ``SpikeGeneratorGroup`` does).
    """
    if times_ms.size:
        bad = (times_ms < 0.0) | (times_ms >= duration)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"times of population {name!r} must lie in [0, duration) = "
                             f"[0, {duration!r}) ms, got {times_ms[k]!r} at index {k}")
    steps = np.rint(times_ms / dt).astype(np.int64)
    if math.isfinite(duration):
        # a time just below duration may round up to the step at duration: keep it inside
        steps = np.minimum(steps, int(math.ceil(duration / dt - 1e-9)) - 1)
    order = np.lexsort((indices, steps))
    steps = steps[order]
    ids = indices[order]
    if steps.size > 1:
        dup = (steps[1:] == steps[:-1]) & (ids[1:] == ids[:-1])
        if dup.any():
            k = int(np.flatnonzero(dup)[0])
            raise ValueError(f"times of population {name!r}: neuron {int(ids[k])} has two "
                             f"spikes in the step starting at {steps[k] * dt!r} ms; at most "
                             f"one spike per neuron per step (dt={dt!r} ms) is allowed")
    return steps, ids
