"""Stimulus generators: spike trains and rate tables to give to a network.

Public generators (correlated Poisson groups, a repeating pattern, rate-coded images,
pairing protocols, reward schedules, filtered-noise rates) return spike times (ms) and input
ids for ``Network.add_spikes`` or rates (Hz) for ``Network.add_poisson``. Each draws from
``numpy.random.default_rng(seed)`` only, so the same arguments give the same spikes.

Room: ``neurolab.stimuli`` (was ``neurolab.inputs`` before 0.6; ``nl.inputs`` still names
it). May import: numpy and ``neurolab.base``. The run-time Poisson process of
``add_poisson`` populations lives one floor down, in :mod:`neurolab.base.poisson`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .base import validate as V
from .base.poisson import POISSON_BLOCK, _block, explicit_steps, step_table


__all__ = ["correlated_poisson", "repeating_pattern", "PatternInput", "rate_coded_images",
           "ImageInput", "pairing_protocol", "reward_times", "RewardSchedule",
           "filtered_noise_rates", "channel_poisson", "step_table", "explicit_steps",
           "POISSON_BLOCK"]


def _steps_of(name: str, value: float, dt: float) -> int:
    """``value`` (ms) as a whole number of steps of ``dt``, or a ValueError naming it."""
    k = int(round(value / dt))
    if k < 1 or abs(k * dt - value) > 1e-9 * max(1.0, abs(value)):
        raise ValueError(f"{name} must be a positive multiple of dt = {dt!r} ms, got "
                         f"{value!r} ms")
    return k


def _max_rate(name: str, rate, dt: float) -> None:
    """Raise when a rate (Hz, scalar or array) exceeds one spike per step."""
    worst = float(np.max(rate)) if np.size(rate) else 0.0
    if worst * dt / 1000.0 > 1.0:
        raise ValueError(f"{name} must be <= 1000/dt = {1000.0 / dt!r} Hz (at most one "
                         f"spike per step of dt = {dt!r} ms), got {worst!r}")


def _sorted_unique(key):
    """``np.unique(key)`` for a 1-d int64 array: sort, then drop repeats (numpy 2's
    ``np.unique`` hashes first and is several times slower on millions of keys)."""
    key = np.sort(key)
    if key.size > 1:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return key


def _bernoulli_trains(p, n_steps, rng):
    """(ids, steps) of independent Bernoulli trains, train k spiking in each of ``n_steps``
    steps with probability ``p[k]``: geometric gaps between spikes, drawn row-wise (all
    trains draw as many gaps as the fastest needs, again until every train has passed
    ``n_steps``)."""
    active = np.flatnonzero(p > 0)
    if not active.size:
        return
    pa = p[active]
    mean = n_steps * pa.max()
    m = int(mean + 6.0 * math.sqrt(mean) + 8)
    last = np.full(active.size, -1, dtype=np.int64)
    todo = np.arange(active.size)
    while todo.size:
        gaps = rng.geometric(pa[todo][:, None], size=(todo.size, m))
        np.minimum(gaps, n_steps + 1, out=gaps)
        cum = last[todo][:, None] + np.cumsum(gaps, axis=1)
        rows, cols = np.nonzero(cum < n_steps)
        yield active[todo[rows]], cum[rows, cols]
        last[todo] = cum[:, -1]
        todo = todo[cum[:, -1] < n_steps]


# --------------------------------------------------------------------- correlated groups
def correlated_poisson(group_sizes, rate: float, duration: float, *, correlation=None,
                       copy_prob=None, n_independent: int = 0, dt: float = 0.1,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Groups of Poisson inputs whose members share spikes of a group "mother" train.

    The shared-spike model of Kempter, Gerstner & van Hemmen (1999, Phys. Rev. E 59:4498)
    and Song, Miller & Abbott (2000, Nat. Neurosci. 3:919); Brette (2009, Neural Comput.
    21:188) calls it a *single interaction process*. Group g (``group_sizes[g]`` inputs)
    has its own mother train, Poisson at ``rate`` Hz. Each member copies each mother spike
    with the **copy probability** ``q`` and adds independent spikes at ``(1 - q) rate``, so
    every input fires at ``rate`` and two members of one group share a mother spike with
    probability ``q**2``: in continuous time the correlation coefficient of their spike
    counts, in any window, is ``c = q**2`` (for the same reason in every window: shared
    spikes are simultaneous). Give exactly one of

    - ``copy_prob = q`` (notebook 01's ``correlation``), or
    - ``correlation = c``, the **pairwise correlation coefficient** (the explorer's
      ``correlation``); then ``q = sqrt(c)``.

    Each may be a scalar or one value per group, in [0, 1]. Inputs of different groups, and
    the ``n_independent`` independent Poisson inputs at ``rate`` that follow the groups,
    are independent. Ids: group 0 first (``0 .. group_sizes[0] - 1``), then group 1, ...,
    then the independent inputs.

    Discrete time: in each step of ``dt`` ms the mother spikes with probability ``p = rate
    dt / 1000`` and each member's own train with ``(1 - q) p``; a copied and an own spike in
    the same step **merge into one** (at most one spike per input per step). The rate is
    therefore ``rate (1 - q (1 - q) p)`` rather than ``rate`` and the per-step correlation
    ``p (1 - p) q**2 (1 - (1 - q) p)**2 / (r (1 - r))`` with ``r = p (1 - q (1 - q) p)``,
    both within ``p`` (relative) of the continuous-time values (0.2 % at 20 Hz and
    dt = 0.1 ms).

    Draws: for each group in order its mother train (one uniform number per step) and its
    copies (one per member and mother spike), then the own trains of every input (geometric
    gaps), all from ``numpy.random.default_rng(seed)``: the same arguments give the same
    spikes. ``explorer.correlated_inputs(n_c, n_i, rate, c, ...)`` is
    ``correlated_poisson([n_c], rate, ..., correlation=c, n_independent=n_i)``.

    Returns ``(t, i)``: spike times (ms, ``step * dt`` in ``[0, duration)``, float64) and
    input ids (int64), sorted by id then time; ready for ``Network.add_spikes(name,
    sum(group_sizes) + n_independent, t, i)``.

    Raises ``ValueError``/``TypeError`` naming the parameter for: a negative group size or
    ``n_independent``; ``rate`` < 0 or above ``1000/dt`` Hz; ``duration`` or ``dt`` <= 0;
    both or neither of ``correlation`` and ``copy_prob``, or either outside [0, 1] or of the
    wrong length.
    """
    if isinstance(group_sizes, (numbers.Integral, np.integer)) and \
            not isinstance(group_sizes, (bool, np.bool_)):
        group_sizes = [group_sizes]
    try:
        sizes = [V.integer(f"group_sizes[{k}]", s, minimum=0)
                 for k, s in enumerate(group_sizes)]
    except TypeError as err:
        if "group_sizes[" in str(err):
            raise
        raise TypeError(f"group_sizes must be an integer or a sequence of integers, got "
                        f"{V._show(group_sizes)}") from None
    n_independent = V.integer("n_independent", n_independent, minimum=0)
    rate = V.non_negative("rate", rate, "Hz")
    dt = V.positive("dt", dt, "ms")
    duration = V.positive("duration", duration, "ms")
    if (correlation is None) == (copy_prob is None):
        raise ValueError(f"give exactly one of correlation (the pairwise correlation "
                         f"coefficient c) and copy_prob (the copy probability q = sqrt(c)), "
                         f"got correlation={V._show(correlation)}, "
                         f"copy_prob={V._show(copy_prob)}")
    which = "correlation" if copy_prob is None else "copy_prob"
    value = V.float_array(which, correlation if copy_prob is None else copy_prob,
                          length=len(sizes))
    bad = (value < 0.0) | (value > 1.0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        where = f" (group {k})" if np.ndim(correlation if copy_prob is None
                                          else copy_prob) else ""
        raise ValueError(f"{which} must be within [0, 1], got {float(value[k])!r}{where}")
    q = np.sqrt(value) if copy_prob is None else value
    _max_rate("rate", rate, dt)
    p = rate * dt / 1000.0
    n_steps = int(round(duration / dt))
    rng = np.random.default_rng(seed)
    n = sum(sizes) + n_independent
    keys = []
    p_own = np.full(n, p)
    first = 0
    for size, qg in zip(sizes, q):
        qg = float(qg)
        mother = np.flatnonzero(rng.random(n_steps) < p)
        if size and mother.size and qg > 0:
            copy = rng.random((size, mother.size)) < qg
            ids, k = np.nonzero(copy)
            keys.append((first + ids) * n_steps + mother[k])
        p_own[first:first + size] = (1.0 - qg) * p
        first += size
    for ids, steps in _bernoulli_trains(p_own, n_steps, rng):
        keys.append(ids * n_steps + steps)
    key = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    return (key % n_steps) * dt, key // n_steps


# ------------------------------------------------------------ repeating pattern (Masquelier)
@dataclass(frozen=True)
class PatternInput:
    """Result of :func:`repeating_pattern`.

    ``t``, ``i``: all spikes (ms, multiples of ``dt`` in ``[0, duration)``; afferent ids in
    ``[0, n_afferents)``), sorted by id then time: ``Network.add_spikes(name, n_afferents,
    t, i)``. ``onsets``: start times of the pattern presentations (ms, sorted, at least
    ``2 * pattern_duration`` apart), for :func:`neurolab.analysis.pattern_detection`.
    ``afferents``: the ids of the afferents that take part in the pattern (sorted).
    ``pattern_t``, ``pattern_i``: the pattern itself, times relative to an onset (ms, in
    ``[0, pattern_duration)``) and afferent ids, as pasted before jitter and noise.
    """
    t: np.ndarray
    i: np.ndarray
    onsets: np.ndarray
    afferents: np.ndarray
    pattern_t: np.ndarray
    pattern_i: np.ndarray
    pattern_duration: float
    n_afferents: int
    duration: float
    dt: float


def _rate_walk(r, s, n_bins, lo, hi, s_max, rate_dt, rng):
    """Rates (Hz, shape (n_bins, n)) of ``n_bins`` bins of ``rate_dt`` ms, starting from the
    rates ``r`` and rate derivatives ``s`` (Hz/s), both (n,), updated in place. Per bin:
    ``r <- clip(r + s rate_dt / 1000, lo, hi)``, ``s <- clip(s + U(-s_max, s_max) / 5,
    -s_max, s_max)`` (Masquelier et al. 2008)."""
    ds = rng.uniform(-s_max / 5.0, s_max / 5.0, size=(n_bins, r.size))
    out = np.empty((n_bins, r.size))
    h = rate_dt / 1000.0
    for k in range(n_bins):
        out[k] = r
        r += s * h
        np.clip(r, lo, hi, out=r)
        s += ds[k]
        np.clip(s, -s_max, s_max, out=s)
    return out


def _force_spikes(steps, ids, last, end, gap):
    """Spikes forced so that no afferent stays silent for more than ``gap`` steps: with
    ``steps``/``ids`` the spikes of one chunk of time ending (exclusive) at step ``end``,
    sorted by id then step, and ``last`` (n,) each afferent's last spike before the chunk,
    a spike is added at ``prev + k gap`` (k = 1, 2, ...) wherever that comes before the next
    spike (or ``end``). Returns the forced (steps, ids); ``last`` is updated in place."""
    n = last.size
    prev = np.empty_like(steps)
    if steps.size:
        prev[1:] = steps[:-1]
        new = np.ones(steps.size, dtype=bool)
        new[1:] = ids[1:] != ids[:-1]
        prev[new] = last[ids[new]]
    tail = last.copy()
    if steps.size:
        tail[ids] = steps                      # ids ascending: the chunk's last spike wins
    seg_prev = np.concatenate([prev, tail])
    seg_next = np.concatenate([steps, np.full(n, end, dtype=np.int64)])
    seg_id = np.concatenate([ids, np.arange(n, dtype=np.int64)])
    count = np.maximum((seg_next - seg_prev - 1) // gap, 0)
    total = int(count.sum())
    start = np.cumsum(count) - count
    k = np.arange(total, dtype=np.int64) - np.repeat(start, count) + 1
    f_steps = np.repeat(seg_prev, count) + k * gap
    f_ids = np.repeat(seg_id, count)
    np.maximum.at(tail, f_ids, f_steps)
    last[:] = tail
    return f_steps, f_ids


def repeating_pattern(n_afferents: int = 2000, duration: float = 10_000.0, *,
                      pattern_duration: float = 50.0, fraction_in_pattern: float = 0.5,
                      time_in_pattern: float = 0.25, rate_range=(0.0, 90.0),
                      max_rate_change: float = 1800.0, rate_dt: float = 1.0,
                      max_isi: float | None = 50.0, noise_rate: float = 10.0,
                      jitter: float = 0.0, dt: float = 0.1, seed: int = 0) -> PatternInput:
    """A spike pattern repeating at random times in continuous Poisson activity, as in
    Masquelier, Guyonneau & Thorpe (2008, PLoS ONE 3(1):e1377).

    1. **Activity.** Each of ``n_afferents`` afferents is an inhomogeneous Poisson process
       whose rate ``r`` does a bounded random walk with a bounded derivative ``s``: start
       ``r ~ U(rate_range)``, ``s ~ U(-max_rate_change, max_rate_change)``; every ``rate_dt``
       ms ``r <- clip(r + s rate_dt, rate_range)`` and ``s <- clip(s + U(-1, 1)
       max_rate_change / 5, +-max_rate_change)``. In each step of ``dt`` the afferent spikes
       with probability ``r dt / 1000``; if it has been silent for ``max_isi`` ms a spike is
       forced (a virtual last spike lies uniformly in the ``max_isi`` before 0), so every
       afferent fires in every pattern (``max_isi=None``: no forced spikes).
    2. **Pattern.** Time is cut into slots of ``pattern_duration``; ``round(time_in_pattern
       * n_slots)`` slots, never two adjacent ones (uniformly among such choices), are
       presentations. ``round(fraction_in_pattern * n_afferents)`` afferents, chosen at
       random, take part: their spikes in the first presentation slot are the pattern, and
       in every presentation slot their spikes are replaced by the pattern (shifted in time;
       each pattern spike moved by ``round(N(0, jitter) / dt)`` steps when ``jitter > 0``,
       drawn anew per presentation, clipped to the run). The other afferents keep their own
       activity, so the population rate does not give the pattern away.
    3. **Noise.** Independent Poisson spikes at ``noise_rate`` Hz are added to every
       afferent all the time, inside presentations too: a pattern comes back with extra
       spikes, and its spikes are no longer the only ones in its window.

    Spikes that fall into one step of one afferent (a noise spike on an activity or
    pattern spike; two jittered pattern spikes) merge into one.

    The paper's values (Methods; also the defaults of Hathway & Goodman's 2018 replication
    code): 2000 afferents, half of them in the pattern; pattern 50 ms, presented in a
    quarter of the 50 ms slots, never twice in a row; rates in [0, 90] Hz with derivative
    in [-1800, 1800] Hz/s (90 Hz in 50 ms), its step ``U(-360, 360)`` Hz/s per 1 ms; every
    afferent spikes at least once in every 50 ms; 10 Hz spontaneous activity added to all
    afferents; 450 s of input, time step 1 ms. These are the defaults here, except
    ``duration`` (10 s, for quick runs) and ``dt`` (0.1 ms, the network's default; the rate
    walk keeps the paper's 1 ms step through ``rate_dt``). Simplified or changed: the
    original code draws 150 s and repeats them three times to make 450 s (we draw the whole
    ``duration``); the forced spike comes exactly ``max_isi`` after the last one (there: in
    the first 1 ms step after more than 50 ms); ``jitter`` (default 0, none) is our
    addition for robustness studies.

    Expected statistics: without forcing and with a symmetric walk, an afferent's mean
    activity rate is the middle of ``rate_range`` (the walk is symmetric about it), 45 Hz
    by default; forcing adds a few Hz at low rates; noise adds ``noise_rate`` less the
    merged coincidences.

    Returns a :class:`PatternInput`. Draws (from ``numpy.random.default_rng(seed)``, in this
    order): the pattern afferents, the presentation slots, the initial rates and
    derivatives, the initial virtual spikes, the activity in chunks of time, the jitter,
    the noise. Same arguments, same spikes.

    Raises ``ValueError``/``TypeError`` naming the parameter for: ``n_afferents`` < 1;
    ``duration``, ``dt`` <= 0; ``pattern_duration``, ``rate_dt``, ``max_isi`` not positive
    multiples of ``dt``; ``pattern_duration > duration``; ``fraction_in_pattern`` outside
    [0, 1]; ``time_in_pattern`` outside [0, 0.5] (at most every other slot); ``rate_range``
    not ``(low, high)`` with ``0 <= low <= high <= 1000/dt`` Hz; ``max_rate_change``,
    ``noise_rate``, ``jitter`` < 0; ``noise_rate`` > 1000/dt Hz.
    """
    n = V.integer("n_afferents", n_afferents, minimum=1)
    dt = V.positive("dt", dt, "ms")
    duration = V.positive("duration", duration, "ms")
    pattern_duration = V.positive("pattern_duration", pattern_duration, "ms")
    L = _steps_of("pattern_duration", pattern_duration, dt)
    sub = _steps_of("rate_dt", V.positive("rate_dt", rate_dt, "ms"), dt)
    gap = None if max_isi is None else \
        _steps_of("max_isi", V.positive("max_isi", max_isi, "ms"), dt)
    frac = V.real("fraction_in_pattern", fraction_in_pattern)
    if not 0.0 <= frac <= 1.0:
        raise ValueError(f"fraction_in_pattern must be within [0, 1] (a fraction of the "
                         f"afferents), got {frac!r}")
    tfrac = V.real("time_in_pattern", time_in_pattern)
    if not 0.0 <= tfrac <= 0.5:
        raise ValueError(f"time_in_pattern must be within [0, 0.5] (a fraction of the "
                         f"{pattern_duration!r} ms slots; presentations are never adjacent), "
                         f"got {tfrac!r}")
    try:
        lo, hi = (V.real("rate_range", x) for x in rate_range)
    except (TypeError, ValueError) as err:
        if "rate_range must be finite" in str(err):
            raise
        raise ValueError(f"rate_range must be a pair (low, high) of rates in Hz, got "
                         f"{V._show(rate_range)}") from None
    if not 0.0 <= lo <= hi:
        raise ValueError(f"rate_range must satisfy 0 <= low <= high (Hz), got "
                         f"{(lo, hi)!r}")
    _max_rate("rate_range", hi, dt)
    s_max = V.non_negative("max_rate_change", max_rate_change, "Hz/s")
    noise_rate = V.non_negative("noise_rate", noise_rate, "Hz")
    _max_rate("noise_rate", noise_rate, dt)
    jitter = V.non_negative("jitter", jitter, "ms")
    n_steps = int(round(duration / dt))
    n_slots = n_steps // L
    if n_slots < 1:
        raise ValueError(f"pattern_duration must be <= duration = {duration!r} ms, got "
                         f"{pattern_duration!r}")

    rng = np.random.default_rng(seed)
    afferents = np.sort(rng.permutation(n)[:int(round(frac * n))]).astype(np.int64)
    k = int(round(tfrac * n_slots))
    slots = np.sort(rng.choice(n_slots - k + 1, size=k, replace=False)).astype(np.int64) \
        + np.arange(k, dtype=np.int64)

    # 1. the afferents' own activity, in chunks of rate bins
    r = rng.uniform(lo, hi, size=n)
    s = rng.uniform(-s_max, s_max, size=n)
    last = (-rng.integers(1, gap + 1, size=n)).astype(np.int64) if gap else None
    n_bins = -(-n_steps // sub)
    chunk = max(1, min(n_bins, 2_000_000 // n))
    p_hi = hi * dt / 1000.0
    act_s, act_i = [], []
    for b0 in range(0, n_bins, chunk):
        nb = min(chunk, n_bins - b0)
        rates = _rate_walk(r, s, nb, lo, hi, s_max, rate_dt, rng)
        if p_hi > 0:                  # thinning: candidates at the top rate, kept w.p. r/hi
            cs, ci = _block(np.full(n, p_hi), nb * sub, rng)
            keep = rng.random(cs.size) * hi < rates[cs // sub, ci]
            cs, ci = cs[keep] + b0 * sub, ci[keep]
        else:
            cs = ci = np.zeros(0, dtype=np.int64)
        end = min((b0 + nb) * sub, n_steps)
        inside = cs < end
        cs, ci = cs[inside], ci[inside]
        if gap:
            order = np.lexsort((cs, ci))
            cs, ci = cs[order], ci[order]
            fs, fi = _force_spikes(cs, ci, last, end, gap)
            cs, ci = np.concatenate([cs, fs]), np.concatenate([ci, fi])
        act_s.append(cs)
        act_i.append(ci)
    steps = np.concatenate(act_s)
    ids = np.concatenate(act_i)

    # 2. cut the pattern from the first presentation slot, paste it into every one
    in_pattern = np.zeros(n, dtype=bool)
    in_pattern[afferents] = True
    if k:
        is_slot = np.zeros(n_slots + 1, dtype=bool)
        is_slot[slots] = True
        slot_of = np.minimum(steps // L, n_slots)
        first = (slot_of == slots[0]) & in_pattern[ids]
        order = np.lexsort((steps[first], ids[first]))
        pat_s = steps[first][order] - slots[0] * L
        pat_i = ids[first][order]
        drop = is_slot[slot_of] & in_pattern[ids]
        steps, ids = steps[~drop], ids[~drop]
        paste_s = (np.repeat(slots * L, pat_s.size) + np.tile(pat_s, k))
        paste_i = np.tile(pat_i, k)
        if jitter > 0 and paste_s.size:
            shift = np.rint(rng.normal(0.0, jitter, size=paste_s.size) / dt).astype(np.int64)
            paste_s = np.clip(paste_s + shift, 0, n_steps - 1)
        steps = np.concatenate([steps, paste_s])
        ids = np.concatenate([ids, paste_i])
    else:
        pat_s = pat_i = np.zeros(0, dtype=np.int64)

    # 3. spontaneous noise on every afferent
    if noise_rate > 0:
        ns, ni = _block(np.full(n, noise_rate * dt / 1000.0), n_steps, rng)
        steps = np.concatenate([steps, ns])
        ids = np.concatenate([ids, ni])
    key = _sorted_unique(ids * n_steps + steps)
    return PatternInput(t=(key % n_steps) * dt, i=key // n_steps, onsets=slots * L * dt,
                        afferents=afferents, pattern_t=pat_s * dt, pattern_i=pat_i,
                        pattern_duration=L * dt, n_afferents=n, duration=n_steps * dt,
                        dt=dt)


# ------------------------------------------------------------- rate-coded images (Diehl & Cook)
@dataclass(frozen=True)
class ImageInput:
    """Result of :func:`rate_coded_images`.

    ``t``, ``i``: the spikes (ms, multiples of ``dt``; pixel ids in ``[0, n_pixels)``),
    sorted by id then time: ``Network.add_spikes(name, n_pixels, t, i)``. ``onsets``: start
    of each sample's presentation (ms, shape ``(n_samples,)``); sample k is shown during
    ``[onsets[k], onsets[k] + presentation)`` and followed by ``rest`` ms without input.
    ``rates``: the Poisson rate of every pixel of every sample (Hz, shape ``(n_samples,
    n_pixels)``).
    """
    t: np.ndarray
    i: np.ndarray
    onsets: np.ndarray
    rates: np.ndarray
    presentation: float
    rest: float
    dt: float


def rate_coded_images(images, *, max_rate=63.75, intensity_max: float = 255.0,
                      presentation: float = 350.0, rest: float = 150.0, t_start: float = 0.0,
                      dt: float = 0.1, seed: int = 0) -> ImageInput:
    """Poisson rate coding of images, one sample after another (Diehl & Cook 2015, Front.
    Comput. Neurosci. 9:99, Sec. 2.3).

    ``images``: pixel intensities, shape ``(n_samples, n_pixels)`` (flatten each image), in
    ``[0, intensity_max]``. Pixel j of sample k is a Poisson source of rate ``images[k, j] /
    intensity_max * max_rate[k]`` Hz during that sample's presentation, silent during the
    rest that follows. The paper: MNIST's intensities 0-255 give rates up to 63.75 Hz
    (intensity / 4), each sample shown for 350 ms then 150 ms without input (so the
    network's variables decay); its time step was 0.5 ms. For scikit-learn's 8x8 digits
    (intensities 0-16) pass ``intensity_max=16``.

    ``max_rate``: the rate of a full-intensity pixel (Hz), a scalar or one per sample,
    shape ``(n_samples,)``: Diehl & Cook show a sample again with the maximum rate raised by
    32 Hz while it evokes fewer than five output spikes; that loop is the caller's (call
    again for the repeat with a higher ``max_rate`` and ``t_start`` where it goes).
    ``t_start``: onset of the first presentation (ms); sample k starts at ``t_start + k
    (presentation + rest)``.

    Discrete time: each pixel spikes in each step with probability ``rate dt / 1000``
    (at most once per step, no collisions to resolve), geometric gaps between spikes. Drawn
    from ``numpy.random.default_rng(seed)``: same arguments, same spikes.

    Returns an :class:`ImageInput`. Raises ``ValueError``/``TypeError`` naming the
    parameter for: ``images`` not a 2-d array of finite numbers with at least one sample
    and one pixel, or with intensities outside ``[0, intensity_max]``; ``max_rate`` < 0,
    of the wrong length or giving a rate above ``1000/dt`` Hz; ``intensity_max`` or ``dt``
    <= 0; ``presentation`` not a positive multiple of ``dt``; ``rest`` or ``t_start`` not a
    non-negative multiple of ``dt``.
    """
    if isinstance(images, (str, bytes)):
        raise TypeError(f"images must be a 2-d array of numbers, got {V._show(images)}")
    try:
        img = np.array(images, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"images must be a 2-d array of numbers, got "
                        f"{V._show(images)}") from None
    if np.asarray(images).dtype == bool:
        raise TypeError("images must hold numbers (intensities), got booleans")
    if img.ndim != 2 or img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"images must have shape (n_samples, n_pixels) with at least one "
                         f"of each (flatten each image), got shape {img.shape}")
    intensity_max = V.positive("intensity_max", intensity_max)
    bad = ~np.isfinite(img) | (img < 0) | (img > intensity_max)
    if bad.any():
        k = np.unravel_index(int(np.flatnonzero(bad)[0]), img.shape)
        raise ValueError(f"images must be finite and within [0, intensity_max] = [0, "
                         f"{intensity_max!r}], got {float(img[k])!r} at index "
                         f"{tuple(int(x) for x in k)}")
    n_samples, n_pixels = img.shape
    dt = V.positive("dt", dt, "ms")
    scalar = np.ndim(max_rate) == 0
    max_rate = V.float_array("max_rate", max_rate, length=n_samples)
    V.bounded_array("max_rate", max_rate, low=0.0, unit="Hz", scalar=scalar)
    _max_rate("max_rate", max_rate, dt)
    pres = _steps_of("presentation", V.positive("presentation", presentation, "ms"), dt)
    rest_steps = 0 if V.non_negative("rest", rest, "ms") == 0 else \
        _steps_of("rest", rest, dt)
    t_start = V.non_negative("t_start", t_start, "ms")
    start = 0 if t_start == 0 else _steps_of("t_start", t_start, dt)
    period = pres + rest_steps
    rates = img / intensity_max * max_rate[:, None]
    rng = np.random.default_rng(seed)
    steps, src = _block((rates * (dt / 1000.0)).ravel(), pres, rng)
    sample, pixel = np.divmod(src, n_pixels)
    steps = steps + start + sample * period
    n_total = start + n_samples * period + 1
    key = np.sort(pixel * n_total + steps)
    onsets = (start + np.arange(n_samples, dtype=np.int64) * period) * dt
    return ImageInput(t=(key % n_total) * dt, i=key // n_total, onsets=onsets, rates=rates,
                      presentation=pres * dt, rest=rest_steps * dt, dt=dt)


# ------------------------------------------------------------- pairing protocols, rewards
def pairing_protocol(n_pairings: int, frequency: float, lag: float, *,
                     start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Spike times of a pairing protocol: ``n_pairings`` pre/post pairs repeated at
    ``frequency`` Hz (Markram et al. 1997; Sjöström, Turrigiano & Nelson 2001, Neuron
    32:1149, whose visual-cortex protocol is 60 pairings at 0.1-50 Hz with ``lag`` = +10
    or -10 ms, the data Pfister & Gerstner 2006 fitted).

    Pairing k (k = 0 .. n_pairings - 1) starts at ``start + k * 1000 / frequency`` ms with
    its earlier spike; the postsynaptic spike follows the presynaptic one by ``lag`` ms
    (``lag = t_post - t_pre``: > 0 pre before post, < 0 post before pre, 0 together).

    Returns ``(pre, post)``: two (n_pairings,) float64 arrays of spike times (ms),
    increasing. Raises ``ValueError``/``TypeError`` naming the parameter for: a non-integer
    or < 1 ``n_pairings``; ``frequency`` <= 0; ``|lag|`` not shorter than the period
    ``1000 / frequency`` ms (pairings would overlap); ``start`` < 0.
    """
    n_pairings = V.integer("n_pairings", n_pairings, minimum=1)
    frequency = V.positive("frequency", frequency, "Hz")
    lag = V.real("lag", lag)
    start = V.non_negative("start", start, "ms")
    period = 1000.0 / frequency
    if abs(lag) >= period:
        raise ValueError(f"lag must be shorter than the period 1000/frequency = {period!r} "
                         f"ms (in absolute value), got {lag!r} ms")
    onsets = start + period * np.arange(n_pairings, dtype=np.float64)
    pre = onsets + max(-lag, 0.0)
    return pre, pre + lag


@dataclass(frozen=True)
class RewardSchedule:
    """Result of :func:`reward_times`. ``times``: the reward times (ms, multiples of
    ``dt``, increasing, at most one per step); ``triggers``: the postsynaptic spike times
    (ms) that earned a reward, in the same order as the draws (one per trigger; two
    rewards that fall in one step merge, so ``len(times) <= len(triggers)``)."""
    times: np.ndarray
    triggers: np.ndarray


def reward_times(pre, post, *, window: float = 20.0, delay=(1000.0, 3000.0),
                 dt: float = 1.0, seed: int = 0) -> RewardSchedule:
    """Delayed rewards for a pre-before-post coincidence: the distal reward problem of
    Izhikevich (2007, Cereb. Cortex 17:2443, Fig. 1).

    Every postsynaptic spike at ``t`` whose latest presynaptic spike ``t_pre <= t`` is
    strictly earlier and closer than ``window`` (``0 < t - t_pre < window`` ms; a
    presynaptic spike at the same time as the postsynaptic one cancels the reward, as in
    the program, which checks that the last postsynaptic spike is later than the last
    presynaptic one) earns one reward at
    ``t + D``, with ``D`` drawn uniformly from ``[delay[0], delay[1])`` ms and the time
    rounded to the nearest multiple of ``dt``. This is the rule of Izhikevich's published
    program (``daspnet.m``: the reward follows a spike of the postsynaptic neuron less than
    ``interval = 20`` ms after the last spike of the presynaptic one, at a delay of
    ``1000 + ceil(2000 rand)`` ms, so 1-3 s; there the delay is a whole number of ms).
    Rewards that fall into the same step merge into one (a reward source emits at most one
    spike per step; Izhikevich's dopamine too jumps once per step).

    ``pre``, ``post``: spike times (ms) of the presynaptic and postsynaptic neuron of the
    synapse to be rewarded, any order. Returns a :class:`RewardSchedule`; use its ``times``
    as a spike source: ``net.add_spikes("reward", 1, s.times, np.zeros(s.times.size,
    int))``. Drawn from ``numpy.random.default_rng(seed)``, one uniform number per trigger
    in time order: same arguments, same rewards.

    Raises ``ValueError``/``TypeError`` naming the parameter for: spike times that are not
    finite or negative; ``window`` <= 0; ``delay`` not two numbers ``0 <= delay[0] <=
    delay[1]``; ``dt`` <= 0.
    """
    pre = np.sort(V.float_array("pre", pre))
    post = np.sort(V.float_array("post", post))
    for name, arr in (("pre", pre), ("post", post)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            raise ValueError(f"{name} must hold finite spike times >= 0 ms, got "
                             f"{float(arr[np.flatnonzero(bad)[0]])!r}")
    window = V.positive("window", window, "ms")
    dt = V.positive("dt", dt, "ms")
    try:
        d0, d1 = (float(x) for x in delay)
    except (TypeError, ValueError):
        raise TypeError(f"delay must be two numbers (min, max) in ms, got "
                        f"{V._show(delay)}") from None
    if not (math.isfinite(d0) and math.isfinite(d1) and 0 <= d0 <= d1):
        raise ValueError(f"delay must satisfy 0 <= delay[0] <= delay[1] (ms), got "
                         f"({d0!r}, {d1!r})")
    k = np.searchsorted(pre, post, side="right") - 1      # latest pre at or before
    gap = np.where(k >= 0, post - pre[np.maximum(k, 0)], np.inf)
    triggers = post[(gap > 0) & (gap < window)]
    draws = np.random.default_rng(seed).uniform(d0, d1, triggers.size)
    steps = np.unique(np.rint((triggers + draws) / dt).astype(np.int64))
    return RewardSchedule(times=steps * dt, triggers=triggers)


# ------------------------------------------------------- signal channels (Vogels et al.)
def filtered_noise_rates(n_channels: int, duration: float, *, rate_dt: float = 5.0,
                         tau: float = 50.0, mean: float = 5.0, sd: float = 10.0,
                         seed: int = 0) -> np.ndarray:
    """Rate signals of independent input channels: Gaussian noise low-pass filtered with
    ``tau`` (an Ornstein-Uhlenbeck process, exact update per bin of ``rate_dt`` ms), of
    stationary mean ``mean`` and standard deviation ``sd`` (Hz), rectified at 0. The kind
    of signal Vogels et al. (2011, Science 334:1569) feed each group of inputs of their
    single-neuron experiment (Fig. 1), where a group's excitatory and inhibitory inputs
    share one signal; their exact parameters are in that paper's supplement.

    Returns an (n_bins, n_channels) float64 array of rates (Hz), ``n_bins = ceil(duration /
    rate_dt)``: row k holds in ``[k rate_dt, (k + 1) rate_dt)``; ready for
    :func:`channel_poisson` or ``Network.add_poisson(..., rates=r[:, c], rate_dt=rate_dt)``.
    Rectification raises the mean above ``mean`` when ``sd`` is comparable to it. Each
    channel starts in its stationary distribution; drawn from
    ``numpy.random.default_rng(seed)`` (same arguments, same signals).

    Raises ``ValueError``/``TypeError`` naming the parameter for: ``n_channels`` < 1;
    ``duration``, ``rate_dt`` or ``tau`` <= 0; ``sd`` < 0.
    """
    n_channels = V.integer("n_channels", n_channels, minimum=1)
    duration = V.positive("duration", duration, "ms")
    rate_dt = V.positive("rate_dt", rate_dt, "ms")
    tau = V.positive("tau", tau, "ms")
    mean = V.real("mean", mean)
    sd = V.non_negative("sd", sd, "Hz")
    n_bins = int(math.ceil(duration / rate_dt - 1e-9))
    rng = np.random.default_rng(seed)
    a = math.exp(-rate_dt / tau)
    noise = rng.standard_normal((n_bins, n_channels))
    x = np.empty((n_bins, n_channels))
    x[0] = noise[0]
    kick = math.sqrt(1.0 - a * a)
    for k in range(1, n_bins):
        x[k] = a * x[k - 1] + kick * noise[k]
    return np.maximum(mean + sd * x, 0.0)


def channel_poisson(rates, group_sizes, *, rate_dt: float, dt: float = 0.1,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Poisson inputs in groups, each group driven by its own time-varying rate.

    ``rates``: (n_bins, n_groups) Hz, row k applying in ``[k rate_dt, (k + 1) rate_dt)``
    (as :func:`filtered_noise_rates` returns them); ``group_sizes``: inputs per group (ids:
    group 0 first). Every input of group g spikes in each step independently with
    probability ``rates[bin, g] dt / 1000`` (inhomogeneous Bernoulli/Poisson), for
    ``n_bins * rate_dt`` ms. Drawn by thinning: a train at the group's highest rate
    (geometric gaps, cheap at low rates), each spike kept with probability ``rate /
    highest rate``; from ``numpy.random.default_rng(seed)``.

    Returns ``(t, i)``: spike times (ms, multiples of ``dt``) and input ids, sorted by id
    then time, for ``Network.add_spikes(name, sum(group_sizes), t, i)``. Raises
    ``ValueError``/``TypeError`` naming the parameter for: ``rates`` not a 2-d array of
    finite rates in ``[0, 1000/dt]`` Hz; ``group_sizes`` of another length than its
    columns or with a negative size; ``rate_dt`` not a positive multiple of ``dt``.
    """
    try:
        r = np.array(rates, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"rates must be a 2-d array of rates (Hz), got "
                        f"{V._show(rates)}") from None
    if r.ndim != 2 or r.shape[0] == 0 or r.shape[1] == 0:
        raise ValueError(f"rates must have shape (n_bins, n_groups), got shape {r.shape}")
    dt = V.positive("dt", dt, "ms")
    if (~np.isfinite(r)).any() or (r < 0).any() or (r * dt / 1000.0 > 1.0 + 1e-12).any():
        raise ValueError(f"rates must be finite and within [0, 1000/dt] = [0, "
                         f"{1000.0 / dt!r}] Hz")
    sizes = [V.integer("group_sizes", s, minimum=0) for s in np.atleast_1d(group_sizes)]
    if len(sizes) != r.shape[1]:
        raise ValueError(f"group_sizes must give one size per column of rates "
                         f"({r.shape[1]}), got {len(sizes)}")
    per_bin = _steps_of("rate_dt", V.positive("rate_dt", rate_dt, "ms"), dt)
    n_steps = r.shape[0] * per_bin
    rng = np.random.default_rng(seed)
    ts, ids, first = [], [], 0
    for g, size in enumerate(sizes):
        top = r[:, g].max()
        if size and top > 0:
            s, src = _block(np.full(size, top * dt / 1000.0), n_steps, rng)
            keep = rng.random(s.size) * top < r[s // per_bin, g]
            ts.append(s[keep])
            ids.append(src[keep] + first)
        first += size
    if not ts:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    s, i = np.concatenate(ts), np.concatenate(ids)
    order = np.lexsort((s, i))
    return s[order] * dt, i[order].astype(np.int64)
