"""Plasticity experiments with imposed spike trains: every pre- and postsynaptic spike time
is given, as in a slice experiment where the experimenter makes both cells fire.

:func:`impose` runs plastic synapses under given trains and returns what each rule did to
each weight. Synapse ``k`` runs from source ``k`` of an explicit spike source onto its own
*device* neuron ``k``: a LIF neuron (delta synapses) whose threshold sits 70 mV above
rest and that a driver kicks by 100 mV one step before each wanted postsynaptic spike,
so it spikes in exactly the wanted steps. The plastic synapses deliver their weights (mV)
too; :func:`impose` checks afterwards that every device fired exactly where imposed and
nowhere else (weights summed over the rules too large to ignore fail that check with a
clear error). The same construction as ``tests/test_stdp_window.py`` and notebook
``04_stdp_rules``. Delays are 0 (arrival = emission); neurolab's order within a step
applies (presynaptic pathways first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as V
from .network import Network
from .params import LIFParams

__all__ = ["DEVICE", "ImposedResult", "impose"]

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
