"""The closed loop of Izhikevich 2007 (``neurolab.papers.izhikevich2007``) and the API it
stands on, ``Population.add_spikes`` (explicit spikes added between runs).

1. Spikes added between runs give what one run with every spike given up front gives:
   spikes, potentials and reward-modulated weights, bitwise; refusals; store/restore.
2. ``PairingReward``: a pre->post pairing seen in one run earns a reward spike at the
   step ``t_post + delay`` of a later run, and the dopamine it carries moves a rewarded
   synapse's weight by the amount computed here by hand.
3. The closed loop on a small network: the same spikes, rewards and weights whatever the
   chunk length (the rewards lie after the chunk that earned them).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.papers import izhikevich2007 as iz

LIF = nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-40.0, v_reset=-70.0, refractory=0.0,
                   synapse="delta")


def _net(src_times, src_ids, reward_times):
    net = nl.Network(dt=1.0, seed=0)
    src = net.add_spikes("src", 2, times=src_times, indices=src_ids)
    net.add_spikes("reward", 1, times=reward_times, indices=[0] * len(reward_times))
    out = net.add_lif("out", 3, LIF)
    net.connect(src, out, "all_to_all", weight=8.0)
    rule = nl.RewardSTDP(A_plus=0.2, A_minus=0.25, tau_c=300.0, tau_d=50.0, d_jump=0.05,
                         d_tonic=0.0005, w_max=20.0, reward="reward")
    net.connect(src, out, "all_to_all", weight=4.0, stdp=rule, name="plastic")
    return net


def _trace(results):
    t = np.concatenate([np.asarray(r.spikes["out"].t) for r in results])
    i = np.concatenate([np.asarray(r.spikes["out"].i) for r in results])
    return t.tolist(), i.tolist()


# ------------------------------------------------------------------ 1. add_spikes
def test_spikes_added_between_runs_equal_one_run():
    rng = np.random.default_rng(5)
    times = np.sort(rng.choice(np.arange(1, 600), 120, replace=False)).astype(float)
    ids = rng.integers(0, 2, times.size)
    rew = [150.0, 320.0, 480.0]
    one = _net(times, ids, rew)
    r_one = one.run(600.0, progress=False, record_spikes="all")

    early = times < 200
    cut = _net(times[early], ids[early], [150.0])
    r1 = cut.run(200.0, progress=False, record_spikes="all")
    cut.populations["src"].add_spikes(times[~early & (times < 400)],
                                      ids[~early & (times < 400)])
    cut.populations["reward"].add_spikes([320.0], [0])
    r2 = cut.run(200.0, progress=False, record_spikes="all")
    cut.populations["src"].add_spikes(times[times >= 400], ids[times >= 400])
    cut.populations["reward"].add_spikes([480.0], [0])
    r3 = cut.run(200.0, progress=False, record_spikes="all")

    assert len(r_one.spikes["out"].t) > 10
    assert _trace([r1, r2, r3]) == _trace([r_one])
    np.testing.assert_array_equal(cut.populations["out"].v, one.populations["out"].v)
    w_one, w_cut = one.projections["plastic"].weight, cut.projections["plastic"].weight
    np.testing.assert_array_equal(w_cut, w_one)
    assert np.abs(w_one - 4.0).max() > 0.05                 # the weights did move
    np.testing.assert_array_equal(np.sort(cut.populations["src"].times), times)
    rec = np.asarray(r2.spikes["reward"].t)
    assert rec.tolist() == [320.0]


def test_add_spikes_refusals_and_before_the_first_run():
    net = _net([10.0], [0], [])
    src = net.populations["src"]
    src.add_spikes([20.0, 30.0], [1, 0])                     # before the first run: merged
    assert sorted(src.times.tolist()) == [10.0, 20.0, 30.0]
    with pytest.raises(ValueError, match="two spikes in the step"):
        src.add_spikes([10.2], [0])
    with pytest.raises(ValueError, match="indices|index"):
        src.add_spikes([40.0], [2])
    with pytest.raises(AttributeError, match="kind 'spikes' only"):
        net.populations["out"].add_spikes([40.0], [0])
    net.run(50.0, progress=False)
    with pytest.raises(ValueError, match=">= the network's time 50 ms"):
        src.add_spikes([49.0], [0])
    assert sorted(src.times.tolist()) == [10.0, 20.0, 30.0]  # a refusal changes nothing
    src.add_spikes([50.0], [1])                             # at net.t: emitted next run
    res = net.run(5.0, progress=False, record_spikes="all")
    assert np.asarray(res.spikes["src"].t).tolist() == [50.0]


def test_store_restore_brings_back_the_spikes():
    net = _net([10.0], [0], [])
    net.run(20.0, progress=False)
    net.store("before")
    src = net.populations["src"]
    src.add_spikes([30.0], [1])
    a = net.run(20.0, progress=False, record_spikes="all")
    assert np.asarray(a.spikes["src"].t).tolist() == [30.0]
    net.restore("before")
    assert src.times.tolist() == [10.0]
    b = net.run(20.0, progress=False, record_spikes="all")
    assert np.asarray(b.spikes["src"].t).size == 0


# ------------------------------------------------------------------ 2. PairingReward
def test_a_pairing_earns_a_reward_at_the_right_step():
    """pre at 100 ms, post at 110 ms (10 ms later: a trigger), pre and post together at
    600 ms (not strictly later: none), post at 640 (40 ms after the last pre: none);
    delay fixed at 1500 ms: one reward spike, at 1610 ms, emitted by the run that reaches
    it. The rewarded synapse (pre -> post, c = A_plus e^{-10/tau_plus} at 110 ms, no tonic
    dopamine; the other all-to-all pairs added to c too) keeps its weight until 1610, then
    gains c(1610) d_jump tau_k (1 - e^{-(T - 1610)/tau_k}), tau_k = 1/(1/tau_c + 1/tau_d)."""
    dt, T = 1.0, 2200.0
    net = nl.Network(dt=dt, seed=0)
    pre = net.add_spikes("pre", 1, times=[100.0, 600.0], indices=[0, 0])
    kick = net.add_spikes("kick", 1, times=[109.0, 599.0, 639.0], indices=[0, 0, 0])
    post = net.add_lif("post", 1, LIF)
    net.connect(kick, post, weight=50.0)
    reward = net.add_spikes("reward", 1, times=[], indices=[])
    ap, tp, tc, td, jump, w0 = 0.1, 20.0, 1000.0, 200.0, 0.05, 0.5
    rule = nl.RewardSTDP(A_plus=ap, A_minus=0.0, tau_plus=tp, tau_c=tc, tau_d=td,
                         d_jump=jump, reward="reward")
    proj = net.connect(pre, post, weight=w0, stdp=rule, name="syn")
    loop = iz.PairingReward(reward, ("pre", 0), ("post", 0), delay=(1500, 1500), seed=1)
    samples, rewards = [], []
    while net.t < T:
        res = net.run(400.0 if net.t + 400.0 <= T else T - net.t, progress=False,
                      record_spikes="all", record_weights={"syn": "all"}, weight_dt=10.0)
        assert np.asarray(res.spikes["post"].t).tolist() == \
            [t for t in (110.0, 600.0, 640.0) if res.t_start <= t < res.t_end]
        rewards += np.asarray(res.spikes["reward"].t).tolist()
        loop.observe(res)
        samples.append((np.asarray(res.weights["syn"].t), res.weights["syn"].w[:, 0]))
    assert loop.triggers == [110.0] and loop.times == [1610.0]
    assert rewards == [1610.0]
    tk = 1.0 / (1.0 / tc + 1.0 / td)
    # all-to-all pairs (pre, post, the later one): (100, 110), (100, 600), (100, 640),
    # (600, 600) (same step: potentiation), (600, 640); post-before-pre pairs add
    # A_minus = 0
    pairs = [(100.0, 110.0), (100.0, 600.0), (100.0, 640.0), (600.0, 600.0), (600.0, 640.0)]
    c1610 = sum(ap * math.exp(-(q - p) / tp) * math.exp(-(1610.0 - q) / tc)
                for p, q in pairs)
    t = np.concatenate([s[0] for s in samples])
    w = np.concatenate([s[1] for s in samples])
    want = np.where(t <= 1610.0, w0,
                    w0 + c1610 * jump * tk * (1.0 - np.exp(-(t - 1610.0) / tk)))
    np.testing.assert_allclose(w, want, rtol=0, atol=1e-12)
    assert proj.weight[0] == pytest.approx(
        w0 + c1610 * jump * tk * (1.0 - math.exp(-(T - 1610.0) / tk)), abs=1e-12)


def test_a_reward_inside_its_own_run_is_refused():
    net = nl.Network(dt=1.0, seed=0)
    net.add_spikes("pre", 1, times=[10.0], indices=[0])
    net.add_spikes("post", 1, times=[15.0], indices=[0])
    reward = net.add_spikes("reward", 1, times=[], indices=[])
    loop = iz.PairingReward(reward, ("pre", 0), ("post", 0), delay=(100, 100))
    res = net.run(500.0, progress=False, record_spikes="all")
    with pytest.raises(ValueError, match="falls inside the run"):
        loop.observe(res)
    with pytest.raises(TypeError):
        iz.PairingReward(net.populations["pre"].__class__, ("pre", 0), ("post", 0))


# ------------------------------------------------------------------ 3. the closed loop
def _loop(chunk):
    m = iz.build(n_exc=80, n_inh=20, m=10, seed=4)
    # a wide window and short delays so that a 6 s run earns several rewards
    loop = iz.PairingReward(m.reward, ("net", m.n1), ("net", m.n2), window=1000.0,
                            delay=(300, 600), seed=2)
    t, w, n = iz.run(m, 6000.0, loop, chunk=chunk, weight_dt=100.0, progress=False)
    return m, loop, t, w, n


def test_closed_loop_does_not_depend_on_the_chunk_length():
    m1, loop1, t1, w1, n1 = _loop(300.0)
    m2, loop2, t2, w2, n2 = _loop(100.0)
    assert len(loop1.times) >= 3 and loop1.times == loop2.times
    assert n1 == n2 and n1 > 100
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(m1.exc.weight, m2.exc.weight)
    np.testing.assert_array_equal(t1, np.arange(0.0, 6000.0, 100.0))
    with pytest.raises(ValueError, match="chunk must be <="):
        iz.run(m1, 1000.0, loop1, chunk=400.0)


def test_rule_maps_the_programs_constants():
    """daspnet.m: traces x0.95/ms, eligibility x0.99 per 10 ms, dopamine x0.995/ms, 0.5 per
    reward and 0.002 tonic, both applied every 10 ms; depression 1.5 x 0.1 one ms later."""
    r = iz.da_stdp()
    assert math.exp(-1.0 / r.tau_plus) == pytest.approx(0.95, abs=1e-15)
    assert math.exp(-10.0 / r.tau_c) == pytest.approx(0.99, abs=1e-15)
    assert math.exp(-1.0 / r.tau_d) == pytest.approx(0.995, abs=1e-15)
    assert r.d_jump * 10.0 == pytest.approx(0.5) and r.d_tonic * 10.0 == pytest.approx(0.002)
    assert r.A_minus * math.exp(-1.0 / r.tau_minus) == pytest.approx(0.15, abs=1e-15)
    assert (r.A_plus, r.w_min, r.w_max, r.reward) == (0.1, 0.0, 4.0, "reward")
