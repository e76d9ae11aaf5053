"""Inhibitory STDP of Vogels, Sprekeler, Zenke, Clopath & Gerstner 2011 (``VogelsSTDP``).

The rule (neurolab/plasticity/inhibitory.py): traces +1 per spike decaying with ``tau``;
at a presynaptic arrival ``w += eta (x_post - alpha)``, at a postsynaptic spike
``w += eta x_pre``, clipped to ``[w_min, w_max]``; ``alpha = 2 rho_0 tau / 1000`` (rho_0 in
Hz, tau in ms). Summed over pairs: ``+eta exp(-|Δt|/tau)`` per pair, ``-eta alpha`` per
presynaptic spike.

Proof, in this order:

1. analytic protocols, every expected value written out here from the rule above (never
   computed by neurolab): single pairs at many Δt (all four same-step orders, with an
   axonal delay), presynaptic spikes alone, regular trains (a geometric sum), the bounds,
   frozen learning;
2. the kernel against the plain pair-sum reference (tests/reference_vogels.py, through
   tests/reference.py) to 1e-12 on random small networks with delays and refractoriness;
3. the default network does not compile the family (``run_steps.signatures``); continued
   runs equal one run;
4. Brian2 (tests/brian2_model.py ``vogels_code``): same spike steps, weights within
   1e-9 w_max;
5. NEST 3.10 ``vogels_sprekeler_synapse`` (tests/nest_oracle.py): random imposed trains,
   final weights within 1e-9 relative;
6. a demonstration: iSTDP brings output rates to rho_0.

Imposed spikes (as in tests/test_stdp_window.py): pair ``k`` has its own presynaptic source,
postsynaptic LIF neuron and driver; the driver kicks the neuron (static delta synapse,
100 mV) one step before each wanted postsynaptic spike. The plastic synapse is inhibitory
("inh"): it can never make the neuron fire, and at most a few mV of inhibition cannot stop
a 100 mV kick. Every run checks that the postsynaptic spikes are exactly the wanted ones.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.engine import kernels as K

from test_kernel_vs_reference import compare

W0 = 0.5
DT = 0.1
POST = nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-70.0, refractory=0.0,
                    synapse="delta")


def imposed(stdp, pre_steps, post_steps, *, dt=DT, delay=0.0, w0=W0, learning=True,
            tail=20.0):
    """Impose spike trains on independent synapses; return their final weights.

    ``pre_steps[k]``: steps at which presynaptic spikes of synapse k *arrive* (the source
    spikes ``delay`` earlier); ``post_steps[k]``: steps of its postsynaptic spikes (at
    least 2 steps apart). Runs until ``tail`` ms after the last spike."""
    n = len(pre_steps)
    d = int(round(delay / dt))
    pre_t, pre_i, drv_t, drv_i = [], [], [], []
    for k in range(n):
        pre_t += [(s - d) * dt for s in pre_steps[k]]
        pre_i += [k] * len(pre_steps[k])
        drv_t += [(s - 1) * dt for s in post_steps[k]]
        drv_i += [k] * len(post_steps[k])
    last = max([max(s, default=0) for s in list(pre_steps) + list(post_steps)])
    net = nl.Network(dt=dt, seed=0)
    pre = net.add_spikes("pre", n, times=pre_t, indices=pre_i)
    drive = net.add_spikes("drive", n, times=drv_t, indices=drv_i)
    post = net.add_lif("post", n, POST)
    net.connect(drive, post, "one_to_one", weight=100.0)
    proj = net.connect(pre, post, "one_to_one", weight=w0, delay=delay, receptor="inh",
                       stdp=stdp, name="plastic")
    proj.learning = learning
    res = net.run(last * dt + tail, progress=False)
    sp = res.spikes["post"]
    steps = np.rint(np.asarray(sp.t) / dt).astype(int)
    got = sorted(zip(np.asarray(sp.i).tolist(), steps.tolist()))
    want = sorted((k, int(s)) for k in range(n) for s in post_steps[k])
    assert got == want, "postsynaptic spikes not where imposed"
    return res.final_weights["plastic"]


# ------------------------------------------------------------------ 1. analytic protocols
ETA, RHO, TAU = 0.01, 5.0, 20.0
ALPHA = 2 * 5.0 * 20.0 / 1000.0          # 0.2, written out
OFFSETS = np.concatenate([np.arange(-100.0, 100.1, 2.5), np.arange(-5, 6) * 0.1])


def test_alpha_units():
    """alpha = 2 rho_0 tau with rho_0 in Hz and tau in ms: 2 * 3 Hz * 0.020 s = 0.12 (NEST's
    default alpha), 2 * 5 * 0.020 = 0.2."""
    assert nl.VogelsSTDP(rho_0=3.0, tau=20.0).alpha == pytest.approx(0.12, rel=1e-15)
    assert nl.VogelsSTDP(rho_0=5.0, tau=20.0).alpha == pytest.approx(ALPHA, rel=1e-15)
    assert nl.VogelsSTDP(rho_0=10.0, tau=10.0).alpha == pytest.approx(0.2, rel=1e-15)


@pytest.mark.parametrize("same_step, at_zero", [("potentiate", 1.0), ("depress", 1.0),
                                                ("both", 2.0), ("neither", 0.0)])
@pytest.mark.parametrize("delay", [0.0, 1.7])
def test_single_pairs_symmetric_window(same_step, at_zero, delay):
    """One pre arrival and one post spike per synapse, Δt = t_post - t_arrival:
    dw = eta exp(-|Δt|/tau) - eta alpha; at Δt = 0: at_zero * eta - eta alpha."""
    stdp = nl.VogelsSTDP(eta=ETA, rho_0=RHO, tau=TAU, w_max=1.0, same_step=same_step)
    steps = np.unique(np.rint(OFFSETS / DT).astype(int))
    t_pre = 1500
    w = imposed(stdp, [[t_pre]] * steps.size, [[t_pre + int(s)] for s in steps], delay=delay)
    dts = steps * DT
    want = np.array([(at_zero if s == 0 else math.exp(-abs(x) / TAU)) * ETA - ETA * ALPHA
                     for s, x in zip(steps, dts)])
    np.testing.assert_allclose(w - W0, want, rtol=1e-12, atol=1e-15)
    # symmetric: the same change at +Δt and -Δt
    pos = {s: x for s, x in zip(steps, w)}
    for s in steps[steps > 0]:
        assert pos[s] == pytest.approx(pos[-s], rel=0, abs=1e-15)


def test_window_method_matches_the_closed_form():
    for same_step, z in (("potentiate", 1.0), ("both", 2.0), ("neither", 0.0)):
        stdp = nl.VogelsSTDP(eta=ETA, tau=TAU, same_step=same_step)
        np.testing.assert_allclose(stdp.window([-30.0, 0.0, 12.5]),
                                   [ETA * math.exp(-1.5), z * ETA, ETA * math.exp(-0.625)],
                                   rtol=1e-15)


def test_presynaptic_spikes_alone_depress_by_eta_alpha_each():
    """No postsynaptic spike: each arrival subtracts eta alpha (x_post = 0), down to w_min;
    postsynaptic spikes alone change nothing (x_pre = 0)."""
    stdp = nl.VogelsSTDP(eta=ETA, rho_0=RHO, tau=TAU, w_min=0.45, w_max=1.0)
    trains = [list(range(100, 100 + 50 * m, 50)) for m in (1, 3, 10, 40)]
    w = imposed(stdp, trains + [[]], [[], [], [], [], [100, 300, 500]])
    # 0.5 - m * 0.002: m = 1, 3, 10; 40 spikes would reach 0.42: clipped at w_min = 0.45
    np.testing.assert_allclose(w, [0.498, 0.494, 0.48, 0.45, 0.5], rtol=0, atol=1e-15)


def _geometric(N, q):
    """sum_{m=0}^{N-1} (N - m) q^m, in closed form."""
    return N / (1 - q) - q * (1 - q ** N) / (1 - q) ** 2


@pytest.mark.parametrize("delta_steps", [30, 0, -70])
def test_regular_trains_geometric_sum(delta_steps):
    """N pre arrivals every T ms and N post spikes every T ms, post k at pre k + δ
    (|δ| < T). All-to-all: sum over the pairs (i, k) of eta exp(-|(k - i) T + δ|/tau) minus
    N eta alpha. With q = exp(-T/tau) and G(N, q) = sum_{m=0}^{N-1} (N - m) q^m:
      δ >= 0:  eta [e^{-δ/tau} G(N, q) + e^{δ/tau} (G(N, q) - N)] - N eta alpha
    (pairs k >= i at distance m T + δ, pairs k < i at m T - δ, m >= 1), and by symmetry
    the same with |δ| for δ < 0. (δ = 0 counts each coincident pair once: 'potentiate'.)"""
    N, T_steps = 25, 200
    T, delta = T_steps * DT, abs(delta_steps) * DT
    q = math.exp(-T / TAU)
    G = _geometric(N, q)
    want = (ETA * (math.exp(-delta / TAU) * G + math.exp(delta / TAU) * (G - N))
            - N * ETA * ALPHA)
    # the closed form checked against the explicit double sum (both written here)
    direct = sum(math.exp(-abs((k - i) * T + delta_steps * DT) / TAU)
                 for i in range(N) for k in range(N)) * ETA - N * ETA * ALPHA
    assert want == pytest.approx(direct, rel=1e-12)
    stdp = nl.VogelsSTDP(eta=ETA, rho_0=RHO, tau=TAU, w_min=0.0, w_max=1.0)
    pre = [1000 + i * T_steps for i in range(N)]
    post = [s + delta_steps for s in pre]
    w = imposed(stdp, [pre], [post])
    assert w[0] - W0 == pytest.approx(want, rel=1e-11, abs=1e-15)


def test_upper_bound_and_frozen_learning():
    """Potentiation stops at w_max; with learning frozen the weight does not move (its
    traces still follow the spikes: learning switched on later starts from them)."""
    stdp = nl.VogelsSTDP(eta=0.2, rho_0=0.0, tau=TAU, w_max=0.6)
    pre, post = [[1000, 1010, 1020]] * 2, [[1005, 1015]] * 2
    assert (imposed(stdp, pre, post) == 0.6).all()
    np.testing.assert_array_equal(imposed(stdp, pre, post, learning=False), W0)


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="tau must be > 0 ms"):
        nl.VogelsSTDP(tau=0.0)
    with pytest.raises(ValueError, match="rho_0 must be >= 0 Hz"):
        nl.VogelsSTDP(rho_0=-1.0)
    with pytest.raises(ValueError, match="eta must be >= 0"):
        nl.VogelsSTDP(eta=-0.1)
    with pytest.raises(ValueError, match="same_step must be one of"):
        nl.VogelsSTDP(same_step="sometimes")
    with pytest.raises(ValueError, match="w_max must be > w_min"):
        nl.VogelsSTDP(w_min=1.0, w_max=1.0)
    with pytest.raises(TypeError, match="eta must be a real number"):
        nl.VogelsSTDP(eta="0.1")
    net = nl.Network(dt=0.1)
    a = net.add_poisson("a", 2, rates=5.0)
    b = net.add_lif("b", 2)
    with pytest.raises(ValueError, match="w_min must be >= 0"):
        net.connect(a, b, stdp=nl.VogelsSTDP(w_min=-1.0), receptor="inh")
    coarse = nl.Network(dt=0.5)
    c_a, c_b = coarse.add_poisson("a", 1, rates=5.0), coarse.add_lif("b", 1)
    with pytest.raises(ValueError, match="dt must not exceed"):
        coarse.connect(c_a, c_b, stdp=nl.VogelsSTDP(tau=0.4), receptor="inh")
    proj = net.connect(a, b, stdp=nl.VogelsSTDP(), receptor="inh", weight=0.5)
    with pytest.raises(ValueError, match="set_stdp cannot change"):
        proj.set_stdp(nl.STDPParams())
    proj.set_stdp(nl.VogelsSTDP(eta=0.5, rho_0=7.0))       # same family: allowed


# ------------------------------------------------------------------ 2. kernel == reference
SYNAPSES = ("delta", "current", "conductance")


def vogels_network(seed, synapse):
    """Poisson inputs -> LIF ``A`` (``synapse``) and LIF ``I``; ``I -> A`` inhibitory with
    the Vogels rule (heterogeneous axonal delays 0..3 ms), ``inp -> A`` with the pair rule
    (both families in one kernel), ``A -> I`` static, and a second Vogels projection
    ``inp -> I`` on an excitatory receptor (one delay). Refractoriness K = 0, 1 or longer;
    same_step, eta, rho_0, tau and dt drawn."""
    rng = np.random.default_rng([seed, SYNAPSES.index(synapse), 2011])
    dt = float(rng.choice([0.1, 0.05, 0.2]))
    duration = 300.0
    net = nl.Network(dt=dt, seed=seed)
    inp = net.add_poisson("inp", 30, rates=rng.uniform(20.0, 50.0, 30))
    scale = {"delta": (4.0, 1.0), "current": (12.0, 3.0), "conductance": (0.25, 0.1)}[synapse]

    def lif(name, syn, n):
        return net.add_lif(name, n, nl.LIFParams(
            tau_m=float(rng.choice([10.0, 20.0])), v_rest=-70.0, v_th=-54.0, v_reset=-60.0,
            refractory=float(rng.choice([0.0, dt, 0.5, 2.0])), synapse=syn, tau_e=5.0,
            tau_i=float(rng.choice([10.0, 4.0])), E_e=0.0, E_i=-80.0),
            v_init=rng.uniform(-70.0, -56.0, n))

    A, I = lif("A", synapse, 10), lif("I", synapse, 6)

    def rule(w_max):
        return nl.VogelsSTDP(eta=0.05 * w_max, rho_0=float(rng.uniform(2.0, 30.0)),
                             tau=float(rng.choice([20.0, 10.0])), w_min=0.0, w_max=w_max,
                             same_step=str(rng.choice(["potentiate", "depress", "both",
                                                       "neither"])))

    def conn(pre, post, p, w_hi, **kw):
        pre_ids, post_ids = np.nonzero(rng.random((pre.n, post.n)) < p)
        return net.connect(pre, post, "explicit", pre_ids=pre_ids, post_ids=post_ids,
                           weight=rng.uniform(0.0, w_hi, pre_ids.size), **kw)

    e, i = scale
    conn(inp, A, 0.5, e, stdp=nl.STDPParams(A_plus=0.02 * e, A_minus=0.021 * e, w_max=e))
    conn(inp, I, 0.4, e, stdp=rule(e), delay=float(rng.integers(1, 20)) * dt)
    conn(A, I, 0.5, 0.7 * e)
    net.connect(I, A, "all_to_all", weight=rng.uniform(0.0, i, 60), receptor="inh",
                delay=rng.integers(0, 31, 60) * dt, stdp=rule(i), name="I->A")
    return net, duration


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("synapse", SYNAPSES)
def test_kernel_matches_reference(synapse, seed):
    net, duration = vogels_network(seed, synapse)
    w0 = net.projections["I->A"].weight.copy()
    res, ref = compare(net, duration)
    # meaningful only if both sides spike and the plastic weights moved
    assert len(ref["spikes"]["A"]) >= 10 and len(ref["spikes"]["I"]) >= 5
    assert np.abs(ref["weights"]["I->A"] - w0).max() > 1e-3 * net.projections["I->A"].stdp.w_max


def test_same_step_orders_match_reference_with_coincidences():
    """Imposed trains with many same-step pre/post pairs, every same_step order: the kernel
    equals the pair-sum reference (which orders same-step pairs by definition), with
    weights reaching both bounds."""
    rng = np.random.default_rng(7)
    for same in ("potentiate", "depress", "both", "neither"):
        net = nl.Network(dt=DT, seed=1)
        pre_steps = np.unique(rng.integers(0, 3000, 120))
        post_steps = np.unique(np.concatenate([pre_steps[::3], rng.integers(0, 3000, 40)]))
        post_steps = post_steps[np.concatenate([[True], np.diff(post_steps) >= 2])]
        n = 3
        pre = net.add_spikes("pre", n, times=np.tile(pre_steps * DT, n),
                             indices=np.repeat(np.arange(n), pre_steps.size))
        drive = net.add_spikes("drive", n, times=np.tile((post_steps - 1) * DT, n),
                               indices=np.repeat(np.arange(n), post_steps.size))
        post = net.add_lif("post", n, POST)
        net.connect(drive, post, "one_to_one", weight=100.0)
        net.connect(pre, post, "one_to_one", weight=[0.1, 0.5, 0.9], receptor="inh",
                    name="plastic", stdp=nl.VogelsSTDP(eta=0.05, rho_0=20.0, w_max=1.0,
                                                       same_step=same))
        res, ref = compare(net, 310.0)
        assert len(ref["spikes"]["post"]) == n * post_steps.size


# ------------------------------------------------------------------ 3. compiled only when used
def test_default_network_does_not_compile_the_family():
    """The kernel specialisation of a network without VogelsSTDP takes ``inh`` as None
    (numba prunes the ``if inh is not None`` branches); a Vogels network gets its own."""
    net = nl.Network(dt=DT, seed=0)
    inp = net.add_poisson("inp", 5, rates=10.0)
    out = net.add_lif("out", 2)
    net.connect(inp, out, weight=1.0, stdp=nl.STDPParams(w_max=2.0))
    net.run(5.0, progress=False)
    assert net._ensure_state().families[1] is None
    imposed(nl.VogelsSTDP(), [[10]], [[20]])
    inh = {str(sig[9]) for sig in K.run_steps.signatures}
    assert "none" in inh
    assert any(s.startswith("VogelsState(") for s in inh), inh


def test_continued_runs_and_store_restore_equal_one_run():
    """run(120) + run(180) gives bitwise the run(300) result (traces, weights, spikes in
    flight are kept), and restore() returns to the stored state."""
    net, _ = vogels_network(1, "conductance")
    whole = net.run(300.0, progress=False, record_spikes="all")
    net, _ = vogels_network(1, "conductance")
    a = net.run(120.0, progress=False, record_spikes="all")
    net.store()
    b = net.run(180.0, progress=False, record_spikes="all")
    for name in ("I->A", "inp->I"):
        np.testing.assert_array_equal(b.final_weights[name], whole.final_weights[name])
    for pop in ("A", "I"):
        np.testing.assert_array_equal(np.concatenate([a.spikes[pop].t, b.spikes[pop].t]),
                                      whole.spikes[pop].t)
    net.restore()
    again = net.run(180.0, progress=False, record_spikes="all")
    np.testing.assert_array_equal(again.final_weights["I->A"], b.final_weights["I->A"])


# ------------------------------------------------------------------ 4. Brian2
def brian2_network(synapse, seed=4):
    """inp -> exc, inp -> inh (static), exc -> inh (static), inh -> exc plastic (Vogels),
    heterogeneous axonal delays 0..3 ms, refractoriness 2 ms (exc) and 1 ms (inh)."""
    rng = np.random.default_rng(seed)
    duration = 400.0
    hits = rng.random((int(duration / DT), 40)) < 30.0 * DT * 1e-3
    steps, ids = np.nonzero(hits)
    net = nl.Network(dt=DT, seed=seed)
    inp = net.add_spikes("inp", 40, times=steps * DT, indices=ids)
    base = dict(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0, synapse=synapse,
                tau_e=5.0, tau_i=7.0, E_e=0.0, E_i=-80.0)
    exc = net.add_lif("exc", 12, nl.LIFParams(refractory=2.0, **base),
                      v_init=rng.uniform(-70.0, -56.0, 12))
    inh = net.add_lif("inh", 5, nl.LIFParams(refractory=1.0, **base),
                      v_init=rng.uniform(-70.0, -56.0, 5))
    e, i = {"delta": (5.0, 3.0), "current": (16.0, 12.0), "conductance": (0.3, 0.3)}[synapse]

    def conn(pre, post, p, w, **kw):
        a, b = np.nonzero(rng.random((pre.n, post.n)) < p)
        return net.connect(pre, post, "explicit", pre_ids=a, post_ids=b, weight=w, **kw)

    conn(inp, exc, 0.3, e)
    conn(inp, inh, 0.3, 0.6 * e, delay=1.0)
    conn(exc, inh, 0.5, 0.5 * e)
    a, b = np.nonzero(rng.random((5, 12)) < 0.7)
    net.connect(inh, exc, "explicit", pre_ids=a, post_ids=b, receptor="inh",
                weight=rng.uniform(0.0, i, a.size), delay=rng.integers(0, 31, a.size) * DT,
                stdp=nl.VogelsSTDP(eta=0.04 * i, rho_0=10.0, tau=20.0, w_max=i),
                name="inh->exc")
    return net, duration


@pytest.mark.brian2
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("synapse", SYNAPSES)
def test_brian2_same_spikes_and_weights(synapse):
    pytest.importorskip("brian2")
    from test_brian2_oracle import brian2_simulate, neurolab_simulate
    net, duration = brian2_network(synapse)
    w0 = net.projections["inh->exc"].weight.copy()
    b2 = brian2_simulate(net, duration)          # first: it reads the initial state
    ours = neurolab_simulate(net, duration)
    for name in net.populations:
        np.testing.assert_array_equal(ours["spikes"][name], b2["spikes"][name],
                                      err_msg=f"spikes of {name!r}")
    assert len(b2["spikes"]["exc"]) >= 30 and len(b2["spikes"]["inh"]) >= 10
    w_max = net.projections["inh->exc"].stdp.w_max
    np.testing.assert_allclose(ours["weights"]["inh->exc"], b2["weights"]["inh->exc"],
                               rtol=0, atol=1e-9 * w_max)
    assert np.abs(b2["weights"]["inh->exc"] - w0).max() > 0.01 * w_max


# ------------------------------------------------------------------ 5. NEST
def random_trains(rng, n_steps, rate_pre, rate_post, coincide):
    """Random pre-arrival and post steps (Bernoulli per step; posts >= 2 steps apart);
    ``coincide``: also put about a third of the posts on pre arrivals."""
    pre = np.flatnonzero(rng.random(n_steps) < rate_pre * DT * 1e-3) + 10
    post = np.flatnonzero(rng.random(n_steps) < rate_post * DT * 1e-3) + 10
    if coincide:
        post = np.union1d(post, rng.choice(pre, size=max(1, pre.size // 3), replace=False))
    else:
        post = np.setdiff1d(post, pre)
    keep = np.concatenate([[True], np.diff(post) >= 2])
    return pre, post[keep]


@pytest.mark.nest
@pytest.mark.parametrize("same_step, coincide", [("neither", True), ("potentiate", False)])
def test_nest_random_trains(same_step, coincide):
    """NEST's vogels_sprekeler_synapse with eta, alpha = 2 rho_0 tau / 1000, tau (and the post
    parrot's tau_minus = tau, the harness's default), Wmax = w_max: the same trains at the
    synapse give the same final weight within 1e-9 relative. NEST discards zero-interval
    pairs: with coincident spikes the neurolab side uses same_step="neither"; with the
    default order the trains avoid coincidences. NEST clips w + eta x_post at Wmax before it
    subtracts eta alpha: w_max is set out of reach (w stays below it; the lower bound 0 is
    reached and is the same in both). The harness appends a flush pre spike 50 ms after the
    last spike (NEST applies the potentiation of a post spike at the next pre spike); the
    neurolab side gets it too (``result.pre_times``). NEST's t = 0 pseudo-spike does nothing
    here (its presynaptic trace Kplus starts at 0)."""
    pytest.importorskip("nest")
    from nest_oracle import run_synapse
    rng = np.random.default_rng(11 if coincide else 12)
    eta, rho_0, tau, w_max = 0.02, 30.0, 15.0, 50.0
    stdp = nl.VogelsSTDP(eta=eta, rho_0=rho_0, tau=tau, w_min=0.0, w_max=w_max,
                         same_step=same_step)
    nest_params = {"eta": eta, "alpha": 2 * rho_0 * tau / 1000.0, "tau": tau, "Wmax": w_max}
    pre_all, post_all, w_nest, w0s, hit_zero = [], [], [], [], 0
    for k in range(6):
        pre, post = random_trains(rng, 20000, rng.uniform(10.0, 60.0),
                                  rng.uniform(5.0, 80.0), coincide)
        w0 = float(rng.uniform(0.01, 0.3))
        r = run_synapse("vogels_sprekeler_synapse", pre * DT, post * DT, w0=w0,
                        syn_params=nest_params, delay=1.0, dt=DT, flush=50.0)
        pre_all.append(np.rint(r.pre_times / DT).astype(int).tolist())
        post_all.append(post.tolist())
        w_nest.append(r.w_final)
        w0s.append(w0)
        hit_zero += bool((r.weights == 0.0).any())
        assert r.weights.max() < w_max / 2               # the upper bound out of reach
        if coincide:
            assert np.intersect1d(pre, post).size >= 5
    ours = imposed_w0(stdp, pre_all, post_all, w0s, delay=0.7)
    np.testing.assert_allclose(ours, w_nest, rtol=1e-9, atol=1e-12)
    # both directions and the lower bound are exercised
    assert max(w_nest) > 2 * max(w0s) and hit_zero >= 1


@pytest.mark.nest
def test_nest_negative_weights_are_magnitudes():
    """A NEST inhibitory synapse with negative weight and negative Wmax learns |w| by the
    same rule: its weight is minus neurolab's magnitude."""
    pytest.importorskip("nest")
    from nest_oracle import run_synapse
    rng = np.random.default_rng(5)
    pre, post = random_trains(rng, 5000, 30.0, 20.0, False)
    params = {"eta": 0.03, "alpha": 0.2, "tau": 20.0}
    r_neg = run_synapse("vogels_sprekeler_synapse", pre * DT, post * DT, w0=-0.3,
                        syn_params={**params, "Wmax": -40.0, "weight": -0.3}, dt=DT,
                        flush=50.0)        # the model's default weight must change sign too
    r_pos = run_synapse("vogels_sprekeler_synapse", pre * DT, post * DT, w0=0.3,
                        syn_params={**params, "Wmax": 40.0}, dt=DT, flush=50.0)
    assert r_neg.w_final == -r_pos.w_final
    rule = nl.VogelsSTDP(eta=0.03, rho_0=5.0, tau=20.0, w_max=40.0, same_step="neither")
    ours = imposed_w0(rule, [np.rint(r_neg.pre_times / DT).astype(int).tolist()],
                      [post.tolist()], [0.3])
    assert ours[0] == pytest.approx(-r_neg.w_final, rel=1e-9)


