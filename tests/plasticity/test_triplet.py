"""The triplet rule (Pfister & Gerstner 2006): analytic protocols, the slow reference,
Brian2 and NEST.

Imposed spikes (as in tests/test_stdp_window.py): protocol ``k`` has its own presynaptic
source ``pre[k]`` (spikes at the wanted *arrival* times; delay 0 unless said), its own
postsynaptic LIF neuron ``post[k]`` and a driver ``drive[k]`` that kicks ``post[k]`` by
30 mV one step before each wanted postsynaptic spike. The plastic synapse ``pre[k] ->
post[k]`` is an *inhibitory* delta synapse (weights are magnitudes; the receptor lowers
``v``), so it can never make ``post[k]`` fire: every plastic synapse sees exactly the
spikes of its protocol. Every closed form below is written by hand from the rule's
definition (pair terms ``A2``, triplet terms ``A3``, traces r1/r2 pre, o1/o2 post), never
computed by the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.engine import kernels as K
from neurolab.plasticity.triplet import PRESETS, PRESET_SOURCES

from test_kernel_vs_reference import compare

TAU_PLUS, TAU_MINUS = 16.8, 33.7


# --------------------------------------------------------------------------- helpers
def run_protocols(rules, protocols, dt=0.1, w0=0.5, delay=0.0, tail=50.0, trajectory=False):
    """Run protocol k (``(pre_arrivals_ms, post_ms)``) on its own synapse with rule
    ``rules[k]`` (one projection per distinct rule). Returns the weight changes
    ``w_final - w0`` in protocol order (and, with ``trajectory``, the weights at the start
    of every step, (n_steps, n_protocols)); asserts every post neuron spiked exactly as
    asked."""
    if not isinstance(rules, (list, tuple)):
        rules = [rules] * len(protocols)
    n = len(protocols)
    d = int(round(delay / dt))
    net = nl.Network(dt=dt, seed=0)
    pre_t, pre_i, drv_t, drv_i = [], [], [], []
    last = 0
    for k, (pre, post) in enumerate(protocols):
        ps = np.rint(np.asarray(pre, float) / dt).astype(np.int64) - d
        qs = np.rint(np.asarray(post, float) / dt).astype(np.int64)
        assert (ps >= 0).all() and (qs >= 1).all()
        pre_t += list(ps)
        pre_i += [k] * ps.size
        drv_t += list(qs - 1)
        drv_i += [k] * qs.size
        last = max([last, *(ps + d), *qs])
    pre = net.add_spikes("pre", n, times=np.array(pre_t) * dt, indices=np.array(pre_i, int))
    drive = net.add_spikes("drive", n, times=np.array(drv_t) * dt,
                           indices=np.array(drv_i, int))
    post = net.add_lif("post", n, nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0,
                                               v_reset=-60.0, refractory=0.0))
    net.connect(drive, post, "one_to_one", weight=30.0)
    groups = {}
    for k, rule in enumerate(rules):
        groups.setdefault(rule, []).append(k)
    for g, (rule, ks) in enumerate(groups.items()):
        net.connect(pre, post, "explicit", pre_ids=ks, post_ids=ks, weight=w0, delay=delay,
                    stdp=rule, receptor="inh", name=f"plastic{g}")
    rec = {f"plastic{g}": "all" for g in range(len(groups))} if trajectory else None
    res = net.run(last * dt + tail, progress=False, record_weights=rec, weight_dt=dt)
    sp = res.spikes["post"]
    got = sorted(zip(np.asarray(sp.i).tolist(), np.rint(np.asarray(sp.t) / dt).astype(int)
                     .tolist()))
    want = sorted((i, s + 1) for i, s in zip(drv_i, drv_t))
    assert got == want, "postsynaptic spikes not where meant"
    dw = np.empty(n)
    traj = np.empty((res.weights["plastic0"].w.shape[0] if trajectory else 0, n))
    for g, (rule, ks) in enumerate(groups.items()):
        dw[ks] = res.final_weights[f"plastic{g}"] - w0
        if trajectory:
            traj[:, ks] = res.weights[f"plastic{g}"].w
    return (dw, traj) if trajectory else dw


def hip_full(**kw):
    """The hippocampal all-to-all full fit: every one of the four amplitudes non-zero."""
    return nl.TripletSTDP.preset("hippocampal_all_to_all_full", **kw)


# --------------------------------------------------------------------------- parameters
def test_presets_are_the_published_tables():
    """Pfister & Gerstner 2006, Tables 3 (visual cortex) and 4 (hippocampus), typed in from
    the sources named in PRESET_SOURCES: (tau_x, tau_y, A2+, A3+, A2-, A3-, interaction)."""
    table = {
        "visual_cortex_all_to_all_full": (101, 125, 5e-10, 6.2e-3, 7e-3, 2.3e-4),
        "visual_cortex_all_to_all_minimal": (None, 114, 0, 6.5e-3, 7.1e-3, 0),
        "visual_cortex_nearest_spike_full": (714, 40, 8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3),
        "visual_cortex_nearest_spike_minimal": (None, 40, 0, 5.2e-2, 8e-3, 0),
        "hippocampal_all_to_all_full": (946, 27, 6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3),
        "hippocampal_all_to_all_minimal": (None, 40, 5.3e-3, 8e-3, 3.5e-3, 0),
        "hippocampal_nearest_spike_full": (575, 47, 4.6e-3, 9.1e-3, 3e-3, 7.5e-9),
        "hippocampal_nearest_spike_minimal": (None, 48, 4.6e-3, 9.1e-3, 3e-3, 0),
    }
    assert set(table) == set(PRESETS) == set(PRESET_SOURCES)
    for name, (tx, ty, a2p, a3p, a2m, a3m) in table.items():
        s = nl.TripletSTDP.preset(name, w_max=2.0)
        assert (s.tau_plus, s.tau_minus, s.tau_y) == (16.8, 33.7, ty), name
        if tx is not None:
            assert s.tau_x == tx, name
        assert (s.A2_plus, s.A3_plus, s.A2_minus, s.A3_minus) == (a2p, a3p, a2m, a3m), name
        assert s.interaction == ("nearest_spike" if "nearest" in name else "all_to_all")
        assert (s.w_min, s.w_max) == (0.0, 2.0)
        if "minimal" in name:
            assert s.A3_minus == 0.0


def test_validation_messages():
    with pytest.raises(ValueError, match="A3_plus must be >= 0"):
        nl.TripletSTDP(A3_plus=-1.0)
    with pytest.raises(ValueError, match="tau_y must be > 0 ms"):
        nl.TripletSTDP(tau_y=0.0)
    with pytest.raises(ValueError, match="interaction"):
        nl.TripletSTDP(interaction="nearest")
    with pytest.raises(ValueError, match="w_max must be > w_min"):
        nl.TripletSTDP(w_min=1.0, w_max=1.0)
    with pytest.raises(ValueError, match="preset"):
        nl.TripletSTDP.preset("visual_cortex")
    net = nl.Network(dt=2.0)
    a = net.add_spikes("a", 1, times=[2.0], indices=[0])
    b = net.add_lif("b", 1)
    with pytest.raises(ValueError, match="dt must not exceed"):
        net.connect(a, b, stdp=nl.TripletSTDP(tau_x=1.0))
    with pytest.raises(ValueError, match="w_min must be >= 0"):
        net.connect(a, b, stdp=nl.TripletSTDP(w_min=-1.0))


# --------------------------------------------------------------------------- analytic
def test_single_pairs():
    """One pre/post pair at Δt = t_post - t_pre: +A2_plus exp(-Δt/tau_plus) for Δt >= 0
    (Δt = 0: the presynaptic pathway runs first in a step, so the pair potentiates),
    -A2_minus exp(Δt/tau_minus) for Δt < 0; the triplet terms see no earlier spike. The
    same for both interactions (one spike per trace)."""
    offsets = np.concatenate([np.arange(-80.0, 80.1, 4.0), [-0.2, -0.1, 0.1, 0.2]])
    for name in ("hippocampal_all_to_all_full", "hippocampal_nearest_spike_full"):
        s = nl.TripletSTDP.preset(name)
        protos = [([200.0], [200.0 + o]) for o in offsets]
        dw = run_protocols(s, protos)
        want = [s.A2_plus * math.exp(-o / TAU_PLUS) if o >= 0
                else -s.A2_minus * math.exp(o / TAU_MINUS) for o in offsets]
        np.testing.assert_allclose(dw, want, rtol=1e-10, atol=1e-15)
        assert dw[offsets == 0.0][0] == pytest.approx(s.A2_plus, rel=1e-10)


def test_pairs_relative_to_arrival_with_axonal_delay():
    s = hip_full()
    offsets = np.arange(-30.0, 30.1, 5.0)
    dw = run_protocols(s, [([100.0], [100.0 + o]) for o in offsets], delay=3.0)
    want = [s.A2_plus * math.exp(-o / TAU_PLUS) if o >= 0
            else -s.A2_minus * math.exp(o / TAU_MINUS) for o in offsets]
    np.testing.assert_allclose(dw, want, rtol=1e-10, atol=1e-15)


T1T2 = [(5.0, 5.0), (10.0, 5.0), (5.0, 15.0), (20.0, 30.0), (3.0, 47.0)]


@pytest.mark.parametrize("interaction", ["all_to_all", "nearest_spike"])
def test_triplets(interaction):
    """post-pre-post (posts at 0 and t1 + t2, pre at t1) and pre-post-pre (pres at 0 and
    t1 + t2, post at t1), by hand (each trace holds at most one spike, so both
    interactions agree):

    post-pre-post: the pre depresses by o1 = e^{-t1/tau_-} (r2 before = 0); the second post
    potentiates by r1 = e^{-t2/tau_+} times (A2+ + A3+ o2), o2 = e^{-(t1+t2)/tau_y}:
        Δw = -A2- e^{-t1/tau_-} + e^{-t2/tau_+} (A2+ + A3+ e^{-(t1+t2)/tau_y})
    pre-post-pre: the post potentiates by A2+ e^{-t1/tau_+} (o2 before = 0); the second pre
    depresses by o1 = e^{-t2/tau_-} times (A2- + A3- r2), r2 = e^{-(t1+t2)/tau_x}:
        Δw = A2+ e^{-t1/tau_+} - e^{-t2/tau_-} (A2- + A3- e^{-(t1+t2)/tau_x})
    """
    s = hip_full(w_max=1.0).replace(interaction=interaction)
    t0 = 100.0
    protos, want = [], []
    for t1, t2 in T1T2:
        protos.append(([t0 + t1], [t0, t0 + t1 + t2]))
        want.append(-s.A2_minus * math.exp(-t1 / s.tau_minus)
                    + math.exp(-t2 / s.tau_plus)
                    * (s.A2_plus + s.A3_plus * math.exp(-(t1 + t2) / s.tau_y)))
        protos.append(([t0, t0 + t1 + t2], [t0 + t1]))
        want.append(s.A2_plus * math.exp(-t1 / s.tau_plus)
                    - math.exp(-t2 / s.tau_minus)
                    * (s.A2_minus + s.A3_minus * math.exp(-(t1 + t2) / s.tau_x)))
    dw = run_protocols(s, protos)
    np.testing.assert_allclose(dw, want, rtol=1e-10, atol=1e-15)
    # the triplet terms matter here: the pair rule alone would give something else
    pair = [(-s.A2_minus * math.exp(-t1 / s.tau_minus) + s.A2_plus * math.exp(-t2 / s.tau_plus),
             s.A2_plus * math.exp(-t1 / s.tau_plus) - s.A2_minus * math.exp(-t2 / s.tau_minus))
            for t1, t2 in T1T2]
    assert np.all(np.abs(np.array(want) - np.ravel(pair)) > 1e-5)


def test_bursts_tell_the_interactions_apart():
    """pre-pre-post (pres at 0 and t1, post at t1 + t2) and pre-post-post-post (pre at 0,
    posts at u1 < u2 < u3), by hand:

    pre-pre-post: the second pre sees no post (o1 = 0); at the post
        all-to-all:    r1 = e^{-(t1+t2)/tau_+} + e^{-t2/tau_+}, o2 = 0
        nearest-spike: r1 = e^{-t2/tau_+}
        Δw = A2+ r1
    pre-post-post-post: post k potentiates by e^{-u_k/tau_+} (A2+ + A3+ o2_k) with
        all-to-all:    o2_k = sum_{j<k} e^{-(u_k - u_j)/tau_y}
        nearest-spike: o2_k = e^{-(u_k - u_{k-1})/tau_y} (0 for k = 1)
    """
    s_all = hip_full(w_max=1.0)
    s_nn = s_all.replace(interaction="nearest_spike")
    t0 = 100.0
    cases = [(5.0, 5.0), (10.0, 20.0), (30.0, 2.0)]
    bursts = [(2.0, 7.0, 15.0), (10.0, 20.0, 30.0), (1.0, 40.0, 41.0)]
    protos, rules, want = [], [], []
    for s in (s_all, s_nn):
        for t1, t2 in cases:
            protos.append(([t0, t0 + t1], [t0 + t1 + t2]))
            rules.append(s)
            r1 = math.exp(-t2 / s.tau_plus)
            if s is s_all:
                r1 += math.exp(-(t1 + t2) / s.tau_plus)
            want.append(s.A2_plus * r1)
        for u in bursts:
            protos.append(([t0], [t0 + x for x in u]))
            rules.append(s)
            total = 0.0
            for k, uk in enumerate(u):
                if s is s_all:
                    o2 = sum(math.exp(-(uk - uj) / s.tau_y) for uj in u[:k])
                else:
                    o2 = math.exp(-(uk - u[k - 1]) / s.tau_y) if k else 0.0
                total += math.exp(-uk / s.tau_plus) * (s.A2_plus + s.A3_plus * o2)
            want.append(total)
    dw = run_protocols(rules, protos)
    np.testing.assert_allclose(dw, want, rtol=1e-10, atol=1e-15)
    half = len(protos) // 2
    assert np.all(np.abs(dw[:half] - dw[half:]) > 1e-6)


# ---- the frequency dependence (Sjöström et al. 2001; Pfister & Gerstner 2006, Fig. 5)
N_PAIRINGS = 60
FREQS = (0.1, 1.0, 5.0, 10.0, 20.0, 25.0, 40.0, 50.0)      # Hz: periods multiples of dt
LAG = 10.0                                                   # ms, |Δt|


def _S(q, n=N_PAIRINGS):
    """sum_{i=0}^{n-1} q^i = (1 - q^n) / (1 - q)."""
    return (1.0 - q ** n) / (1.0 - q)


def frequency_closed_form(s, rho, lag):
    """Total weight change of N = 60 pairings at rho Hz (period T = 1000/rho ms), pairing i
    at iT: pre then post lag ms later (lag > 0), or post then pre |lag| ms later (lag < 0);
    |lag| < T. Written by hand.

    All-to-all: a trace at a spike is a geometric series over the earlier pairings. With
    a = e^{-T/tau_+}, b = e^{-T/tau_y}, c = e^{-T/tau_-}, x = e^{-T/tau_x},
    G_q(i) = sum_{j=0}^{i} q^j = (1 - q^{i+1})/(1 - q), H_q(i) = sum_{j=1}^{i} q^j
    = q (1 - q^i)/(1 - q), D = |lag|:

    lag > 0, pairing i: post at iT + D sees r1 = e^{-D/tau_+} G_a(i) (pres 0..i) and
    o2 = H_b(i) (posts 0..i-1, just before); pre at iT sees o1 = e^{D/tau_-} H_c(i)
    (posts 0..i-1, at (i-j)T - D before) and r2 = H_x(i). Summed over i with
    S(q) = sum_{i=0}^{N-1} q^i = (1 - q^N)/(1 - q):
        sum G_a = (N - a S(a))/(1 - a)
        sum G_a H_b = b/((1-a)(1-b)) (N - a S(a) - S(b) + a S(ab))
        sum H_c = c/(1-c) (N - S(c))
        sum H_c H_x = c x/((1-c)(1-x)) (N - S(c) - S(x) + S(cx))
        Δw = e^{-D/tau_+} (A2+ sum G_a + A3+ sum G_a H_b)
             - e^{D/tau_-} (A2- sum H_c + A3- sum H_c H_x)
    lag < 0, pairing i: post at iT sees r1 = e^{D/tau_+} H_a(i) (pres 0..i-1, at
    (i-j)T - D before), o2 = H_b(i); pre at iT + D sees o1 = e^{-D/tau_-} G_c(i) (posts
    0..i) and r2 = H_x(i):
        sum H_a H_b = a b/((1-a)(1-b)) (N - S(a) - S(b) + S(ab))
        sum G_c H_x = x/((1-c)(1-x)) (N - S(x) - c S(c) + c S(cx))
        Δw = e^{D/tau_+} (A2+ sum H_a + A3+ sum H_a H_b)
             - e^{-D/tau_-} (A2- sum G_c + A3- sum G_c H_x)

    Nearest spike: every trace holds the last spike only, so each sum keeps one term:
    lag > 0: post i sees r1 = e^{-D/tau_+}, o2 = b (i >= 1); pre i >= 1 sees
        o1 = e^{-(T-D)/tau_-}, r2 = x:
        Δw = e^{-D/tau_+} (N A2+ + (N-1) A3+ b) - (N-1) e^{-(T-D)/tau_-} (A2- + A3- x)
    lag < 0: post i >= 1 sees r1 = e^{-(T-D)/tau_+}, o2 = b; pre i sees o1 = e^{-D/tau_-},
        r2 = x (i >= 1):
        Δw = (N-1) e^{-(T-D)/tau_+} (A2+ + A3+ b) - e^{-D/tau_-} (N A2- + (N-1) A3- x)
    """
    N, T, D = N_PAIRINGS, 1000.0 / rho, abs(lag)
    a, b = math.exp(-T / s.tau_plus), math.exp(-T / s.tau_y)
    c, x = math.exp(-T / s.tau_minus), math.exp(-T / s.tau_x)
    S = _S
    if s.interaction == "nearest_spike":
        if lag > 0:
            return (math.exp(-D / s.tau_plus) * (N * s.A2_plus + (N - 1) * s.A3_plus * b)
                    - (N - 1) * math.exp(-(T - D) / s.tau_minus) * (s.A2_minus
                                                                    + s.A3_minus * x))
        return ((N - 1) * math.exp(-(T - D) / s.tau_plus) * (s.A2_plus + s.A3_plus * b)
                - math.exp(-D / s.tau_minus) * (N * s.A2_minus + (N - 1) * s.A3_minus * x))
    if lag > 0:
        sGa = (N - a * S(a)) / (1 - a)
        sGaHb = b / ((1 - a) * (1 - b)) * (N - a * S(a) - S(b) + a * S(a * b))
        sHc = c / (1 - c) * (N - S(c))
        sHcHx = c * x / ((1 - c) * (1 - x)) * (N - S(c) - S(x) + S(c * x))
        return (math.exp(-D / s.tau_plus) * (s.A2_plus * sGa + s.A3_plus * sGaHb)
                - math.exp(D / s.tau_minus) * (s.A2_minus * sHc + s.A3_minus * sHcHx))
    sHa = a / (1 - a) * (N - S(a))
    sHaHb = a * b / ((1 - a) * (1 - b)) * (N - S(a) - S(b) + S(a * b))
    sGc = (N - c * S(c)) / (1 - c)
    sGcHx = x / ((1 - c) * (1 - x)) * (N - S(x) - c * S(c) + c * S(c * x))
    return (math.exp(D / s.tau_plus) * (s.A2_plus * sHa + s.A3_plus * sHaHb)
            - math.exp(-D / s.tau_minus) * (s.A2_minus * sGc + s.A3_minus * sGcHx))


def test_frequency_closed_form_is_its_own_sum():
    """The summed closed form equals the per-pairing sums it was derived from (a check of
    the algebra, independent of the simulator)."""
    s = hip_full()
    for rho in (1.0, 20.0, 50.0):
        T = 1000.0 / rho
        for lag in (LAG, -LAG):
            D, total = abs(lag), 0.0
            pres = [i * T + (0 if lag > 0 else D) for i in range(N_PAIRINGS)]
            posts = [i * T + (D if lag > 0 else 0) for i in range(N_PAIRINGS)]
            events = sorted([(t, 0) for t in pres] + [(t, 1) for t in posts])
            for t, kind in events:
                if kind == 0:
                    o1 = sum(math.exp(-(t - u) / s.tau_minus) for u in posts if u < t)
                    r2 = sum(math.exp(-(t - u) / s.tau_x) for u in pres if u < t)
                    total -= o1 * (s.A2_minus + s.A3_minus * r2)
                else:
                    r1 = sum(math.exp(-(t - u) / s.tau_plus) for u in pres if u <= t)
                    o2 = sum(math.exp(-(t - u) / s.tau_y) for u in posts if u < t)
                    total += r1 * (s.A2_plus + s.A3_plus * o2)
            assert frequency_closed_form(s, rho, lag) == pytest.approx(total, rel=1e-12)


def test_frequency_dependence_sjostrom_protocol():
    """60 pairings at 0.1 .. 50 Hz, Δt = +10 ms and -10 ms (Sjöström, Turrigiano & Nelson
    2001; Pfister & Gerstner 2006, Fig. 5), for the visual-cortex minimal models of both
    interactions: simulated weight changes equal the closed form to rounding, and show the
    paper's result: at low frequency only pre-post pairs potentiate (post-pre pairs
    depress); at high frequency both orders potentiate (the pair rule cannot do this)."""
    rules = [nl.TripletSTDP.preset(name, w_max=16.0) for name in
             ("visual_cortex_all_to_all_minimal", "visual_cortex_nearest_spike_minimal")]
    protos, rr, want = [], [], []
    t0 = 20.0
    for s in rules:
        for rho in FREQS:
            T = 1000.0 / rho
            for lag in (LAG, -LAG):
                base = t0 + np.arange(N_PAIRINGS) * T
                pre, post = (base, base + LAG) if lag > 0 else (base + LAG, base)
                protos.append((pre, post))
                rr.append(s)
                want.append(frequency_closed_form(s, rho, lag))
    dw = run_protocols(rr, protos, dt=0.5, w0=4.0, tail=10.0)
    np.testing.assert_allclose(dw, want, rtol=1e-10, atol=1e-12)
    for s_i in range(2):
        got = dw[s_i * 2 * len(FREQS):(s_i + 1) * 2 * len(FREQS)].reshape(len(FREQS), 2)
        plus, minus = got[:, 0], got[:, 1]
        assert minus[0] < 0 and minus[-1] > 0         # LTD at 0.1 Hz, LTP at 50 Hz
        assert np.all(np.diff(plus) > 0)                # LTP grows with frequency
        assert plus[-1] > 10 * abs(plus[0])


# --------------------------------------------------------------------------- kernel
@pytest.mark.parametrize("interaction,pairing", [("all_to_all", "all_to_all"),
                                                 ("nearest_spike", "nearest_symmetric")])
def test_without_triplet_terms_it_is_the_pair_rule(interaction, pairing):
    """A3_plus = A3_minus = 0 leaves the pair rule with trace amplitudes A2_plus, A2_minus
    (all-to-all: pairing "all_to_all"; nearest spike: "nearest_symmetric"): the same spikes
    and weights, to rounding, on a recurrent network with delays and refractoriness."""
    def build(rule):
        net = nl.Network(dt=0.1, seed=11)
        inp = net.add_poisson("inp", 30, rates=25.0)
        out = net.add_lif("out", 8, nl.LIFParams(refractory=2.0))
        net.connect(inp, out, weight=("uniform", 0.0, 5.0), delay=("uniform", 0.0, 3.0),
                    stdp=rule, name="ff")
        net.connect(out, out, "probability", p=0.3, weight=("uniform", 0.0, 5.0), delay=1.0,
                    stdp=rule, autapses=False, name="rec")
        return net
    pair = nl.STDPParams(A_plus=0.1, A_minus=0.12, tau_plus=16.8, tau_minus=33.7,
                         w_max=5.0, pairing=pairing)
    trip = nl.TripletSTDP(A2_plus=0.1, A3_plus=0.0, A2_minus=0.12, A3_minus=0.0, w_max=5.0,
                          interaction=interaction)
    a = build(pair).run(500.0, progress=False)
    b = build(trip).run(500.0, progress=False)
    np.testing.assert_array_equal(a.spikes["out"].t, b.spikes["out"].t)
    np.testing.assert_array_equal(a.spikes["out"].i, b.spikes["out"].i)
    assert len(a.spikes["out"].t) > 50
    for name in ("ff", "rec"):
        np.testing.assert_allclose(b.final_weights[name], a.final_weights[name], rtol=1e-12,
                                   atol=1e-12 * 5.0)
        assert np.abs(a.final_weights[name] - build(pair).projections[name].weight).max() > 0.1


def test_default_network_does_not_compile_the_triplet_family():
    net = nl.Network(dt=0.1, seed=0)
    a = net.add_poisson("a", 5, rates=50.0)
    b = net.add_lif("b", 2)
    net.connect(a, b, weight=5.0, stdp=nl.STDPParams(w_max=10.0))
    net.run(5.0, progress=False)
    assert net._state.families[0] is None
    assert any(str(sig[8]) == "none" for sig in K.run_steps.signatures)
    net2 = nl.Network(dt=0.1, seed=0)
    a = net2.add_poisson("a", 5, rates=50.0)
    b = net2.add_lif("b", 2)
    net2.connect(a, b, weight=5.0, stdp=nl.TripletSTDP(w_max=10.0))
    net2.run(5.0, progress=False)
    assert net2._state.families[0] is not None
    assert any(str(sig[8]).startswith("TripletState") for sig in K.run_steps.signatures)


def test_set_stdp_between_runs_and_continuation():
    """set_stdp changes parameters (and the interaction) between runs; a rule of another
    family is refused; run(a) + run(b) equals run(a + b) bitwise."""
    def build():
        net = nl.Network(dt=0.1, seed=3)
        inp = net.add_poisson("inp", 20, rates=30.0)
        out = net.add_lif("out", 3, nl.LIFParams(refractory=2.0))
        net.connect(inp, out, weight=("uniform", 0.0, 4.0), delay=("uniform", 0.0, 2.0),
                    stdp=hip_full(w_max=4.0).replace(A3_plus=0.2, A3_minus=0.1),
                    name="p")
        return net
    one = build()
    r = one.run(400.0, progress=False)
    two = build()
    two.run(150.0, progress=False)
    r2 = two.run(250.0, progress=False)
    np.testing.assert_array_equal(r.final_weights["p"], r2.final_weights["p"])
    # parameters change between runs: one isolated post-pre-post triplet before and after
    s = hip_full()
    net = nl.Network(dt=0.1, seed=0)
    pre = net.add_spikes("pre", 1, times=[110.0, 410.0], indices=[0, 0])
    drive = net.add_spikes("drive", 1, times=[99.9, 114.9, 399.9, 414.9], indices=[0] * 4)
    post = net.add_lif("post", 1)
    net.connect(drive, post, weight=30.0)
    proj = net.connect(pre, post, weight=0.5, stdp=s, receptor="inh", name="p")
    w1 = net.run(300.0, progress=False).final_weights["p"][0]
    s2 = s.replace(A2_minus=2 * s.A2_minus, A3_plus=3 * s.A3_plus, tau_y=60.0,
                   interaction="nearest_spike")
    proj.set_stdp(s2)
    w2 = net.run(300.0, progress=False).final_weights["p"][0]

    def triplet(r):     # post at 0, pre at 10, post at 15 ms (see test_triplets)
        return (-r.A2_minus * math.exp(-10 / r.tau_minus)
                + math.exp(-5 / r.tau_plus) * (r.A2_plus + r.A3_plus * math.exp(-15 / r.tau_y)))
    assert w1 - 0.5 == pytest.approx(triplet(s), rel=1e-10)
    # the second triplet (posts at 400, 415, pre at 410) also sees the traces the first
    # left (kept across runs, decaying with the new time constants from then on): after
    # the first, all-to-all, r1 = r2 = 1 at 110 and o2 = 1 + e^{-15/27} at 115 (tau_y
    # was 27 ms). Then, nearest-spike:
    # post 400: r1 = e^{-290/tau_+}, o2 = (1 + e^{-15/27}) e^{-285/tau_y'}; traces -> 1
    # pre 410: o1 = e^{-10/tau_-}, r2 = e^{-300/tau_x}
    # post 415: r1 = e^{-5/tau_+}, o2 = e^{-15/tau_y'}
    late = (math.exp(-290 / s2.tau_plus) * (s2.A2_plus + s2.A3_plus * (
                1 + math.exp(-15 / s.tau_y)) * math.exp(-285 / s2.tau_y))
            - math.exp(-10 / s2.tau_minus) * (s2.A2_minus
                                              + s2.A3_minus * math.exp(-300 / s2.tau_x))
            + math.exp(-5 / s2.tau_plus) * (s2.A2_plus + s2.A3_plus
                                             * math.exp(-15 / s2.tau_y)))
    assert w2 - w1 == pytest.approx(late, rel=1e-9)
    with pytest.raises(ValueError, match="set_stdp cannot change"):
        proj.set_stdp(nl.STDPParams())


# --------------------------------------------------------------------------- reference
def random_triplet_network(seed, synapse, dt=None):
    """Poisson and explicit inputs -> LIF population A (``synapse``) -> B; triplet
    projections (both interactions in each network, random presets with amplitudes
    scaled to each projection's w_max) on inp->A (heterogeneous axonal delays), A->A
    (recurrent, one delay) and A->B, one pair-rule projection (both families in one
    kernel), inhibition; refractoriness and dt drawn."""
    rng = np.random.default_rng([seed, 77])
    dt = float(rng.choice([0.1, 0.05, 0.2])) if dt is None else dt
    net = nl.Network(dt=dt, seed=seed)
    inp = net.add_poisson("inp", 20, rates=rng.uniform(10.0, 40.0, 20))
    steps = np.unique(rng.integers(0, int(200.0 / dt), 40))
    stim = net.add_spikes("stim", 3, times=steps * dt, indices=rng.integers(0, 3, steps.size))

    def params(syn):
        return nl.LIFParams(tau_m=float(rng.choice([10.0, 20.0])), v_rest=-70.0, v_th=-54.0,
                            v_reset=-60.0, refractory=float(rng.choice([0.0, dt, 2.0])),
                            synapse=syn, tau_e=5.0, tau_i=8.0, E_e=0.0, E_i=-80.0)
    A = net.add_lif("A", 10, params(synapse), v_init=rng.uniform(-70.0, -55.0, 10))
    B = net.add_lif("B", 4, params(synapse), v_init=rng.uniform(-70.0, -55.0, 4))
    scale = {"delta": (5.0, 3.0), "current": (14.0, 7.0), "conductance": (0.3, 0.15)}[synapse]
    first = ("all_to_all", "nearest_spike")[seed % 2]

    def trip(w_max, interaction):
        names = sorted(k for k in PRESETS if PRESETS[k][-1] == interaction)
        s = nl.TripletSTDP.preset(str(rng.choice(names)), w_max=w_max)
        # amplitudes relative to w_max, large enough that the weights move visibly
        f = 1.5 * w_max
        return s.replace(A2_plus=f * s.A2_plus, A3_plus=f * s.A3_plus,
                         A2_minus=f * s.A2_minus, A3_minus=f * s.A3_minus)

    def conn(pre, post, p, w_hi, stdp=None, delay=0.0, receptor="exc", autapses=True):
        mask = rng.random((pre.n, post.n)) < p
        if not autapses:
            np.fill_diagonal(mask, False)
        pi, qi = np.nonzero(mask)
        return net.connect(pre, post, "explicit", pre_ids=pi, post_ids=qi,
                           weight=rng.uniform(0.0, w_hi, pi.size), delay=delay,
                           receptor=receptor, stdp=stdp)
    pi, qi = np.nonzero(rng.random((20, 10)) < 0.5)
    net.connect(inp, A, "explicit", pre_ids=pi, post_ids=qi,
                weight=rng.uniform(0.0, scale[0], pi.size),
                delay=rng.integers(0, 31, pi.size) * dt, stdp=trip(scale[0], first))
    other = "nearest_spike" if first == "all_to_all" else "all_to_all"
    conn(stim, A, 0.6, scale[0])
    conn(A, A, 0.3, scale[1], trip(scale[1], other), delay=float(rng.integers(1, 20)) * dt,
         autapses=False)
    conn(A, B, 0.5, scale[1], trip(scale[1], first))
    conn(inp, B, 0.3, scale[0], nl.STDPParams(A_plus=0.02 * scale[0],
                                              A_minus=0.021 * scale[0], w_max=scale[0]))
    conn(B, A, 0.5, scale[1], receptor="inh")
    return net


@pytest.mark.parametrize("synapse,seed", [("delta", 0), ("current", 1), ("conductance", 2),
                                          ("delta", 3)])
def test_kernel_matches_reference(synapse, seed):
    net = random_triplet_network(seed, synapse)
    w0 = {k: p.weight.copy() for k, p in net.projections.items()}
    res, ref = compare(net, 250.0)
    assert len(ref["spikes"]["A"]) >= 10
    moved = [np.abs(ref["weights"][k] - w0[k]).max() for k, p in net.projections.items()
             if isinstance(p.stdp, nl.TripletSTDP)]
    assert min(moved) > 1e-3 * min(p.stdp.w_max for p in net.projections.values()
                                   if p.stdp is not None)


# --------------------------------------------------------------------------- Brian2
@pytest.mark.brian2
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("synapse,seed", [("delta", 5), ("current", 4)])
def test_matches_brian2(synapse, seed):
    """Random networks as above (dt = 0.1 ms, 150 ms: Brian2's numpy target is slow) in
    Brian2 (tests/brian2_model.py, the triplet rule as Brian2 equations): identical spike
    steps, weights within 1e-9 w_max."""
    from test_brian2_oracle import brian2_simulate, neurolab_simulate
    net = random_triplet_network(seed, synapse, dt=0.1)
    b2 = brian2_simulate(net, 150.0)          # first: it reads the initial state
    ours = neurolab_simulate(net, 150.0)
    for name in net.populations:
        np.testing.assert_array_equal(ours["spikes"][name], b2["spikes"][name],
                                      err_msg=f"spikes of {name!r}")
    assert len(ours["spikes"]["A"]) >= 10
    for name, pr in net.projections.items():
        scale = pr.stdp.w_max if pr.stdp is not None else 1.0
        np.testing.assert_allclose(ours["weights"][name], b2["weights"][name], rtol=0,
                                   atol=1e-9 * scale, err_msg=f"weights of {name!r}")


# --------------------------------------------------------------------------- NEST
def _nest_trains(rng, duration=1000.0, dt=0.1, rate_pre=30.0, rate_post=25.0):
    """Random presynaptic arrival and postsynaptic trains (ms) on the dt grid: no pre and
    post in the same step (NEST discards zero-interval pairs; neurolab counts them as
    pre-then-post), postsynaptic spikes >= 2 steps apart (each is made by a kick one step
    before it, and a kick in the spike step of the previous one would be lost)."""
    n = int(duration / dt)
    pre = np.flatnonzero(rng.random(n) < rate_pre * dt * 1e-3)
    post = np.flatnonzero(rng.random(n) < rate_post * dt * 1e-3)
    post = post[post >= 2]
    keep = np.concatenate([[True], np.diff(post) >= 2]) if post.size else post.astype(bool)
    post = post[keep]
    post = post[~np.isin(post, pre)]
    return np.round(pre * dt, 10), np.round(post * dt, 10)


@pytest.mark.nest
def test_matches_nest_stdp_triplet_synapse():
    """NEST 3.10's stdp_triplet_synapse (all-to-all; NEST has no nearest-spike version) as
    a second oracle (tests/nest_oracle.py): random imposed trains at the synapse, the four
    all-to-all presets with amplitudes scaled up (one so far that the weight hits its
    bounds), final weights within 1e-9 relative. NEST's parameters: Aplus = A2_plus,
    Aplus_triplet = A3_plus, Aminus = A2_minus, Aminus_triplet = A3_minus, tau_plus,
    tau_plus_triplet = tau_x, Wmax = w_max on the synapse; tau_minus and
    tau_minus_triplet = tau_y on the postsynaptic neuron. The trains end with NEST's flush
    presynaptic spike (potentiation is applied at the next presynaptic spike), which the
    neurolab run includes too; same-step coincidences are left out (see _nest_trains)."""
    from nest_oracle import run_synapse
    rng = np.random.default_rng(2006)
    dt = 0.1
    rules, protos, outs = [], [], []
    cases = [(name, f, rates) for name in sorted(PRESETS) if PRESETS[name][-1] == "all_to_all"
             for f, rates in ((1.0, (15.0, 15.0)), (3.0, (10.0, 25.0)))]
    cases.append(("visual_cortex_all_to_all_full", 30.0, (30.0, 25.0)))   # hits the bounds
    for name, f, (rate_pre, rate_post) in cases:
        s = nl.TripletSTDP.preset(name)
        s = s.replace(A2_plus=f * s.A2_plus, A3_plus=f * s.A3_plus, A2_minus=f * s.A2_minus,
                      A3_minus=f * s.A3_minus)
        pre, post = _nest_trains(rng, dt=dt, rate_pre=rate_pre, rate_post=rate_post)
        out = run_synapse("stdp_triplet_synapse", pre, post, w0=0.5, dt=dt, syn_params={
            "Aplus": s.A2_plus, "Aplus_triplet": s.A3_plus, "Aminus": s.A2_minus,
            "Aminus_triplet": s.A3_minus, "tau_plus": s.tau_plus,
            "tau_plus_triplet": s.tau_x, "Wmax": s.w_max},
            tau_minus=s.tau_minus, tau_minus_triplet=s.tau_y)
        rules.append(s)
        protos.append((out.pre_times, out.post_times))
        outs.append(out)
    dw, traj = run_protocols(rules, protos, dt=dt, tail=1.0, trajectory=True)
    # final weights (after the flush spike)
    np.testing.assert_allclose(0.5 + dw, [o.w_final for o in outs], rtol=1e-9, atol=0)
    # and the weight after every presynaptic spike (NEST's weight_recorder), read in
    # neurolab at the start of the next step
    for k, o in enumerate(outs):
        rows = np.rint(o.pre_times / dt).astype(np.int64) + 1
        np.testing.assert_allclose(traj[rows, k], o.weights, rtol=1e-9, atol=1e-12,
                                   err_msg=f"case {cases[k]}")
    final = np.array([o.w_final for o in outs])
    assert np.sum((final > 0.0) & (final < 1.0)) >= len(cases) - 2
    assert min(o.weights.min() for o in outs) == 0.0 or max(o.weights.max() for o in outs) == 1.0
