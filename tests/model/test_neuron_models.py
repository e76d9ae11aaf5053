"""AdEx (Brette & Gerstner 2005) and Izhikevich (2003) populations: closed forms, hand-computed
steps, the published firing patterns of the presets, and the API around them (errors,
recording, setting ``w``/``u``, store/restore, continued runs, set_params, provenance,
non-finite checks, the memory check; threads: tests/engine/threads_cases.py).

Expected values are computed here by hand from the papers' equations, never by the code
under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.base import resources
from neurolab.engine import kernels as K


def spikes_of(res, name):
    return np.asarray(res.spikes[name].t)


# ----------------------------------------------------------------- closed forms
@pytest.mark.parametrize("delta_t,v_t", [(0.0, -50.0), (0.2, 0.0)])
def test_adex_without_exponential_and_adaptation_is_lif(delta_t, v_t):
    """Delta_T = 0 (or Delta_T -> 0 far below V_T) and a = b = 0: C dV/dt = -g_L (V - E_L)
    + I, whose solution from E_L is E_L + I/g_L (1 - exp(-t g_L / C))."""
    dt, C, gL, EL, I = 0.1, 200.0, 10.0, -70.0, 150.0       # V_inf = -55 mV, tau_m = 20 ms
    net = nl.Network(dt=dt)
    p = nl.AdExParams(C=C, g_L=gL, E_L=EL, V_T=v_t, Delta_T=delta_t, V_peak=10.0,
                      V_reset=-70.0, a=0.0, b=0.0, tau_w=100.0)
    A = net.add_adex("A", 1, p)
    net.add_current("I", A, I)
    res = net.run(100.0, record_state={"A": "all"}, state_vars=("v", "w"))
    t = np.arange(1000) * dt
    exact = EL + I / gL * (1.0 - np.exp(-t * gL / C))
    np.testing.assert_allclose(res.state["A"].v[:, 0], exact, rtol=0, atol=1e-9)
    assert not res.spikes["A"].t.size
    assert np.all(res.state["A"].w == 0.0)
    # one step is the RK4 polynomial of the linear system, x = dt/tau_m
    x = dt * gL / C
    poly = 1 - x + x ** 2 / 2 - x ** 3 / 6 + x ** 4 / 24
    v1 = (EL + I / gL) + (EL - (EL + I / gL)) * poly
    assert res.state["A"].v[1, 0] == pytest.approx(v1, abs=1e-13)


def test_adex_subthreshold_adaptation_relaxes_to_the_fixed_point():
    """a > 0, no exponential: the fixed point of the linear system is
    V* = E_L + I / (g_L + a), w* = a (V* - E_L) (solved by hand)."""
    C, gL, EL, a, I = 200.0, 10.0, -70.0, 2.0, 120.0
    net = nl.Network(dt=0.1)
    A = net.add_adex("A", 1, nl.AdExParams(C=C, g_L=gL, E_L=EL, Delta_T=0.0, V_peak=0.0,
                                           V_reset=-70.0, a=a, b=0.0, tau_w=50.0))
    net.add_current("I", A, I)
    net.run(2000.0)
    v_star = EL + I / (gL + a)
    assert A.v[0] == pytest.approx(v_star, abs=1e-6)
    assert A.w[0] == pytest.approx(a * (v_star - EL), abs=1e-6)


def test_izhikevich_resting_state_is_the_stable_root_of_the_quadratic():
    """I = 0, du/dt = 0 gives u = b v and 0.04 v^2 + (5 - b) v + 140 = 0: with b = 0.2,
    v = (-4.8 -+ 0.8) / 0.08 = -70 (stable) or -50 (saddle)."""
    b = 0.2
    disc = (5 - b) ** 2 - 4 * 0.04 * 140
    v_rest = (-(5 - b) - math.sqrt(disc)) / (2 * 0.04)
    assert v_rest == pytest.approx(-70.0)
    for method in ("euler", "half_steps"):
        net = nl.Network(dt=0.1)
        Z = net.add_izhikevich("Z", 2, nl.IzhikevichParams(b=b, method=method),
                               v_init=[v_rest, -66.0], u_init=[b * v_rest, -13.0])
        res = net.run(500.0, record_state={"Z": [0]})
        np.testing.assert_allclose(res.state["Z"].v[:, 0], v_rest, atol=1e-9)
        np.testing.assert_allclose(Z.v, v_rest, atol=1e-6)
        np.testing.assert_allclose(Z.u, b * v_rest, atol=1e-6)
        assert not res.spikes["Z"].t.size


def test_izhikevich_first_step_by_hand():
    """v = -65, u = -13, I = 10 (RS): dv/dt = 0.04*4225 - 325 + 140 + 13 + 10 = 7."""
    net = nl.Network(dt=0.1)
    Z = net.add_izhikevich("Z", 1, nl.IzhikevichParams.preset("RS", I_bias=10.0))
    net.run(0.1)
    assert Z.v[0] == pytest.approx(-64.3, abs=1e-12)
    assert Z.u[0] == pytest.approx(-13.0, abs=1e-12)       # b v - u = 0 at the start
    # Izhikevich's half steps: v' = -65 + 0.05*7 = -64.65; dv/dt(v') = 6.9349;
    # v = -64.65 + 0.05*6.9349 = -64.303255; u = -13 + 0.1*0.02*(0.2 v - (-13))
    net = nl.Network(dt=0.1)
    Z = net.add_izhikevich("Z", 1, nl.IzhikevichParams.preset("RS", I_bias=10.0,
                                                                method="half_steps"))
    net.run(0.1)
    assert Z.v[0] == pytest.approx(-64.303255, abs=1e-12)
    assert Z.u[0] == pytest.approx(-13 + 0.002 * (0.2 * -64.303255 + 13), abs=1e-12)


def test_izhikevich_spike_and_reset():
    """v >= 30 mV: v = c, u += d, in the step the threshold is crossed."""
    net = nl.Network(dt=0.1)
    Z = net.add_izhikevich("Z", 1, nl.IzhikevichParams(c=-60.0, d=5.0), v_init=29.0,
                           u_init=0.0)
    res = net.run(0.1)
    # v = 29 + 0.1 (0.04*841 + 145 + 140) = 29 + 31.864 = 60.864 >= 30: spike at step 0
    assert res.spikes["Z"].t.tolist() == [0.0]
    assert Z.v[0] == -60.0
    assert Z.u[0] == pytest.approx(0.1 * 0.02 * (0.2 * 29.0) + 5.0, abs=1e-12)


def test_adex_spike_reset_and_refractory_period():
    """V >= V_peak: V = V_reset, w += b; while refractory V stays at V_reset and w relaxes
    (tau_w dw/dt = a (V_reset - E_L) - w)."""
    dt = 0.1
    net = nl.Network(dt=dt)
    p = nl.AdExParams(V_peak=0.0, V_reset=-60.0, b=50.0, a=0.0, tau_w=100.0,
                      refractory=2.0)
    net.add_adex("A", 1, p, v_init=-0.01)
    res = net.run(2.0, record_state={"A": "all"}, state_vars=("v", "w"))
    assert res.spikes["A"].t.tolist() == [0.0]
    np.testing.assert_array_equal(res.state["A"].v[1:, 0], -60.0)   # frozen for 20 steps
    # w after the reset decays exactly like exp(-t / tau_w) to 1e-10 (RK4, linear)
    w = res.state["A"].w[1:, 0]
    np.testing.assert_allclose(w, 50.0 * np.exp(-np.arange(19) * dt / 100.0), rtol=1e-10)


# ----------------------------------------------------------------- presets: published patterns
def izh_train(name, method="euler", dt=0.1, duration=500.0):
    net = nl.Network(dt=dt)
    Z = net.add_izhikevich("Z", 1, nl.IzhikevichParams.preset(name, method=method))
    net.add_current("I", Z, nl.IzhikevichParams.PRESETS[name]["I"])
    return spikes_of(net.run(duration), "Z")


def adex_train(name, duration=500.0, current=None, v_init=None):
    net = nl.Network(dt=0.1)
    A = net.add_adex("A", 1, nl.AdExParams.preset(name), v_init=v_init)
    net.add_current("I", A, nl.AdExParams.PRESETS[name]["I"] if current is None else current)
    return spikes_of(net.run(duration), "A")


def period_of(isi, rel=0.1, longest=12):
    """The smallest p <= ``longest`` with |isi[k + p] - isi[k]| < ``rel`` x the mean ISI for
    every k (a periodic train: tonic p = 1, bursts of n spikes p = n), None for an aperiodic
    one."""
    tol = rel * float(np.mean(isi))
    for p in range(1, longest + 1):
        if isi.size > 2 * p and np.all(np.abs(isi[p:] - isi[:-p]) < tol):
            return p
    return None


def is_irregular(t, settle=500.0):
    """Naud et al. 2008, Sect. 3.5 / Fig. 4h: under a constant current the deterministic
    model fires irregularly (chaos): after ``settle`` ms the ISIs follow no period up to 12
    spikes (within 10 % of the mean ISI) and vary widely (coefficient of variation > 0.3)."""
    isi = np.diff(t[t > settle])
    return (isi.size >= 40 and period_of(isi) is None
            and float(np.std(isi) / np.mean(isi)) > 0.3)


def test_izhikevich_presets_give_the_published_patterns():
    """Izhikevich 2003, Fig. 2: RS adapts, IB bursts once then spikes tonically, CH fires
    repeated bursts, FS fires fast without adaptation, LTS fires fast with adaptation."""
    rs = np.diff(izh_train("RS"))
    assert np.all(np.diff(rs) >= -1e-9) and rs[-1] > 1.5 * rs[0] and rs.min() > 10.0
    ib = np.diff(izh_train("IB"))
    assert ib[0] < 5.0 and np.all(ib[1:] > 20.0)
    ch = np.diff(izh_train("CH"))
    assert (ch < 6.0).sum() >= 10 and (ch > 30.0).sum() >= 5
    fs_t = izh_train("FS")
    fs = np.diff(fs_t)
    assert fs_t.size > 4 * (rs.size + 1) and fs.max() < 10.0
    assert np.ptp(fs[-10:]) < 0.05 * fs[-1]             # no adaptation at the end
    lts_t = izh_train("LTS")
    lts = np.diff(lts_t)
    assert lts[0] < 5.0 and lts[-1] > 2.5 * lts[0] and lts_t.size > 2 * (rs.size + 1)
    # the published numerics (two half steps of 0.5 ms per 1 ms) keep the chattering bursts
    ch1 = np.diff(izh_train("CH", method="half_steps", dt=1.0))
    assert (ch1 <= 5.0).sum() >= 5 and (ch1 >= 40.0).sum() >= 5


def test_adex_presets_give_naud_patterns():
    """Naud et al. 2008, Fig. 4a-h: each preset, driven by its current, fires its pattern,
    and each criterion fails for the patterns it should tell apart."""
    trains = {name: adex_train(name, duration=1000.0) for name in nl.AdExParams.PRESETS}
    isis = {name: np.diff(t[t < 500.0]) for name, t in trains.items()}
    # 4a tonic: constant ISIs from the start (period 1)
    tonic = isis["tonic"]
    assert tonic.size > 20 and tonic.max() / tonic.min() < 1.1
    # 4b adaptation: ISIs grow monotonically to >= 4x the first, no bursts
    adapt = isis["adapting"]
    assert np.all(np.diff(adapt[:6]) > 0) and adapt[-1] > 4 * adapt[0] and adapt.min() > 10.0
    assert not (np.all(np.diff(tonic[:6]) > 0) and tonic[-1] > 4 * tonic[0])
    # 4c initial burst: >= 2 short ISIs, then long regular ones
    burst = isis["initial_burst"]
    assert np.all(burst[:2] < 10.0) and np.all(burst[2:] > 50.0)
    assert period_of(burst[3:]) == 1                  # after the first long ISI
    # 4d regular bursting: short ISIs inside bursts, long between, every burst >= 2 spikes
    reg = isis["bursting"]
    long = np.flatnonzero(reg > 100.0)
    assert long.size >= 3 and np.all(reg[reg <= 100.0] < 10.0)
    assert np.all(np.diff(long) >= 2)
    # 4e delayed accelerating: a late first spike, then ISIs that shrink
    delayed_t = trains["delayed"]
    delayed = np.diff(delayed_t)
    assert delayed_t[0] > 30.0 and np.all(np.diff(delayed[:10]) < 0)
    # 4f delayed regular bursting: a late first spike, then bursts (here of 4 spikes) at a
    # regular period
    db_t = trains["delayed_bursting"]
    db = np.diff(db_t)
    gaps = np.flatnonzero(db > 40.0)
    assert db_t[0] > 30.0 and gaps.size >= 5 and np.all(np.diff(gaps) >= 2)
    assert np.all(db[db <= 40.0] < 10.0) and period_of(db[gaps[0] + 1:]) == 4
    assert not (trains["tonic"][0] > 30.0 or trains["bursting"][0] > 30.0)
    # 4g transient spiking: spikes at the onset only, then silence to the end of a 1 s step
    tr = trains["transient"]
    assert 1 <= tr.size <= 5 and tr.max() < 100.0
    for name in ("tonic", "adapting", "initial_burst", "bursting", "irregular"):
        assert trains[name].max() > 900.0             # the others keep firing
    # 4h irregular: aperiodic, widely varying ISIs (see is_irregular); the criterion
    # rejects every periodic pattern, even the ones with several ISIs per period
    long_trains = {name: adex_train(name, duration=3000.0)
                   for name in ("irregular", "tonic", "bursting", "delayed_bursting",
                                "initial_burst", "adapting")}
    assert is_irregular(long_trains["irregular"])
    for name, t in long_trains.items():
        if name != "irregular":
            assert not is_irregular(t), name


def test_adex_irregular_preset_is_chaotic():
    """Naud et al. 2008, Fig. 4h: the irregular pattern is deterministic chaos: a 1e-6 mV
    change of the initial V moves later spikes by more than 1 ms within 3 s, while the
    tonic and bursting presets converge to the same train (within 0.01 ms)."""
    for name, chaotic in (("irregular", True), ("tonic", False), ("bursting", False)):
        E_L = nl.AdExParams.PRESETS[name]["E_L"]
        a, b = adex_train(name, 3000.0, v_init=E_L), adex_train(name, 3000.0, v_init=E_L + 1e-6)
        n = min(a.size, b.size)
        gap = np.abs(a[:n] - b[:n]).max()
        assert (gap > 1.0) if chaotic else (a.size == b.size and gap < 0.01), name


def test_adex_transient_preset_current_leaves_a_stable_rest():
    """Transient spiking (Naud et al. 2008, Fig. 4g) needs a stable resting state under the
    step. The nullclines give rest where I = f(V) = (g_L + a)(V - E_L)
    - g_L Delta_T exp((V - V_T)/Delta_T), w = a (V - E_L); f is largest at
    V_m = V_T + Delta_T ln((g_L + a)/g_L): 20*(16.386) - 10*2*2 = 287.7 pA for the preset.
    Below it the lower root is stable (Jacobian trace < 0, determinant > 0); the preset's
    180 pA is below, 350 pA is not (the neuron would fire on), so the neuron settles at the
    root after its onset spikes."""
    P = nl.AdExParams.PRESETS["transient"]
    C, gL, EL, VT, dT, a, tw = (P[k] for k in ("C", "g_L", "E_L", "V_T", "Delta_T", "a",
                                                "tau_w"))
    I = P["I"]

    def f(v):
        return (gL + a) * (v - EL) - gL * dT * math.exp((v - VT) / dT)

    v_m = VT + dT * math.log((gL + a) / gL)
    assert f(v_m) == pytest.approx(20.0 * (-50.0 + 2.0 * math.log(2.0) + 65.0) - 40.0)
    assert I < f(v_m) < 350.0
    lo, hi = EL, v_m                                  # f(E_L) < I < f(v_m): bisect
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < I else (lo, mid)
    v_star = 0.5 * (lo + hi)
    w_star = a * (v_star - EL)
    J = np.array([[(-gL + gL * math.exp((v_star - VT) / dT)) / C, -1.0 / C],
                  [a / tw, -1.0 / tw]])
    assert np.trace(J) < 0 and np.linalg.det(J) > 0   # a stable node or focus
    net = nl.Network(dt=0.1)
    A = net.add_adex("A", 1, nl.AdExParams.preset("transient"))
    net.add_current("I", A, I)
    res = net.run(3000.0)
    assert res.spikes["A"].t.size >= 1 and res.spikes["A"].t.max() < 100.0
    assert A.v[0] == pytest.approx(v_star, abs=1e-6)
    assert A.w[0] == pytest.approx(w_star, abs=1e-5)


def test_presets_are_documented_and_checked():
    assert set(nl.IzhikevichParams.PRESETS) >= {"RS", "IB", "CH", "FS", "LTS"}
    assert set(nl.AdExParams.PRESETS) == {"tonic", "adapting", "initial_burst", "bursting",
                                         "delayed", "delayed_bursting", "transient",
                                         "irregular"}
    assert nl.IzhikevichParams.preset("FS").a == 0.1
    assert nl.AdExParams.preset("adapting", b=10.0).b == 10.0
    with pytest.raises(ValueError, match="name"):
        nl.IzhikevichParams.preset("XX")
    assert "Izhikevich 2003" in nl.IzhikevichParams.__doc__
    assert "Naud" in nl.AdExParams.__doc__ and "Brette & Gerstner 2005" in nl.AdExParams.__doc__


# ----------------------------------------------------------------- errors
def test_errors_name_the_parameter():
    net = nl.Network(dt=1.0)
    with pytest.raises(ValueError, match=r"dt=1.0 ms is too large.*tau_m exp\(-3\)"):
        net.add_adex("A", 1, nl.AdExParams.preset("tonic"))     # tau_m = 20 ms
    nl.Network(dt=0.5).add_adex("A", 1, nl.AdExParams.preset("tonic"))
    with pytest.raises(ValueError, match="V_reset must be < V_peak"):
        nl.Network().add_adex("A", 1, nl.AdExParams(V_reset=5.0, V_peak=0.0))
    with pytest.raises(ValueError, match="Delta_T is too small"):
        nl.Network().add_adex("A", 1, nl.AdExParams(Delta_T=0.01))
    with pytest.raises(ValueError, match="tau_w"):
        nl.Network(dt=0.1).add_adex("A", 1, nl.AdExParams(tau_w=0.05))
    with pytest.raises(ValueError, match=r"C must be > 0|C.*> 0"):
        nl.AdExParams(C=-1.0)
    with pytest.raises(ValueError, match="synapse"):
        nl.AdExParams(synapse="alpha")
    with pytest.raises(ValueError, match="method"):
        nl.IzhikevichParams(method="rk4")
    with pytest.raises(ValueError, match=r"dt must be <= 1 ms"):
        nl.Network(dt=2.0).add_izhikevich("Z", 1)
    with pytest.raises(TypeError, match="IzhikevichParams"):
        nl.Network().add_izhikevich("Z", 1, nl.LIFParams())
    with pytest.raises(ValueError, match="unknown or fixed parameter 'v_th'"):
        nl.Network().add_izhikevich("Z", 1).set_params(v_th=1.0)
    with pytest.raises(AttributeError, match="w exists for adex"):
        _ = nl.Network().add_izhikevich("Z", 1).w


def test_memory_check_covers_the_new_models(monkeypatch):
    monkeypatch.setattr(resources, "available_memory", lambda: 2 ** 30)
    with pytest.raises(MemoryError, match="population 'A' of 10000000 neurons"):
        nl.Network().add_adex("A", 10 ** 7)


def test_non_finite_state_is_reported():
    net = nl.Network()
    Z = net.add_izhikevich("Z", 3)
    Z.v = [-65.0, -1e160, -65.0]              # 0.04 v^2 overflows
    with pytest.raises(nl.NonFiniteStateError, match=r"neuron 1 of population 'Z'"):
        net.run(1.0)


# ----------------------------------------------------------------- API
def build(kind="adex", synapse="current", seed=3):
    net = nl.Network(dt=0.1, seed=seed)
    inp = net.add_poisson("inp", 20, rates=40.0)
    if kind == "adex":
        pop = net.add_adex("N", 4, nl.AdExParams.preset("adapting", synapse=synapse,
                                                        a=("uniform", 1.0, 3.0)))
        w = {"delta": 3.0, "current": 200.0, "conductance": 5.0}[synapse]
        net.add_current("I", pop, 300.0)
    else:
        pop = net.add_izhikevich("N", 4, nl.IzhikevichParams.preset("RS", synapse=synapse))
        w = {"delta": 4.0, "current": 10.0, "conductance": 0.2}[synapse]
        net.add_current("I", pop, 4.0)
    net.connect(inp, pop, "probability", p=0.5, weight=w,
                stdp=nl.STDPParams(A_plus=0.01 * w, A_minus=0.012 * w, w_max=2 * w))
    net.add_poisson_input("drive", pop, n_sources=10, rate=20.0, weight=w)
    return net


@pytest.mark.parametrize("kind", ["adex", "izhikevich"])
def test_continued_runs_and_store_restore_are_bitwise(kind):
    second = "w" if kind == "adex" else "u"
    a = build(kind)
    r1 = a.run(100.0, record_state={"N": "all"}, state_vars=("v", second))
    a.store()
    r2 = a.run(100.0, record_state={"N": "all"}, state_vars=("v", second))
    b = build(kind)
    r = b.run(200.0, record_state={"N": "all"}, state_vars=("v", second))
    assert r.spikes["N"].t.size > 5
    np.testing.assert_array_equal(np.concatenate([r1.spikes["N"].t, r2.spikes["N"].t]),
                                  r.spikes["N"].t)
    np.testing.assert_array_equal(np.vstack([getattr(r1.state["N"], second),
                                             getattr(r2.state["N"], second)]),
                                  getattr(r.state["N"], second))
    np.testing.assert_array_equal(r2.final_weights["inp->N"], r.final_weights["inp->N"])
    a.restore()
    r3 = a.run(100.0, record_state={"N": "all"}, state_vars=("v", second))
    np.testing.assert_array_equal(r3.spikes["N"].t, r2.spikes["N"].t)
    np.testing.assert_array_equal(getattr(r3.state["N"], second),
                                  getattr(r2.state["N"], second))


@pytest.mark.parametrize("synapse", ["delta", "current", "conductance"])
@pytest.mark.parametrize("kind", ["adex", "izhikevich"])
def test_every_synapse_type_and_input_reaches_the_neurons(kind, synapse):
    net = build(kind, synapse)
    res = net.run(200.0)
    quiet = build(kind, synapse)
    quiet.projections["inp->N"].weight = 0.0
    quiet.drives["drive"].rate = 0.0
    assert res.spikes["N"].t.size > quiet.run(200.0).spikes["N"].t.size


def test_w_and_u_are_settable_and_recorded_in_provenance():
    net = build("adex")
    N = net.populations["N"]
    assert np.all(N.w == 0.0)
    N.w = 100.0                      # before the first run: the initial value
    np.testing.assert_array_equal(N.w, 100.0)
    res = net.run(10.0, record_state={"N": [0]}, state_vars=("w",))
    assert res.state["N"].w[0, 0] == 100.0
    N.w = [1.0, 2.0, 3.0, 4.0]
    N.set_params(b=5.0)
    np.testing.assert_array_equal(N.param("b"), 5.0)
    res = net.run(10.0, record_state={"N": "all"}, state_vars=("w",))
    np.testing.assert_array_equal(res.state["N"].w[0], [1.0, 2.0, 3.0, 4.0])
    changes = res.params["run"]["changes_before_run"]
    assert [c["what"] for c in changes] == ["N.w", "N.params"]
    pops = res.params["network"]["populations"]
    d = next(p for p in pops if p["name"] == "N")
    assert d["kind"] == "adex" and d["params"]["model"] == "adex" and d["params"]["b"] == 5.0
    net2 = build("izhikevich")
    Z = net2.populations["N"]
    np.testing.assert_allclose(Z.u, 0.2 * -65.0)           # u_init = b v_init
    Z.u = -10.0
    r = net2.run(1.0, record_state={"N": "all"}, state_vars=("u",))
    np.testing.assert_array_equal(r.state["N"].u[0], -10.0)
    with pytest.raises(ValueError, match=r"state_vars has 'w', which population 'N' "
                                         r"\(Izhikevich\) does not have; its variables: "
                                         r"\('v', 'ge', 'gi', 'u'\)"):
        net2.run(1.0, record_state={"N": "all"}, state_vars=("w",))


def three_models(seed=5):
    """An AdEx, an Izhikevich and a LIF population, each driven by its own current and by
    one shared Poisson source through current synapses."""
    net = nl.Network(dt=0.1, seed=seed)
    inp = net.add_poisson("inp", 20, rates=50.0)
    A = net.add_adex("A", 3, nl.AdExParams.preset("adapting", synapse="current"))
    Z = net.add_izhikevich("Z", 4, nl.IzhikevichParams.preset("CH", synapse="current"))
    L = net.add_lif("L", 2)
    net.add_current("IA", A, 450.0)
    net.add_current("IZ", Z, 6.0)
    for pop, w in ((A, 150.0), (Z, 5.0), (L, 0.3)):
        net.connect(inp, pop, "probability", p=0.5, weight=w)
    return net


@pytest.mark.parametrize("threads", [1, 2])
def test_w_and_u_recorded_in_one_run_equal_separate_runs(threads, tmp_path):
    """state_vars as a dict records AdEx ``w``, Izhikevich ``u`` and LIF ``ge`` in one run;
    each equals (bitwise) what a run recording that population alone gives, and the
    variables a population was not asked for are None."""
    sel = {"A": "all", "Z": [1, 3], "L": [0]}
    chosen = {"A": ("v", "w"), "Z": ("u",), "L": ("ge",)}
    res = three_models().run(60.0, record_state=sel, state_vars=chosen, threads=threads)
    assert res.params["run"]["state_vars"] == {k: list(v) for k, v in chosen.items()}
    for name, names in chosen.items():
        alone = three_models().run(60.0, record_state={name: sel[name]}, state_vars=names,
                                   threads=threads)
        got, want = res.state[name], alone.state[name]
        np.testing.assert_array_equal(got.ids, want.ids)
        for var in ("v", "ge", "gi", "theta", "w", "u"):
            if var in names:
                assert getattr(got, var).shape == (600, len(got.ids))
                np.testing.assert_array_equal(getattr(got, var), getattr(want, var))
            else:
                assert getattr(got, var) is None, (name, var)
    # the second variables are the models' own: w jumps by b at spikes, u stays O(10)
    assert res.state["A"].w.max() > 60.0 and np.all(np.abs(res.state["Z"].u) < 30.0)
    loaded = nl.load_run(res.save(tmp_path / "run"))      # saved and loaded as recorded
    assert loaded == res and loaded.state["Z"].v is None
    # a population the dict leaves out records v; the tuple form still applies to all
    res = three_models().run(5.0, record_state={"A": [0], "L": "all"},
                             state_vars={"A": "w"})
    assert res.state["L"].v.shape == (50, 2) and res.state["L"].w is None
    assert res.state["A"].v is None and res.state["A"].w.shape == (50, 1)
    res = three_models().run(5.0, record_state={"A": [0], "L": "all"}, state_vars=("v", "ge"))
    assert res.state["A"].ge.shape == res.state["L"].ge.shape[:1] + (1,)


def test_state_vars_errors_name_population_variable_and_what_it_has():
    net = three_models()
    both = {"A": "all", "Z": "all"}
    with pytest.raises(ValueError, match=r"state_vars has 'w', which population 'Z' "
                                         r"\(Izhikevich\) does not have; its variables: "
                                         r"\('v', 'ge', 'gi', 'u'\); give state_vars as a "
                                         r"dict"):
        net.run(1.0, record_state=both, state_vars=("v", "w"))
    with pytest.raises(ValueError, match=r"state_vars\['A'\] has 'u', which population "
                                         r"'A' \(AdEx\) does not have; its variables: "
                                         r"\('v', 'ge', 'gi', 'w'\)$"):
        net.run(1.0, record_state=both, state_vars={"A": ("v", "u"), "Z": ("u",)})
    # a name no model has: the AdEx population's own variables, no 'u' among them
    with pytest.raises(ValueError) as err:
        net.run(1.0, record_state={"A": "all"}, state_vars=("v", "vv"))
    text = str(err.value)
    assert "state_vars has 'vv', which population 'A' (AdEx)" in text
    assert "its variables: ('v', 'ge', 'gi', 'w')" in text
    assert "'u'" not in text.split("(the variables of any model")[0]
    with pytest.raises(ValueError, match=r"'L' has no adaptive threshold.*its variables "
                                         r"\(LIF\): \('v', 'ge', 'gi'\)"):
        net.run(1.0, record_state={"L": "all"}, state_vars={"L": ("theta",)})
    with pytest.raises(ValueError, match=r"state_vars names 'Q', which is not a "
                                         r"population; populations: \['inp', 'A', 'Z', 'L'\]"):
        net.run(1.0, record_state=both, state_vars={"Q": ("v",)})
    with pytest.raises(ValueError, match=r"state_vars names population 'L', which "
                                         r"record_state does not record"):
        net.run(1.0, record_state=both, state_vars={"L": ("v",)})
    with pytest.raises(TypeError, match=r"state_vars\['A'\] must be a name or a tuple"):
        net.run(1.0, record_state=both, state_vars={"A": 5})
    assert net.t == 0.0                               # nothing ran
    res = net.run(1.0, record_state={"A": "all"})
    with pytest.raises(KeyError, match=r"state of population 'Z' was not recorded.*LIF, "
                                       r"AdEx or Izhikevich"):
        res.state["Z"]


def test_set_params_changes_the_dynamics_between_runs():
    net = nl.Network(dt=0.1)
    Z = net.add_izhikevich("Z", 1, nl.IzhikevichParams.preset("RS"))
    net.add_current("I", Z, 10.0)
    n1 = net.run(300.0).spikes["Z"].t.size
    Z.set_params(a=0.1)                   # FS-like: faster recovery, more spikes
    n2 = net.run(300.0).spikes["Z"].t.size
    assert n2 > 2 * n1
    with pytest.raises(ValueError, match="a \\* dt must be < 1"):
        Z.set_params(a=20.0)


def test_saved_runs_keep_w_and_u(tmp_path):
    net = build("adex")
    res = net.run(20.0, record_state={"N": "all"}, state_vars=("v", "w"))
    res.save(tmp_path / "run")
    back = nl.load_run(tmp_path / "run")
    np.testing.assert_array_equal(back.state["N"].w, res.state["N"].w)


def test_lif_networks_do_not_compile_the_new_models():
    """The kernel's ``nm`` argument is None for LIF-only networks (numba drops its code)."""
    net = nl.Network()
    out = net.add_lif("out", 2)
    net.add_current("I", out, 5.0)
    net.run(1.0)
    net = nl.Network()
    net.add_izhikevich("Z", 2)
    net.run(1.0)
    sigs = [str(sig[13]) for sig in K.run_steps.signatures]
    assert "none" in sigs
    assert any(s.startswith("Models") for s in sigs)


def test_adex_tau_m_form():
    p = nl.AdExParams.from_tau_m(20.0, g_L=10.0, a=0.0)
    assert p.C == 200.0 and p.g_L == 10.0 and p.a == 0.0
    arr = nl.AdExParams.from_tau_m(np.array([10.0, 20.0]), g_L=10.0)
    np.testing.assert_array_equal(arr.C, [100.0, 200.0])
    with pytest.raises(ValueError, match="tau_m"):
        nl.AdExParams.from_tau_m(-1.0)
    with pytest.raises(TypeError, match="distribution"):
        nl.AdExParams.from_tau_m(("uniform", 5.0, 10.0))
