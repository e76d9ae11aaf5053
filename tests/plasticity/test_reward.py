"""Reward-modulated STDP (``RewardSTDP``: Izhikevich 2007; NEST stdp_dopamine_synapse).

1. Analytic protocols: closed forms written here by hand (eligibility from one pair, one
   dopamine pulse, decay of the eligibility, the baseline, continuous bounds, rewards in
   one step, learning switched off, weights set between runs).
2. The kernel against the reference simulator (tests/reference_reward.py: explicit sums
   over pairs and rewards) on random small networks, to 1e-12 of w_max.
3. Brian2 (tests/brian2_reward.py): same spike steps, weights within 1e-9 w_max.
4. NEST stdp_dopamine_synapse (tests/nest_oracle.py): final weights within 1e-9 relative.

Imposed spikes as in tests/test_stdp_window.py: a ``drive`` source kicks a delta LIF neuron
50 mV one step before the wanted postsynaptic spike; the plastic synapse (onto a neuron 30 mV
below threshold, reset to rest) does not make it fire (checked in every test).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl

from nest_oracle import run_synapse
from reference import reference_simulate

e = math.exp
W0 = 0.5
LIF = nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-40.0, v_reset=-70.0, refractory=0.0,
                   synapse="delta")
# eligibility and dopamine time constants (ms) and tau_k = 1/(1/tau_c + 1/tau_d)
TC, TD = 150.0, 40.0
TK = 1.0 / (1.0 / TC + 1.0 / TD)
AP, AM, TP, TM = 0.1, 0.12, 16.8, 33.7


def rule(**kw):
    base = dict(A_plus=AP, A_minus=AM, tau_plus=TP, tau_minus=TM, tau_c=TC, tau_d=TD,
                w_min=0.0, w_max=1.0)
    base.update(kw)
    return nl.RewardSTDP(**base)


def imposed(cases, duration, dt=0.1, delay=0.0, w0=W0, record_dt=None, runs=None):
    """One synapse per case ``{"pre": arrivals, "post": times, "reward": times or a list
    of lists (one per reward neuron), "rule": RewardSTDP without reward}``, each with its own
    neurons and reward source ``da<k>``. Returns (net, results, projections)."""
    net = nl.Network(dt=dt, seed=0)
    projs = []
    for k, case in enumerate(cases):
        pre_t = np.asarray(case["pre"], float) - delay
        pre = net.add_spikes(f"pre{k}", 1, times=pre_t, indices=np.zeros(pre_t.size, int))
        post = net.add_lif(f"post{k}", 1, LIF)
        post_t = np.asarray(case.get("post", []), float)
        if post_t.size:
            drive = net.add_spikes(f"drive{k}", 1, times=post_t - dt,
                                   indices=np.zeros(post_t.size, int))
            net.connect(drive, post, weight=50.0)
        reward = case.get("reward", [])
        trains = reward if reward and isinstance(reward[0], (list, tuple)) else [reward]
        times = np.concatenate([np.asarray(t, float) for t in trains])
        ids = np.concatenate([np.full(len(t), i) for i, t in enumerate(trains)]).astype(int)
        net.add_spikes(f"da{k}", len(trains), times=times, indices=ids)
        r = case["rule"].replace(reward=f"da{k}")
        projs.append(net.connect(pre, post, weight=w0, delay=delay, stdp=r, name=f"syn{k}"))
    kw = {}
    if record_dt is not None:
        kw = dict(record_weights={p.name: "all" for p in projs}, weight_dt=record_dt)
    results = [net.run(d, progress=False, record_spikes="all", **kw)
               for d in (runs or [duration])]
    for k, case in enumerate(cases):        # the posts are where they were meant to be
        got = np.concatenate([np.asarray(r.spikes[f"post{k}"].t) for r in results])
        np.testing.assert_allclose(got, np.asarray(case.get("post", []), float), atol=1e-9)
    return net, results, projs


def spaced(steps):
    """Sorted distinct steps, none in the step right after another (an imposed post spike
    needs a kick in the step before it, which a spike in that step would discard)."""
    steps = np.unique(steps)
    keep = [steps[0]]
    for s in steps[1:]:
        if s > keep[-1] + 1:
            keep.append(s)
    return np.array(keep)


def stdp(delta, same="potentiate"):
    """The pair window by hand, Δ = t_post - t_pre (ms)."""
    if delta > 0:
        return AP * e(-delta / TP)
    if delta < 0:
        return -AM * e(delta / TM)
    return {"potentiate": AP, "depress": -AM, "both": AP - AM, "neither": 0.0}[same]


def pulse(c, jump, T):
    """Weight change over T ms after a reward at eligibility c (b = 0, no other reward)."""
    return c * jump * TK * (1.0 - e(-T / TK))


# ------------------------------------------------------------------ 1. analytic
@pytest.mark.parametrize("same", ["potentiate", "depress", "both", "neither"])
def test_single_pair_then_dopamine_pulse(same):
    """pre arrival at 40 ms (axonal delay 2 ms), post at 40 + Δ, one reward at 100 ms,
    b = 0: c = STDP(Δ) at the later spike, decays with tau_c until 100 ms; the dopamine
    d = (1/tau_d) e^{-(t-100)/tau_d} writes it into w:
    w(t) = W0 + c(100) (1/tau_d) tau_k (1 - e^{-(t-100)/tau_k}) for t >= 100, W0 before."""
    deltas = [-25.0, -5.0, 0.0, 5.0, 25.0]
    cases = [{"pre": [40.0], "post": [40.0 + d], "reward": [100.0],
              "rule": rule(same_step=same)} for d in deltas]
    _, (res,), projs = imposed(cases, 300.0, delay=2.0, record_dt=10.0)
    for d, pr in zip(deltas, projs):
        c100 = stdp(d, same) * e(-(100.0 - max(40.0, 40.0 + d)) / TC)
        rec = res.weights[pr.name]
        t = np.asarray(rec.t)
        want = np.array([W0 + (pulse(c100, 1 / TD, x - 100.0) if x > 100 else 0.0)
                         for x in t])
        np.testing.assert_allclose(rec.w[:, 0], want, rtol=0, atol=1e-12, err_msg=str(d))
        assert pr.weight[0] == pytest.approx(W0 + pulse(c100, 1 / TD, 200.0), abs=1e-12)
        assert res.final_weights[pr.name][0] == pr.weight[0]


def test_no_dopamine_no_change():
    """b = 0 and no reward: pairs fill the eligibility but the weight never moves."""
    rng = np.random.default_rng(1)
    pre = np.unique(rng.integers(1, 3000, 40)) * 0.1
    post = spaced(rng.integers(1, 3000, 40)) * 0.1
    cases = [{"pre": pre, "post": post, "rule": rule()},
             {"pre": pre, "post": post, "rule": rule(), "reward": [400.0]}]
    _, (res,), projs = imposed(cases, 300.0, record_dt=1.0)
    for pr in projs:
        assert np.all(res.weights[pr.name].w == W0)
        assert pr.weight[0] == W0


def test_eligibility_decays_with_tau_c():
    """pre 20, post 30 (c = A_plus e^{-10/tau_plus}); one reward D ms after the post:
    Δw(T) = c e^{-D/tau_c} (1/tau_d) tau_k (1 - e^{-(T - 30 - D)/tau_k}). D = 0: the reward in
    the step of the post spike sees the whole eligibility (order within a step is moot)."""
    T = 1000.0
    lags = [0.0, 10.0, 100.0, 400.0]
    cases = [{"pre": [20.0], "post": [30.0], "reward": [30.0 + D], "rule": rule()}
             for D in lags]
    _, (res,), projs = imposed(cases, T)
    c = AP * e(-10.0 / TP)
    for D, pr in zip(lags, projs):
        want = W0 + pulse(c * e(-D / TC), 1 / TD, T - 30.0 - D)
        assert pr.weight[0] == pytest.approx(want, abs=1e-12), D


def test_baseline_without_reward():
    """b > 0, no reward: dw/dt = -b c: Δw(T) = -b c tau_c (1 - e^{-(T - t_c)/tau_c}) from the
    pair's later spike t_c; a potentiating pair then depresses, a depressing one potentiates."""
    b, T = 0.004, 400.0
    cases = [{"pre": [20.0], "post": [30.0], "rule": rule(b=b)},
             {"pre": [30.0], "post": [20.0], "rule": rule(b=b)}]
    _, (res,), projs = imposed(cases, T)
    for pr, c in zip(projs, [AP * e(-10 / TP), -AM * e(-10 / TM)]):
        want = W0 - b * c * TC * (1.0 - e(-(T - 30.0) / TC))
        assert pr.weight[0] == pytest.approx(want, abs=1e-12)
        assert (pr.weight[0] - W0) * c < 0


