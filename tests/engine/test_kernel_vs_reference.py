"""The numba kernel against the slow pure-Python reference (tests/reference.py).

Small random networks, seeded, covering every synapse type (delta, current, conductance,
with tau_syn == tau_m for some current synapses), excitatory and inhibitory receptors,
axonal delays (0 and several values, homogeneous and heterogeneous), refractoriness (K = 0,
K = 1 and longer; a refractory period shorter than dt/2 rounds to K = 0), plastic and static
projections, input -> LIF and recurrent LIF -> LIF. Each plastic projection draws its pair
rule: pairing scheme (all_to_all, nearest_symmetric or its old name "nearest",
presynaptic_centred, restricted), same-step order (potentiate, depress, both, neither) and
weight dependence (additive, Gütig mu / mu_minus, power law ``PowerLawSTDP``; its w_max
is infinite for some inp->A projections). Synchronous kicks make population A fire
together now and then, and "pace" spikes arrive in the steps where it fires, so that
plastic synapses see same-step pairs; ``test_every_scheme`` runs each of the 16
(pairing, same_step) combinations on all plastic projections.

Both must produce the same spike steps, the same final weights (to rounding: 1e-12 relative
to the weight scale) and the same membrane potential traces (to rounding).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.plasticity import PAIRINGS, SAME_STEPS, PowerLawSTDP

from reference import reference_simulate

SYNAPSES = ("delta", "current", "conductance")
# weight scale per synapse type of the target: (input exc, recurrent exc, inhibition)
SCALE = {"delta": (5.0, 3.0, 3.0), "current": (16.0, 8.0, 12.0),
         "conductance": (0.3, 0.15, 0.3)}
# a kick that makes the neurons of A fire soon after (delta synapses: in the next step)
SYNC = {"delta": 30.0, "current": 100.0, "conductance": 1.5}
DURATION = 300.0  # ms
WDEPS = ("additive", "soft", "power")


def random_network(seed: int, synapse: str, pairing=None, same_step=None, wdep=None):
    """A random network whose main population ``A`` uses ``synapse``.

    Populations: ``inp`` (Poisson), ``stim`` (explicit spikes), ``A`` (lif, ``synapse``),
    ``B`` (lif, a random synapse type). Projections: inp->A (plastic), stim->A, inp->B,
    A->A (plastic, recurrent, no autapses), A->B (plastic or static), B->A and B->B
    (inhibitory), sync->A (a few synchronous kicks), pace->A (plastic, zero delay: spikes
    a few steps after each kick). Each projection draws its delays: all 0, one value
    (1..30 steps) or heterogeneous (0..30 steps per synapse). The plastic
    projections' rules (pairing, same_step, weight dependence ``wdep`` in ``WDEPS``, drawn
    unless given), time constants, dt (0.05, 0.1, 0.2 ms) and refractoriness (K = 0, 1, or
    longer) are drawn too.
    """
    rng = np.random.default_rng([seed, SYNAPSES.index(synapse)])
    dt = float(rng.choice([0.1, 0.1, 0.05, 0.2]))
    net = nl.Network(dt=dt, seed=seed)
    n_inp = int(rng.integers(15, 30))
    inp = net.add_poisson("inp", n=n_inp, rates=rng.uniform(10.0, 40.0, n_inp))
    n_stim = 4
    stim_steps = np.unique(rng.integers(0, int(DURATION / dt), 60))
    stim = net.add_spikes("stim", n=n_stim, times=stim_steps * dt,
                          indices=rng.integers(0, n_stim, stim_steps.size))

    def lif_params(syn):
        tau_m = float(rng.choice([10.0, 20.0]))
        tau_e = float(rng.choice([tau_m, 5.0, 3.0])) if syn == "current" else 5.0
        tau_i = float(rng.choice([tau_m, 8.0])) if syn == "current" else 10.0
        # refractory: K = 0 (incl. a period < dt/2), K = 1, longer
        ref = float(rng.choice([0.0, 0.4 * dt, dt, 0.5, 2.0]))
        return nl.LIFParams(tau_m=tau_m, v_rest=-70.0, v_th=-54.0, v_reset=-60.0,
                            refractory=ref, synapse=syn, tau_e=tau_e, tau_i=tau_i,
                            E_e=0.0, E_i=-80.0)

    syn_b = SYNAPSES[int(rng.integers(0, 3))]
    # heterogeneous neurons: per-neuron thresholds, membrane time constants and bias
    # currents in A (arrays), thresholds drawn from a distribution in B
    pa = lif_params(synapse)
    pa = pa.replace(v_th=rng.uniform(-56.0, -52.0, 10),
                    tau_m=np.where(rng.random(10) < 0.5, pa.tau_m, 15.0),
                    I_bias=rng.uniform(0.0, 4.0, 10))
    A = net.add_lif("A", n=10, params=pa, v_init=rng.uniform(-70.0, -55.0, 10))
    B = net.add_lif("B", n=5, params=lif_params(syn_b).replace(v_th=("normal", -54.0, 1.0)))

    def stdp(scale, unbounded=False):
        tau_plus = float(rng.choice([20.0, 16.8]))
        tau_minus = float(rng.choice([20.0, 33.7]))
        pair = pairing or str(rng.choice(PAIRINGS + ("nearest",)))
        same = same_step or str(rng.choice(SAME_STEPS))
        kind = wdep or str(rng.choice(WDEPS))
        if kind == "power":
            return PowerLawSTDP(lambda_=0.04, alpha=float(rng.choice([1.05, 1.5])),
                                mu=float(rng.choice([0.0, 0.4, 1.0])),
                                w0=float(rng.choice([0.5, 1.0])) * scale,
                                tau_plus=tau_plus, tau_minus=tau_minus, w_min=0.0,
                                w_max=float(rng.choice([scale, math.inf])) if unbounded
                                else scale,
                                pairing=pair, same_step=same)
        mu, mu_minus = 0.0, 0.0
        if kind == "soft":
            mu = float(rng.choice([0.0, 0.5, 1.0]))
            mu_minus = float(rng.choice([0.3, 1.0]))
        return nl.STDPParams(A_plus=0.02 * scale, A_minus=0.021 * scale, tau_plus=tau_plus,
                             tau_minus=tau_minus, w_min=0.0, w_max=scale, pairing=pair,
                             mu=mu, mu_minus=mu_minus, same_step=same)

    def delays(n, max_steps=30):
        kind = rng.integers(0, 3)
        if kind == 0:
            return 0.0
        if kind == 1:
            return float(rng.integers(1, max_steps + 1)) * dt
        return rng.integers(0, max_steps + 1, n) * dt

    def conn(pre, post, p, w_hi, *, plastic=False, receptor="exc", autapses=True,
             delay=None, unbounded=False):
        mask = rng.random((pre.n, post.n)) < p
        if not autapses:
            np.fill_diagonal(mask, False)
        pre_ids, post_ids = np.nonzero(mask)
        n = pre_ids.size
        if post.params.synapse == "current":  # the charge of a current kick grows with tau
            tau = float(np.max(post.param("tau_e" if receptor == "exc" else "tau_i")))
            w_hi = w_hi * min(1.0, 5.0 / tau)
        w = rng.uniform(0.0, abs(w_hi), n) * np.sign(w_hi)
        return net.connect(pre, post, "explicit", pre_ids=pre_ids, post_ids=post_ids,
                           weight=w, delay=delays(n) if delay is None else delay,
                           receptor=receptor,
                           stdp=stdp(w_hi, unbounded) if plastic else None)

    sa, sb = SCALE[synapse], SCALE[syn_b]
    inh_a, inh_b = sa[2], sb[2]        # magnitudes: the receptor makes them inhibitory
    conn(inp, A, 0.4, sa[0], plastic=True, unbounded=True)
    conn(stim, A, 0.5, sa[0])
    conn(inp, B, 0.3, sb[0])
    conn(A, A, 0.3, sa[1], plastic=True, autapses=False)
    conn(A, B, 0.5, sb[1], plastic=bool(rng.integers(0, 2)))
    conn(B, A, 0.5, inh_a, receptor="inh")
    conn(B, B, 0.3, inh_b, receptor="inh")
    # synchronous kicks of A, and "pace" spikes a few steps after each kick: A spikes in
    # the same step as the arrivals of pace->A (zero delay) and of A->A (if zero delay)
    sync_steps = np.unique(rng.integers(int(20.0 / dt), int(DURATION / dt) - 20, 8))
    sync = net.add_spikes("sync", n=1, times=sync_steps * dt,
                          indices=np.zeros(sync_steps.size))
    net.connect(sync, A, "all_to_all", weight=SYNC[synapse])
    n_pace = 6
    offsets = rng.integers(1, 16, n_pace)
    offsets[0] = 1                       # a delta-synapse neuron fires one step after a kick
    pace_steps = (sync_steps[:, None] + offsets[None, :]).ravel()
    pace_ids = np.tile(np.arange(n_pace), sync_steps.size)
    order = np.lexsort((pace_ids, pace_steps))
    pace = net.add_spikes("pace", n=n_pace, times=pace_steps[order] * dt,
                          indices=pace_ids[order])
    conn(pace, A, 0.6, 0.3 * sa[1], plastic=True, delay=0.0)
    return net


def compare(net, duration, check_v=True):
    """Run kernel and reference; assert identical spikes, weights and v to rounding."""
    lif = [name for name, p in net.populations.items() if p.kind == "lif"]
    ref = reference_simulate(net, duration, record_v=check_v)   # from t = 0, before the run
    w0 = {name: pr.weight for name, pr in net.projections.items()}
    res = net.run(duration, progress=False, record_spikes="all",
                  record_state={name: "all" for name in lif} if check_v else None)
    res.initial_weights = w0
    for name in net.populations:
        rec = res.spikes[name]
        steps = np.rint(np.asarray(rec.t) / net.dt).astype(np.int64)
        got = list(zip(steps.tolist(), np.asarray(rec.i).tolist()))
        want = ref["spikes"][name]
        if got != want:
            diff = sorted(set(got) ^ set(want))[:5]
            raise AssertionError(
                f"population {name!r}: kernel {len(got)} spikes, reference {len(want)}; "
                f"first differing (step, id): {diff}")
    for name, pr in net.projections.items():
        scale = max(1.0, np.abs(w0[name]).max(), np.abs(ref["weights"][name]).max())
        if pr.stdp is not None and math.isfinite(pr.stdp.w_max):
            scale = pr.stdp.w_max
        np.testing.assert_allclose(res.final_weights[name], ref["weights"][name],
                                   rtol=1e-12, atol=1e-12 * scale,
                                   err_msg=f"final weights of {name!r}")
    if check_v:
        for name in lif:
            v = np.asarray(res.state[name].v)
            assert v.shape == ref["v"][name].shape, (name, v.shape, ref["v"][name].shape)
            np.testing.assert_allclose(v, ref["v"][name], rtol=0, atol=1e-9,
                                       err_msg=f"v trace of {name!r}")
    return res, ref


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("synapse", SYNAPSES)
def test_random_network(synapse, seed):
    net = random_network(seed, synapse)
    res, ref = compare(net, DURATION)
    # the comparison means something only if the neurons fire and the weights move
    assert len(ref["spikes"]["A"]) >= 10
    moved = [np.abs(ref["weights"][n] - res.initial_weights[n]).max() > 0
             for n, pr in net.projections.items() if pr.stdp is not None and pr.n_syn]
    assert any(moved)


def same_step_pairs(net, ref, name):
    """How many (arrival, postsynaptic spike) pairs in the same step the synapses of
    projection ``name`` saw in the reference run."""
    pr = net.projections[name]
    d = np.rint(np.asarray(pr.delay, dtype=float) / net.dt).astype(np.int64)
    d = np.broadcast_to(d, pr.pre_ids.shape)
    pre = {}
    for step, i in ref["spikes"][pr.pre.name]:
        pre.setdefault(i, set()).add(step)
    post = {}
    for step, j in ref["spikes"][pr.post.name]:
        post.setdefault(j, set()).add(step)
    return sum(len({s + int(dk) for s in pre.get(int(i), ())} & post.get(int(j), set()))
               for i, j, dk in zip(pr.pre_ids, pr.post_ids, d))


@pytest.mark.parametrize("same_step", SAME_STEPS)
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_every_scheme(pairing, same_step):
    """Every (pairing, same_step) combination on every plastic projection, the weight
    dependence and the synapse type cycling through the combinations."""
    k = PAIRINGS.index(pairing) * len(SAME_STEPS) + SAME_STEPS.index(same_step)
    synapse = SYNAPSES[k % 3]
    net = random_network(100 + k, synapse, pairing=pairing, same_step=same_step,
                         wdep=WDEPS[k % 3])
    res, ref = compare(net, DURATION)
    for name, pr in net.projections.items():
        if pr.stdp is not None:
            assert pr.stdp.pairing == pairing and pr.stdp.same_step == same_step
    # the comparison means something: A fires, recurrent synapses see same-step pairs,
    # the plastic weights move
    assert len(ref["spikes"]["A"]) >= 10
    assert sum(same_step_pairs(net, ref, name) for name in ("pace->A", "A->A")) >= 10
    for name in ("inp->A", "A->A", "pace->A"):
        assert np.abs(ref["weights"][name] - res.initial_weights[name]).max() > 0, name


def test_refractory_discards_delta_input():
    """A delta input arriving while the target is refractory (spike step included) is lost;
    the same input with K = 0 is kept (and then erased by the reset in the spike step)."""
    for ref_ms in (0.0, 0.1, 1.0):
        net = nl.Network(dt=0.1, seed=0)
        drive = net.add_spikes("drive", n=1, times=[1.0], indices=[0])
        kick = net.add_spikes("kick", n=1, times=[1.1, 1.3, 1.5, 2.5], indices=[0] * 4)
        out = net.add_lif("out", n=1, params=nl.LIFParams(refractory=ref_ms))
        net.connect(drive, out, weight=30.0)
        net.connect(kick, out, weight=1.0)
        compare(net, 5.0)


def test_delays_beyond_run_end_and_zero_delay_recurrence():
    net = nl.Network(dt=0.1, seed=1)
    src = net.add_spikes("src", n=2, times=[0.0, 4.5, 4.9], indices=[0, 1, 0])
    a = net.add_lif("a", n=3, params=nl.LIFParams(refractory=0.3))
    net.connect(src, a, "all_to_all", weight=20.0, delay=[0.0, 0.3, 0.5, 0.2, 0.0, 1.0])
    net.connect(a, a, "all_to_all", weight=3.0, delay=0.0,
                stdp=nl.STDPParams(A_plus=0.1, A_minus=0.1, w_max=5.0))
    compare(net, 5.0)


@pytest.mark.parametrize("K", [1, 2, 3, 20])
def test_refractory_freezes_v_for_K_minus_1_updates(K):
    """DESIGN rule 4 / Brian2 2.9: a neuron spiking at step s is refractory during steps
    s .. s+K-1 (``not_refractory = n - s >= K``). Its v is not integrated in the state updates
    of steps s+1 .. s+K-1 and is integrated again from step s+K on (Brian2 ``unless
    refractory``), so v sampled at the start of steps s+1 .. s+K equals v_reset and the
    sample at s+K+1 has decayed by one step."""
    dt = 0.1
    p = nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0,
                     refractory=K * dt)
    net = nl.Network(dt=dt, seed=0)
    drive = net.add_spikes("drive", 1, times=[1.0], indices=[0])
    out = net.add_lif("out", 1, p)
    net.connect(drive, out, weight=30.0)
    res = net.run(1.2 + (K + 3) * dt, progress=False, record_state={"out": "all"})
    s = 11  # the kick arrives at step 10; v > v_th at the threshold of step 11
    np.testing.assert_allclose(res.spikes["out"].t, [s * dt])
    v = np.asarray(res.state["out"].v)[:, 0]
    assert (v[s + 1:s + K + 1] == p.v_reset).all(), v[s:s + K + 3]
    decayed = p.v_rest + (p.v_reset - p.v_rest) * math.exp(-dt / p.tau_m)
    assert v[s + K + 1] == pytest.approx(decayed, abs=1e-12), v[s:s + K + 3]



def _many_populations(targets):
    net = nl.Network(dt=0.1, seed=7)
    inp = net.add_poisson("inp", n=20, rates=30.0)
    for q in range(1, 70):
        pop = net.add_lif(f"P{q}", n=2, params=nl.LIFParams(synapse="delta"))
        net.connect(inp, pop, "probability", p=0.5, weight=4.0,
                    stdp=nl.STDPParams(A_plus=0.2, A_minus=0.21, w_max=8.0)
                    if q in targets else None, name=f"inp->P{q}")
    assert list(net.populations).index("P66") == 66
    return net


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("targets", [(66,), (3,), (3, 66)])
def test_more_populations_than_the_kernels_post_mask_has_bits(targets, threads):
    """70 populations: the kernels keep "postsynaptic to a pair-rule pathway" as bit
    ``q % 63`` of one integer, so populations 3 and 66 share a bit. Plastic input onto 66
    only, onto 3 only, and onto both: the reference's spikes and weights (and ``v`` on one
    thread)."""
    if threads == 1:
        net = _many_populations(targets)
        res, ref = compare(net, 100.0)
        w0 = res.initial_weights
    else:
        ref = reference_simulate(_many_populations(targets), 100.0, record_v=False)
        net = _many_populations(targets)
        w0 = {name: pr.weight for name, pr in net.projections.items()}
        res = net.run(100.0, progress=False, threads=2, record_spikes="all")
        for name in net.populations:
            steps = np.rint(np.asarray(res.spikes[name].t) / net.dt).astype(int)
            got = list(zip(steps.tolist(), np.asarray(res.spikes[name].i).tolist()))
            assert got == ref["spikes"][name], name
        for name in net.projections:
            np.testing.assert_allclose(res.final_weights[name], ref["weights"][name],
                                       rtol=1e-12, atol=1e-11, err_msg=name)
    for q in targets:
        assert len(ref["spikes"][f"P{q}"]) >= 3
        assert np.abs(ref["weights"][f"inp->P{q}"] - w0[f"inp->P{q}"]).max() > 0.05
