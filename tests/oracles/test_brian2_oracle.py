"""neurolab against Brian2, spike for spike.

Each network is built once with neurolab, then translated to Brian2 (runtime ``numpy``
target) from its documented attributes only: the same explicit input spike times, the same
connectivity, initial weights and delays. Both are run and compared:

- spike steps: the (step, id) pairs of every LIF population must agree in >= 99 % (100 % is
  expected: both integrate the same equations with the same schedule, to rounding);
- final weights of every plastic projection within ``1e-6 * w_max``.

The Brian2 model and its conventions (the oracle's contract) are in tests/brian2_model.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl

from brian2_model import build_brian2, monitor_steps

pytestmark = [
    pytest.mark.brian2,
    # Brian2 2.9's parser calls pyparsing's deprecated camelCase names
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

DT = 0.1  # ms


# --------------------------------------------------------------------------- Brian2 side
def brian2_simulate(net, duration):
    """Run ``net`` (a neurolab Network) in Brian2; return spike steps and final weights.

    Returns ``{"spikes": {pop: int64 array (n_spikes, 2) of (step, id) sorted},
    "weights": {proj: float64 array (n_syn,)}}``.
    """
    import brian2 as b2

    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = net.dt * b2.ms
    b2.seed(0)  # nothing random is drawn in Brian2, but keep it deterministic anyway
    n_steps = int(round(duration / net.dt))
    ms = b2.ms

    model = build_brian2(net, duration, b2=b2)
    for name, pr in net.projections.items():
        S = model.synapses[name]
        # Brian2 keeps the order of the given (i, j) arrays: synapse k is synapse k
        assert np.array_equal(np.asarray(S.i[:]), pr.pre_ids)
        assert np.array_equal(np.asarray(S.j[:]), pr.post_ids)

    b2_net = b2.Network(model.objects)
    b2_net.run(n_steps * net.dt * ms)

    spikes = {}
    for name, mon in model.monitors.items():
        steps, ids = monitor_steps(mon, net.dt, b2)
        order = np.lexsort((ids, steps))
        spikes[name] = np.stack([steps[order], ids[order]], axis=1)
    weights = {name: np.array(S.w[:], dtype=np.float64)
               for name, S in model.synapses.items()}
    return {"spikes": spikes, "weights": weights}


def neurolab_simulate(net, duration):
    res = net.run(duration, progress=False, record_spikes="all")
    spikes = {}
    for name in net.populations:
        rec = res.spikes[name]
        steps = np.rint(np.asarray(rec.t) / net.dt).astype(np.int64)
        spikes[name] = np.stack([steps, np.asarray(rec.i, dtype=np.int64)], axis=1)
    weights = {name: np.asarray(res.final_weights[name], dtype=np.float64)
               for name in net.projections}
    return {"spikes": spikes, "weights": weights}


def poisson_times(rng, n, rate_hz, duration, dt=DT):
    """Explicit spike times (ms) of ``n`` Poisson sources: one Bernoulli draw per step."""
    n_steps = int(round(duration / dt))
    hits = rng.random((n_steps, n)) < rate_hz * dt * 1e-3
    steps, ids = np.nonzero(hits)
    return steps * dt, ids


def assert_match(net, nl_out, b2_out, min_spikes=1):
    """Spike steps agree in >= 99 % per LIF population; plastic weights within 1e-6 w_max."""
    for name, pop in net.populations.items():
        a = {tuple(x) for x in nl_out["spikes"][name].tolist()}
        b = {tuple(x) for x in b2_out["spikes"][name].tolist()}
        if pop.kind != "lif":
            assert a == b, f"input spikes of {name!r} differ"
            continue
        assert len(b) >= min_spikes, f"Brian2 population {name!r} hardly spikes: {len(b)}"
        both = len(a & b)
        frac = both / max(len(a), len(b))
        first = sorted(a ^ b)[:5]
        assert frac >= 0.99, (f"{name!r}: {both} common spikes of {len(a)} (neurolab) / "
                              f"{len(b)} (Brian2); first differing (step, id): {first}")
    for name, pr in net.projections.items():
        w_nl, w_b2 = nl_out["weights"][name], b2_out["weights"][name]
        scale = pr.stdp.w_max if pr.stdp is not None else max(1.0, float(np.abs(w_b2).max()))
        err = np.abs(w_nl - w_b2)
        k = int(np.argmax(err)) if err.size else 0
        assert err.size == 0 or err[k] <= 1e-6 * scale, (
            f"{name!r}: weight {k} differs by {err[k]:.3g} (neurolab {w_nl[k]!r}, Brian2 "
            f"{w_b2[k]!r}, w_max {scale!r})")


def _pair(build, duration):
    """Brian2 first: it reads the network's initial state (weights and v are the state
    the network has reached, once it has run)."""
    net = build()
    b2_out = brian2_simulate(net, duration)
    return net, neurolab_simulate(net, duration), b2_out


# --------------------------------------------------------------------------- networks
def build_feedforward(pairing="all_to_all", mu=0.0, seed=11):
    """(a) 100 Poisson inputs (20 Hz, explicit times) -> 5 delta LIF, plastic, no delay."""
    rng = np.random.default_rng(seed)
    times, ids = poisson_times(rng, 100, 20.0, FF_DURATION)
    net = nl.Network(dt=DT, seed=seed)
    inp = net.add_spikes("inp", n=100, times=times, indices=ids)
    out = net.add_lif("out", n=5, params=nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0,
                                                      v_reset=-60.0, synapse="delta"),
                      v_init=rng.uniform(-70.0, -55.0, 5))
    stdp = nl.STDPParams(A_plus=0.02, A_minus=0.021, tau_plus=20.0, tau_minus=20.0,
                         w_min=0.0, w_max=2.0, pairing=pairing, mu=mu)
    net.connect(inp, out, weight=("uniform", 0.0, 2.0), stdp=stdp)
    return net


def build_sma(n_in=1000, seed=5):
    """(b) Song, Miller & Abbott 2000: Poisson inputs at 15 Hz onto one conductance LIF."""
    rng = np.random.default_rng(seed)
    times, ids = poisson_times(rng, n_in, 15.0, SMA_DURATION)
    net = nl.Network(dt=DT, seed=seed)
    inp = net.add_spikes("inp", n=n_in, times=times, indices=ids)
    out = net.add_lif("out", n=1, params=nl.LIFParams(
        tau_m=10.0, v_rest=-74.0, v_th=-54.0, v_reset=-60.0, refractory=0.0,
        synapse="conductance", tau_e=5.0, E_e=0.0))
    w_max = 0.01
    stdp = nl.STDPParams(A_plus=0.01 * w_max, A_minus=0.0105 * w_max, tau_plus=20.0,
                         tau_minus=20.0, w_min=0.0, w_max=w_max)
    net.connect(inp, out, weight=("uniform", 0.0, w_max), stdp=stdp)
    return net


def random_pairs(rng, n_pre, n_post, p, autapses=True):
    """Explicit random connectivity: each (pre, post) pair with probability ``p``."""
    mask = rng.random((n_pre, n_post)) < p
    if not autapses:
        np.fill_diagonal(mask, False)
    pre_ids, post_ids = np.nonzero(mask)
    return pre_ids, post_ids


def build_recurrent(synapse="delta", seed=3):
    """(c) inputs -> exc/inh LIF with recurrence, heterogeneous axonal delays (0..3 ms),
    refractoriness (2 ms exc, 1 ms inh), plastic input and recurrent projections."""
    rng = np.random.default_rng(seed)
    n_in, n_e, n_i = 40, 16, 4
    times, ids = poisson_times(rng, n_in, 30.0, REC_DURATION)
    net = nl.Network(dt=DT, seed=seed)
    inp = net.add_spikes("inp", n=n_in, times=times, indices=ids)
    base = dict(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0, synapse=synapse,
                tau_e=5.0, tau_i=7.0, E_e=0.0, E_i=-80.0)
    exc = net.add_lif("exc", n_e, nl.LIFParams(refractory=2.0, **base),
                      v_init=rng.uniform(-70.0, -56.0, n_e))
    inh = net.add_lif("inh", n_i, nl.LIFParams(refractory=1.0, **base),
                      v_init=rng.uniform(-70.0, -56.0, n_i))
    # weight scales per synapse type: (input exc, recurrent exc, inhibitory magnitude)
    scale = {"delta": (5.0, 3.0, 3.0), "current": (16.0, 8.0, 12.0),
             "conductance": (0.3, 0.15, 0.3)}[synapse]

    def conn(pre, post, p, weight, stdp=None, delay=None, receptor="exc", autapses=True):
        pre_ids, post_ids = random_pairs(rng, pre.n, post.n, p, autapses)
        n = pre_ids.size
        if delay is None:  # heterogeneous axonal delays, multiples of dt, 0 .. 3 ms
            delay = rng.integers(0, 31, n) * DT
        w = rng.uniform(0.0, weight, n) if stdp is not None else np.full(n, weight)
        return net.connect(pre, post, "explicit", pre_ids=pre_ids, post_ids=post_ids,
                           weight=w, delay=delay, receptor=receptor, stdp=stdp)

    s_in = nl.STDPParams(A_plus=0.01 * scale[0], A_minus=0.0105 * scale[0], tau_plus=16.8,
                         tau_minus=33.7, w_max=scale[0])
    s_rec = nl.STDPParams(A_plus=0.02 * scale[1], A_minus=0.02 * scale[1], tau_plus=20.0,
                          tau_minus=20.0, w_max=scale[1], pairing="nearest")
    conn(inp, exc, 0.3, scale[0], stdp=s_in, delay=0.0)
    conn(inp, inh, 0.3, 0.5 * scale[0], delay=1.0)
    conn(exc, exc, 0.3, scale[1], stdp=s_rec, autapses=False)
    conn(exc, inh, 0.5, 0.5 * scale[1])
    conn(inh, exc, 0.5, scale[2], receptor="inh")      # a magnitude: the receptor inhibits
    return net


FF_DURATION = 1000.0
SMA_DURATION = 1000.0
REC_DURATION = 500.0


# --------------------------------------------------------------------------- tests
@pytest.fixture(scope="module", params=[("all_to_all", 0.0), ("nearest", 1.0)],
                ids=["all_to_all-additive", "nearest-multiplicative"])
def feedforward(request):
    pairing, mu = request.param
    return _pair(lambda: build_feedforward(pairing, mu), FF_DURATION)


@pytest.fixture(scope="module")
def sma():
    return _pair(build_sma, SMA_DURATION)


@pytest.fixture(scope="module", params=["delta", "current", "conductance"])
def recurrent(request):
    return _pair(lambda: build_recurrent(request.param), REC_DURATION)


def test_feedforward_delta_stdp(feedforward):
    net, a, b = feedforward
    assert_match(net, a, b, min_spikes=20)
    # the weights did move
    w0 = net.projections["inp->out"]._weight       # the initial weights
    assert np.abs(b["weights"]["inp->out"] - w0).max() > 1e-3


def test_song_miller_abbott(sma):
    net, a, b = sma
    assert_match(net, a, b, min_spikes=5)
    w0 = net.projections["inp->out"]._weight
    assert np.abs(b["weights"]["inp->out"] - w0).max() > 1e-5


def test_recurrent_delays_refractory(recurrent):
    net, a, b = recurrent
    assert_match(net, a, b, min_spikes=20)
    assert len(b["spikes"]["inh"]) >= 5


# --------------------------------------------------------------------------- continued runs
def build_heterogeneous(seed=21):
    """Recurrent delta network with per-neuron thresholds, time constants, refractory
    periods and bias currents, plastic input, delays, and an injected current."""
    rng = np.random.default_rng(seed)
    times, ids = poisson_times(rng, 80, 20.0, 600.0)
    net = nl.Network(dt=DT, seed=seed)
    inp = net.add_spikes("inp", n=80, times=times, indices=ids)
    n = 12
    params = nl.LIFParams(tau_m=rng.choice([10.0, 20.0], n), v_rest=-70.0,
                          v_th=rng.uniform(-56.0, -52.0, n), v_reset=-60.0,
                          refractory=rng.choice([0.0, 1.0, 2.0], n), synapse="delta",
                          I_bias=rng.uniform(0.0, 5.0, n))
    exc = net.add_lif("exc", n=n, params=params, v_init=rng.uniform(-70.0, -55.0, n))
    pre, post = random_pairs(rng, 80, n, 0.3)
    net.connect(inp, exc, "explicit", pre_ids=pre, post_ids=post,
                weight=rng.uniform(0.0, 3.0, pre.size),
                stdp=nl.STDPParams(A_plus=0.03, A_minus=0.0315, w_max=3.0))
    pre, post = random_pairs(rng, n, n, 0.3, autapses=False)
    net.connect(exc, exc, "explicit", pre_ids=pre, post_ids=post,
                weight=rng.uniform(0.0, 2.0, pre.size), delay=rng.integers(0, 20, pre.size) * DT,
                receptor="inh", name="rec")
    net.add_current("drive", exc, amplitude=rng.uniform(0.0, 4.0, n))
    return net


def test_continued_runs_with_changes_match_brian2():
    """neurolab run(200) + run(400), with the injected current changed in between, against
    Brian2's net.run + net.run with the same change: same spike steps, same weights."""
    import brian2 as b2

    net = build_heterogeneous()
    change = np.linspace(6.0, 0.0, 12)
    # Brian2 first (it reads the network's initial state)
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = net.dt * b2.ms
    model = build_brian2(net, 600.0, b2=b2)
    g = model.groups["exc"]
    g.I_ext = net.currents["drive"].amplitude[1]
    b2_net = b2.Network(model.objects)
    b2_net.run(200.0 * b2.ms)
    g.I_ext = change
    b2_net.run(400.0 * b2.ms)
    steps, ids = monitor_steps(model.monitors["exc"], net.dt, b2)
    order = np.lexsort((ids, steps))
    b2_spikes = {tuple(x) for x in np.stack([steps[order], ids[order]], axis=1).tolist()}

    first = net.run(200.0, progress=False)
    net.currents["drive"].amplitude = change
    second = net.run(400.0, progress=False)
    assert net.t == pytest.approx(600.0)
    t = np.concatenate([first.spikes["exc"].t, second.spikes["exc"].t])
    i = np.concatenate([first.spikes["exc"].i, second.spikes["exc"].i])
    ours = {(int(round(a / net.dt)), int(b)) for a, b in zip(t, i)}
    assert len(ours) >= 40 and len(second.spikes["exc"]) >= 20
    common = len(ours & b2_spikes)
    assert common >= 0.99 * max(len(ours), len(b2_spikes)), (len(ours), len(b2_spikes), common)
    np.testing.assert_allclose(second.final_weights["inp->exc"],
                               np.asarray(model.synapses["inp->exc"].w[:]), rtol=0, atol=3e-6)


