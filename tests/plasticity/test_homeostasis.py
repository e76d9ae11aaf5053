"""Homeostasis (Diehl & Cook 2015): the adaptive threshold and weight normalisation.

Closed forms written here by hand; the kernel against the pure-Python reference
(tests/reference.py + tests/reference_homeostasis.py) to 1e-12; against Brian2 (runtime
numpy target, tests/brian2_model.py) to 1e-9; continued runs and store/restore.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl

from reference import reference_simulate
from test_kernel_vs_reference import random_network

DT = 0.1
LIF = dict(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0, synapse="delta")


# --------------------------------------------------------------------------- adaptive threshold
def test_theta_after_spikes_is_the_sum_of_decayed_jumps():
    """A neuron kicked (30 mV) one step before each wanted spike, refractory 2 ms (theta
    decays while refractory too): at the start of step n (t = n dt), after spikes at
    t_k < t, theta = theta_0 e^{-t/tau} + sum_k theta_plus e^{-(t - t_k - dt)/tau}."""
    theta0, plus, tau = 0.5, 2.0, 20.0
    spike_steps = [50, 80, 105, 400]    # 20-step refractory periods
    net = nl.Network(dt=DT, seed=0)
    drive = net.add_spikes("drive", 1, times=[(s - 1) * DT for s in spike_steps],
                           indices=[0] * len(spike_steps))
    out = net.add_lif("out", 1, nl.LIFParams(refractory=2.0, **LIF),
                      threshold=nl.AdaptiveThreshold(theta_plus=plus, tau_theta=tau,
                                                     theta_init=theta0))
    net.connect(drive, out, weight=30.0)
    res = net.run(60.0, record_state={"out": "all"}, state_vars=("v", "theta"),
                  progress=False)
    np.testing.assert_array_equal(np.rint(res.spikes["out"].t / DT), spike_steps)
    theta = res.state["out"].theta[:, 0]
    want = [theta0 * math.exp(-n * DT / tau)
            + sum(plus * math.exp(-(n - s - 1) * DT / tau) for s in spike_steps if s < n)
            for n in range(600)]
    np.testing.assert_allclose(theta, want, rtol=1e-12, atol=0)
    assert out.theta[0] == pytest.approx(theta0 * math.exp(-600 * DT / tau) + sum(
        plus * math.exp(-(600 - s - 1) * DT / tau) for s in spike_steps), rel=1e-12)


def _regular_spikes(u, v_th, theta0, plus, tau_theta, n_steps, tau_m=10.0, v_reset=-60.0):
    """Spike steps of a delta LIF with constant input u (v_rest + I_bias), starting at
    v_reset, by hand: m state updates after a reset v = u + (v_reset - u) e^{-m dt/tau_m};
    theta m steps after a jump to Theta is Theta e^{-m dt/tau_theta}; spike at the first
    m with v > v_th + theta. Also returns the smallest distance to the threshold met, so
    that the test can make sure that rounding cannot move a spike."""
    steps, big_theta, last, margin = [], theta0, -1, math.inf
    while True:
        m = 1
        while True:
            v = u + (v_reset - u) * math.exp(-m * DT / tau_m)
            th = v_th + big_theta * math.exp(-m * DT / tau_theta)
            margin = min(margin, abs(v - th))
            if v > th:
                break
            m += 1
        if last + m >= n_steps:
            return steps, margin
        last += m
        steps.append(last)
        big_theta = big_theta * math.exp(-m * DT / tau_theta) + plus


def test_constant_current_neuron_fires_later_with_theta():
    """Constant drive (steady state -50 mV, 4 mV above threshold): without theta a regular
    train; with theta (1 mV per spike, 30 ms) every interval after the first spike grows,
    at the steps computed by hand."""
    n_steps = 3000
    net = nl.Network(dt=DT, seed=0)
    p = nl.LIFParams(I_bias=20.0, **LIF)
    plain = net.add_lif("plain", 1, p, v_init=-60.0)
    adapt = net.add_lif("adapt", 1, p, v_init=-60.0,
                        threshold=nl.AdaptiveThreshold(theta_plus=1.0, tau_theta=30.0))
    res = net.run(n_steps * DT, progress=False)
    want_plain, m1 = _regular_spikes(-50.0, -54.0, 0.0, 0.0, 30.0, n_steps)
    want_adapt, m2 = _regular_spikes(-50.0, -54.0, 0.0, 1.0, 30.0, n_steps)
    assert min(m1, m2) > 1e-9          # no spike decided by rounding
    got_plain = np.rint(res.spikes["plain"].t / DT).astype(int).tolist()
    got_adapt = np.rint(res.spikes["adapt"].t / DT).astype(int).tolist()
    assert got_plain == want_plain
    assert got_adapt == want_adapt
    assert got_adapt[0] == got_plain[0]                  # theta starts at 0
    assert (np.diff(got_adapt) > np.diff(got_plain)[0]).all()
    assert len(got_adapt) < 0.7 * len(got_plain)


def test_frozen_theta_neither_decays_nor_jumps():
    n_steps = 1500
    thr = nl.AdaptiveThreshold(theta_plus=1.0, tau_theta=30.0, theta_init=2.0, frozen=True)
    net = nl.Network(dt=DT, seed=0)
    pop = net.add_lif("a", 1, nl.LIFParams(I_bias=20.0, **LIF), v_init=-60.0, threshold=thr)
    res = net.run(n_steps * DT, record_state={"a": "all"}, state_vars="theta",
                  progress=False)
    assert (res.state["a"].theta == 2.0).all()
    want, margin = _regular_spikes(-50.0, -52.0, 0.0, 0.0, 30.0, n_steps)   # v_th + 2
    assert margin > 1e-9
    assert np.rint(res.spikes["a"].t / DT).astype(int).tolist() == want
    # unfrozen between runs: theta decays and jumps from where it is
    pop.threshold = thr.replace(frozen=False)
    res = net.run(20.0, record_state={"a": "all"}, state_vars="theta", progress=False)
    th = res.state["a"].theta[:, 0]
    assert th[0] == 2.0 and th[1] == pytest.approx(2.0 * math.exp(-DT / 30.0), rel=1e-14)
    assert len(res.spikes["a"]) > 0 and th.max() > 2.0


def test_freeze_after_training_keeps_theta():
    """Diehl & Cook's test phase: theta learnt in training, then frozen."""
    net = nl.Network(dt=DT, seed=3)
    inp = net.add_poisson("inp", 30, rates=40.0)
    E = net.add_lif("E", 4, nl.LIFParams(**LIF),
                    threshold=nl.AdaptiveThreshold(theta_plus=0.5, tau_theta=100.0))
    net.connect(inp, E, weight=2.0)
    net.run(200.0, progress=False)
    learnt = E.theta
    assert (learnt > 0).all()
    E.threshold = E.threshold.replace(frozen=True)
    res = net.run(100.0, record_state={"E": "all"}, state_vars="theta", progress=False)
    assert len(res.spikes["E"]) > 0
    np.testing.assert_array_equal(res.state["E"].theta, np.tile(learnt, (1000, 1)))
    np.testing.assert_array_equal(E.theta, learnt)
    E.theta = 0.0                                          # settable between runs
    np.testing.assert_array_equal(E.theta, 0.0)
    assert res.params["network"]["populations"][1]["threshold"]["frozen"] is True


