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

import numpy as np
import pytest

import neurolab as nl

try:
    from brian2_model import build_brian2, monitor_steps
except ImportError:  # tests/ imported as a package
    from tests.brian2_model import build_brian2, monitor_steps

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
    res = net.run(duration, progress=False)
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
    net = build()
    return net, neurolab_simulate(net, duration), brian2_simulate(net, duration)


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
    sign = 1.0 if synapse == "conductance" else -1.0

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
    conn(inh, exc, 0.5, sign * scale[2], receptor="inh")
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
    w0 = net.projections["inp->out"].weight
    assert np.abs(b["weights"]["inp->out"] - w0).max() > 1e-3


def test_song_miller_abbott(sma):
    net, a, b = sma
    assert_match(net, a, b, min_spikes=5)
    w0 = net.projections["inp->out"].weight
    assert np.abs(b["weights"]["inp->out"] - w0).max() > 1e-5


def test_recurrent_delays_refractory(recurrent):
    net, a, b = recurrent
    assert_match(net, a, b, min_spikes=20)
    assert len(b["spikes"]["inh"]) >= 5