def test_bounds_hold_continuously():
    """w0 = 0.95, pair pre 20 / post 25, b = 0.002, a reward at 40 ms with d_jump = 0.05.
    Until 40: drift -b c tau_c (1 - e^{-15/tau_c}). After: drive c(s) (d(s) - b) > 0 until
    s* = tau_d ln(d_jump/b), when w has long hit w_max = 1 (checked); it stays there until
    s*, then falls by c(s*) b [tau_k (1 - e^{-(T'-s*)/tau_k}) - tau_c (1 - e^{-(T'-s*)/tau_c})],
    T' = T - 40. Clipping only at the end would leave w at 1."""
    b, jump, w0, T = 0.002, 0.05, 0.95, 840.0
    cases = [{"pre": [20.0], "post": [25.0], "reward": [40.0],
              "rule": rule(b=b, d_jump=jump)}]
    _, (res,), (pr,) = imposed(cases, T, w0=w0, record_dt=5.0)
    c25 = AP * e(-5.0 / TP)
    w40 = w0 - b * c25 * TC * (1.0 - e(-15.0 / TC))
    c40 = c25 * e(-15.0 / TC)
    s = TD * math.log(jump / b)
    F = c40 * jump * TK * (1 - e(-s / TK)) - b * c40 * TC * (1 - e(-s / TC))
    assert w40 + F > 1.0 + 0.04                        # the bound is reached before s*
    Tp = T - 40.0
    fall = c40 * e(-s / TC) * b * (TK * (1 - e(-(Tp - s) / TK)) - TC * (1 - e(-(Tp - s) / TC)))
    assert fall < -0.005
    assert pr.weight[0] == pytest.approx(1.0 + fall, abs=1e-12)
    w = res.weights[pr.name].w[:, 0]
    assert w.max() == 1.0 and np.all(w <= 1.0)