def test_default_network_compiles_no_homeostasis():
    net = nl.Network(dt=DT, seed=0)
    inp = net.add_poisson("inp", 5, rates=10.0)
    out = net.add_lif("out", 2)
    net.connect(inp, out, weight=1.0, stdp=nl.STDPParams())
    net.run(1.0, progress=False)
    assert net._state.families[3] is None
    with pytest.raises(AttributeError, match="no.*adaptive threshold|has none"):
        out.theta
    with pytest.raises(ValueError, match="'out' has no adaptive threshold"):
        net.run(1.0, record_state={"out": "all"}, state_vars=("v", "theta"))


def test_homeostasis_arguments_are_checked():
    with pytest.raises(ValueError, match="theta_plus must be >= 0 mV, got -1.0"):
        nl.AdaptiveThreshold(theta_plus=-1.0)
    with pytest.raises(ValueError, match="tau_theta must be > 0 ms"):
        nl.AdaptiveThreshold(tau_theta=0.0)
    with pytest.raises(ValueError, match="target must be > 0"):
        nl.Normalization(target=0.0)
    net = nl.Network(dt=DT, seed=0)
    inp = net.add_poisson("inp", 5, rates=10.0)
    out = net.add_lif("out", 2)
    with pytest.raises(TypeError, match="threshold must be None or an AdaptiveThreshold"):
        net.add_lif("bad", 1, threshold=0.5)
    with pytest.raises(ValueError, match="every must be a positive multiple of dt"):
        net.connect(inp, out, stdp=nl.STDPParams(), normalize=nl.Normalization(1.0, 0.25))
    with pytest.raises(ValueError, match="normalize needs a plastic projection"):
        net.connect(inp, out, normalize=nl.Normalization(1.0, 1.0))