def imposed_w0(stdp, pre_steps, post_steps, w0s, delay=0.0):
    """``imposed`` with one initial weight per synapse."""
    return imposed(stdp, pre_steps, post_steps, w0=np.asarray(w0s, dtype=float), delay=delay)


# ------------------------------------------------------------------ 6. demonstration
def test_istdp_drives_the_output_rate_to_rho_0():
    """Two groups of 16 conductance-based LIF neurons (tau_m 20 ms, threshold 10 mV above
    rest, 5 ms refractory) receive an excitatory Poisson drive (500 sources at 8 Hz each,
    g_e += 0.02) and plastic inhibition from the same 100 Poisson sources at 10 Hz
    (receptor "inh", starting at w = 0); group "lo" learns with rho_0 = 5 Hz, group "hi"
    with rho_0 = 15 Hz (eta = 0.01, tau = 20 ms). Without learning (first 0.5 s, frozen)
    both fire at ~ 56 Hz. After 4 s of learning, the mean rate of each group over the next
    2 s (still learning) must lie within 30 % of its own rho_0.

    Tolerance. For independent trains the drift 2 eta r_pre tau (r_post - rho_0) vanishes
    at r_post = rho_0. Here an inhibitory spike lowers the postsynaptic firing probability
    just after it, so the x_pre seen at postsynaptic spikes is below r_pre tau, and the
    fixed point lies slightly above rho_0. The rate estimate counts 16 * 2 s * rho_0 = 160
    spikes for rho_0 = 5 Hz: 1/sqrt(160) ~ 8 % counting error (1 sigma), plus the weight
    fluctuations eta leaves. Over 12 seeds (this configuration, checked when the test was
    written) the final rates were 0.90 .. 1.24 rho_0 for "lo" (mean 1.08, SD 0.09) and
    1.00 .. 1.07 rho_0 for "hi" (mean 1.035, SD 0.025); 30 % is the +8 % bias plus ~ 2.4 SD
    for "lo". The baseline is more than 3.5 times either target, so passing needs the rule
    to work, and the two groups must end at clearly different rates."""
    n = 16
    net = nl.Network(dt=DT, seed=3)
    p = nl.LIFParams(tau_m=20.0, v_rest=-60.0, v_th=-50.0, v_reset=-60.0, refractory=5.0,
                     synapse="conductance", tau_e=5.0, tau_i=10.0, E_e=0.0, E_i=-80.0)
    inh = net.add_poisson("I", 100, rates=10.0)
    targets = {"lo": 5.0, "hi": 15.0}
    projs = []
    for name, rho in targets.items():
        g = net.add_lif(name, n, p)
        net.add_poisson_input(f"E->{name}", g, n_sources=500, rate=8.0, weight=0.02)
        projs.append(net.connect(inh, g, "all_to_all", weight=0.0, receptor="inh",
                                 stdp=nl.VogelsSTDP(eta=0.01, rho_0=rho, tau=20.0, w_max=1.0)))
        projs[-1].learning = False
    frozen = net.run(500.0, progress=False)
    for proj in projs:
        proj.learning = True
    net.run(4000.0, progress=False)
    last = net.run(2000.0, progress=False)
    rate = {name: len(last.spikes[name].t) / (n * 2.0) for name in targets}
    for name, rho in targets.items():
        assert len(frozen.spikes[name].t) / (n * 0.5) > 3.5 * rho
        assert abs(rate[name] - rho) < 0.3 * rho, (name, rate[name], rho)
    assert rate["hi"] > 2 * rate["lo"]