def test_tonic_dopamine_without_reward():
    """d_tonic > 0, no reward source at all: dw/dt = d_tonic c from the pair's later spike
    t_c: Δw(T) = d_tonic c tau_c (1 - e^{-(T - t_c)/tau_c}), the sign of the pair (the
    opposite of a baseline); with b > d_tonic the effective baseline b - d_tonic acts."""
    k, b, T = 0.003, 0.005, 400.0
    cases = [{"pre": [20.0], "post": [30.0], "rule": rule(d_tonic=k)},
             {"pre": [30.0], "post": [20.0], "rule": rule(d_tonic=k)},
             {"pre": [20.0], "post": [30.0], "rule": rule(d_tonic=k, b=b)}]
    _, (res,), projs = imposed(cases, T, record_dt=10.0)
    c_pot, c_dep = AP * e(-10 / TP), -AM * e(-10 / TM)
    for pr, c, drive in zip(projs, [c_pot, c_dep, c_pot], [k, k, k - b]):
        want = W0 + drive * c * TC * (1.0 - e(-(T - 30.0) / TC))
        assert pr.weight[0] == pytest.approx(want, abs=1e-12)
        t = np.asarray(res.weights[pr.name].t)
        rec = [W0 + (drive * c * TC * (1.0 - e(-(x - 30.0) / TC)) if x > 30 else 0.0)
               for x in t]
        np.testing.assert_allclose(res.weights[pr.name].w[:, 0], rec, rtol=0, atol=1e-12)
    assert projs[0].weight[0] > W0 > projs[1].weight[0] and projs[2].weight[0] < W0


