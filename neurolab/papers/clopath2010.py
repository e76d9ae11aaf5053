"""Clopath, Büsing, Vasilaki & Gerstner 2010 (Nat. Neurosci. 13:344), Fig. 4: connectivity
reflects coding. A small all-to-all network of Clopath AdEx neurons
(:meth:`neurolab.AdExParams.clopath`) with :class:`~neurolab.ClopathSTDP` on every recurrent
synapse; the neurons' spikes are imposed (a strong delta input forces each one), so the
weights follow the coding scheme alone:

- **rate code**: neuron k fires as a Poisson process at its own rate, rising linearly from
  ``rates[0]`` to ``rates[1]`` Hz over the neurons; strong connections form among the
  high-rate neurons, in both directions (bidirectional pairs);
- **temporal code**: the neurons fire in a fixed sequence, neuron k ``gap`` ms after
  neuron k-1, the sequence repeating every ``n * gap`` ms (a ring: neuron 0 follows the
  last one); the connections along the sequence survive and their reverses vanish
  (unidirectional).

Simplifications (stated in notebook 11): spikes imposed rather than driven by Poisson
inputs and the recurrent weights, no homeostatic LTD factor, amplitudes scaled up by
``scale`` (default 10) so that seconds of simulated time suffice.

The key measure, :func:`reciprocity`: of the strongest ``top`` fraction of connections, the
fraction whose reverse connection is among them too (1: every strong connection is
bidirectional; 0: all unidirectional).

Room: ``neurolab.papers``. May import: numpy, ``neurolab.base``, ``neurolab.model`` and
``neurolab.plasticity``.
"""

from __future__ import annotations

import numpy as np

from ..base import validate as V
from ..model.network import Network
from ..model.neuron_models import AdExParams
from ..plasticity.clopath import ClopathSTDP


def coding_network(code: str, *, n: int = 10, duration: float = 10000.0,
                   rates=(2.0, 20.0), gap: float = 10.0, scale: float = 10.0,
                   w0: float = 0.5, w_max: float = 1.0, dt: float = 0.1, seed: int = 1):
    """Run the Fig. 4 network under ``code`` (``"rate"`` or ``"temporal"``) and return its
    final weight matrix, (n, n), ``[pre, post]`` (mV, delta synapses; NaN on the diagonal),
    and the number of spikes of each neuron, (n,).

    ``duration`` ms; ``rates`` (Hz, low and high) for the rate code (Poisson trains drawn
    with ``numpy.random.default_rng(seed)``; a spike less than 3 ms after the previous one,
    inside its clamp, is dropped); ``gap`` (ms) between successive neurons for the temporal
    code; the rule is :class:`~neurolab.ClopathSTDP` with its defaults (NEST's example) and
    ``A_LTP``, ``A_LTD`` multiplied by ``scale``; weights start at ``w0`` in ``[0, w_max]``.
    Raises ``ValueError`` naming a bad argument."""
    V.choice("code", code, ("rate", "temporal"))
    n = V.integer("n", n, minimum=2)
    duration = V.positive("duration", duration, "ms")
    gap = V.positive("gap", gap, "ms")
    scale = V.positive("scale", scale)
    lo, hi = (V.non_negative("rates", r, "Hz") for r in rates)
    rng = np.random.default_rng(seed)
    times, idx = [], []
    if code == "rate":
        for k, rate in enumerate(np.linspace(lo, hi, n)):
            t = np.sort(rng.uniform(20.0, duration - 20.0, rng.poisson(rate * duration / 1e3)))
            t = t[np.concatenate([[True], np.diff(t) > 3.0])] if t.size else t
            times.append(t)
            idx.append(np.full(t.size, k))
    else:
        starts = np.arange(20.0, duration - n * gap, n * gap)
        for k in range(n):
            times.append(starts + k * gap)
            idx.append(np.full(starts.size, k))
    times = np.round(np.concatenate(times) / dt) * dt
    net = Network(dt=dt, seed=seed)
    kick = net.add_spikes("kick", n, times=times - dt, indices=np.concatenate(idx))
    E = net.add_adex("E", n, AdExParams.clopath())
    net.connect(kick, E, "one_to_one", weight=200.0, delay=dt)
    rule = ClopathSTDP(A_LTP=8e-5 * scale, A_LTD=14e-5 * scale, w_min=0.0, w_max=w_max)
    net.connect(E, E, "all_to_all", weight=w0, autapses=False, delay=0.0, stdp=rule,
                name="rec")
    res = net.run(duration, progress=False)
    return (np.asarray(res.weight_matrix("rec")),
            np.bincount(res.spikes["E"].i, minlength=n))


def reciprocity(W, top: float = 0.2) -> float:
    """Of the strongest ``top`` fraction of the off-diagonal connections of ``W`` ((n, n),
    ``[pre, post]``; ties at the cut all count as strong), the fraction whose reverse
    ``W[j, i]`` is strong too; ``top`` in (0, 1]. NaN when no connection is strong (all
    weights 0)."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    if not 0.0 < top <= 1.0:
        raise ValueError(f"top must be in (0, 1], got {top!r}")
    off = ~np.eye(W.shape[0], dtype=bool)
    w = W[off]
    k = max(1, round(top * w.size))
    cut = np.sort(w)[::-1][k - 1]
    strong = off & (W >= cut) & (W > 0)
    if not strong.any():
        return float("nan")
    return float((strong & strong.T).sum() / strong.sum())
