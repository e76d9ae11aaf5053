"""AdEx and Izhikevich neurons against NEST 3.10 (``aeif_psc_delta``, ``aeif_psc_exp``,
``aeif_cond_exp``, ``izhikevich``).

Conventions (NEST against neurolab/Brian2): NEST stamps a spike at the end of its step, so a
spike neurolab reports at ``t`` is NEST's ``t + dt``, and an input spike of neurolab's step
``s`` is a NEST ``spike_generator`` spike at ``(s + 1) dt`` (the same delay then). NEST's
multimeter value at ``k dt`` is neurolab's state at the start of step ``k``.

Tolerances (issue 23, measured between NEST and Brian2): AdEx at dt 0.1 ms with RK4 against
NEST's adaptive RKF45: first spike within 0.2 ms, first five within 1.0 ms, spike count within
max(2, 3 %), ``V_m`` before the first spike within 0.05 mV (compared up to 0.5 ms before
it). NEST resets the AdEx inside the step, at the crossing, and integrates the rest of the
step; neurolab (like Brian2) at the end of the step: later spikes drift by ~0.1 ms per spike.
With delta synapses a spike caused by a kick comes one step later in neurolab (Brian2's
schedule: threshold before delivery): the first five are compared within 1.5 ms there.
Izhikevich with the same scheme (``euler`` = ``consistent_integration=True``,
``half_steps`` = ``False``): the first five spikes on exactly the same steps, counts within 1.
"""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl

pytest.importorskip("nest")
from nest_oracle import _nest

pytestmark = pytest.mark.nest

MODELS = {"delta": "aeif_psc_delta", "current": "aeif_psc_exp",
          "conductance": "aeif_cond_exp"}
WEIGHTS = {"delta": 1.0, "current": 100.0, "conductance": 3.0}


def nest_adex(synapse, p, I, dt, duration, inputs=None):
    nest = _nest()
    nest.ResetKernel()
    nest.resolution = dt
    par = {"C_m": p.C, "g_L": p.g_L, "E_L": p.E_L, "V_th": p.V_T, "Delta_T": p.Delta_T,
           "V_peak": p.V_peak, "V_reset": p.V_reset, "tau_w": p.tau_w, "a": p.a, "b": p.b,
           "t_ref": 0.0, "I_e": I, "V_m": p.E_L, "w": 0.0}
    if synapse != "delta":
        par.update(tau_syn_ex=p.tau_e, tau_syn_in=p.tau_i)
    if synapse == "conductance":
        par.update(E_ex=p.E_e, E_in=p.E_i)
    n = nest.Create(MODELS[synapse], params=par)
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": dt})
    nest.Connect(mm, n)
    if inputs is not None:
        times, weight, delay = inputs
        sg = nest.Create("spike_generator", params={"spike_times": times})
        nest.Connect(sg, n, syn_spec={"weight": weight, "delay": delay})
    nest.Simulate(duration)
    return (np.asarray(sr.events["times"]) - dt, np.asarray(mm.events["times"]),
            np.asarray(mm.events["V_m"]))


def check_adex(t, res, tn, tt, vn, dt, five=1.0):
    assert t.size >= 5 and tn.size >= 5
    assert abs(t[0] - tn[0]) <= 0.2 + 1e-9
    assert np.abs(t[:5] - tn[:5]).max() <= five + 1e-9
    assert abs(t.size - tn.size) <= max(2, 0.03 * tn.size)
    before = tt < t[0] - 0.5
    k = np.rint(tt[before] / dt).astype(int)
    assert before.sum() > 10
    np.testing.assert_allclose(res.state["A"].v[k, 0], vn[before], atol=0.05)


@pytest.mark.parametrize("synapse", list(MODELS))
@pytest.mark.parametrize("preset", ["tonic", "adapting", "initial_burst", "bursting", "delayed",
                                    "delayed_bursting"])
def test_adex_presets_match_nest(preset, synapse):
    # delayed bursting: each reset lands on the step grid, and a = -10 nS amplifies the
    # shift across the 56 ms gap between bursts (5th spike 1.2 ms off NEST at dt 0.1,
    # 127.7 / 128.45 / 128.81 ms at dt 0.1 / 0.05 / 0.01): compared at dt 0.01, where
    # issue 23 expects the first five within 0.3 ms
    dt, duration = (0.01, 500.0) if preset == "delayed_bursting" else (0.1, 500.0)
    p = nl.AdExParams.preset(preset, synapse=synapse)
    current = nl.AdExParams.PRESETS[preset]["I"]
    net = nl.Network(dt=dt)
    A = net.add_adex("A", 1, p)
    net.add_current("I", A, current)
    res = net.run(duration, record_state={"A": "all"})
    tn, tt, vn = nest_adex(synapse, p, current, dt, duration)
    check_adex(res.spikes["A"].t, res, tn, tt, vn, dt, five=0.3 if dt == 0.01 else 1.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("synapse", list(MODELS))
def test_adex_with_synaptic_input_matches_nest(synapse, seed):
    dt, duration = 0.1, 300.0
    rng = np.random.default_rng(seed)
    steps = np.unique(rng.integers(10, 2500, 200))
    p = nl.AdExParams.preset("adapting", synapse=synapse)
    net = nl.Network(dt=dt)
    A = net.add_adex("A", 1, p)
    net.add_current("I", A, 450.0)
    src = net.add_spikes("s", 1, times=steps * dt, indices=np.zeros(steps.size, int))
    net.connect(src, A, weight=WEIGHTS[synapse], delay=1.0)
    res = net.run(duration, record_state={"A": "all"})
    tn, tt, vn = nest_adex(synapse, p, 450.0, dt, duration,
                           inputs=((steps + 1) * dt, WEIGHTS[synapse], 1.0))
    # delta synapses: a kick that carries V over V_peak makes NEST spike in the step it
    # arrives, neurolab (Brian2's schedule: threshold, then synaptic delivery) one step
    # later; those steps add up along the train (seen: 1.1 ms at the 4th spike)
    check_adex(res.spikes["A"].t, res, tn, tt, vn, dt,
               five=1.5 if synapse == "delta" else 1.0)


@pytest.mark.parametrize("method,dt", [("euler", 0.1), ("half_steps", 1.0),
                                       ("half_steps", 0.1)])
@pytest.mark.parametrize("preset", ["RS", "IB", "CH", "FS", "LTS", "TC", "RZ"])
def test_izhikevich_presets_match_nest(preset, method, dt):
    values = nl.IzhikevichParams.PRESETS[preset]
    nest = _nest()
    nest.ResetKernel()
    nest.resolution = dt
    n = nest.Create("izhikevich", params={
        "a": values["a"], "b": values["b"], "c": values["c"], "d": values["d"],
        "I_e": values["I"], "V_m": values["c"], "U_m": values["b"] * values["c"],
        "consistent_integration": method == "euler"})
    sr = nest.Create("spike_recorder")
    nest.Connect(n, sr)
    nest.Simulate(500.0)
    steps_nest = np.rint(np.asarray(sr.events["times"]) / dt).astype(int) - 1
    net = nl.Network(dt=dt)
    Z = net.add_izhikevich("Z", 1, nl.IzhikevichParams.preset(preset, method=method))
    net.add_current("I", Z, values["I"])
    steps = np.rint(net.run(500.0).spikes["Z"].t / dt).astype(int)
    assert steps.size >= 5
    np.testing.assert_array_equal(steps[:5], steps_nest[:5])
    assert abs(steps.size - steps_nest.size) <= 1