def test_tonic_dopamine_with_a_reward():
    """Izhikevich's form: pre 20, post 30, reward at 100 ms, d_tonic = 0.0002, d_jump = 0.05
    (his 0.002 and 0.5 per 10 ms update): Δw(T) = ∫ c(t) (d(t) + d_tonic) dt, i.e. the tonic
    part d_tonic c30 tau_c (1 - e^{-(T-30)/tau_c}) plus the reward pulse of c(100)."""
    k, jump, T = 0.0002, 0.05, 600.0
    cases = [{"pre": [20.0], "post": [30.0], "reward": [100.0],
              "rule": rule(d_tonic=k, d_jump=jump)}]
    _, _, (pr,) = imposed(cases, T)
    c30 = AP * e(-10 / TP)
    want = (W0 + k * c30 * TC * (1.0 - e(-(T - 30.0) / TC))
            + pulse(c30 * e(-70.0 / TC), jump, T - 100.0))
    assert pr.weight[0] == pytest.approx(want, abs=1e-12)


def test_tonic_dopamine_between_runs_and_validation():
    """Continued runs (150 + 250 ms) give the one-run weight bitwise; d_tonic is validated
    and carried by replace()."""
    case = {"pre": [20.0, 140.0], "post": [30.0, 160.0], "reward": [200.0],
            "rule": rule(d_tonic=0.001)}
    _, _, (one,) = imposed([case], 400.0)
    _, _, (two,) = imposed([case], None, runs=[150.0, 250.0])
    assert two.weight[0] == one.weight[0] and one.weight[0] != W0
    with pytest.raises(ValueError, match="d_tonic must be >= 0"):
        nl.RewardSTDP(d_tonic=-0.1)
    with pytest.raises(TypeError):
        nl.RewardSTDP(d_tonic="x")
    assert nl.RewardSTDP().d_tonic == 0.0
    assert nl.RewardSTDP(d_tonic=0.002).replace(b=0.1).d_tonic == 0.002


def test_rewards_in_one_step_add_up():
    """Two reward neurons spiking at 60 ms raise d by 2 d_jump: twice one reward's change."""
    T = 500.0
    cases = [{"pre": [20.0], "post": [30.0], "reward": [[60.0], [60.0]], "rule": rule()},
             {"pre": [20.0], "post": [30.0], "reward": [60.0], "rule": rule()}]
    _, _, (two, one) = imposed(cases, T)
    c60 = AP * e(-10 / TP) * e(-30 / TC)
    assert two.weight[0] == pytest.approx(W0 + pulse(c60, 2 / TD, T - 60), abs=1e-12)
    assert one.weight[0] == pytest.approx(W0 + pulse(c60, 1 / TD, T - 60), abs=1e-12)


def test_between_runs():
    """(a) run(150) + run(250) == run(400) bitwise, with weights read in between;
    (b) learning off during [50, 150) (the reward at 100 is not written into w, the
    eligibility still decays), on again from 150: w = W0 + c(150) d(150) tau_k (1 -
    e^{-150/tau_k}); (c) weight set to 0.3 at 120: w = 0.3 + c(120) d(120) tau_k (...);
    (d) set_stdp at 50 to a rule without reward source: the reward at 100 does nothing."""
    case = {"pre": [20.0], "post": [30.0], "reward": [100.0], "rule": rule()}
    _, _, (whole,) = imposed([case], 400.0)
    net, _, (cut,) = imposed([case], 400.0, runs=[150.0])
    cut.weight                                          # a read changes nothing
    net.run(250.0, progress=False)
    assert cut.weight[0] == whole.weight[0]

    c30 = AP * e(-10 / TP)
    net, _, (frozen,) = imposed([case], 300.0, runs=[50.0])
    frozen.learning = False
    net.run(100.0, progress=False)
    assert frozen.weight[0] == W0
    frozen.learning = True
    net.run(150.0, progress=False)
    want = W0 + c30 * e(-120 / TC) * (1 / TD) * e(-50 / TD) * TK * (1 - e(-150 / TK))
    assert frozen.weight[0] == pytest.approx(want, abs=1e-12)

    net, _, (reset,) = imposed([case], 300.0, runs=[120.0])
    reset.weight = 0.3
    net.run(180.0, progress=False)
    want = 0.3 + c30 * e(-90 / TC) * (1 / TD) * e(-20 / TD) * TK * (1 - e(-180 / TK))
    assert reset.weight[0] == pytest.approx(want, abs=1e-12)

    net, _, (deaf,) = imposed([case], 300.0, runs=[50.0])
    deaf.set_stdp(deaf.stdp.replace(reward=None))
    net.run(250.0, progress=False)
    assert deaf.weight[0] == W0


