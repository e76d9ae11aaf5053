"""Spike sources: Poisson trains and explicit spike times, turned into step tables.

Randomness lives here, in numpy, never in the kernel (numba's random state is separate
from numpy's). A Poisson source of rate ``r`` (Hz) spikes in each step of ``dt`` (ms) with
probability ``p = r * dt / 1000``, independently: the same process as Brian2's
``PoissonGroup``. Instead of one draw per source per step, the gaps between spikes are
drawn from the geometric distribution of that Bernoulli process.

Time is cut into blocks of ``POISSON_BLOCK`` steps, each drawn from its own generator
seeded by ``(seed key, block index)``: memory stays bounded whatever the run length, and
the first second of a long run is the same as a run of one second (same seed and dt).

Room: ``neurolab.base.poisson``, one floor below the model and the engine, which both draw
input through it. May import: numpy and ``neurolab.base`` only.
"""

from __future__ import annotations

import copy

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


class _Blocks:
    """One input stream drawn in fixed blocks of steps counted from ``start``, block b from
    its own generator ``default_rng(seed_key + [b])``; the last block drawn is kept, so
    consecutive chunks of a run draw each block once. What a step receives depends only on
    the seed key and the step, never on how a run is cut into chunks."""

    block = POISSON_BLOCK

    def __init__(self, seed_key, start=0):
        self.seed_key = list(seed_key)
        self.start = int(start)
        self._cache = (None, None)

    def _get(self, b):
        if self._cache[0] != b:
            self._cache = (b, self._draw(b, np.random.default_rng(self.seed_key + [b])))
        return self._cache[1]

    def _pieces(self, n0, n1):
        """(block data, block index, first, stop) for the blocks covering the absolute steps
        ``[n0, n1)`` (``n0 >= start``); first/stop are steps local to the stream."""
        lo, hi = n0 - self.start, n1 - self.start
        for b in range(lo // self.block, -(-hi // self.block)):
            yield self._get(b), b, lo, hi

    def steps(self, n0, n1):
        """Spikes of the absolute steps ``[n0, n1)``: (steps, ids), int64, sorted by step
        then id. For streams whose blocks hold (local steps, ids)."""
        out_s, out_i = [], []
        for (s, i), b, lo, hi in self._pieces(n0, n1):
            first = b * self.block                    # a block's steps are sorted
            k0, k1 = np.searchsorted(s, [lo - first, hi - first])
            out_s.append(s[k0:k1] + (first + self.start))
            out_i.append(i[k0:k1])
        if not out_s:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(out_s), np.concatenate(out_i)

    def __deepcopy__(self, memo):       # the cache is a cache: copies start without it
        new = copy.copy(self)
        new._cache = (None, None)
        return new


class _ConstantBlocks(_Blocks):
    """Poisson sources with constant rates (Hz, (n,)): geometric gaps (see :func:`_block`)."""

    def __init__(self, rates_hz, dt, seed_key, start=0):
        super().__init__(seed_key, start)
        self.p = np.minimum(rates_hz * (dt / 1000.0), 1.0)

    def _draw(self, b, rng):
        return _block(self.p, self.block, rng)


class _VaryingBlocks(_Blocks):
    """Poisson sources whose rates change with time: in step n each source spikes with
    probability ``rate(t_n) dt / 1000`` (``t_n = n dt``, absolute network time), one
    uniform number per source per step (Brian2's PoissonGroup with time-varying rates)."""

    def __init__(self, rate_fn, n, dt, seed_key, start=0):
        super().__init__(seed_key, start)
        self.rate_fn = rate_fn        # absolute steps (m,) -> rates (m, n) in Hz, validated
        self.n = n
        self.dt = dt
        self.block = max(1, min(POISSON_BLOCK, _MAX_DRAWS // max(n, 1)))

    def _draw(self, b, rng):
        steps = self.start + b * self.block + np.arange(self.block)
        p = self.rate_fn(steps) * (self.dt / 1000.0)
        hit = rng.random((self.block, self.n)) < p
        s, i = np.nonzero(hit)                  # row-major: step-major, ids ascending
        return s.astype(np.int64), i.astype(np.int64)


class _CountBlocks(_Blocks):
    """Counts of a Poisson drive (Brian2's ``PoissonInput``): in every step each of
    ``n_target`` targets receives ``Binomial(n_sources, rate dt / 1000)`` source spikes."""

    def __init__(self, n_sources, rate_hz, n_target, dt, seed_key, start=0):
        super().__init__(seed_key, start)
        self.n_sources = int(n_sources)
        self.p = min(rate_hz * dt / 1000.0, 1.0)
        self.n_target = n_target
        self.block = max(1, min(POISSON_BLOCK, _MAX_DRAWS // max(n_target, 1)))

    def _draw(self, b, rng):
        return rng.binomial(self.n_sources, self.p,
                            size=(self.block, self.n_target)).astype(np.int32)

    def counts(self, n0, n1, out):
        """Write the counts of steps ``[n0, n1)`` into ``out`` (shape (n1 - n0, n_target))."""
        for c, b, lo, hi in self._pieces(n0, n1):
            a = max(lo, b * self.block)
            z = min(hi, (b + 1) * self.block)
            out[a - lo:z - lo] = c[a - b * self.block:z - b * self.block]


def step_table(steps: np.ndarray, ids: np.ndarray, n_steps: int):
    """CSR table of spikes by step: ``ptr`` (n_steps + 1) and ``ids`` such that the spikes
    of step k are ``ids[ptr[k]:ptr[k + 1]]``. A stable sort by step: spikes of one step keep
    their input order."""
    ptr = np.zeros(n_steps + 1, dtype=np.int64)
    np.cumsum(np.bincount(steps, minlength=n_steps), out=ptr[1:])
    if steps.size < 2 or bool(np.all(steps[1:] >= steps[:-1])):   # one source: sorted
        return ptr, np.ascontiguousarray(ids, dtype=np.int64)
    order = np.argsort(steps, kind="stable")   # timsort: fast on concatenated sorted runs
    return ptr, np.ascontiguousarray(ids[order], dtype=np.int64)


def explicit_steps(times_ms: np.ndarray, indices: np.ndarray, dt: float,
                   name: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert explicit spike times (ms of network time) to steps ``round(t / dt)``, sorted
    by step, then id.

    Raises ``ValueError`` for two spikes of one source in the same step (as Brian2's
    ``SpikeGeneratorGroup`` does).
    """
    steps = np.rint(times_ms / dt).astype(np.int64)
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
