"""Experiment protocols: imposed spike trains, and presentations that depend on the
network's answer.

Plasticity experiments with imposed spike trains: every pre- and postsynaptic spike time
is given, as in a slice experiment where the experimenter makes both cells fire.

:func:`impose` runs plastic synapses under given trains and returns what each rule did to
each weight. Synapse ``k`` runs from source ``k`` of an explicit spike source onto its own
*device* neuron ``k``: a LIF neuron (delta synapses) whose threshold sits 70 mV above
rest and that a driver kicks by 100 mV one step before each wanted postsynaptic spike,
so it spikes in exactly the wanted steps. The plastic synapses deliver their weights (mV)
too; :func:`impose` checks afterwards that every device fired exactly where imposed and
nowhere else (weights summed over the rules too large to ignore fail that check with a
clear error). The same construction as ``tests/plasticity/test_stdp_window.py`` and notebook
``04_stdp_rules``. Delays are 0 (arrival = emission); neurolab's order within a step
applies (presynaptic pathways first).

:func:`present_images` shows images one after another as Poisson rates and shows a sample
again at a higher rate while it evokes too few output spikes (Diehl & Cook 2015, Front.
Comput. Neurosci. 9:99, Sec. 2.3). Unlike :func:`neurolab.rate_coded_images`, whose spike
trains are drawn before the run, it runs the network itself, between presentations, through
the public API (``source.rates = ...``, ``net.run``).

Room: ``neurolab.papers``. May import: numpy, ``neurolab.base`` and ``neurolab.model``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import validate as V
from ..model.network import Network
from ..model.params import LIFParams

__all__ = ["DEVICE", "ImposedResult", "impose", "Presentations", "present_images"]

#: the device neuron: rest -70 mV, threshold 0 mV, instant reset, no refractoriness
DEVICE = LIFParams(tau_m=10.0, v_rest=-70.0, v_th=0.0, v_reset=-70.0, refractory=0.0,
                   synapse="delta")


@dataclass(frozen=True)
class ImposedResult:
    """Result of :func:`impose`. ``dw``: rule name -> (n,) weight change ``w_final - w0``
    of each synapse (units of ``w``); ``result``: the run's :class:`SimResult` (weights
    recorded as asked); ``network``: the network (continue it, or read projections)."""
    dw: dict
    result: object
    network: object


def impose(rules, pre, post, w0, *, dt: float = 0.1, duration: float | None = None,
           sources=None, record_weights=None, weight_dt: float | None = None,
           seed: int = 0) -> ImposedResult:
    """Run plastic synapses under imposed pre- and postsynaptic spike trains.

    ``rules``: name -> plasticity rule (any ``stdp=`` rule); each becomes its own
    projection between the same sources and devices (its own traces, the same spikes).
    ``pre``, ``post``: ``(times, synapse)`` pairs of arrays (ms; synapse index in
    ``[0, n)``). ``w0``: the initial weights (mV: the devices have delta synapses), an (n,)
    array, or a scalar for all (n: one more than the largest synapse index). Two postsynaptic spikes of one synapse must be at least two steps
    apart (a device takes no input in the step it spikes). ``dt``: the time step (ms;
    spike times are rounded to it). ``duration``: run length (ms), default the last spike
    plus 50 ms. ``sources``: name -> spike times (ms) of extra one-neuron spike sources that
    rules can name (the reward of :class:`~neurolab.plasticity.RewardSTDP`).
    ``record_weights`` / ``weight_dt``: as :meth:`Network.run` (rule names).

    Returns an :class:`ImposedResult`. Raises ``ValueError`` naming the parameter for
    trains of different lengths, synapse indices outside ``[0, n)``, postsynaptic spikes
    closer than two steps on one synapse, and ``RuntimeError`` when a device did not fire
    exactly at the imposed steps.
    """
    if not rules:
        raise ValueError("rules must name at least one plasticity rule")
    (pre_t, pre_i), (post_t, post_i) = pre, post
    pre_t = V.float_array("pre times", pre_t)
    post_t = V.float_array("post times", post_t)
    if np.ndim(w0) == 0:     # one weight for all: n from the synapse indices
        n = 1 + int(max(np.max(pre_i, initial=0), np.max(post_i, initial=0)))
        w0 = np.full(n, V.non_negative("w0", w0))
    w0 = np.asarray(w0, dtype=np.float64)
    n = w0.size
    pre_i = V.index_array("pre synapses", pre_i, upper=n, length=pre_t.size)
    post_i = V.index_array("post synapses", post_i, upper=n, length=post_t.size)
    steps = np.rint(post_t / dt).astype(np.int64)
    order = np.lexsort((steps, post_i))
    close = (np.diff(post_i[order]) == 0) & (np.diff(steps[order]) < 2)
    if close.any():
        k = order[np.flatnonzero(close)[0]]
        raise ValueError(f"post: two postsynaptic spikes of synapse {int(post_i[k])} less "
                         f"than two steps apart (at {float(post_t[k])!r} ms); a device "
                         f"neuron takes no input in the step it spikes")
    if (steps < 1).any():
        raise ValueError(f"post: postsynaptic spikes must come at least one step (dt = "
                         f"{dt!r} ms) after 0, got {float(post_t[steps < 1][0])!r} ms")
    if duration is None:
        duration = max(pre_t.max(initial=0.0), post_t.max(initial=0.0)) + 50.0
    duration = round(duration / dt) * dt
    net = Network(dt=dt, seed=seed)
    for name, times in (sources or {}).items():
        times = np.asarray(times, dtype=np.float64)
        net.add_spikes(name, 1, times=times, indices=np.zeros(times.size, dtype=np.int64))
    source = net.add_spikes("pre", n, times=pre_t, indices=pre_i)
    drive = net.add_spikes("drive", n, times=(steps - 1) * dt, indices=post_i)
    cell = net.add_lif("post", n, DEVICE)
    net.connect(drive, cell, "one_to_one", weight=100.0)
    for name, rule in rules.items():
        net.connect(source, cell, "one_to_one", weight=w0, stdp=rule, name=name)
    kw = {} if record_weights is None else dict(record_weights=record_weights,
                                                weight_dt=weight_dt)
    res = net.run(duration, progress=False, **kw)
    fired = np.sort(np.rint(res.spikes["post"].t / dt).astype(np.int64) * n
                    + res.spikes["post"].i)
    wanted = np.sort(steps[steps * dt < duration] * n + post_i[steps * dt < duration])
    if not np.array_equal(fired, wanted):
        raise RuntimeError(f"the device neurons fired {fired.size} times where {wanted.size} "
                           f"spikes were imposed: the plastic weights (summed over "
                           f"{len(rules)} rules) drive them; use smaller weights or fewer "
                           f"rules per call")
    return ImposedResult(dw={name: res.final_weights[name] - w0 for name in rules},
                         result=res, network=net)


# ------------------------------------------------------------ presentations
@dataclass(frozen=True)
class Presentations:
    """What :func:`present_images` showed and what the target population answered.

    ``counts``: spikes of each target neuron during the accepted presentation of each
    sample (its ``presentation`` ms, not the rest), shape ``(n_samples, n_target)``, int64.
    ``repeats``: how many times each sample was shown again at a raised rate, shape
    ``(n_samples,)``. ``max_rate``: the full-intensity rate of the accepted presentation
    (Hz), shape ``(n_samples,)``. ``short``: samples still under ``min_spikes`` after
    ``max_repeats`` repeats, shape ``(n_samples,)`` bool. ``t_start``/``t_stop``: network
    time (ms) before and after.
    """

    counts: np.ndarray
    repeats: np.ndarray
    max_rate: np.ndarray
    short: np.ndarray
    t_start: float
    t_stop: float


def _slot_rates(table, t0, period, presentation):
    """A rate function (network time in ms -> rates, shape (len(t), n)) showing row k of
    ``table`` during ``[t0 + k period, t0 + k period + presentation)``, 0 elsewhere."""
    n_rows = table.shape[0]

    def rates(t):
        rel = np.asarray(t, dtype=np.float64) - t0
        k = np.floor(rel / period + 1e-9).astype(np.int64)
        on = (k >= 0) & (k < n_rows) & (rel - k * period < presentation - 1e-9)
        return table[np.clip(k, 0, n_rows - 1)] * on[:, None]

    return rates


def present_images(net, source, target, images, *, intensity_max: float = 255.0,
                   max_rate: float = 63.75, rate_step: float = 32.0, min_spikes: int = 5,
                   max_repeats: int = 20, presentation: float = 350.0, rest: float = 150.0,
                   sequential: bool = True) -> Presentations:
    """Show ``images`` one after another to ``net`` as Poisson rates, each again at a
    higher rate while the ``target`` population answers with fewer than ``min_spikes``
    spikes (Diehl & Cook 2015, Sec. 2.3; their code does the same in the test phase).

    A presentation of sample k: pixel j of ``source`` fires at ``images[k, j] /
    intensity_max * r`` Hz for ``presentation`` ms, then at 0 Hz for ``rest`` ms (the
    paper: 350 ms and 150 ms, ``r`` = 63.75 Hz at first). If the target's neurons fired
    fewer than ``min_spikes`` spikes together during the ``presentation`` ms, ``r`` rises by
    ``rate_step`` (the paper: 32 Hz) and the sample is shown again, at most ``max_repeats``
    times (the paper sets no limit; a sample still short then is accepted and flagged in
    ``short``). The counts of the accepted presentation are returned. Starts at ``net.t``;
    every presentation (repeats included) takes ``presentation + rest`` ms of network time.

    ``sequential=True``: each presentation on its own (``net.run(presentation)`` at
    constant rates, then ``net.run(rest)``), a repeat
    right after the presentation it repeats (what learning needs: the weights change between
    samples). ``sequential=False``: all samples in one run, those left short again in one run
    at the next rate, and so on: the same presentations in another order and far fewer runs,
    meant for a network that no longer changes (learning off, thresholds frozen), where the
    order only changes which sample's decaying activity precedes which.

    ``source``: a Poisson population with one source per pixel (its rates are replaced; they
    are 0 when this returns); ``target``: a LIF population. ``images``: shape ``(n_samples,
    source.n)``, intensities in ``[0, intensity_max]``. Raises ``ValueError``/``TypeError``
    naming the parameter for a source that is not Poisson or has another size, a target that
    is not LIF, images of the wrong shape or outside ``[0, intensity_max]``, a rate or step
    < 0, ``min_spikes`` or ``max_repeats`` < 0, ``presentation`` <= 0 or ``rest`` < 0 (both
    multiples of ``dt``); a rate above ``1000/dt`` Hz is refused by the source when it is
    set.
    """
    if getattr(source, "kind", None) != "poisson":
        raise ValueError(f"source must be a Poisson population (net.add_poisson), got "
                         f"{V._show(source)}")
    if getattr(target, "kind", None) != "lif":
        raise ValueError(f"target must be a LIF population (net.add_lif), got "
                         f"{V._show(target)}")
    intensity_max = V.positive("intensity_max", intensity_max)
    img = np.asarray(images)
    if img.dtype == bool or not np.issubdtype(img.dtype, np.number):
        raise TypeError(f"images must hold numbers (intensities), got dtype {img.dtype}")
    img = img.astype(np.float64)
    if img.ndim != 2 or img.shape[0] == 0 or img.shape[1] != source.n:
        raise ValueError(f"images must have shape (n_samples, {source.n}) (one column per "
                         f"source of {source.name!r}), got shape {img.shape}")
    if not np.all(np.isfinite(img)) or img.min() < 0 or img.max() > intensity_max:
        raise ValueError(f"images must be finite and within [0, intensity_max] = [0, "
                         f"{intensity_max!r}]")
    max_rate = V.non_negative("max_rate", max_rate, "Hz")
    rate_step = V.non_negative("rate_step", rate_step, "Hz")
    min_spikes = V.integer("min_spikes", min_spikes, minimum=0)
    max_repeats = V.integer("max_repeats", max_repeats, minimum=0)
    presentation = V.positive("presentation", presentation, "ms")
    rest = V.non_negative("rest", rest, "ms")
    for name, value in (("presentation", presentation), ("rest", rest)):
        steps = value / net.dt
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError(f"{name} must be a multiple of dt={net.dt!r} ms, got {value!r}")
    if not isinstance(sequential, (bool, np.bool_)):
        raise TypeError(f"sequential must be True or False, got {sequential!r}")

    n = img.shape[0]
    period = presentation + rest
    unit = img / intensity_max
    counts = np.zeros((n, target.n), dtype=np.int64)
    repeats = np.zeros(n, dtype=np.int64)
    rate_of = np.full(n, max_rate)
    t_start = net.t
    rec = {target.name: "all"}

    def show(rows, rate):
        """Show ``rows`` (sample indices) once each at full-intensity rate ``rate``: their
        spike counts during the presentation, shape (len(rows), target.n)."""
        t0 = net.t
        if len(rows) == 1:      # constant rates: far cheaper to draw than a rate function
            source.rates = unit[rows[0]] * rate
            res = net.run(presentation, record_spikes=rec, progress=False)
            source.rates = np.zeros(source.n)
            if rest > 0:
                net.run(rest, record_spikes=[], progress=False)
        else:
            source.rates = _slot_rates(unit[rows] * rate, t0, period, presentation)
            res = net.run(len(rows) * period, record_spikes=rec, progress=False)
        sp = res.spikes[target.name]
        rel = sp.t - t0
        slot = np.floor(rel / period + 1e-9).astype(np.int64)
        on = rel - slot * period < presentation - 1e-9
        out = np.zeros((len(rows), target.n), dtype=np.int64)
        np.add.at(out, (slot[on], sp.i[on]), 1)
        return out

    try:
        if sequential:
            for k in range(n):
                while True:
                    c = show(np.array([k]), rate_of[k])[0]
                    if c.sum() >= min_spikes or repeats[k] >= max_repeats:
                        break
                    repeats[k] += 1
                    rate_of[k] += rate_step
                counts[k] = c
        else:
            todo = np.arange(n)
            while todo.size:
                c = show(todo, rate_of[todo[0]])
                counts[todo] = c
                low = c.sum(axis=1) < min_spikes
                todo = todo[low & (repeats[todo] < max_repeats)]
                repeats[todo] += 1
                rate_of[todo] += rate_step
    finally:
        source.rates = np.zeros(source.n)
    short = counts.sum(axis=1) < min_spikes
    return Presentations(counts=counts, repeats=repeats, max_rate=rate_of, short=short,
                         t_start=t_start, t_stop=net.t)