def test_validation_and_record():
    r = nl.RewardSTDP(tau_d=50.0, reward="da")
    assert r.d_jump == 1 / 50.0 and r.to_dict()["reward"] == "da"
    assert r.to_dict()["rule"] == "RewardSTDP"
    net = nl.Network()
    src = net.add_spikes("src", 2, times=[1.0], indices=[0])
    out = net.add_lif("out", 1)
    with pytest.raises(ValueError, match="reward names 'da'"):
        net.connect(src, out, stdp=r.replace(w_max=2.0), weight=0.5)
    with pytest.raises(TypeError, match="subgroup"):
        nl.RewardSTDP(reward=src[:1])
    assert nl.RewardSTDP(reward=src).reward == "src"
    with pytest.raises(ValueError, match="tau_c must be > 0"):
        nl.RewardSTDP(tau_c=0.0)
    with pytest.raises(ValueError, match="b must be >= 0"):
        nl.RewardSTDP(b=-1.0)
    with pytest.raises(ValueError, match="same_step"):
        nl.RewardSTDP(same_step="later")
    coarse = nl.Network(dt=2.0)
    coarse.add_spikes("a", 1, times=[2.0], indices=[0])
    coarse.add_lif("b", 1)
    with pytest.raises(ValueError, match="dt must not exceed"):
        coarse.connect("a", "b", stdp=nl.RewardSTDP(tau_d=1.0))
    # a network without the rule carries no reward state (its kernel never compiles it)
    net.connect(src, out, weight=0.5, stdp=nl.STDPParams())
    net.store()
    assert net._state.families[2] is None


# ------------------------------------------------------------------ 2. reference
def random_network(seed, tonic=False):
    """Poisson inputs -> A (LIF, reward-modulated), A -> A (reward-modulated), inputs -> B
    (LIF, pair rule: both families in one kernel), A -> B and B -> A static; reward
    source: explicit spikes (two neurons), the LIF population B, or none.
    Random dt, synapse type, delays (0, one value, heterogeneous), refractoriness, same_step,
    baseline, d_jump; amplitudes large enough that weights reach their bounds. ``tonic``:
    a tonic dopamine level too (drawn from its own stream, so the other draws stay)."""
    rng = np.random.default_rng([seed, 77])
    rng_tonic = np.random.default_rng([seed, 78])
    dt = float(rng.choice([0.1, 0.05, 0.2]))
    net = nl.Network(dt=dt, seed=seed)
    n_in = int(rng.integers(20, 30))
    inp = net.add_poisson("inp", n_in, rates=rng.uniform(5.0, 50.0, n_in))
    steps = np.unique(rng.integers(0, int(250 / dt), int(rng.integers(2, 8))))
    net.add_spikes("da", 2, times=steps * dt, indices=rng.integers(0, 2, steps.size))
    synapse = str(rng.choice(["delta", "current", "conductance"]))
    scale = {"delta": 6.0, "current": 15.0, "conductance": 0.4}[synapse]
    ref = float(rng.choice([0.0, dt, 2.0]))
    A = net.add_lif("A", 8, nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0,
                                         refractory=ref, synapse=synapse, tau_e=5.0,
                                         tau_i=8.0), v_init=rng.uniform(-70.0, -55.0, 8))
    B = net.add_lif("B", 3, nl.LIFParams(refractory=1.0, synapse="delta"),
                    v_init=rng.uniform(-70.0, -55.0, 3))

    def rrule(w_max):
        tau_d = float(rng.uniform(5, 100))
        jump = [1 / tau_d, 0.05][int(rng.integers(0, 2))]
        # a baseline near the reward's dopamine makes the drive change sign within the
        # intervals between a synapse's events (where holding w at a bound matters)
        return nl.RewardSTDP(
            A_plus=0.15 * w_max, A_minus=0.18 * w_max, tau_plus=float(rng.choice([20, 16.8])),
            tau_minus=float(rng.choice([20.0, 33.7])), tau_c=float(rng.uniform(50, 300)),
            tau_d=tau_d, b=float(rng.choice([0.0, 0.4 * jump, 0.01])), d_jump=jump,
            d_tonic=float(rng_tonic.choice([0.0, 0.2 * jump, 0.005, 0.02])) if tonic else 0.0,
            w_max=w_max, reward=[None, "da", "da", "B"][int(rng.integers(0, 4))],
            same_step=str(rng.choice(["potentiate", "depress", "both", "neither"])))

    def delays(n):
        kind = int(rng.integers(0, 3))
        return [0.0, float(rng.integers(1, 20)) * dt, rng.integers(0, 20, n) * dt][kind]

    def conn(pre, post, p, w, stdp=None, receptor="exc", autapses=True):
        mask = rng.random((pre.n, post.n)) < p
        if not autapses:
            np.fill_diagonal(mask, False)
        i, j = np.nonzero(mask)
        return net.connect(pre, post, "explicit", pre_ids=i, post_ids=j,
                           weight=rng.uniform(0, w, i.size), delay=delays(i.size),
                           receptor=receptor, stdp=stdp)

    conn(inp, A, 0.5, scale, rrule(scale))
    conn(A, A, 0.3, scale * 0.3, rrule(scale * 0.3), autapses=False)
    conn(inp, B, 0.5, 6.0, nl.STDPParams(A_plus=0.3, A_minus=0.32, w_max=6.0))  # pair rule
    conn(A, B, 0.5, 3.0)
    conn(B, A, 0.5, scale, receptor="inh")
    return net