# --------------------------------------------------------------------------- normalisation
def test_normalization_by_hand():
    """No spikes, a plastic rule with zero amplitudes: only the normalisation at step 0
    moves the weights. Each neuron's weights times target / sum, clipped at w_max; a
    neuron with zero weights or without synapses is left alone; two delays (pathways)."""
    net = nl.Network(dt=DT, seed=0)
    src = net.add_spikes("src", 4, times=[], indices=[])
    out = net.add_lif("out", 4)
    pre = [0, 1, 2, 3, 0, 1, 0, 1, 2]
    post = [0, 0, 0, 0, 1, 1, 2, 2, 2]
    w0 = [1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.5, 0.25, 0.25]
    delay = [0.0, 0.3, 0.0, 0.3, 0.1, 0.0, 0.0, 0.2, 0.2]
    proj = net.connect(src, out, "explicit", pre_ids=pre, post_ids=post, weight=w0,
                       delay=delay, stdp=nl.STDPParams(A_plus=0.0, A_minus=0.0, w_max=4.0),
                       normalize=nl.Normalization(target=5.0, every=1.0))
    net.run(0.3, progress=False)
    # neuron 0: 1+2+3+4 = 10 -> x 0.5; neuron 1: zero sum; neuron 2: 1 -> x 5
    want = [0.5, 1.0, 1.5, 2.0, 0.0, 0.0, 2.5, 1.25, 1.25]
    np.testing.assert_allclose(proj.weight, want, rtol=1e-15)
    w = proj.weight
    w[6:] = [3.0, 0.25, 0.25]
    proj.weight = w
    net.run(1.0, progress=False)            # the next normalisation: step 10 (t = 1 ms)
    # 3 * 5 / 3.5 > w_max = 4: clipped, so the sum stays below 5
    np.testing.assert_allclose(proj.weight[6:], [4.0, 0.25 * 5 / 3.5, 0.25 * 5 / 3.5],
                               rtol=1e-15)
    assert proj.weight[6:].sum() < 5.0
    proj.learning = False                   # frozen weights are not normalised
    w = proj.weight
    net.run(2.0, progress=False)
    np.testing.assert_array_equal(proj.weight, w)


def test_normalization_sums_to_target_at_its_steps():
    """STDP moves the weights between normalisations; the samples taken at the steps of
    the normalisation (t = 0, 5, 10, ... ms) sum to the target per neuron, the others do
    not. Heterogeneous delays: each neuron's synapses span several pathways."""
    net = nl.Network(dt=DT, seed=4)
    inp = net.add_poisson("inp", 40, rates=60.0)
    out = net.add_lif("out", 3, nl.LIFParams(refractory=1.0, **LIF))
    proj = net.connect(inp, out, weight=("uniform", 0.0, 3.0),
                       delay=("uniform", 0.0, 2.0), normalize=nl.Normalization(60.0, 5.0),
                       stdp=nl.STDPParams(A_plus=0.05, A_minus=0.05, w_max=4.0))
    assert np.unique(proj.delay).size > 5
    res = net.run(100.0, record_weights={"inp->out": "all"}, weight_dt=DT, progress=False)
    rec = res.weights["inp->out"]
    sums = np.stack([np.bincount(rec.post, weights=row, minlength=3) for row in rec.w])
    at = np.arange(sums.shape[0]) % 50 == 0
    np.testing.assert_allclose(sums[at], 60.0, rtol=1e-13)
    assert np.abs(sums[~at] - 60.0).max() > 0.1
    assert len(res.spikes["out"]) > 20