def test_poisson_input_statistics_match_brian2():
    """PoissonInput onto non-spiking delta neurons (v_th out of reach, tau_m huge): the
    per-step increments of v are the source counts. Their mean and variance agree with the
    binomial N p, N p (1 - p) in neurolab and in Brian2's PoissonInput (different draws)."""
    import brian2 as b2

    N, rate, n_targets, n_steps, dt = 200, 25.0, 40, 2000, DT
    p = rate * dt / 1000.0
    # neurolab
    net = nl.Network(dt=dt, seed=3)
    tgt = net.add_lif("t", n_targets, nl.LIFParams(tau_m=1e12, v_rest=0.0, v_th=1e9,
                                                   v_reset=-1.0), v_init=0.0)
    net.add_poisson_input("ext", tgt, n_sources=N, rate=rate, weight=1.0)
    res = net.run(n_steps * dt, record_state={"t": "all"}, progress=False)
    ours = np.rint(np.diff(res.state["t"].v, axis=0)).reshape(-1)
    # Brian2
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = dt * b2.ms
    b2.seed(7)
    g = b2.NeuronGroup(n_targets, "dv/dt = -v/(1e12*ms) : 1", method="exact")
    pin = b2.PoissonInput(g, "v", N, rate * b2.Hz, weight=1.0)
    mon = b2.StateMonitor(g, "v", record=True)
    b2.Network(g, pin, mon).run(n_steps * dt * b2.ms)
    theirs = np.rint(np.diff(np.asarray(mon.v), axis=1)).reshape(-1)
    m = ours.size
    mean, var = N * p, N * p * (1 - p)
    for counts in (ours, theirs):
        assert abs(counts.mean() - mean) < 5 * math.sqrt(var / m)
        # the variance of a sample variance is about 2 var^2 / m for near-normal counts
        assert abs(counts.var() - var) < 5 * var * math.sqrt(2.0 / m) + 0.05 * var