def spike_steps(res, net):
    out = {}
    for name in net.populations:
        rec = res.spikes[name]
        steps = np.rint(np.asarray(rec.t) / net.dt).astype(np.int64)
        out[name] = list(zip(steps.tolist(), np.asarray(rec.i).tolist()))
    return out


@pytest.mark.parametrize("seed, tonic", [(0, False), (1, False), (2, False), (3, False),
                                         (4, True), (5, True), (6, True)])
def test_kernel_matches_reference(seed, tonic):
    """Same spike steps, final weights within 1e-12 w_max; the weights recorded at 150 ms
    equal the reference's final weights of a 150 ms run (tonic: with tonic dopamine)."""
    duration = 300.0
    net = random_network(seed, tonic)
    ref = reference_simulate(net, duration, record_v=False)
    ref_half = reference_simulate(net, 150.0, record_v=False)
    plastic = [n for n, p in net.projections.items() if p.stdp is not None]
    res = net.run(duration, progress=False, record_spikes="all", weight_dt=150.0,
                  record_weights={n: "all" for n in plastic})
    assert spike_steps(res, net) == ref["spikes"]
    assert sum(len(ref["spikes"][n]) for n in ("A", "B")) > 20
    moved = 0
    for name in plastic:
        w_max = net.projections[name].stdp.w_max
        np.testing.assert_allclose(res.final_weights[name], ref["weights"][name], rtol=0,
                                   atol=1e-12 * w_max, err_msg=name)
        rec = res.weights[name]
        assert np.asarray(rec.t)[1] == 150.0
        np.testing.assert_allclose(rec.w[1], ref_half["weights"][name], rtol=0,
                                   atol=1e-12 * w_max, err_msg=name)
        moved += int(np.sum(np.abs(ref["weights"][name] - rec.w[0]) > 1e-3 * w_max))
    assert moved > 0 or all(net.projections[n].stdp.reward is None for n in plastic)


# ------------------------------------------------------------------ 3. Brian2
@pytest.mark.brian2
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("seed, tonic", [(16, False), (17, False), (16, True)])
def test_brian2(seed, tonic):
    """The same random networks (same_step "potentiate", Brian2's order) in Brian2: the
    same spike steps, weights within 1e-9 w_max (read as the subexpression w_now). In
    these two seeds holding weights at their bounds continuously matters (clipping only
    at the synapses' events changes their final weights)."""
    import brian2 as b2

    from brian2_model import build_brian2, monitor_steps
    duration = 200.0
    net = random_network(seed, tonic)
    for pr in net.projections.values():
        if pr.stdp is not None:
            pr.set_stdp(pr.stdp.replace(same_step="potentiate"))
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = net.dt * b2.ms
    model = build_brian2(net, duration, b2=b2)
    b2.Network(model.objects).run(round(duration / net.dt) * net.dt * b2.ms)
    res = net.run(duration, progress=False, record_spikes="all")
    got = spike_steps(res, net)
    for name, mon in model.monitors.items():
        steps, ids = monitor_steps(mon, net.dt, b2)
        assert sorted(zip(steps.tolist(), ids.tolist())) == got[name], name
    for name, pr in net.projections.items():
        if pr.stdp is not None:
            S = model.synapses[name]
            w_b2 = S.w_now[:] if isinstance(pr.stdp, nl.RewardSTDP) else S.w[:]
            np.testing.assert_allclose(res.final_weights[name], np.asarray(w_b2), rtol=0,
                                       atol=1e-9 * pr.stdp.w_max, err_msg=name)


