"""Clopath's voltage rule against NEST 3.10 (``clopath_synapse`` onto
``aeif_psc_delta_clopath``).

The postsynaptic AdEx neuron (NEST's pairing-example parameters, ``V_peak`` 33 mV) is kept
below threshold by a static drive of 3 mV kicks; four plastic synapses (0.02 mV each, so
their own PSPs barely move ``v``) receive random presynaptic trains from 10 ms on and one
common flush spike near the end (NEST applies LTP only at the next presynaptic spike).
``theta_plus`` is lowered to -62 mV so that subthreshold depolarisation gives LTP. Every
part of the rule runs: LTD from the filtered, delayed ``u_minus``, LTP from ``v``, the
delayed ``u_plus`` and ``x_bar``, optionally the homeostatic LTD factor.

NEST's extras neutralised: no spike happens, so the spike clamp (``t_clamp``,
``V_clamp``), the adaptive threshold (``V_th_max = V_th_rest``) and the after-spike current
(``I_sp = 0``) never act. The second test lets the neuron spike with Clopath's whole neuron
on both sides (clamp, after-spike current, adaptive threshold); the third runs NEST's own
spike-pairing example.

Timing: NEST's synapse with delay d sees the postsynaptic history d earlier and its PSP
arrives d later. With d = dt, a presynaptic parrot spike stamped ``T`` is matched by a
neurolab arrival at step ``T/dt - 1`` (delay 0): then LTD reads ``u_minus`` at the same time
and LTP pairs ``v(t)`` with ``x_bar(t)`` in both; the plastic PSP itself comes two steps
earlier in neurolab (hence the small weights). The static drive: a neurolab source spike at
step s with delay dt is a NEST generator spike at ``(s + 1) dt`` with delay dt.
No presynaptic spike in the first ``delay_u_bars`` ms: NEST's delay line starts at 0 mV,
neurolab's at the initial ``v``.

Tolerances (issue 23): final weight changes within 5e-4 of NEST at dt 0.1 ms (1e-4 at
dt 0.01 ms), same sign wherever a change exceeds 1e-3, identical postsynaptic spike steps
(none here; with spikes the tolerances are wider, see the second test). Measured: at most ~5e-5 at dt 0.1 and ~1.5e-5 at dt 0.01.
"""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl

pytest.importorskip("nest")
from nest_oracle import _nest

pytestmark = pytest.mark.nest

N_PRE, W0, KICK = 4, 0.02, 3.0


def trains(seed, dt, T, n_drive):
    rng = np.random.default_rng(seed)
    t0, t1 = round(10.0 / dt), round((T - 60.0) / dt)
    flush = round((T - 5.0) / dt)
    pre = [np.append(np.unique(rng.integers(t0, t1, 15)), flush) for _ in range(N_PRE)]
    return pre, np.unique(rng.integers(t0, t1, n_drive))


def run_neurolab(rule, p, pre, drv, dt, T):
    net = nl.Network(dt=dt, seed=0)
    src = net.add_spikes("pre", N_PRE, times=np.concatenate(pre) * dt,
                         indices=np.concatenate([np.full(s.size, k) for k, s in enumerate(pre)]))
    drive = net.add_spikes("drv", 1, times=drv * dt, indices=np.zeros(drv.size, int))
    A = net.add_adex("A", 1, p)
    net.connect(drive, A, weight=KICK, delay=dt)
    net.connect(src, A, weight=W0, delay=0.0, stdp=rule, name="cl")
    res = net.run(T, progress=False)
    return res.final_weights["cl"] - W0, res.spikes["A"].t


