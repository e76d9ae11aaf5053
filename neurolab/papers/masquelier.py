"""Masquelier, Guyonneau & Thorpe (2008, PLoS ONE 3(1):e1377) on neurolab's LIF neuron.

The paper's neuron is Gerstner's spike response model (SRM): with ``t_i`` the last
postsynaptic spike,

    u(t) = eta(t - t_i) + sum_{j, t_j > t_i} w_j eps(t - t_j),
    eps(s) = K (exp(-s/tau_m) - exp(-s/tau_s)),     K such that max eps = 1,
    eta(s) = T (K1 exp(-s/tau_m) - K2 (exp(-s/tau_m) - exp(-s/tau_s))),

``tau_m = 10 ms``, ``tau_s = 2.5 ms``, ``T = 500`` (threshold, in units of the peak EPSP of
a weight-1 synapse), ``K1 = 2``, ``K2 = 4``; weights in [0, 1]. Input spikes that arrived
before the last output spike are forgotten.

neurolab's LIF with current synapses has the same EPSP: ``tau_m dv/dt = v_rest - v + I_e``,
``I_e`` jumping by ``w`` and decaying with ``tau_e = tau_s`` gives ``v - v_rest =
w tau_s / (tau_m - tau_s) (exp(-s/tau_m) - exp(-s/tau_s))``, i.e. ``eps`` times ``w *
psp_peak(tau_m, tau_s)``. :func:`srm_lif_params` maps the rest:

- threshold: ``v_th = v_rest + T * psp_peak`` (weights keep the paper's units);
- after-potential: the reset reproduces the slow part of ``eta``, ``-(K2 - K1) T
  exp(-s/tau_m)``, exactly: ``v_reset = v_rest - (K2 - K1) T psp_peak``. The fast part
  ``K2 T exp(-s/tau_s)`` (the spike's positive pulse) has no counterpart;
- what the LIF cannot forget: the synaptic current ``I_e`` survives the reset, while the
  SRM discards all earlier EPSPs. Under a steady input current ``D`` (mV) the LIF then
  recovers faster than the SRM by ``D tau_s / (tau_m - tau_s) (exp(-s/tau_m) -
  exp(-s/tau_s))`` (subtract the two solutions). With ``compensate_current=True`` the reset
  is lowered by the slow part of that difference at the *initial* mean input,
  ``D0 = n_afferents * rate * w_init * tau_s`` (``rate`` in spikes/ms): exact at the start
  for the mean input, approximate once the weights change.

Room: ``neurolab.papers``. May import: numpy, ``neurolab.base``, ``neurolab.model``,
``neurolab.stimuli`` and ``neurolab.analysis``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..base import validate as V
from ..analysis import PatternScores, Selectivity, pattern_detection, selectivity_onset
from ..stimuli import PatternInput
from ..model.network import Network
from ..model.params import LIFParams, STDPParams

__all__ = ["psp_peak", "srm_lif_params", "PAPER_STDP", "PatternTrial", "pattern_trial"]

# the paper's rule: a+ = 2^-5, a-/a+ = -0.85 (depression 0.85 a+), tau+ 16.8 ms, tau- 33.7 ms,
# weights in [0, 1], nearest-neighbour pairs with the restriction (see STDPParams.pairing)
PAPER_STDP = STDPParams(A_plus=2.0 ** -5, A_minus=0.85 * 2.0 ** -5, tau_plus=16.8,
                        tau_minus=33.7, w_min=0.0, w_max=1.0, pairing="restricted")


def psp_peak(tau_m: float, tau_s: float) -> float:
    """Peak of the PSP of a weight-1 spike on a current synapse (mV per unit weight):
    ``max_s tau_s / (tau_m - tau_s) (exp(-s/tau_m) - exp(-s/tau_s))``, reached at ``s* =
    tau_m tau_s / (tau_m - tau_s) ln(tau_m / tau_s)``; for ``tau_s = tau_m`` the limit
    ``1/e`` (the alpha function ``s/tau exp(-s/tau)`` at ``s = tau``). Both in ms, > 0.
    For tau_m = 10, tau_s = 2.5: ``4**(-4/3) = 0.15749``."""
    tau_m = V.positive("tau_m", tau_m, "ms")
    tau_s = V.positive("tau_s", tau_s, "ms")
    if abs(tau_m - tau_s) <= 1e-12 * tau_m:
        return 1.0 / math.e
    s = tau_m * tau_s / (tau_m - tau_s) * math.log(tau_m / tau_s)
    return tau_s / (tau_m - tau_s) * (math.exp(-s / tau_m) - math.exp(-s / tau_s))


def srm_lif_params(*, n_afferents: int, rate: float, w_init: float,
                   compensate_current: bool = True, threshold: float = 500.0,
                   tau_m: float = 10.0, tau_s: float = 2.5, K1: float = 2.0,
                   K2: float = 4.0, v_rest: float = 0.0) -> LIFParams:
    """The LIF (current synapses) closest to the paper's SRM neuron; see the module text.

    ``n_afferents``, ``rate`` (Hz, the afferents' mean rate) and ``w_init`` (initial
    weight) only enter the compensation of the synaptic current that survives a reset
    (``compensate_current=True``): ``v_reset`` is lowered by ``n_afferents * rate / 1000 *
    w_init * tau_s**2 / (tau_m - tau_s)`` mV. ``threshold`` (T), ``K1``, ``K2`` are in
    units of the peak EPSP of a weight-1 synapse; ``tau_m > tau_s > 0`` (ms).

    The paper's values (2000 afferents at 64 Hz, w_init 0.475): ``v_th = 78.75``,
    ``v_reset = -157.49`` without the compensation, ``-208.16`` with it (mV above
    ``v_rest``). Raises ``ValueError`` naming the parameter for out-of-range values.
    """
    n = V.integer("n_afferents", n_afferents, minimum=1)
    rate = V.non_negative("rate", rate, "Hz")
    w_init = V.non_negative("w_init", w_init)
    T = V.positive("threshold", threshold)
    tau_m = V.positive("tau_m", tau_m, "ms")
    tau_s = V.positive("tau_s", tau_s, "ms")
    if not tau_s < tau_m:
        raise ValueError(f"tau_s must be < tau_m = {tau_m!r} ms (the SRM's EPSP rises with "
                         f"tau_s and decays with tau_m), got {tau_s!r}")
    K1 = V.real("K1", K1)
    K2 = V.real("K2", K2)
    if not K2 > K1:
        raise ValueError(f"K2 must be > K1 = {K1!r} (a negative after-potential), got {K2!r}")
    peak = psp_peak(tau_m, tau_s)
    v_th = v_rest + T * peak
    v_reset = v_rest - (K2 - K1) * T * peak
    if compensate_current:
        v_reset -= n * rate / 1000.0 * w_init * tau_s * tau_s / (tau_m - tau_s)
    return LIFParams(tau_m=tau_m, v_rest=v_rest, v_th=v_th, v_reset=v_reset,
                     refractory=0.0, synapse="current", tau_e=tau_s)


@dataclass(frozen=True)
class PatternTrial:
    """Result of :func:`pattern_trial`.

    ``post_times``: output spike times (ms); ``weights``: final weights (n_afferents,);
    ``scores``: :class:`~neurolab.analysis.PatternScores` over the last ``score_ms`` of the
    run; ``selectivity``: :class:`~neurolab.analysis.Selectivity` (the last false alarm and
    the output spikes up to it); ``success``: scores.hit_rate >= the trial's
    ``min_hit_rate`` and scores.false_alarm_rate <= ``max_false_alarm_rate``.
    """
    post_times: np.ndarray
    weights: np.ndarray
    scores: PatternScores
    selectivity: Selectivity
    success: bool


def pattern_trial(pattern: PatternInput, lif: LIFParams, stdp: STDPParams = PAPER_STDP, *,
                  w_init: float = 0.475, score_ms: float = 5000.0,
                  min_hit_rate: float = 0.9, max_false_alarm_rate: float = 1.0,
                  seed: int = 0) -> PatternTrial:
    """One neuron (``lif``) learning from ``pattern`` (:func:`neurolab.repeating_pattern`;
    its ``dt`` is the network's) through ``stdp``, all weights starting at ``w_init``;
    scored over the last ``score_ms`` ms (:func:`neurolab.analysis.pattern_detection`).
    ``seed`` seeds the network (nothing in it is random: the input is given)."""
    if not isinstance(pattern, PatternInput):
        raise TypeError(f"pattern must be a PatternInput (neurolab.repeating_pattern), got "
                        f"{type(pattern).__name__}")
    score_ms = V.positive("score_ms", score_ms, "ms")
    if score_ms > pattern.duration:
        raise ValueError(f"score_ms must be <= the input's duration {pattern.duration!r} "
                         f"ms, got {score_ms!r}")
    net = Network(dt=pattern.dt, seed=seed)
    aff = net.add_spikes("aff", pattern.n_afferents, pattern.t, pattern.i)
    out = net.add_lif("out", 1, lif)
    proj = net.connect(aff, out, "all_to_all", weight=w_init, stdp=stdp)
    res = net.run(pattern.duration, progress=False)
    post = res.spikes["out"].t
    t_stop = pattern.duration
    scores = pattern_detection(post, pattern.onsets, pattern.pattern_duration,
                               t_start=t_stop - score_ms, t_stop=t_stop)
    sel = selectivity_onset(post, pattern.onsets, pattern.pattern_duration, t_stop=t_stop)
    ok = scores.hit_rate >= min_hit_rate and scores.false_alarm_rate <= max_false_alarm_rate
    return PatternTrial(post_times=post, weights=res.final_weights[proj.name].copy(),
                        scores=scores, selectivity=sel, success=bool(ok))
