"""The AdEx's after-spike current ``z`` and adaptive threshold ``V_th`` (``AdExParams``:
``I_sp``, ``tau_z``, ``V_th_max``, ``tau_V_th``; Clopath et al. 2010, NEST's
``aeif_psc_delta_clopath``) against closed forms, and their validation.

Closed forms written by hand from the equations (never computed by the code under test):
a spike at step ``n_s`` sets ``z = I_sp`` and ``V_th = V_th_max`` at the end of that step
(time ``(n_s + 1) dt``); then ``z(t) = I_sp exp(-t / tau_z)`` and ``V_th(t) = V_T +
(V_th_max - V_T) exp(-t / tau_V_th)``, ``t`` counted from there. With ``a = b = 0``,
``Delta_T = 0`` and ``V = E_L`` at the reset, ``C dV/dt = -g_L (V - E_L) + z`` gives
``V(t) - E_L = I_sp tau_m tau_z / (C (tau_z - tau_m)) (exp(-t/tau_z) - exp(-t/tau_m))``,
``tau_m = C / g_L``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl

DT = 0.1
C, G_L, E_L = 281.0, 30.0, -70.6
I_SP, TAU_Z = 300.0, 20.0


def spike_once(p, duration=60.0):
    """One AdEx neuron at E_L kicked over V_peak once (a 60 mV delta input at step 10)."""
    net = nl.Network(dt=DT)
    A = net.add_adex("A", 1, p)
    src = net.add_spikes("k", 1, times=np.array([1.0]), indices=np.zeros(1, int))
    net.connect(src, A, weight=60.0, delay=0.0)
    res = net.run(duration, record_state={"A": "all"}, state_vars=("v",))
    return net, A, res


def test_after_spike_current_closed_form():
    p = nl.AdExParams(C=C, g_L=G_L, E_L=E_L, Delta_T=0.0, V_peak=-40.0, V_reset=E_L,
                      a=0.0, b=0.0, I_sp=I_SP, tau_z=TAU_Z)
    _, A, res = spike_once(p)
    steps = np.rint(res.spikes["A"].t / DT).astype(int)
    assert steps.size == 1                       # z alone (10 mV at most) does not re-fire
    n_s = int(steps[0])
    v = res.state["A"].v[:, 0]
    m = np.arange(n_s + 1, v.size)               # samples at the start of step m
    t = (m - n_s - 1) * DT
    tau_m = C / G_L
    want = E_L + I_SP * tau_m * TAU_Z / (C * (TAU_Z - tau_m)) * (np.exp(-t / TAU_Z)
                                                                 - np.exp(-t / tau_m))
    np.testing.assert_allclose(v[m], want, rtol=0, atol=1e-6)
    assert v[m].max() - E_L > 3.0                # the current did depolarise
    n_end = round(60.0 / DT)
    assert A.z[0] == pytest.approx(I_SP * math.exp(-(n_end - n_s - 1) * DT / TAU_Z),
                                   rel=1e-12)


def test_adaptive_threshold_closed_form_and_effect():
    V_T, V_MAX, TAU = -50.4, 30.4, 50.0
    base = {"C": C, "g_L": G_L, "E_L": E_L, "V_T": V_T, "V_peak": 33.0, "V_reset": -60.0,
            "a": 0.0, "b": 0.0}
    p = nl.AdExParams(**base, V_th_max=V_MAX, tau_V_th=TAU)
    _, A, res = spike_once(p, duration=40.0)
    n_s = int(np.rint(res.spikes["A"].t[0] / DT))
    n_end = round(40.0 / DT)
    assert A.v_th[0] == pytest.approx(V_T + (V_MAX - V_T)
                                      * math.exp(-(n_end - n_s - 1) * DT / TAU), rel=1e-12)
    # effect: a step current that makes the plain AdEx fire again soon after the first
    # spike fires later (or not at all) with the raised threshold
    def first_isi(params):
        net = nl.Network(dt=DT)
        B = net.add_adex("B", 1, params)
        net.add_current("I", B, 1200.0)
        r = net.run(100.0, progress=False)
        t = r.spikes["B"].t
        return t[1] - t[0] if t.size > 1 else math.inf
    assert first_isi(p) > first_isi(nl.AdExParams(**base)) + 1.0


def test_off_by_default_and_before_a_run():
    p = nl.AdExParams()
    assert p.I_sp == 0.0 and p.V_th_max is None
    net = nl.Network(dt=DT)
    A = net.add_adex("A", 2, nl.AdExParams(V_T=np.array([-50.0, -49.0])))
    np.testing.assert_array_equal(A.z, [0.0, 0.0])
    np.testing.assert_array_equal(A.v_th, [-50.0, -49.0])


def test_clopath_parameter_set():
    p = nl.AdExParams.clopath()
    # NEST 3.10's aeif_psc_delta_clopath defaults, written down by hand
    assert (p.C, p.g_L, p.E_L, p.V_T, p.Delta_T, p.V_peak, p.V_reset) == \
        (281.0, 30.0, -70.6, -50.4, 2.0, 33.0, -60.0)
    assert (p.tau_w, p.a, p.b, p.I_sp, p.tau_z, p.V_th_max, p.tau_V_th) == \
        (144.0, 4.0, 80.5, 400.0, 40.0, 30.4, 50.0)
    assert (p.t_clamp, p.V_clamp, p.synapse) == (2.0, 33.0, "delta")
    assert nl.AdExParams.clopath(I_sp=0.0).I_sp == 0.0


@pytest.mark.parametrize("changes,error,words", [
    ({"I_sp": -1.0}, ValueError, ["I_sp", "-1.0"]),
    ({"I_sp": "big"}, TypeError, ["I_sp", "big"]),
    ({"tau_z": 0.0}, ValueError, ["tau_z", "0.0"]),
    ({"tau_V_th": -5.0}, ValueError, ["tau_V_th", "-5.0"]),
    ({"V_th_max": -60.0}, ValueError, ["V_th_max", "-60.0", "V_T"]),
    ({"V_th_max": float("nan")}, ValueError, ["V_th_max"]),
    ({"V_th_max": 0.0, "Delta_T": 0.0}, ValueError, ["V_th_max", "Delta_T"]),
])
def test_validation(changes, error, words):
    with pytest.raises(error) as info:
        nl.AdExParams(**changes)
    for word in words:
        assert word in str(info.value)


def test_per_neuron_v_t_above_v_th_max_is_refused():
    net = nl.Network(dt=DT)
    net.add_adex("A", 2, nl.AdExParams(V_T=("uniform", -50.0, -40.0), V_th_max=-45.0,
                                       V_peak=0.0))
    with pytest.raises(ValueError, match="V_th_max must be >= V_T in population 'A'"):
        net.run(1.0, progress=False)
