"""Spike sources: Poisson trains and explicit spike times, turned into step tables.

Randomness lives here, in numpy, never in the kernel (numba's random state is separate
from numpy's). A Poisson source of rate ``r`` (Hz) spikes in each step of ``dt`` (ms) with
probability ``p = r * dt / 1000``, independently: the same process as Brian2's
``PoissonGroup``. Instead of one draw per source per step, the gaps between spikes are
drawn from the geometric distribution of that Bernoulli process.

Time is cut into blocks of ``POISSON_BLOCK`` steps, each drawn from its own generator
seeded by ``(seed key, block index)``: memory stays bounded whatever the run length, and
the first second of a long run is the same as a run of one second (same seed and dt).
"""

from __future__ import annotations

import math

import numpy as np

POISSON_BLOCK = 10_000        # steps per independently seeded block of Poisson input
_MAX_DRAWS = 4_000_000        # geometric draws held in memory at once


def _block(p, n_steps, rng):
    """Spike steps (local to the block) and source indices of one block of ``n_steps``.

    Sources are grouped by how many gaps they need (the mean plus three standard
    deviations, rounded up to a power of 1.2), so a few fast sources do not make every
    source draw as many; a source that needs more gaps than its group draws again. The
    draws depend only on ``p``, ``n_steps`` and ``rng``.
    """
    n = p.shape[0]
    active = np.flatnonzero(p > 0.0)
    steps_out, ids_out = [], []
    if active.size:
        pa = p[active]
        mean = n_steps * pa
        need = np.ceil(mean + 3.0 * np.sqrt(mean * (1.0 - pa))) + 4
        bucket = np.ceil(1.2 ** np.ceil(np.log(need) / np.log(1.2))).astype(np.int64)
        for m in np.unique(bucket):
            members = np.flatnonzero(bucket == m)
            m = int(m)
            group = max(1, _MAX_DRAWS // m)
            for g0 in range(0, members.size, group):
                idx = members[g0:g0 + group]
                pos = np.full(idx.size, -1, dtype=np.int64)    # last spike step so far
                todo = np.arange(idx.size)
                while todo.size:
                    gaps = rng.geometric(pa[idx[todo]][:, None], size=(todo.size, m))
                    # a gap longer than the block ends the train: clip before summing so
                    # that the huge gaps of tiny rates cannot overflow
                    np.minimum(gaps, n_steps + 1, out=gaps)
                    cum = pos[todo][:, None] + np.cumsum(gaps, axis=1)
                    rows, cols = np.nonzero(cum < n_steps)
                    steps_out.append(cum[rows, cols])
                    ids_out.append(active[idx[todo[rows]]])
                    pos[todo] = cum[:, -1]
                    todo = todo[cum[:, -1] < n_steps]
    if not steps_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    steps = np.concatenate(steps_out).astype(np.int64)
    ids = np.concatenate(ids_out).astype(np.int64)
    key = np.sort(steps * n + ids)           # step-major, ids ascending within a step
    return key // n, key % n


def poisson_steps(rates_hz: np.ndarray, dt: float, n_steps: int,
                  seed_key) -> tuple[np.ndarray, np.ndarray]:
    """Spike steps of independent Bernoulli-per-step (Poisson) sources.

    Parameters
    ----------
    rates_hz : (n,) firing rates in Hz, each with ``rate * dt / 1000 <= 1``.
    dt : time step in ms.
    n_steps : number of steps of the run.
    seed_key : list of non-negative ints; block b is drawn from
        ``numpy.random.default_rng(seed_key + [b])``.

    Returns
    -------
    steps, ids : int64 arrays sorted by step, then id.
    """
    p = np.minimum(rates_hz * (dt / 1000.0), 1.0)
    steps_out, ids_out = [], []
    for b, start in enumerate(range(0, n_steps, POISSON_BLOCK)):
        rng = np.random.default_rng(list(seed_key) + [b])
        # every block is drawn whole, so a shorter run gives a prefix of a longer one
        s, i = _block(p, POISSON_BLOCK, rng)
        keep = s < n_steps - start
        steps_out.append(s[keep] + start)
        ids_out.append(i[keep])
    if not steps_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(steps_out), np.concatenate(ids_out)


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