def run_nest(rule, p, pre, drv, dt, T):
    nest = _nest()
    nest.ResetKernel()
    nest.resolution = dt
    par = {"C_m": p.C, "g_L": p.g_L, "E_L": p.E_L, "V_th_rest": p.V_T,
           "V_th_max": p.V_T if p.V_th_max is None else p.V_th_max, "tau_V_th": p.tau_V_th,
           "Delta_T": p.Delta_T, "V_peak": p.V_peak, "V_reset": p.V_reset, "tau_w": p.tau_w,
           "a": p.a, "b": p.b, "I_sp": p.I_sp, "tau_z": p.tau_z, "t_ref": p.refractory,
           "V_m": p.E_L,
           "I_e": p.I_bias, "t_clamp": p.t_clamp, "V_clamp": p.V_clamp,
           "theta_minus": rule.theta_minus, "theta_plus": rule.theta_plus,
           "A_LTD": rule.A_LTD, "A_LTP": rule.A_LTP, "tau_u_bar_minus": rule.tau_minus,
           "tau_u_bar_plus": rule.tau_plus, "tau_u_bar_bar": rule.tau_bar_bar,
           "delay_u_bars": rule.delay_u, "A_LTD_const": rule.u_ref is None}
    if rule.u_ref is not None:
        par["u_ref_squared"] = rule.u_ref ** 2
    post = nest.Create("aeif_psc_delta_clopath", params=par)
    g = nest.Create("spike_generator", params={"spike_times": ((drv + 1) * dt).round(9)})
    nest.Connect(g, post, syn_spec={"weight": KICK, "delay": dt})
    for k in range(N_PRE):
        gk = nest.Create("spike_generator", params={"spike_times": (pre[k] * dt).round(9)})
        pk = nest.Create("parrot_neuron")
        nest.Connect(gk, pk, syn_spec={"delay": dt})
        nest.Connect(pk, post, syn_spec={"synapse_model": "clopath_synapse", "weight": W0,
                                          "delay": dt, "tau_x": rule.tau_x,
                                          "Wmax": rule.w_max, "Wmin": rule.w_min})
    sr = nest.Create("spike_recorder")
    nest.Connect(post, sr)
    nest.Simulate(T)
    c = nest.GetConnections(synapse_model="clopath_synapse")
    w = np.array(c.get("weight"))[np.argsort(np.array(c.get("source")))]
    return w - W0, np.asarray(sr.events["times"]) - dt


@pytest.mark.parametrize("homeostasis", [False, True])
@pytest.mark.parametrize("dt,tol", [(0.1, 5e-4), (0.01, 1e-4)])
@pytest.mark.parametrize("seed,n_drive", [(1, 60), (2, 60), (3, 60), (4, 75)])
def test_clopath_matches_nest(seed, n_drive, dt, tol, homeostasis):
    T = 300.0
    rule = nl.ClopathSTDP(A_LTD=14e-5, A_LTP=8e-5, theta_minus=-70.6, theta_plus=-62.0,
                          tau_minus=10.0, tau_plus=7.0, tau_x=15.0, delay_u=4.0,
                          u_ref=65.0 if homeostasis else None, w_min=0.0, w_max=1.0)
    p = nl.AdExParams(V_peak=33.0, V_reset=-60.0)      # C 281, g_L 30, E_L -70.6, ...
    pre, drv = trains(seed, dt, T, n_drive)
    dw, spikes = run_neurolab(rule, p, pre, drv, dt, T)
    dw_nest, spikes_nest = run_nest(rule, p, pre, drv, dt, T)
    np.testing.assert_array_equal(np.rint(spikes / dt), np.rint(spikes_nest / dt))
    assert spikes.size == 0                  # the case is meant to stay subthreshold
    assert np.abs(dw_nest).max() > 2e-3      # the rule did something
    big = np.abs(dw_nest) > 1e-3
    assert (np.sign(dw[big]) == np.sign(dw_nest[big])).all()
    assert np.abs(dw - dw_nest).max() <= tol, (dw, dw_nest)


