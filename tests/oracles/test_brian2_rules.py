"""Every form of the pair rule against Brian2, spike for spike: pairing schemes x same-step
orders, Gütig soft bounds and the power-law rule.

The Brian2 side is written from the rules' definitions (tests/brian2_pair.py: traces as
event-driven synapse variables, flags for the restricted scheme, same-step order as the
order of Brian2's pathways), the translation of the network from its documented attributes
(tests/brian2_model.py). Both run the same network; the test asks for

- the same spike steps of every population (all of them: no tolerance), and
- the same final weights of every plastic projection within ``1e-9 * w_max``.

Network (one per pairing scheme; every rule in it gets its own copy of the same circuit, so
a difference points at one rule): 30 explicit Poisson sources (40 Hz) -> a population of
6 delta LIF neurons (refractory 2 ms), plastic, heterogeneous axonal delays 0 .. 3 ms;
recurrent plastic synapses among the 6 (delays 0 .. 3 ms, with autapses: an autapse of
delay 0 makes every spike of its neuron a same-step pair); a drive source (30 mV, static)
makes the neurons spike exactly when chosen input spikes arrive, so same-step pre/post pairs
are frequent (the test counts them: each rule sees at least 20 on its input projection).
Copies: the four same-step orders with the additive rule, and one Gütig soft-bound copy
(mu = 0.5 potentiation, mu_minus = 1 depression; its same-step order differs per scheme,
so the four networks cover soft bounds under every order). A fifth network runs the
power-law rule under every scheme (each with another same-step order, one of them with
``w_max = inf``). Covering: every scheme x every same-step order (additive), soft bounds
and power law under every scheme and every order (not every pair of both: the weight
dependence acts through the same two update functions whatever the scheme and order).
"""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl
from neurolab.plasticity import PowerLawSTDP

from brian2_model import build_brian2, monitor_steps

pytestmark = [
    pytest.mark.brian2,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

DT = 0.1            # ms
DURATION = 300.0    # ms
N_IN, N_E = 30, 6
W_IN, W_REC = 4.0, 3.0          # w_max of the input / recurrent projections (mV)
SCHEMES = ("all_to_all", "nearest_symmetric", "presynaptic_centred", "restricted")
ORDERS = ("potentiate", "depress", "both", "neither")


def stdp_for(kind, pairing, same_step, w_max, scale=1.0):
    """The rule of one copy: additive, soft-bound or power law."""
    if kind == "power":
        return PowerLawSTDP(lambda_=0.02 * scale, alpha=1.1, mu=0.4, w0=1.0, tau_plus=16.8,
                            tau_minus=33.7, w_max=w_max, pairing=pairing,
                            same_step=same_step)
    mu = (0.5, 1.0) if kind == "soft" else (0.0, 0.0)
    return nl.STDPParams(A_plus=0.04 * w_max, A_minus=0.042 * w_max, tau_plus=16.8,
                         tau_minus=33.7, w_min=0.0, w_max=w_max, pairing=pairing,
                         same_step=same_step, mu=mu[0], mu_minus=mu[1])


def build(copies, seed=7):
    """``copies``: list of (name, kind, pairing, same_step, w_max_in, w_max_rec)."""
    rng = np.random.default_rng(seed)
    n_steps = int(round(DURATION / DT))
    hits = rng.random((n_steps, N_IN)) < 40.0 * DT * 1e-3
    in_steps, in_ids = np.nonzero(hits)
    net = nl.Network(dt=DT, seed=seed)
    inp = net.add_spikes("inp", n=N_IN, times=in_steps * DT, indices=in_ids)
    # one circuit, copied for every rule
    pre_in, post_in = np.nonzero(rng.random((N_IN, N_E)) < 0.4)
    d_in = rng.integers(0, 31, pre_in.size)                 # steps
    w_in = rng.uniform(0.2, 0.8, pre_in.size)               # fraction of w_max
    pre_rec, post_rec = np.nonzero(rng.random((N_E, N_E)) < 0.4)
    d_rec = rng.integers(0, 31, pre_rec.size)
    auto = pre_rec == post_rec
    d_rec[auto] = 0                                          # autapses: same-step pairs
    w_rec = rng.uniform(0.2, 0.8, pre_rec.size)
    v0 = rng.uniform(-70.0, -56.0, N_E)
    # drive: post spike of neuron j exactly at the arrival of a chosen input spike on one
    # of its input synapses (kick one step before; refractoriness may swallow some)
    k = rng.choice(pre_in.size, 40)
    drive = {}
    for s in k:
        for m in np.flatnonzero(in_ids == pre_in[s])[:3]:
            step = in_steps[m] + d_in[s] - 1
            if 0 <= step < n_steps - 1:
                drive[(int(step), int(post_in[s]))] = True
    d_steps = np.array([a for a, _ in drive], dtype=np.int64)
    d_ids = np.array([b for _, b in drive], dtype=np.int64)
    drv = net.add_spikes("drive", n=N_E, times=d_steps * DT, indices=d_ids)
    lif = nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0,
                       refractory=2.0, synapse="delta")
    for name, kind, pairing, same, wmax_in, wmax_rec in copies:
        exc = net.add_lif(name, N_E, lif, v_init=v0)
        net.connect(drv, exc, "one_to_one", weight=30.0, name=f"drive->{name}")
        scale_in = wmax_in if np.isfinite(wmax_in) else W_IN
        scale_rec = wmax_rec if np.isfinite(wmax_rec) else W_REC
        net.connect(inp, exc, "explicit", pre_ids=pre_in, post_ids=post_in,
                    weight=w_in * scale_in, delay=d_in * DT,
                    stdp=stdp_for(kind, pairing, same, wmax_in), name=f"in->{name}")
        net.connect(exc, exc, "explicit", pre_ids=pre_rec, post_ids=post_rec,
                    weight=w_rec * scale_rec, delay=d_rec * DT,
                    stdp=stdp_for(kind, pairing, same, wmax_rec, 0.5), name=f"rec->{name}")
    return net


