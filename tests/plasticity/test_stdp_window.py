"""The simulated STDP window equals the analytic pair rule to rounding.

Construction: pair ``k`` has its own presynaptic source ``pre[k]`` (one spike at ``T_PRE``),
its own postsynaptic neuron ``post[k]`` and its own driver ``drive[k]``. ``drive[k]`` kicks
``post[k]`` with a strong static delta synapse (30 mV), which makes it spike exactly once, in
the step after the kick arrives. The plastic synapse ``pre[k] -> post[k]`` is a delta synapse
of at most ``w_max = 1`` mV onto a neuron 16 mV below threshold: it can never make ``post[k]``
spike. So each plastic synapse sees exactly one pre and one post spike, and its weight
change must be the seed's rule, for ``dt = t_post - t_pre`` (``t_pre`` = arrival time, delays
being axonal):

    dt >= 0:  +A_plus  * exp(-dt / tau_plus)
    dt <  0:  -A_minus * exp( dt / tau_minus)

The initial weight ``W0 = 1/16`` is a power of two so that ``w_final - W0`` recovers the
weight change with an error far below 1e-12 of it (Sterbenz); the change never clips.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl

W0 = 0.0625
T_PRE = 150.0  # ms


def run_pairs(stdp: nl.STDPParams, offsets_ms, dt=0.1, delay=0.0, w0=W0):
    """One isolated pre/post pair per offset ``t_post - t_pre_arrival`` (ms).

    Returns (dt_spike ms, weight change, post spike counts) per pair, with ``dt_spike``
    measured from the recorded post spikes.
    """
    steps = np.unique(np.rint(np.asarray(offsets_ms) / dt).astype(np.int64))
    n = steps.size
    pre_step = int(round(T_PRE / dt))
    arrival = pre_step + int(round(delay / dt))
    post_step = arrival + steps  # intended post spike steps
    duration = (int(post_step.max()) + int(round(50.0 / dt))) * dt
    net = nl.Network(dt=dt, seed=0)
    pre = net.add_spikes("pre", n, times=np.full(n, pre_step * dt), indices=np.arange(n))
    drive = net.add_spikes("drive", n, times=(post_step - 1) * dt, indices=np.arange(n))
    post = net.add_lif("post", n, nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0,
                                               v_reset=-60.0, refractory=0.0,
                                               synapse="delta"))
    net.connect(drive, post, "one_to_one", weight=30.0)
    net.connect(pre, post, "one_to_one", weight=w0, delay=delay, stdp=stdp, name="plastic")
    res = net.run(duration, progress=False)
    sp = res.spikes["post"]
    counts = np.bincount(np.asarray(sp.i), minlength=n)
    t_post = np.full(n, np.nan)
    t_post[np.asarray(sp.i)] = np.asarray(sp.t)
    # measured dt from recorded spike steps (exact multiples of dt)
    post_steps = np.rint(t_post / dt)
    np.testing.assert_array_equal(post_steps, post_step, err_msg="post spikes not where meant")
    dt_spike = (post_step - arrival) * dt
    dw = res.final_weights["plastic"] - w0
    return dt_spike, dw, counts


def analytic(stdp, dt_spike):
    return np.array([stdp.A_plus * math.exp(-d / stdp.tau_plus) if d >= 0
                     else -stdp.A_minus * math.exp(d / stdp.tau_minus) for d in dt_spike])


OFFSETS = np.concatenate([np.arange(-100.0, 100.0 + 1e-9, 2.5),
                          np.arange(-5, 6) * 0.1])  # fine around dt = 0, incl. 0


@pytest.mark.parametrize("pairing", ["all_to_all", "nearest"])
@pytest.mark.parametrize("dt", [0.1, 0.25])
def test_window_matches_rule(pairing, dt):
    stdp = nl.STDPParams(A_plus=0.01, A_minus=0.0105, tau_plus=20.0, tau_minus=20.0,
                         w_min=0.0, w_max=1.0, pairing=pairing)
    dt_spike, dw, counts = run_pairs(stdp, OFFSETS, dt=dt)
    assert (counts == 1).all(), "every post neuron must spike exactly once"
    assert (dt_spike == 0).sum() == 1 and (dt_spike < 0).any() and (dt_spike > 0).any()
    np.testing.assert_allclose(dw, analytic(stdp, dt_spike), rtol=1e-12, atol=0)
    # dt = 0 (same step) counts as potentiation
    assert dw[dt_spike == 0][0] == pytest.approx(stdp.A_plus, rel=1e-12)


def test_bi_poo_window():
    """Bi & Poo 1998 fit: tau_plus = 16.8 ms, tau_minus = 33.7 ms."""
    stdp = nl.STDPParams(A_plus=0.0103, A_minus=0.0051, tau_plus=16.8, tau_minus=33.7,
                         w_min=0.0, w_max=1.0)
    dt_spike, dw, counts = run_pairs(stdp, OFFSETS)
    assert (counts == 1).all()
    np.testing.assert_allclose(dw, analytic(stdp, dt_spike), rtol=1e-12, atol=0)
    # the window's time constants, read back from the simulated changes
    pos, neg = (dt_spike > 0), (dt_spike < 0)
    tau_p = -np.diff(dt_spike[pos]) / np.diff(np.log(dw[pos]))
    tau_m = np.diff(dt_spike[neg]) / np.diff(np.log(-dw[neg]))
    np.testing.assert_allclose(tau_p, 16.8, rtol=1e-9)
    np.testing.assert_allclose(tau_m, 33.7, rtol=1e-9)


def test_window_is_relative_to_arrival_with_axonal_delay():
    """With an axonal delay the pre side of the pair is the arrival time."""
    stdp = nl.STDPParams(A_plus=0.01, A_minus=0.0105, tau_plus=16.8, tau_minus=33.7)
    dt_spike, dw, counts = run_pairs(stdp, np.arange(-30.0, 30.1, 1.5), delay=2.0)
    assert (counts == 1).all()
    np.testing.assert_allclose(dw, analytic(stdp, dt_spike), rtol=1e-12, atol=0)


def test_weight_dependence_mu():
    """Gütig's mu scales potentiation by ((w_max-w)/(w_max-w_min))**mu and depression by
    ((w-w_min)/(w_max-w_min))**mu, evaluated at the weight before the update."""
    w0, w_min, w_max = 0.25, 0.0, 1.0
    for mu in (0.5, 1.0):
        stdp = nl.STDPParams(A_plus=0.01, A_minus=0.0105, tau_plus=20.0, tau_minus=20.0,
                             w_min=w_min, w_max=w_max, mu=mu)
        dt_spike, dw, counts = run_pairs(stdp, np.arange(-40.0, 40.1, 4.0), w0=w0)
        assert (counts == 1).all()
        f = np.where(dt_spike >= 0, ((w_max - w0) / (w_max - w_min)) ** mu,
                     ((w0 - w_min) / (w_max - w_min)) ** mu)
        # w0 = 1/4: w_final - w0 is exact to half an ulp of 0.25 (~3e-17)
        np.testing.assert_allclose(dw, analytic(stdp, dt_spike) * f, rtol=1e-12, atol=1e-16)


def _triplet_net(pre_times, post_times, pairing, dt=0.1):
    stdp = nl.STDPParams(A_plus=0.01, A_minus=0.0105, tau_plus=20.0, tau_minus=20.0,
                         pairing=pairing)
    net = nl.Network(dt=dt, seed=0)
    pre = net.add_spikes("pre", 1, times=pre_times, indices=[0] * len(pre_times))
    drive = net.add_spikes("drive", 1, times=[t - dt for t in post_times],
                           indices=[0] * len(post_times))
    post = net.add_lif("post", 1, nl.LIFParams(refractory=0.0))
    net.connect(drive, post, weight=30.0)
    net.connect(pre, post, weight=W0, stdp=stdp, name="plastic")
    res = net.run(max(pre_times + post_times) + 10.0, progress=False)
    np.testing.assert_allclose(res.spikes["post"].t, post_times, atol=1e-9)
    return stdp, res.final_weights["plastic"][0] - W0


@pytest.mark.parametrize("pairing", ["all_to_all", "nearest"])
def test_pairing_schemes(pairing):
    """all_to_all sums every pair; nearest pairs each spike with the latest partner."""
    # two pre spikes, then one post: potentiation from both (all) or the latest (nearest)
    stdp, dw = _triplet_net([100.0, 110.0], [120.0], pairing)
    a, b = math.exp(-20.0 / 20.0), math.exp(-10.0 / 20.0)
    want = stdp.A_plus * ((a + b) if pairing == "all_to_all" else b)
    assert dw == pytest.approx(want, rel=1e-12)
    # two post spikes, then one pre: depression from both (all) or the latest (nearest)
    stdp, dw = _triplet_net([120.0], [100.0, 110.0], pairing)
    want = -stdp.A_minus * ((a + b) if pairing == "all_to_all" else b)
    assert dw == pytest.approx(want, rel=1e-12)