# ----------------------------------------------------------------- a postsynaptic neuron that spikes
@pytest.mark.parametrize("homeostasis", [False, True])
@pytest.mark.parametrize("dt,tol", [(0.1, 2e-3), (0.01, 5e-4)])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_clopath_with_spike_clamp_matches_nest(seed, dt, tol, homeostasis):
    """The paper's thresholds (theta_plus -45.3 mV) and Clopath's whole neuron on both
    sides: spike clamp (33 mV for 2 ms), after-spike current (I_sp 400 pA, tau_z 40 ms)
    and adaptive threshold (V_th_max 30.4 mV, tau_V_th 50 ms); LTP now comes mostly from
    the clamped spikes. ``I_bias`` 500 pA plus the kicks make the neuron fire.

    Measured (NEST 3.10, seeds 1-4): two spikes per run, on the same steps except one
    spike one step (dt 0.1) or up to 4 steps (dt 0.01) apart (RK4 at fixed dt against
    NEST's adaptive RKF45 through the stiff upswing to V_peak 33 mV), so spike times are
    held to issue 23's AdEx tolerances (first within 0.2 ms, all within 1 ms), not to
    identical steps; weight changes (0.02-0.07) within 1.4e-3 of NEST at dt 0.1 (4.5e-4
    where the spike steps agree) and 3.0e-4 at dt 0.01. That is wider than issue 23's
    5e-4 / 1e-4, which the kicked spikes of NEST's pairing example meet (next test): a
    spike a step later shifts its whole clamp; and NEST's filters integrate the true
    upswing and the clamp inside the spike step, where neurolab interpolates ``v``
    linearly (see :mod:`neurolab.plasticity.clopath`). Without the clamp (``t_clamp = 0``)
    neurolab's changes miss NEST's by 0.05-0.11."""
    T = 300.0
    rule = nl.ClopathSTDP(A_LTD=14e-5, A_LTP=8e-5, theta_minus=-70.6, theta_plus=-45.3,
                          tau_minus=10.0, tau_plus=7.0, tau_x=15.0, delay_u=4.0,
                          u_ref=65.0 if homeostasis else None, w_min=0.0, w_max=1.0)
    p = nl.AdExParams.clopath(I_bias=500.0)
    pre, drv = trains(seed, dt, T, 75)
    dw, spikes = run_neurolab(rule, p, pre, drv, dt, T)
    dw_nest, spikes_nest = run_nest(rule, p, pre, drv, dt, T)
    steps, steps_nest = np.rint(spikes / dt).astype(int), np.rint(spikes_nest / dt).astype(int)
    assert steps.size == steps_nest.size >= 2
    # issue 23's AdEx tolerances against NEST: first spike within 0.2 ms, later within 1 ms
    assert abs(spikes[0] - spikes_nest[0]) <= 0.2 + 1e-9
    assert np.abs(spikes - spikes_nest).max() <= 1.0 + 1e-9
    assert np.abs(dw_nest).max() > 2e-2      # the clamped spikes gave LTP
    big = np.abs(dw_nest) > 5e-3
    assert (np.sign(dw[big]) == np.sign(dw_nest[big])).all()
    assert np.abs(dw - dw_nest).max() <= tol, (dw, dw_nest)


# ----------------------------------------------------------------- NEST's spike-pairing example
# NEST's examples/clopath_synapse_spike_pairing.py: one aeif_psc_delta_clopath neuron with all
# of Clopath's extras (after-spike current I_sp 400 pA, adaptive threshold V_th_max 30.4 mV,
# spike clamp 2 ms at 33 mV), forced to spike by 80 mV kicks; one clopath_synapse (w 0.5)
# with presynaptic spikes 10 ms before (pre-post) or after (post-pre) each postsynaptic one,
# five or six pairings at 10-50 Hz. The example's spike times (ms, as NEST gives them to its
# spike generators).
PAIR_PRE = [[20.0, 120.0, 220.0, 320.0, 420.0], [20.0, 70.0, 120.0, 170.0, 220.0],
            [20.0, 53.3, 86.7, 120.0, 153.3], [20.0, 45.0, 70.0, 95.0, 120.0],
            [20.0, 40.0, 60.0, 80.0, 100.0],
            [120.0, 220.0, 320.0, 420.0, 520.0, 620.0], [70.0, 120.0, 170.0, 220.0, 270.0, 320.0],
            [53.3, 86.6, 120.0, 153.3, 186.6, 220.0], [45.0, 70.0, 95.0, 120.0, 145.0, 170.0],
            [40.0, 60.0, 80.0, 100.0, 120.0, 140.0]]
PAIR_POST = [[10.0, 110.0, 210.0, 310.0, 410.0], [10.0, 60.0, 110.0, 160.0, 210.0],
             [10.0, 43.3, 76.7, 110.0, 143.3], [10.0, 35.0, 60.0, 85.0, 110.0],
             [10.0, 30.0, 50.0, 70.0, 90.0],
             [130.0, 230.0, 330.0, 430.0, 530.0, 630.0], [80.0, 130.0, 180.0, 230.0, 280.0, 330.0],
             [63.3, 96.6, 130.0, 163.3, 196.6, 230.0], [55.0, 80.0, 105.0, 130.0, 155.0, 180.0],
             [50.0, 70.0, 90.0, 110.0, 130.0, 150.0]]
#: the example's neuron: NEST's defaults with these changes
PAIR_NEURON = {"V_reset": -70.6 + 21.0, "b": 0.0805, "t_ref": 0.0}
PAIR_W0, PAIR_KICK = 0.5, 80.0