# ------------------------------------------------------------------ 4. NEST
DOPA = dict(A_plus=0.2, A_minus=0.1, tau_plus=20.0, tau_minus=30.0, tau_c=80.0, tau_d=40.0,
            w_min=0.0)


@pytest.mark.nest
@pytest.mark.parametrize("b, w0, w_max, seed", [(0.0, 5.0, 100.0, 0), (0.004, 5.0, 100.0, 1),
                                                (0.0, 0.5, 1.0, 1)])
def test_nest(b, w0, w_max, seed):
    """Random trains at the synapse (arrivals, posts, dopamine; coincident pre/post
    included) in NEST's stdp_dopamine_synapse and in neurolab with same_step="neither"
    (NEST drops zero-interval pairs) and d_jump = 1/tau_d (NEST's n jumps by 1/tau_n): the
    weight at every presynaptic spike (NEST's weight_recorder) and after the flush spike
    agree within 1e-9 relative. w_max = 1 with b = 0: the weight reaches the bound and
    leaves it (NEST clips at every update, every step here, and neurolab holds it
    continuously: the same when b = 0). Not compared: a weight at a bound while
    c (d - b) changes sign within a step (b > 0), where NEST's per-update clipping and
    the continuous bound differ by design."""
    rng = np.random.default_rng(seed)
    dt = 0.1
    pre = np.unique(rng.integers(10, 3000, 25)) * dt
    post = spaced(np.concatenate([np.rint(pre[:3] / dt), rng.integers(10, 3000, 25)])) * dt
    dopa = np.unique(rng.integers(10, 3000, 6)) * dt
    nest_params = dict(A_plus=DOPA["A_plus"], A_minus=DOPA["A_minus"], tau_plus=20.0,
                       tau_c=80.0, tau_n=40.0, b=b, Wmin=0.0, Wmax=w_max)
    r = run_synapse("stdp_dopamine_synapse", pre, post, syn_params=nest_params, w0=w0,
                    dopa_times=dopa, tau_minus=30.0, flush=100.0)
    case = {"pre": r.pre_times, "post": post, "reward": list(dopa),
            "rule": nl.RewardSTDP(**DOPA, b=b, w_max=w_max, same_step="neither")}
    T = float(r.pre_times[-1])
    _, (res,), (pr,) = imposed([case], T + dt, w0=w0, record_dt=dt)
    rec = res.weights[pr.name]
    at_pre = np.rint(np.asarray(r.pre_times) / dt).astype(int)
    got = rec.w[at_pre, 0]
    np.testing.assert_allclose(got, r.weights, rtol=1e-9, atol=0)
    assert got[-1] == pytest.approx(r.w_final, rel=1e-9)
    assert abs(r.w_final - w0) > 1e-3 * w0
    if w_max == 1.0:
        assert np.max(rec.w) == 1.0 and r.w_final < 0.99
    else:
        assert np.all((r.weights > 0) & (r.weights < w_max))


def test_a_reward_population_of_another_network_is_refused():
    """A population object from another network is refused even when this network has a
    population of the same name (the rule keeps the name; the object must be this one)."""
    net = nl.Network(dt=0.1, seed=0)
    inp = net.add_poisson("inp", n=10, rates=20.0)
    out = net.add_lif("out", n=2)
    other = nl.Network(dt=0.1).add_poisson("inp", 1, rates=5.0)
    with pytest.raises(ValueError, match=r"reward is the population 'inp' of another network"):
        net.connect(inp, out, stdp=nl.RewardSTDP(reward=other))
    net.connect(inp, out, stdp=nl.RewardSTDP(reward=inp))        # this network's: fine
