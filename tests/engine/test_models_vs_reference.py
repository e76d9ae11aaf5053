"""AdEx and Izhikevich populations: the numba kernel against the slow pure-Python reference
(tests/reference/reference.py + reference_models.py).

Small random networks, seeded: Poisson and explicit inputs onto an AdEx population and an
Izhikevich population (each synapse type: delta, current, conductance; excitatory and
inhibitory receptors), recurrent projections between them and a LIF population, axonal
delays, per-neuron parameters (arrays and distributions), AdEx refractoriness, the AdEx
spike clamp (``t_clamp``, ``V_clamp``, per neuron), the AdEx after-spike current and adaptive
threshold (``I_sp``, ``V_th_max``: the reference carries ``z`` and ``V_th`` in its RK4 state,
the kernel decays them exactly), both Izhikevich integration methods, and pair-rule STDP on
projections onto the new models.

Both must give the same spike steps, the same final weights (to rounding) and the same
``v`` and ``w``/``u`` traces (to rounding).
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import reference_simulate

import neurolab as nl

SYNAPSES = ("delta", "current", "conductance")
# weight scales per (model, synapse): (input, recurrent)
SCALE = {("adex", "delta"): (4.0, 2.0), ("adex", "current"): (300.0, 150.0),
         ("adex", "conductance"): (8.0, 4.0),
         ("izhikevich", "delta"): (6.0, 3.0), ("izhikevich", "current"): (15.0, 8.0),
         ("izhikevich", "conductance"): (0.3, 0.15)}
DURATION = 200.0


def random_network(seed, syn_a, syn_z, clamp=False, extras=False):
    rng = np.random.default_rng([seed, 23])
    dt = float(rng.choice([0.1, 0.05]))
    net = nl.Network(dt=dt, seed=seed)
    n_inp = int(rng.integers(10, 20))
    inp = net.add_poisson("inp", n=n_inp, rates=rng.uniform(20.0, 60.0, n_inp))
    steps = np.unique(rng.integers(0, int(DURATION / dt), 40))
    stim = net.add_spikes("stim", n=3, times=steps * dt,
                          indices=rng.integers(0, 3, steps.size))
    n_a, n_z = 6, 7
    preset = str(rng.choice(list(nl.AdExParams.PRESETS)))
    pa = nl.AdExParams.preset(preset, synapse=syn_a,
                              refractory=float(rng.choice([0.0, dt, 2.0])),
                              I_bias=rng.uniform(0.0, 300.0, n_a),
                              V_T=("uniform", -52.0, -48.0))
    if clamp:       # per neuron: off for one, 1-4 steps and 2 ms for the others
        pa = pa.replace(t_clamp=np.array([0.0, dt, 2 * dt, 4 * dt, 2.0, 2.0]),
                        V_clamp=np.array([0.0, 29.4, 33.0, 20.0, 29.4, 10.0]))
    if extras:      # Clopath's after-spike current and adaptive threshold
        pa = pa.replace(I_sp=float(rng.uniform(100.0, 400.0)), tau_z=float(rng.uniform(5, 40)),
                        V_th_max=float(rng.uniform(-45.0, -30.0)),
                        tau_V_th=float(rng.uniform(5.0, 50.0)))
    A = net.add_adex("A", n_a, pa, v_init=("uniform", -70.0, -55.0),
                     w_init=rng.uniform(0.0, 50.0, n_a))
    pz = nl.IzhikevichParams.preset(str(rng.choice(["RS", "IB", "CH", "FS", "LTS"])),
                                    synapse=syn_z,
                                    method=str(rng.choice(["euler", "half_steps"])),
                                    I_bias=("uniform", 0.0, 8.0),
                                    d=rng.uniform(2.0, 8.0, n_z))
    Z = net.add_izhikevich("Z", n_z, pz)
    L = net.add_lif("L", 5, nl.LIFParams(synapse="delta", refractory=1.0))
    sa_in, sa_rec = SCALE[("adex", syn_a)]
    sz_in, sz_rec = SCALE[("izhikevich", syn_z)]
    stdp = nl.STDPParams(A_plus=0.01 * sa_in, A_minus=0.012 * sa_in, w_max=2 * sa_in)
    net.connect(inp, A, "probability", p=0.5, weight=("uniform", 0.2 * sa_in, sa_in),
                stdp=stdp, delay=float(rng.choice([0.0, 1.0])))
    net.connect(stim, A, "all_to_all", weight=sa_in)
    net.connect(inp, Z, "probability", p=0.5, weight=("uniform", 0.2 * sz_in, sz_in),
                delay=("uniform", 0.0, 3.0))
    stdp_z = nl.STDPParams(A_plus=0.01 * sz_in, A_minus=0.012 * sz_in, w_max=2 * sz_in)
    net.connect(stim, Z, "all_to_all", weight=sz_in, stdp=stdp_z)
    net.connect(A, Z, "probability", p=0.4, weight=sz_rec, delay=1.0)
    net.connect(Z, A, "probability", p=0.4, weight=sa_rec, receptor="inh", delay=0.5)
    net.connect(A, A, "probability", p=0.3, weight=sa_rec, autapses=False)
    net.connect(Z, L, "all_to_all", weight=3.0)
    net.connect(L, Z, "all_to_all", weight=sz_rec, receptor="inh")
    net.connect(inp, L, "probability", p=0.5, weight=4.0)
    return net


CASES = [(seed, sa, sz) for seed, (sa, sz) in enumerate(
    [(a, z) for a in SYNAPSES for z in SYNAPSES])]


CLAMP_CASES = [(seed, sa, "delta", True) for seed, sa in ((20, "delta"), (21, "current"),
                                                           (22, "conductance"), (23, "delta"))]


EXTRA_CASES = [(seed, sa, "delta", clamp, True) for seed, sa, clamp in
               ((30, "delta", True), (31, "current", False), (32, "conductance", True))]


@pytest.mark.parametrize("seed,syn_a,syn_z,clamp,extras",
                         [(*c, False, False) for c in CASES]
                         + [(*c, False) for c in CLAMP_CASES] + EXTRA_CASES)
def test_kernel_matches_reference(seed, syn_a, syn_z, clamp, extras):
    net = random_network(seed, syn_a, syn_z, clamp, extras)
    ref = reference_simulate(net, DURATION)
    res = net.run(DURATION, record_spikes="all",
                  record_state={"A": "all", "Z": "all", "L": "all"})
    # the second variable, in a separate (continued) run would change the state: record
    # it from a twin network instead
    twin = random_network(seed, syn_a, syn_z, clamp, extras)
    res_w = twin.run(DURATION, record_state={"A": "all"}, state_vars=("w",))
    twin_u = random_network(seed, syn_a, syn_z, clamp, extras)
    res_u = twin_u.run(DURATION, record_state={"Z": "all"}, state_vars=("u",))
    n_model_spikes = 0
    for name in ("A", "Z", "L"):
        got = sorted(zip(np.rint(res.spikes[name].t / net.dt).astype(int).tolist(),
                         res.spikes[name].i.tolist()))
        assert got == ref["spikes"][name], name
        if name != "L":
            n_model_spikes += len(got)
        # v on a spike's own step is the AdEx upswing (exp((V - V_T)/Delta_T) of tens):
        # there a rounding difference of 1e-16 grows to ~1e-7 within the step (seen:
        # 2.8e-7 at V = -16.9 mV, seed 30); every other sample within 1e-9
        v, v_ref = res.state[name].v, ref["v"][name]
        upswing = np.zeros(v.shape, dtype=bool)
        for step, i in got:
            if step < v.shape[0]:
                upswing[step, i] = name == "A"
        np.testing.assert_allclose(v[~upswing], v_ref[~upswing], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(v[upswing], v_ref[upswing], rtol=1e-6, atol=1e-6)
    assert n_model_spikes > 5          # the comparison saw spikes of the new models
    if clamp:                          # ... and clamped spikes: v sampled at V_clamp
        v = res.state["A"].v
        assert (v[:, 1:][np.isin(v[:, 1:], [29.4, 33.0, 20.0, 10.0])]).size > 5
    np.testing.assert_allclose(res_w.state["A"].w, ref["w"]["A"], rtol=1e-9, atol=1e-9)
    if extras:                         # the final z and V_th
        np.testing.assert_allclose(net.populations["A"].z, ref["z"]["A"], rtol=1e-9,
                                   atol=1e-9)
        np.testing.assert_allclose(net.populations["A"].v_th, ref["vth"]["A"], rtol=1e-9,
                                   atol=1e-9)
        assert np.ptp(ref["vth"]["A"]) > 0.1      # the threshold moved
    np.testing.assert_allclose(res_u.state["Z"].u, ref["w"]["Z"], rtol=1e-9, atol=1e-9)
    for name in net.projections:
        np.testing.assert_allclose(res.final_weights[name], ref["weights"][name],
                                   rtol=1e-12, atol=1e-12)


def family_rule(family, scale):
    """A rule of ``family`` for weights of ``scale`` (the weight unit of the target)."""
    if family == "triplet":
        return nl.TripletSTDP(A2_plus=0.02 * scale, A3_plus=0.01 * scale,
                              A2_minus=0.03 * scale, w_max=2 * scale)
    if family == "vogels":
        return nl.VogelsSTDP(eta=0.05 * scale, rho_0=20.0, w_max=2 * scale)
    return nl.RewardSTDP(A_plus=0.05 * scale, A_minus=0.06 * scale, tau_c=50.0, tau_d=20.0,
                         w_max=2 * scale, reward="stim")


@pytest.mark.parametrize("family", ["triplet", "vogels", "reward"])
@pytest.mark.parametrize("kind,synapse", [("adex", "conductance"), ("adex", "delta"),
                                          ("izhikevich", "current"),
                                          ("izhikevich", "delta")])
def test_every_rule_family_on_the_new_models(kind, synapse, family):
    """Triplet, Vogels and reward-modulated STDP onto AdEx / Izhikevich targets, against
    the reference (its rule files are the families' plainest forms)."""
    rng = np.random.default_rng(11)
    net = nl.Network(dt=0.1, seed=11)
    inp = net.add_poisson("inp", 15, rates=rng.uniform(20.0, 60.0, 15))
    steps = np.unique(rng.integers(0, 2000, 30))
    net.add_spikes("stim", 1, times=steps * 0.1, indices=np.zeros(steps.size, int))
    if kind == "adex":
        N = net.add_adex("N", 5, nl.AdExParams.preset("adapting", synapse=synapse,
                                                      I_bias=("uniform", 300.0, 500.0)))
    else:
        N = net.add_izhikevich("N", 5, nl.IzhikevichParams.preset(
            "RS", synapse=synapse, I_bias=("uniform", 6.0, 12.0)))
    scale = SCALE[(kind, synapse)][0]
    receptor = "inh" if family == "vogels" else "exc"
    net.connect(inp, N, "probability", p=0.6, weight=("uniform", 0.2 * scale, scale),
                stdp=family_rule(family, scale), receptor=receptor, delay=0.5)
    net.connect(inp, N, "probability", p=0.3, weight=0.5 * scale, name="drive")
    w0 = net.projections["inp->N"].weight.copy()
    ref = reference_simulate(net, 200.0)
    res = net.run(200.0, record_state={"N": "all"})
    got = sorted(zip(np.rint(res.spikes["N"].t / net.dt).astype(int).tolist(),
                     res.spikes["N"].i.tolist()))
    assert len(got) > 3                 # (inhibitory Vogels synapses: few spikes)
    assert got == ref["spikes"]["N"]
    np.testing.assert_allclose(res.state["N"].v, ref["v"]["N"], rtol=1e-9, atol=1e-9)
    w = res.final_weights["inp->N"]
    assert np.abs(w - w0).max() > 1e-3 * scale               # the rule changed weights
    np.testing.assert_allclose(w, ref["weights"]["inp->N"], rtol=1e-10, atol=1e-12 * scale)
