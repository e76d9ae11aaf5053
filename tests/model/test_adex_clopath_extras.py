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
    """Refused when the population is added (its values drawn), naming the neuron."""
    net = nl.Network(dt=DT, seed=0)
    with pytest.raises(ValueError, match=r"V_th_max must be >= V_T in population 'A', got "
                                         r"V_th_max=-45.0 mV < V_T=-4\d\.\d+ mV at neuron \d"):
        net.add_adex("A", 2, nl.AdExParams(V_T=("uniform", -45.0, -40.0), V_th_max=-45.0,
                                           V_peak=0.0))
    assert "A" not in net.populations


@pytest.mark.parametrize("changes,words", [
    ({"I_sp": [100.0, -1.0]}, ["I_sp", "-1"]),
    ({"tau_z": [10.0, 0.0]}, ["tau_z", "0"]),
    ({"tau_V_th": ("uniform", -5.0, -1.0)}, ["tau_V_th"]),
    ({"V_th_max": [0.0, -60.0]}, ["V_th_max", "-60.0", "V_T", "neuron 1"]),
])
def test_per_neuron_validation(changes, words):
    net = nl.Network(dt=DT, seed=0)
    with pytest.raises(ValueError) as info:
        net.add_adex("A", 2, nl.AdExParams.clopath(**changes))
    for word in words:
        assert word in str(info.value)


EXTRAS = {"I_sp": [0.0, 400.0, 150.0], "tau_z": [40.0, 20.0, 60.0],
          "V_th_max": [-50.4, 30.4, -20.0], "tau_V_th": [50.0, 10.0, 80.0]}


def _driven(n, p, duration=200.0):
    net = nl.Network(dt=DT, seed=3)
    A = net.add_adex("A", n, p)
    res = net.run(duration, record_state={"A": "all"}, state_vars=("v", "w"))
    return A, res


def test_per_neuron_extras_equal_one_population_per_neuron():
    """Three neurons with their own ``I_sp``, ``tau_z``, ``V_th_max``, ``tau_V_th`` (arrays)
    behave bit for bit as three one-neuron populations with those values as scalars
    (checked against closed forms and NEST by the tests above and in tests/oracles)."""
    base = {"I_bias": 700.0, "t_clamp": 0.0}
    A, res = _driven(3, nl.AdExParams.clopath(**base, **EXTRAS))
    trains = []
    for j in range(3):
        one = {k: v[j] for k, v in EXTRAS.items()}
        A1, r1 = _driven(1, nl.AdExParams.clopath(**base, **one))
        sel = res.spikes["A"].i == j
        np.testing.assert_array_equal(res.spikes["A"].t[sel], r1.spikes["A"].t)
        np.testing.assert_array_equal(res.state["A"].v[:, j], r1.state["A"].v[:, 0])
        np.testing.assert_array_equal(res.state["A"].w[:, j], r1.state["A"].w[:, 0])
        assert A.z[j] == A1.z[0] and A.v_th[j] == A1.v_th[0]
        trains.append(res.spikes["A"].t[sel])
    # the extras matter: each neuron's train is its own (neuron 0 has none of them)
    assert min(t.size for t in trains) >= 1 and trains[1].size >= 2
    assert not np.array_equal(trains[0][:2], trains[1][:2])
    assert trains[2].size < trains[0].size


def test_per_neuron_extras_as_distributions_and_set_params():
    net = nl.Network(dt=DT, seed=11)
    A = net.add_adex("A", 50, nl.AdExParams.clopath(
        I_sp=("uniform", 100.0, 400.0), tau_z=("uniform", 20.0, 60.0),
        V_th_max=("uniform", 0.0, 30.0), tau_V_th=("uniform", 30.0, 70.0)))
    for name, lo, hi in (("I_sp", 100.0, 400.0), ("tau_z", 20.0, 60.0),
                         ("tau_V_th", 30.0, 70.0)):
        x = A.param(name)
        assert x.shape == (50,) and lo <= x.min() < x.max() <= hi, name
    vmax = A.neuron_params["V_th_max"]
    assert vmax.shape == (50,) and 0.0 <= vmax.min() < vmax.max() <= 30.0
    # the same seed draws the same values; the earlier fields' draws are unchanged by them
    B = nl.Network(dt=DT, seed=11).add_adex("A", 50, nl.AdExParams.clopath(
        I_sp=("uniform", 100.0, 400.0), tau_z=("uniform", 20.0, 60.0),
        V_th_max=("uniform", 0.0, 30.0), tau_V_th=("uniform", 30.0, 70.0)))
    np.testing.assert_array_equal(B.neuron_params["V_th_max"], vmax)
    # between runs: switch the adaptive threshold off, then on again per neuron
    net.run(5.0, progress=False)
    A.set_params(V_th_max=None, I_sp=0.0)
    assert "V_th_max" not in A.neuron_params and (A.param("I_sp") == 0.0).all()
    A.set_params(V_th_max=np.linspace(-50.4, 20.0, 50))
    np.testing.assert_array_equal(A.neuron_params["V_th_max"], np.linspace(-50.4, 20.0, 50))
    with pytest.raises(ValueError, match="V_th_max must be >= V_T"):
        A.set_params(V_th_max=-60.0)


def test_the_extras_draw_from_their_own_random_streams():
    """A distribution of an extra never reuses the stream of ``v_init``/``w_init`` (nor of
    another field), and a seed's draws of the older fields and initial values are those
    it gave before the extras existed: ``v_init`` of neuron 0 below is the value drawn
    with neurolab 0.6.0's layout (seed 4, 'uniform' -70..-60 mV)."""
    net = nl.Network(dt=DT, seed=4)
    u = ("uniform", 0.0, 1.0)
    A = net.add_adex("A", 20, nl.AdExParams.clopath(I_sp=u, tau_z=("uniform", 1.0, 2.0),
                                                     tau_V_th=("uniform", 1.0, 2.0),
                                                     V_th_max=("uniform", 40.0, 41.0)),
                     v_init=("uniform", -70.0, -60.0), w_init=u)
    draws = [A.param("I_sp"), A.param("tau_z") - 1.0, A.param("tau_V_th") - 1.0,
             A.neuron_params["V_th_max"] - 40.0, (A.v + 70.0) / 10.0, A.w]
    for i in range(len(draws)):
        for j in range(i):
            assert not np.allclose(draws[i], draws[j]), (i, j)
    old = nl.Network(dt=DT, seed=4).add_adex("A", 20, nl.AdExParams.clopath(),
                                              v_init=("uniform", -70.0, -60.0), w_init=u)
    np.testing.assert_array_equal(old.v, A.v)
    np.testing.assert_array_equal(old.w, A.w)
    assert A.v[0] == -64.31789451172482