# --------------------------------------------------------------------------- reference
@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("synapse", ["delta", "current", "conductance"])
def test_kernel_equals_reference(synapse, seed):
    """Random networks with delays and refractoriness (tests/test_kernel_vs_reference.py)
    plus an adaptive threshold on A, one on B (frozen on odd seeds) and normalisations of
    the plastic input and recurrent projections: same spikes, weights, v and theta."""
    net = random_network(seed, synapse)
    A, B = net.populations["A"], net.populations["B"]
    A.threshold = nl.AdaptiveThreshold(theta_plus=1.0, tau_theta=40.0)
    A.theta = np.linspace(0.0, 1.0, A.n)
    B.threshold = nl.AdaptiveThreshold(theta_plus=0.7, tau_theta=15.0, theta_init=0.5,
                                       frozen=bool(seed % 2))
    for name, every in (("inp->A", 20.0), ("A->A", 8.0)):
        proj = net.projections[name]
        sums = np.bincount(proj.post_ids, weights=proj.weight, minlength=proj.post.n)
        proj.normalize = nl.Normalization(target=float(sums.mean()), every=every)
    duration = 200.0
    ref = reference_simulate(net, duration)
    res = net.run(duration, record_spikes="all", record_state={"A": "all", "B": "all"},
                  state_vars=("v", "theta"), progress=False)
    for name in net.populations:
        got = list(zip(np.rint(res.spikes[name].t / net.dt).astype(int).tolist(),
                       res.spikes[name].i.tolist()))
        assert got == ref["spikes"][name], name
    for name, proj in net.projections.items():
        scale = proj.stdp.w_max if proj.stdp is not None else 1.0
        np.testing.assert_allclose(res.final_weights[name], ref["weights"][name],
                                   rtol=1e-12, atol=1e-12 * scale, err_msg=name)
    for name in ("A", "B"):
        np.testing.assert_allclose(res.state[name].v, ref["v"][name], rtol=0, atol=1e-9)
        np.testing.assert_allclose(res.state[name].theta, ref["theta"][name], rtol=1e-12,
                                   atol=1e-12)
    assert len(ref["spikes"]["A"]) >= 10
    assert ref["theta"]["A"].max() > 1.5


# --------------------------------------------------------------------------- continued runs
def homeo_net(seed=5):
    net = nl.Network(dt=DT, seed=seed)
    inp = net.add_poisson("inp", 40, rates=50.0)
    E = net.add_lif("E", 6, nl.LIFParams(refractory=1.0, **LIF),
                    threshold=nl.AdaptiveThreshold(theta_plus=1.0, tau_theta=50.0))
    net.connect(inp, E, "probability", p=0.5, weight=("uniform", 0.0, 3.0),
                delay=("uniform", 0.0, 1.0), stdp=nl.STDPParams(A_plus=0.03, A_minus=0.03,
                                                                w_max=5.0),
                normalize=nl.Normalization(50.0, 10.0))
    net.connect(E, E, weight=1.0, delay=0.5, receptor="inh")
    return net


HRUN = dict(record_spikes="all", record_weights={"inp->E": "all"}, weight_dt=1.0,
            record_state={"E": "all"}, state_vars=("v", "theta"), progress=False)


def _cat(parts):
    return {"spikes": np.concatenate([p.spikes["E"].t for p in parts]),
            "ids": np.concatenate([p.spikes["E"].i for p in parts]),
            "w": np.concatenate([p.weights["inp->E"].w for p in parts]),
            "theta": np.concatenate([p.state["E"].theta for p in parts]),
            "final": parts[-1].final_weights["inp->E"]}