def _pairing_nest(pre, post, dt, T):
    nest = _nest()
    nest.ResetKernel()
    nest.resolution = dt
    par = {"V_m": -70.6, "E_L": -70.6, "C_m": 281.0, "theta_minus": -70.6,
           "theta_plus": -45.3, "A_LTD": 14e-5, "A_LTP": 8e-5, "tau_u_bar_minus": 10.0,
           "tau_u_bar_plus": 7.0, "delay_u_bars": 4.0, "a": 4.0, "V_clamp": 33.0,
           "t_clamp": 2.0, **PAIR_NEURON}
    post_n = nest.Create("aeif_psc_delta_clopath", params=par)
    parrot = nest.Create("parrot_neuron")
    g_pre = nest.Create("spike_generator", params={"spike_times": np.round(pre, 9)})
    nest.Connect(g_pre, parrot, syn_spec={"delay": dt})
    g_post = nest.Create("spike_generator", params={"spike_times": np.round(post, 9)})
    nest.Connect(g_post, post_n, syn_spec={"delay": dt, "weight": PAIR_KICK})
    nest.Connect(parrot, post_n, syn_spec={"synapse_model": "clopath_synapse",
                                           "weight": PAIR_W0, "delay": dt})
    sr = nest.Create("spike_recorder")
    nest.Connect(post_n, sr)
    nest.Simulate(T)
    w = np.atleast_1d(nest.GetConnections(synapse_model="clopath_synapse").get("weight"))
    # NEST stamps a spike at the end of its step: the step itself is one less
    return w - PAIR_W0, np.rint(np.asarray(sr.events["times"]) / dt).astype(int) - 1


def _pairing_neurolab(pre, post, dt, T):
    # the whole Clopath neuron, as the example changes it (AdExParams.clopath gives NEST's
    # defaults)
    p = nl.AdExParams.clopath(V_reset=PAIR_NEURON["V_reset"], b=PAIR_NEURON["b"])
    rule = nl.ClopathSTDP(A_LTD=14e-5, A_LTP=8e-5, theta_minus=-70.6, theta_plus=-45.3,
                          tau_minus=10.0, tau_plus=7.0, tau_x=15.0, delay_u=4.0,
                          w_min=0.0, w_max=100.0)           # NEST's Wmax default
    net = nl.Network(dt=dt, seed=0)
    # the same frames as above: presynaptic times as NEST's generator gets them, delay 0;
    # a kick at generator time t (delay dt in NEST) is a source spike at t - dt (delay dt)
    src = net.add_spikes("pre", 1, times=pre, indices=np.zeros(pre.size, int))
    kick = net.add_spikes("kick", 1, times=post - dt, indices=np.zeros(post.size, int))
    A = net.add_adex("A", 1, p)
    net.connect(kick, A, weight=PAIR_KICK, delay=dt)
    net.connect(src, A, weight=PAIR_W0, delay=0.0, stdp=rule, name="cl")
    res = net.run(T, progress=False)
    return res.final_weights["cl"] - PAIR_W0, np.rint(res.spikes["A"].t / dt).astype(int)


@pytest.mark.parametrize("dt,tol", [(0.1, 5e-4), (0.01, 1e-4)])
def test_clopath_spike_pairing_matches_nest(dt, tol):
    """NEST's spike-pairing example, every frequency and both orders: weight changes within
    issue 23's 5e-4 (dt 0.1) / 1e-4 (dt 0.01) of NEST, the same sign wherever NEST's change
    exceeds 1e-3, the postsynaptic spikes on identical steps.

    NEST's synapse applies LTP only at the next presynaptic spike: both sides get one more
    presynaptic spike 100 ms after the protocol (its LTD, from a potential near rest, is
    the same in both). Measured (NEST 3.10): at most 8.8e-5 at dt 0.1 and 8.6e-6 at dt
    0.01; without the after-spike current and the adaptive threshold (neurolab before
    they existed) 1.5e-2 at both, the pre-post changes at 20-30 Hz near zero instead of
    +0.007 to +0.012."""
    n_big = 0
    for pre, post in zip(PAIR_PRE, PAIR_POST):
        pre = np.round(np.asarray(pre) / dt) * dt
        post = np.round(np.asarray(post) / dt) * dt
        flush = max(pre[-1], post[-1]) + 100.0
        pre = np.append(pre, flush)
        T = flush + 10.0
        dw_nest, steps_nest = _pairing_nest(pre, post, dt, T)
        dw, steps = _pairing_neurolab(pre, post, dt, T)
        assert steps_nest.size == post.size            # one spike per kick
        np.testing.assert_array_equal(steps, steps_nest)
        if abs(dw_nest[0]) > 1e-3:
            n_big += 1
            assert np.sign(dw[0]) == np.sign(dw_nest[0]), (pre, dw, dw_nest)
        assert abs(dw[0] - dw_nest[0]) <= tol, (pre, dw, dw_nest)
    assert n_big >= 8            # the protocol gave real changes of both signs