def brian2_run(net, duration):
    import brian2 as b2

    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = net.dt * b2.ms
    model = build_brian2(net, duration, b2=b2)
    for name, pr in net.projections.items():
        S = model.synapses[name]
        assert np.array_equal(np.asarray(S.i[:]), pr.pre_ids)
        assert np.array_equal(np.asarray(S.j[:]), pr.post_ids)
    b2.Network(model.objects).run(int(round(duration / net.dt)) * net.dt * b2.ms)
    spikes = {}
    for name, mon in model.monitors.items():
        steps, ids = monitor_steps(mon, net.dt, b2)
        spikes[name] = set(zip(steps.tolist(), ids.tolist()))
    weights = {name: np.array(S.w[:], dtype=np.float64) for name, S in model.synapses.items()}
    return spikes, weights


def neurolab_run(net, duration):
    res = net.run(duration, progress=False, record_spikes="all")
    spikes = {}
    for name in net.populations:
        rec = res.spikes[name]
        steps = np.rint(np.asarray(rec.t) / net.dt).astype(np.int64)
        spikes[name] = set(zip(steps.tolist(), np.asarray(rec.i).tolist()))
    weights = {name: np.asarray(res.final_weights[name], dtype=np.float64)
               for name in net.projections}
    return spikes, weights


def same_step_pairs(pr, spikes, dt):
    """Number of (synapse, step) with an arrival and a postsynaptic spike in that step."""
    pre = spikes[pr.pre.name]
    post = spikes[pr.post.name]
    d = np.rint(pr.delay / dt).astype(np.int64)
    post_steps = {}
    for step, j in post:
        post_steps.setdefault(j, set()).add(step)
    n = 0
    by_pre = {}
    for step, i in pre:
        by_pre.setdefault(i, []).append(step)
    for s, (i, j) in enumerate(zip(pr.pre_ids.tolist(), pr.post_ids.tolist())):
        steps = post_steps.get(j, ())
        n += sum((t + d[s]) in steps for t in by_pre.get(i, ()))
    return n


def compare(copies, seed=7):
    net = build(copies, seed)
    w_init = {name: pr.weight.copy() for name, pr in net.projections.items()}
    b_spk, b_w = brian2_run(net, DURATION)         # first: it reads the initial state
    n_spk, n_w = neurolab_run(net, DURATION)
    for name, pop in net.populations.items():
        a, b = n_spk[name], b_spk[name]
        assert a == b, (f"{name!r}: spikes differ; only neurolab: {sorted(a - b)[:5]}, "
                        f"only Brian2: {sorted(b - a)[:5]} (of {len(a)} / {len(b)})")
        if pop.kind == "lif":
            assert len(a) >= 30, f"{name!r} hardly spikes: {len(a)}"
    for name, pr in net.projections.items():
        if pr.stdp is None:
            continue
        w_max = pr.stdp.w_max
        scale = w_max if np.isfinite(w_max) else float(np.abs(b_w[name]).max())
        err = np.abs(n_w[name] - b_w[name])
        k = int(np.argmax(err))
        assert err[k] <= 1e-9 * scale, (
            f"{name!r} ({pr.stdp.pairing}, {pr.stdp.same_step}): weight {k} differs by "
            f"{err[k]:.3g} (neurolab {n_w[name][k]!r}, Brian2 {b_w[name][k]!r})")
        assert np.abs(b_w[name] - w_init[name]).max() > 1e-3 * scale, f"{name!r}: no learning"
        if name.startswith("in->"):
            n_same = same_step_pairs(pr, n_spk, net.dt)
            assert n_same >= 20, f"{name!r}: only {n_same} same-step pairs"
    return n_w


@pytest.mark.parametrize("pairing", SCHEMES)
def test_scheme_every_same_step_order(pairing):
    """One scheme, the four same-step orders (additive) and one soft-bound copy."""
    soft_order = ORDERS[SCHEMES.index(pairing)]
    copies = [(f"e_{same}", "additive", pairing, same, W_IN, W_REC) for same in ORDERS]
    copies.append((f"e_soft_{soft_order}", "soft", pairing, soft_order, W_IN, W_REC))
    w = compare(copies)
    # the same-step order matters here: every two orders end with other weights
    for i, a in enumerate(ORDERS):
        for b in ORDERS[i + 1:]:
            diff = np.abs(w[f"in->e_{a}"] - w[f"in->e_{b}"]).max()
            assert diff > 1e-3 * W_IN, f"{a} and {b} give the same weights ({diff:.3g})"


def test_power_law_every_scheme():
    """The power-law rule under every scheme, each with another same-step order; one
    copy unbounded above (NEST's stdp_pl_synapse_hom has no w_max)."""
    copies = [("p_all", "power", "all_to_all", "neither", np.inf, np.inf),
              ("p_near", "power", "nearest_symmetric", "both", W_IN, W_REC),
              ("p_centred", "power", "presynaptic_centred", "potentiate", W_IN, W_REC),
              ("p_restr", "power", "restricted", "depress", W_IN, W_REC)]
    compare(copies)