def _same(a, b):
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_continued_runs_and_store_restore_include_theta():
    whole = _cat([homeo_net().run(150.0, **HRUN)])
    net = homeo_net()
    parts = [net.run(d, **HRUN) for d in (40.0, 0.1, 9.9, 100.0)]   # 50 ms: a norm. step
    _same(whole, _cat(parts))
    assert len(whole["spikes"]) > 30
    net = homeo_net()
    net.run(60.0, **HRUN)
    net.store("mid")
    theta = net.populations["E"].theta
    a = net.run(50.0, **HRUN)
    net.populations["E"].threshold = nl.AdaptiveThreshold(theta_plus=3.0, frozen=True)
    net.restore("mid")
    np.testing.assert_array_equal(net.populations["E"].theta, theta)
    assert net.populations["E"].threshold.theta_plus == 1.0
    _same(_cat([a]), _cat([net.run(50.0, **HRUN)]))


def test_config_and_saved_run_rebuild_homeostasis(tmp_path):
    """``neurolab simulate --config``: threshold and normalize as JSON objects; a saved
    run.json rebuilds the same network and gives the same files."""
    import json

    from neurolab import cli

    config = {"dt": DT, "seed": 1, "duration": 50.0, "run": {
        "record_state": {"E": "all"}, "state_vars": ["v", "theta"]},
        "populations": [
            {"kind": "poisson", "name": "inp", "n": 20, "rates": 50.0},
            {"kind": "lif", "name": "E", "n": 2,
             "threshold": {"theta_plus": 1.0, "tau_theta": 50.0, "theta_init": 0.5}}],
        "projections": [{"pre": "inp", "post": "E", "weight": 2.0, "stdp": {"w_max": 5.0},
                         "normalize": {"target": 30.0, "every": 5.0}}]}
    res, a = cli.simulate_to_folder(config, tmp_path / "a", progress=False)
    assert res.state["E"].theta[0, 0] == 0.5 and len(res.spikes["E"]) > 0
    record = json.loads((a / "run.json").read_text())
    _, b = cli.simulate_to_folder(cli.config_from_run(record), tmp_path / "b", progress=False,
                                  expect_network=record["params"]["network"])
    for name in ("spikes.npz", "weights.npz", "state.npz"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


# --------------------------------------------------------------------------- Brian2
@pytest.mark.brian2
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("synapse", ["delta", "conductance"])
def test_brian2_same_spikes_weights_and_theta(synapse):
    """build_recurrent of tests/test_brian2_oracle.py (heterogeneous delays, refractory
    periods, plastic input and recurrent projections) with adaptive thresholds (frozen on
    the inhibitory population) and both plastic projections normalised."""
    import brian2 as b2

    from brian2_model import build_brian2, monitor_steps
    from test_brian2_oracle import build_recurrent

    net = build_recurrent(synapse)
    net.populations["exc"].threshold = nl.AdaptiveThreshold(theta_plus=1.0, tau_theta=30.0)
    net.populations["inh"].threshold = nl.AdaptiveThreshold(theta_init=1.0, frozen=True)
    for name, every in (("inp->exc", 20.0), ("exc->exc", 7.5)):
        proj = net.projections[name]
        sums = np.bincount(proj.post_ids, weights=proj.weight, minlength=proj.post.n)
        proj.normalize = nl.Normalization(target=0.8 * float(sums.mean()), every=every)
    duration = 300.0
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = DT * b2.ms
    model = build_brian2(net, duration, b2=b2)
    b2.Network(model.objects).run(duration * b2.ms)
    res = net.run(duration, record_spikes="all", progress=False)
    for name in ("exc", "inh"):
        steps, ids = monitor_steps(model.monitors[name], DT, b2)
        want = sorted(zip(steps.tolist(), ids.tolist()))
        got = list(zip(np.rint(res.spikes[name].t / DT).astype(int).tolist(),
                       res.spikes[name].i.tolist()))
        assert got == want, name
        np.testing.assert_allclose(net.populations[name].theta,
                                   np.asarray(model.groups[name].theta[:]), rtol=0, atol=1e-9)
    for name, proj in net.projections.items():
        if proj.stdp is not None:
            np.testing.assert_allclose(res.final_weights[name],
                                       np.asarray(model.synapses[name].w[:]), rtol=0,
                                       atol=1e-9 * proj.stdp.w_max, err_msg=name)
    assert len(res.spikes["exc"]) >= 20 and len(res.spikes["inh"]) >= 5
    assert net.populations["exc"].theta.max() > 0.5
    assert (net.populations["inh"].theta == 1.0).all()            # frozen
