"""The pair rule (neurolab/plasticity/pair.py) against closed forms written by hand.

Every expected value below is written out from the definitions in the module docstring of
``neurolab.plasticity.pair``: the pairs that each scheme makes are listed in comments, and
each contributes ``e_plus(d) = A_plus exp(-d / tau_plus)`` (potentiation, the post spike
``d`` ms after the pre arrival) or ``-e_minus(d) = -A_minus exp(-d / tau_minus)``
(depression, the pre arrival ``d`` ms after the post spike). Nothing here is computed by
the code under test.

How spikes are imposed (as in tests/test_stdp_window.py): each synapse has its own
presynaptic source, its own postsynaptic LIF neuron (delta synapses, 16 mV below threshold,
no refractoriness) and its own driver, which kicks the neuron by 30 mV one step before each
wanted postsynaptic spike. The plastic synapse is at most 1 mV strong and cannot make the
neuron fire; the recorded postsynaptic spikes are checked against the wanted ones. Times
are arrival times at the synapse (delays are axonal). The initial weight 1/16 is a power of
two, so ``w_final - W0`` recovers the change to far below 1e-12 of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.plasticity import PAIRINGS, SAME_STEPS, PowerLawSTDP

W0 = 0.0625
A_PLUS, A_MINUS = 0.01, 0.0105
TAU_P, TAU_M = 16.8, 33.7          # different, so that a swapped time constant shows
DT = 0.1


def e_plus(d, a=A_PLUS, tau=TAU_P):
    return a * math.exp(-d / tau)


def e_minus(d, a=A_MINUS, tau=TAU_M):
    return a * math.exp(-d / tau)


def clip(w, lo, hi):
    return min(max(w, lo), hi)


def rule(pairing="all_to_all", same_step="potentiate", **kw):
    args = dict(A_plus=A_PLUS, A_minus=A_MINUS, tau_plus=TAU_P, tau_minus=TAU_M, w_min=0.0,
                w_max=1.0)
    args.update(kw)
    return nl.STDPParams(pairing=pairing, same_step=same_step, **args)


def build(stdp, protocols, *, dt=DT, delay=0.0, w_init=W0):
    """A network with one plastic synapse per protocol ``(pre_arrivals_ms, post_ms)``.

    Returns (net, projection, wanted post spike steps per synapse)."""
    k = len(protocols)
    pre_t, pre_i, drv_t, drv_i, want = [], [], [], [], []
    for i, (pre, post) in enumerate(protocols):
        steps = [int(round(t / dt)) for t in pre]
        dsteps = int(round(delay / dt))
        pre_t += [(s - dsteps) * dt for s in steps]
        pre_i += [i] * len(pre)
        post_steps = [int(round(t / dt)) for t in post]
        drv_t += [(s - 1) * dt for s in post_steps]
        drv_i += [i] * len(post)
        want.append(post_steps)
    net = nl.Network(dt=dt, seed=0)
    src = net.add_spikes("pre", k, times=pre_t, indices=pre_i)
    drive = net.add_spikes("drive", k, times=drv_t, indices=drv_i)
    post = net.add_lif("post", k, nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0,
                                               v_reset=-60.0, refractory=0.0,
                                               synapse="delta"))
    net.connect(drive, post, "one_to_one", weight=30.0)
    proj = net.connect(src, post, "one_to_one", weight=w_init, delay=delay, stdp=stdp,
                       name="plastic")
    return net, proj, want


def check_posts(results, want, dt=DT):
    """The postsynaptic spikes of consecutive runs are exactly the wanted ones."""
    t = np.concatenate([np.asarray(r.spikes["post"].t) for r in results])
    i = np.concatenate([np.asarray(r.spikes["post"].i) for r in results])
    for k, steps in enumerate(want):
        got = np.rint(t[i == k] / dt).astype(np.int64).tolist()
        assert got == steps, f"synapse {k}: post spikes at steps {got}, wanted {steps}"


def impose(stdp, protocols, **kw):
    """Final weights of the synapses of ``protocols`` (see :func:`build`)."""
    net, proj, want = build(stdp, protocols, **kw)
    end = max(max(list(pre) + list(post)) for pre, post in protocols)
    res = net.run(end + 10.0, progress=False)
    check_posts([res], want, kw.get("dt", DT))
    return res.final_weights["plastic"]


def assert_dw(w, want, w0=W0):
    np.testing.assert_allclose(np.asarray(w) - w0, want, rtol=1e-12, atol=1e-16)


# ---------------------------------------------------------------- single pairs
OFFSETS = [-80.0, -40.0, -20.5, -7.5, -1.0, -0.2, -0.1, 0.1, 0.2, 1.0, 7.5, 20.5, 40.0, 80.0]


@pytest.mark.parametrize("same_step", SAME_STEPS)
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_single_pair_window(pairing, same_step):
    """An isolated pair is nearest for every scheme: the window is the same in all four.
    Δt = 0 (same step): potentiate +A_plus, depress -A_minus, both A_plus - A_minus
    (depression then potentiation, additive), neither 0. Also with an axonal delay: the
    window is measured from the arrival."""
    for delay in (0.0, 2.3):
        protocols = [([100.0], [100.0 + d]) for d in OFFSETS + [0.0]]
        w = impose(rule(pairing, same_step), protocols, delay=delay)
        want = [e_plus(d) if d > 0 else -e_minus(-d) for d in OFFSETS]
        want.append({"potentiate": A_PLUS, "depress": -A_MINUS, "both": A_PLUS - A_MINUS,
                     "neither": 0.0}[same_step])
        assert_dw(w, want)


# ---------------------------------------------------------------- triplets and bursts
# (pre arrivals, post spikes) -> expected change per scheme (all, nearest, pre-centred,
# restricted); no same-step pairs, so the same for every same_step value
TRIPLETS = {
    # pre-post-pre: 100 -> 110 potentiates (d = 10), 110 -> 125 depresses (d = 15) in
    # every scheme (each spike's nearest partner is the other's nearest too)
    "pre-post-pre": (([100.0, 125.0], [110.0]), [e_plus(10) - e_minus(15)] * 4),
    # post-pre-post: 100 -> 110 depresses (d = 10), 110 -> 125 potentiates (d = 15)
    "post-pre-post": (([110.0], [100.0, 125.0]), [e_plus(15) - e_minus(10)] * 4),
    # pre-pre-post (pre 100, 110; post 120): all: both pres; nearest: 110 only;
    # pre-centred: both pres (120 is the nearest post after each); restricted: 110 only
    "pre-pre-post": (([100.0, 110.0], [120.0]),
                     [e_plus(20) + e_plus(10), e_plus(10), e_plus(20) + e_plus(10),
                      e_plus(10)]),
    # post-post-pre (post 100, 110; pre 120): all: both posts; the others: 110 only
    "post-post-pre": (([120.0], [100.0, 110.0]),
                      [-e_minus(20) - e_minus(10)] + [-e_minus(10)] * 3),
    # pre-post-post (pre 100; post 110, 120): all and nearest: 100 with each post
    # (110 and 120 both have 100 as their nearest pre); pre-centred: 100 with its nearest
    # post after (110); restricted: 100 <-> 110 only (100's nearest post is 110)
    "pre-post-post": (([100.0], [110.0, 120.0]),
                      [e_plus(10) + e_plus(20)] * 2 + [e_plus(10)] * 2),
    # post-pre-pre (post 100; pre 110, 120): all, nearest, pre-centred: each pre with
    # post 100; restricted: 110 <-> 100 only (100's nearest pre after it is 110)
    "post-pre-pre": (([110.0, 120.0], [100.0]),
                     [-e_minus(10) - e_minus(20)] * 3 + [-e_minus(10)]),
    # pre burst 100, 104, 108, then post 115: all and pre-centred: every pre;
    # nearest and restricted: the last pre (d = 7)
    "pre burst": (([100.0, 104.0, 108.0], [115.0]),
                  [e_plus(15) + e_plus(11) + e_plus(7), e_plus(7),
                   e_plus(15) + e_plus(11) + e_plus(7), e_plus(7)]),
    # pre 95, post burst 100, 104, 108, pre 115:
    #   all: posts 100, 104, 108 each with pre 95 (5, 9, 13); pre 115 with every post
    #        (15, 11, 7)
    #   nearest: each post with pre 95; pre 115 with post 108 (7)
    #   pre-centred: pre 95 with its nearest post after, 100 (5); pre 115 with 108 (7)
    #   restricted: 95 <-> 100 (5), 108 <-> 115 (7)
    "post burst": (([95.0, 115.0], [100.0, 104.0, 108.0]),
                   [e_plus(5) + e_plus(9) + e_plus(13) - e_minus(15) - e_minus(11)
                    - e_minus(7),
                    e_plus(5) + e_plus(9) + e_plus(13) - e_minus(7),
                    e_plus(5) - e_minus(7),
                    e_plus(5) - e_minus(7)]),
    # the pattern where the four schemes differ: pre 100, 110, 130; post 120, 125
    #   all:         120-100, 120-110, 125-100, 125-110 potentiate; 130-120, 130-125 depress
    #   nearest:     120-110, 125-110 potentiate; 130-125 depresses
    #   pre-centred: 100->120, 110->120 potentiate (120 is the nearest post after both);
    #                130-125 depresses
    #   restricted:  110 <-> 120 potentiates; 125 <-> 130 depresses (125's nearest pre
    #                before it is 110, whose nearest post is 120: no pair)
    "four answers": (([100.0, 110.0, 130.0], [120.0, 125.0]),
                     [e_plus(20) + e_plus(10) + e_plus(25) + e_plus(15) - e_minus(10)
                      - e_minus(5),
                      e_plus(10) + e_plus(15) - e_minus(5),
                      e_plus(20) + e_plus(10) - e_minus(5),
                      e_plus(10) - e_minus(5)]),
}


@pytest.mark.parametrize("same_step", SAME_STEPS)
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_triplets_bursts_and_the_four_answers(pairing, same_step):
    names = list(TRIPLETS)
    w = impose(rule(pairing, same_step), [TRIPLETS[n][0] for n in names])
    want = [TRIPLETS[n][1][PAIRINGS.index(pairing)] for n in names]
    for name, got, exp in zip(names, np.asarray(w) - W0, want):
        assert got == pytest.approx(exp, rel=1e-12, abs=1e-16), name


def test_four_answers_differ():
    """The pattern's four expected values are indeed four different numbers."""
    values = TRIPLETS["four answers"][1]
    assert len({round(v, 12) for v in values}) == 4


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_long_lags(pairing):
    """Lags beyond the kernel's table of decay factors (4096 steps; here dt = 0.05 ms and
    lags of 250 and 300 ms, 5000 and 6000 steps), tau = 100 ms: pre 100 / post 350,
    post 100 / pre 350, and pre 100, 350, post 400 (all and pre-centred: both pres, 300
    and 50 ms; nearest and restricted: pre 350 only)."""
    tau = 100.0
    stdp = rule(pairing, tau_plus=tau, tau_minus=tau)
    w = impose(stdp, [([100.0], [350.0]), ([350.0], [100.0]), ([100.0, 350.0], [400.0])],
               dt=0.05)
    both = pairing in ("all_to_all", "presynaptic_centred")
    third = A_PLUS * (math.exp(-300.0 / tau) * both + math.exp(-50.0 / tau))
    assert_dw(w, [A_PLUS * math.exp(-250.0 / tau), -A_MINUS * math.exp(-250.0 / tau),
                  third])


# ---------------------------------------------------------------- same-step pairs
def terms(text):
    """The sum of pair terms written as "p10 m40 ...": pD = +e_plus(D), mD = -e_minus(D)."""
    return sum(e_plus(float(t[1:])) if t[0] == "p" else -e_minus(float(t[1:]))
               for t in text.split())


# Three protocols with a pre and a post spike in the same step (at 100 ms).
# A: pre 50, 100; post 60, 100. Besides the same-step pair: 50 -> 60 potentiates (10);
#   post 60 / pre 100 (40); pre 50 / post 100 (50).
#   potentiate (pre first):  all: 100 dep with 60 (40); 100 pot with 50 (50) and 100 (0)
#                            nearest, pre-centred: 100 dep with 60 (40); pot with 100 (0)
#                            restricted: 60 <-> 100 dep (40); 100 <-> 100 pot (0)
#   depress (post first):    all: 100 pot with 50 (50); 100 dep with 60 (40), 100 (0)
#                            nearest: 100 pot with 50 (50); 100 dep with 100 (0)
#                            pre-centred: 50's nearest post is 60: no pot; dep with 100 (0)
#                            restricted: 50's nearest post is 60: no pot; 100 <-> 100 dep
#   both (once each way):    all: dep 40, 0; pot 50, 0
#                            nearest, pre-centred, restricted: dep 0; pot 0
#   neither (not partners):  all, nearest: pot with 50 (50); dep with 60 (40)
#                            pre-centred: no pot (50's nearest post is 60); dep with 60
#                            restricted: no pot; 60 <-> 100 dep (40)
# B: pre 100, 120; post 100, 135 (after the same step: pre 120, post 135)
#   potentiate: all: pot 100-100 (0); 120 dep with 100 (20); 135 pot with 100 (35), 120 (15)
#               nearest: pot 0; dep 20; 135 with 120 (15)
#               pre-centred: pot 0 (pre 100's nearest post); dep 20; 135 with 120 only
#               restricted: 100 <-> 100 (0); post 100's nearest pre after it is 120: dep
#                           20; 120 <-> 135 (15)
#   depress:    all: dep 100-100 (0); dep 20; pot 35, 15
#               nearest: dep 0; dep 20; pot 15
#               pre-centred: dep 0; dep 20; 135 is the nearest post after 100 and 120
#               restricted: 100 <-> 100 dep (0); post 100's nearest pre after it is pre
#                           100, not 120: no dep at 120; 120 <-> 135 (15)
#   both:       all: dep 0, pot 0; dep 20; pot 35, 15
#               nearest: dep 0, pot 0; dep 20; pot 15
#               pre-centred: dep 0, pot 0; dep 20; pot 15 (pre 100 paired with post 100)
#               restricted: dep 0, pot 0; no dep at 120 (as for depress); pot 15
#   neither:    all: dep 20; pot 35, 15
#               nearest: dep 20; pot 15
#               pre-centred: dep 20; 135 is the nearest post after pre 100 and 120
#               restricted: post 100's nearest pre after it is 120: dep 20; pot 15
# C: pre 100, 140; post 100, 115 (after the same step: post 115, pre 140)
#   potentiate: all: pot 0; 115 pot with 100 (15); 140 dep with 100 (40), 115 (25)
#               nearest: pot 0; pot 15; dep 25
#               pre-centred: pot 0; pre 100's nearest post is 100: none at 115; dep 25
#               restricted: pot 0; none at 115 (as pre-centred); 115 <-> 140 dep (25)
#   depress:    all: dep 0; pot 15; dep 40, 25
#               nearest: dep 0; pot 15; dep 25
#               pre-centred, restricted: dep 0; 115 is pre 100's nearest post after it:
#                           pot 15; dep 25
#   both:       all: dep 0, pot 0; pot 15; dep 40, 25
#               nearest: dep 0, pot 0; pot 15; dep 25
#               pre-centred, restricted: dep 0, pot 0; none at 115; dep 25
#   neither:    all: pot 15; dep 40, 25
#               nearest, pre-centred, restricted: pot 15 (115 is pre 100's nearest post
#               after it); dep 25
SAME_PROTOCOLS = [([50.0, 100.0], [60.0, 100.0]), ([100.0, 120.0], [100.0, 135.0]),
                  ([100.0, 140.0], [100.0, 115.0])]
SAME = {
    ("all_to_all", "potentiate"): ["p10 m40 p50 p0", "p0 m20 p35 p15", "p0 p15 m40 m25"],
    ("nearest_symmetric", "potentiate"): ["p10 m40 p0", "p0 m20 p15", "p0 p15 m25"],
    ("presynaptic_centred", "potentiate"): ["p10 m40 p0", "p0 m20 p15", "p0 m25"],
    ("restricted", "potentiate"): ["p10 m40 p0", "p0 m20 p15", "p0 m25"],
    ("all_to_all", "depress"): ["p10 p50 m40 m0", "m0 m20 p35 p15", "m0 p15 m40 m25"],
    ("nearest_symmetric", "depress"): ["p10 p50 m0", "m0 m20 p15", "m0 p15 m25"],
    ("presynaptic_centred", "depress"): ["p10 m0", "m0 m20 p35 p15", "m0 p15 m25"],
    ("restricted", "depress"): ["p10 m0", "m0 p15", "m0 p15 m25"],
    ("all_to_all", "both"): ["p10 m40 m0 p50 p0", "m0 p0 m20 p35 p15",
                             "m0 p0 p15 m40 m25"],
    ("nearest_symmetric", "both"): ["p10 m0 p0", "m0 p0 m20 p15", "m0 p0 p15 m25"],
    ("presynaptic_centred", "both"): ["p10 m0 p0", "m0 p0 m20 p15", "m0 p0 m25"],
    ("restricted", "both"): ["p10 m0 p0", "m0 p0 p15", "m0 p0 m25"],
    ("all_to_all", "neither"): ["p10 p50 m40", "m20 p35 p15", "p15 m40 m25"],
    ("nearest_symmetric", "neither"): ["p10 p50 m40", "m20 p15", "p15 m25"],
    ("presynaptic_centred", "neither"): ["p10 m40", "m20 p35 p15", "p15 m25"],
    ("restricted", "neither"): ["p10 m40", "m20 p15", "p15 m25"],
}


@pytest.mark.parametrize("same_step", SAME_STEPS)
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_same_step_pairs(pairing, same_step):
    """Protocols A, B, C above; again with an axonal delay (the arrival is what pairs)."""
    want = [terms(t) for t in SAME[(pairing, same_step)]]
    assert_dw(impose(rule(pairing, same_step), SAME_PROTOCOLS), want)
    assert_dw(impose(rule(pairing, same_step), SAME_PROTOCOLS, delay=1.7), want)


def test_same_step_protocols_tell_the_orders_apart():
    """For each scheme the four same_step values give four different answers on A, B, C."""
    for pairing in PAIRINGS:
        answers = {tuple(round(terms(t), 12) for t in SAME[(pairing, s)]) for s in SAME_STEPS}
        assert len(answers) == 4, pairing


@pytest.mark.parametrize("same_step", SAME_STEPS)
def test_same_step_order_under_clipping(same_step):
    """Clipping makes the order of a step's updates matter. Pre 80, post 90, then a pre
    and a post at 100 (nearest_symmetric), starting 0.002 below w_max: post 90 pairs with
    pre 80 and clips at w_max. At 100: potentiate: depression (pre 100 with post 90) then
    potentiation (post 100 with pre 100); depress: potentiation (post 100 with pre 80) then
    depression (pre 100 with post 100); both: depression (with post 100) then potentiation
    (with pre 100); neither: potentiation (with pre 80) then depression (with post 90)."""
    w_max = 0.25
    w0 = w_max - 0.002
    stdp = rule("nearest_symmetric", same_step, w_max=w_max)
    w = clip(w0 + e_plus(10), 0.0, w_max)
    assert w == w_max
    if same_step == "potentiate":
        w = clip(clip(w - e_minus(10), 0.0, w_max) + A_PLUS, 0.0, w_max)
    elif same_step == "depress":
        w = clip(clip(w + e_plus(20), 0.0, w_max) - A_MINUS, 0.0, w_max)
    elif same_step == "both":
        w = clip(clip(w - A_MINUS, 0.0, w_max) + A_PLUS, 0.0, w_max)
    else:
        w = clip(clip(w + e_plus(20), 0.0, w_max) - e_minus(10), 0.0, w_max)
    got = impose(stdp, [([80.0, 100.0], [90.0, 100.0])], w_init=w0)
    assert got[0] == pytest.approx(w, rel=1e-13, abs=1e-16)


# ---------------------------------------------------------------- weight dependence
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_power_law_single_pairs(pairing):
    """Morrison et al. 2007: Δw+ = lambda w0**(1-mu) w**mu exp(-Δt/tau_plus),
    Δw- = -lambda alpha w exp(Δt/tau_minus), at the weight before the update (W0 here)."""
    lam, alpha, mu, w0 = 0.05, 1.2, 0.4, 0.5
    stdp = PowerLawSTDP(lambda_=lam, alpha=alpha, mu=mu, w0=w0, tau_plus=TAU_P,
                        tau_minus=TAU_M, pairing=pairing)
    assert stdp.w_max == math.inf and stdp.w_min == 0.0
    offsets = OFFSETS + [0.0]
    w = impose(stdp, [([100.0], [100.0 + d]) for d in offsets])
    want = [lam * w0 ** (1 - mu) * W0 ** mu * math.exp(-d / TAU_P) if d >= 0
            else -lam * alpha * W0 * math.exp(d / TAU_M) for d in offsets]
    assert_dw(w, want)


def test_power_law_sequence_and_bounds():
    """pre 100, post 110, pre 125 with the power law: the factor at each update's weight;
    then the same with w_max and w_min that clip."""
    lam, alpha, mu, w0 = 0.5, 1.5, 0.7, 1.0
    kw = dict(lambda_=lam, alpha=alpha, mu=mu, w0=w0, tau_plus=TAU_P, tau_minus=TAU_M)
    w1 = W0 + lam * w0 ** (1 - mu) * W0 ** mu * math.exp(-10 / TAU_P)
    w2 = w1 - lam * alpha * w1 * math.exp(-15 / TAU_M)
    got = impose(PowerLawSTDP(**kw), [([100.0, 125.0], [110.0])])
    assert got[0] == pytest.approx(w2, rel=1e-13)
    # clipping: w_max just above W0 caps the potentiation; then the depression of the
    # capped weight falls below w_min and is clipped to it
    w_max, w_min = W0 + 0.01, W0 - 0.005
    stdp = PowerLawSTDP(**kw, w_min=w_min, w_max=w_max)
    assert W0 + lam * w0 ** (1 - mu) * W0 ** mu * math.exp(-10 / TAU_P) > w_max
    assert w_max - lam * alpha * w_max * math.exp(-15 / TAU_M) < w_min
    got = impose(stdp, [([100.0, 125.0], [110.0]), ([100.0], [110.0])])
    assert got[0] == w_min and got[1] == w_max


def test_guetig_factors():
    """Gütig et al. 2003 soft bounds, w_min > 0: f_plus = ((w_max-w)/(w_max-w_min))**mu,
    f_minus = ((w-w_min)/(w_max-w_min))**mu_minus at the weight before each update; a
    sequence pre 100, post 110, pre 125 (potentiation 10, then depression 15)."""
    w_min, w_max = 0.05, 0.3
    for mu, mu_minus in [(0.5, 0.5), (1.0, 1.0), (0.0, 1.0), (0.3, 0.8), (0.7, 0.0)]:
        stdp = rule("all_to_all", w_min=w_min, w_max=w_max, mu=mu, mu_minus=mu_minus)
        r = w_max - w_min
        # single pairs at W0
        f_plus = ((w_max - W0) / r) ** mu
        f_minus = ((W0 - w_min) / r) ** mu_minus
        w = impose(stdp, [([100.0], [110.0]), ([110.0], [100.0]), ([100.0, 125.0], [110.0])])
        assert_dw(w[:2], [e_plus(10) * f_plus, -e_minus(10) * f_minus])
        w1 = W0 + e_plus(10) * f_plus
        w2 = w1 - e_minus(15) * ((w1 - w_min) / r) ** mu_minus
        assert w[2] == pytest.approx(w2, rel=1e-13), (mu, mu_minus)
    # mu_minus defaults to mu
    assert rule(mu=0.4).mu_minus == 0.4


def test_all_to_all_sums_pairs_then_applies_the_factor_once():
    """With soft bounds an all-to-all event takes one factor, at the weight before it:
    pre 100, 110, post 120: Δw = (e(20) + e(10)) ((w_max - W0)/(w_max - w_min))**mu."""
    stdp = rule("all_to_all", mu=1.0, w_max=0.5)
    w = impose(stdp, [([100.0, 110.0], [120.0])])
    assert_dw(w, [(e_plus(20) + e_plus(10)) * (0.5 - W0) / 0.5])


@pytest.mark.parametrize("pairing", PAIRINGS)
def test_clipping_at_both_bounds(pairing):
    """A pair that would cross a bound ends on it: w_max after potentiation from just
    below it, w_min after depression from just above it (w_min > 0)."""
    w_min, w_max = 0.06, 0.065
    stdp = rule(pairing, A_plus=0.05, A_minus=0.05, w_min=w_min, w_max=w_max)
    w = impose(stdp, [([100.0], [105.0]), ([105.0], [100.0])], w_init=0.0625)
    assert w[0] == w_max and w[1] == w_min


# ---------------------------------------------------------------- learning switch
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_learning_false_freezes_weights_but_traces_follow(pairing):
    """Frozen for the first 115 ms (pre 100, post 110), learning from then on (post 120,
    pre 130). The frozen spikes still count as partners and as nearest spikes:
      all:         post 120 pairs with pre 100 (20); pre 130 with posts 110 (20), 120 (10)
      nearest:     post 120 with pre 100 (20); pre 130 with post 120 (10)
      pre-centred: pre 100's nearest post after it was 110 (frozen): no potentiation;
                   pre 130 with post 120 (10)
      restricted:  pre 100 <-> post 110 was the pair (frozen): none at 120; 120 <-> 130
    """
    net, proj, want = build(rule(pairing), [([100.0, 130.0], [110.0, 120.0])])
    proj.learning = False
    first = net.run(115.0, progress=False)
    np.testing.assert_array_equal(first.final_weights["plastic"], [W0])
    proj.learning = True
    second = net.run(25.0, progress=False)
    check_posts([first, second], want)
    exp = {"all_to_all": e_plus(20) - e_minus(20) - e_minus(10),
           "nearest_symmetric": e_plus(20) - e_minus(10),
           "presynaptic_centred": -e_minus(10),
           "restricted": -e_minus(10)}[pairing]
    assert_dw(second.final_weights["plastic"], [exp])


# ---------------------------------------------------------------- names and validation
def test_nearest_is_the_old_name_of_nearest_symmetric():
    assert rule("nearest").pairing == "nearest_symmetric"
    assert PowerLawSTDP(pairing="nearest").pairing == "nearest_symmetric"
    assert rule("nearest") == rule("nearest_symmetric")
    protocols = [TRIPLETS[n][0] for n in TRIPLETS]
    np.testing.assert_array_equal(impose(rule("nearest"), protocols),
                                  impose(rule("nearest_symmetric"), protocols))


BAD = [
    (lambda: rule(pairing="nearest_neighbour"), ValueError, r"pairing.*'nearest_neighbour'"),
    (lambda: rule(pairing=1), ValueError, r"pairing.*1"),
    (lambda: rule(same_step="first"), ValueError, r"same_step.*'first'"),
    (lambda: rule(same_step=None), ValueError, r"same_step.*None"),
    (lambda: rule(mu=1.5), ValueError, r"mu must lie in \[0, 1\], got 1\.5"),
    (lambda: rule(mu=-0.1), ValueError, r"mu must lie in \[0, 1\], got -0\.1"),
    (lambda: rule(mu_minus=2.0), ValueError, r"mu_minus must lie in \[0, 1\], got 2\.0"),
    (lambda: rule(w_min=0.5, w_max=0.5), ValueError, r"w_max must be > w_min.*0\.5"),
    (lambda: rule(w_max=-1.0), ValueError, r"w_max must be > w_min.*-1\.0"),
    (lambda: rule(tau_plus=0.0), ValueError, r"tau_plus must be > 0.*0\.0"),
    (lambda: rule(A_minus=-0.01), ValueError, r"A_minus must be >= 0.*-0\.01"),
    (lambda: PowerLawSTDP(mu=1.2), ValueError, r"mu must lie in \[0, 1\], got 1\.2"),
    (lambda: PowerLawSTDP(lambda_=-0.1), ValueError, r"lambda_ must be >= 0.*-0\.1"),
    (lambda: PowerLawSTDP(alpha=-1.0), ValueError, r"alpha must be >= 0.*-1\.0"),
    (lambda: PowerLawSTDP(w0=0.0), ValueError, r"w0 must be > 0.*0\.0"),
    (lambda: PowerLawSTDP(w0=-2.0), ValueError, r"w0 must be > 0.*-2\.0"),
    (lambda: PowerLawSTDP(w_min=-0.5), ValueError, r"w_min must be >= 0.*-0\.5"),
    (lambda: PowerLawSTDP(w_min=1.0, w_max=1.0), ValueError, r"w_max must be > w_min.*1\.0"),
    (lambda: PowerLawSTDP(w_max="big"), TypeError, r"w_max.*'big'"),
    (lambda: PowerLawSTDP(pairing="all"), ValueError, r"pairing.*'all'"),
    (lambda: PowerLawSTDP(same_step="late"), ValueError, r"same_step.*'late'"),
    (lambda: PowerLawSTDP(tau_minus=-5.0), ValueError, r"tau_minus must be > 0.*-5\.0"),
]


@pytest.mark.parametrize("make, exc, message", BAD)
def test_validation_names_parameter_and_value(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_plastic_projection_refuses_negative_w_min():
    net = nl.Network(dt=DT, seed=0)
    a = net.add_spikes("a", 1, times=[1.0], indices=[0])
    b = net.add_lif("b", 1)
    with pytest.raises(ValueError, match=r"w_min must be >= 0, got w_min=-0\.1"):
        net.connect(a, b, weight=0.1, stdp=rule(w_min=-0.1))


# ---------------------------------------------------------------- set_stdp between runs
@pytest.mark.parametrize("old, new", [("presynaptic_centred", "all_to_all"),
                                      ("all_to_all", "presynaptic_centred"),
                                      ("restricted", "presynaptic_centred"),
                                      ("presynaptic_centred", "nearest_symmetric")])
def test_set_stdp_refuses_a_change_of_the_kernel_state(old, new):
    """presynaptic_centred keeps a trace per synapse, the other schemes do not: the state
    the kernel keeps would change, so set_stdp refuses, naming the schemes."""
    net, proj, _ = build(rule(old), [([100.0], [110.0])])
    net.run(50.0, progress=False)
    with pytest.raises(ValueError, match=rf"pairing '{old}' -> .*pairing '{new}'"):
        proj.set_stdp(rule(new))
    assert proj.stdp == rule(old)
    with pytest.raises(ValueError, match=r"pairing"):       # also before any run
        build(rule(old), [([100.0], [110.0])])[1].set_stdp(rule(new))


def test_set_stdp_refuses_any_change_of_pairing():
    """The other schemes share a layout but not the meaning of their traces (a sum of
    every spike's trace vs the nearest spike's): set_stdp refuses these changes too."""
    net, proj, _ = build(rule("all_to_all"), [([100.0], [110.0])])
    with pytest.raises(ValueError, match=r"pairing 'all_to_all' -> .*'restricted'"):
        proj.set_stdp(rule("restricted"))


def test_set_stdp_changes_parameters_between_runs():
    """All-to-all, run 1 (0 .. 150 ms): pre 100, post 110. Then new amplitudes, bounds
    and same-step order (the traces keep their values: spikes of run 1 carry run 1's
    amplitudes). Run 2: pre 200, post 210, pre 230 & post 230 (same step):
      run 1: post 110 pairs with pre 100: +e(10) (old A_plus)
      pre 200: depression with post 110 (90, old A_minus)
      post 210: pre 100 (110, old A_plus), pre 200 (10, new A_plus)
      step 230, same_step "depress" (post first): post 230 pairs with pre 100 (130, old),
      pre 200 (30, new); pre 230 with posts 110 (120, old), 210 (20, new), 230 (0, new)
    """
    net, proj, want = build(rule("all_to_all"),
                            [([100.0, 200.0, 230.0], [110.0, 210.0, 230.0])])
    first = net.run(150.0, progress=False)
    assert_dw(first.final_weights["plastic"], [e_plus(10)])
    a_p, a_m = 0.02, 0.004
    proj.set_stdp(rule("all_to_all", "depress", A_plus=a_p, A_minus=a_m, w_max=0.9))
    second = net.run(100.0, progress=False)
    check_posts([first, second], want)
    exp = (e_plus(10) - e_minus(90) + e_plus(110) + e_plus(10, a=a_p)
           + e_plus(130) + e_plus(30, a=a_p)
           - e_minus(120) - e_minus(20, a=a_m) - e_minus(0, a=a_m))
    assert_dw(second.final_weights["plastic"], [exp])


def test_set_stdp_to_power_law_keeps_the_scheme():
    """A change of weight dependence (STDPParams -> PowerLawSTDP) with the same pairing
    is accepted; nearest_symmetric, run 2 only sees run 2's spikes besides post 110:
    pre 200 pairs with post 110 (90; the trace's old amplitude A_minus times the new
    factor w), post 210 with pre 200 (10, the new amplitude and factor)."""
    net, proj, want = build(rule("nearest_symmetric"), [([100.0, 200.0], [110.0, 210.0])])
    first = net.run(150.0, progress=False)
    lam, alpha, mu = 0.1, 1.5, 0.5
    proj.set_stdp(PowerLawSTDP(lambda_=lam, alpha=alpha, mu=mu, w0=1.0, tau_plus=TAU_P,
                               tau_minus=TAU_M, pairing="nearest_symmetric"))
    second = net.run(100.0, progress=False)
    check_posts([first, second], want)
    w1 = W0 + e_plus(10)
    # post 110's trace was set in run 1 (amplitude A_minus); the power law's depression
    # is that trace times w (its own amplitude, lambda alpha, is for run 2's spikes)
    w2 = w1 - e_minus(90) * w1
    w3 = w2 + lam * 1.0 ** (1 - mu) * w2 ** mu * math.exp(-10 / TAU_P)
    assert second.final_weights["plastic"][0] == pytest.approx(w3, rel=1e-13)


# ---------------------------------------------------------------- continued runs
def recurrent_net(pairing, same_step, wdep):
    """Poisson input -> E (plastic, heterogeneous delays), E -> E (plastic, zero delay,
    synchronous kicks for same-step pairs), refractoriness."""
    net = nl.Network(dt=0.1, seed=3)
    inp = net.add_poisson("inp", 40, rates=25.0)
    kick = net.add_spikes("kick", 1, times=[30.0, 90.0, 150.0, 210.0], indices=[0] * 4)
    E = net.add_lif("E", 12, nl.LIFParams(refractory=1.0, v_th=("uniform", -55.0, -53.0)),
                    v_init=("uniform", -70.0, -56.0))
    if wdep == "power":
        def mk(scale):
            return PowerLawSTDP(lambda_=0.03, alpha=1.1, mu=0.4, w0=scale, w_max=2 * scale,
                                pairing=pairing, same_step=same_step)
    else:
        def mk(scale):
            return nl.STDPParams(A_plus=0.02 * scale, A_minus=0.021 * scale, w_max=scale,
                                 mu=0.5 if wdep == "soft" else 0.0, mu_minus=0.0,
                                 pairing=pairing, same_step=same_step)
    net.connect(inp, E, "probability", p=0.4, weight=("uniform", 0.0, 4.0), stdp=mk(4.0),
                delay=("uniform", 0.0, 2.0))
    net.connect(kick, E, weight=30.0)
    net.connect(E, E, "probability", p=0.3, weight=("uniform", 0.0, 2.0), stdp=mk(2.0),
                autapses=False)
    return net


RUN = dict(progress=False, record_spikes="all", record_weights={"inp->E": "all", "E->E": "all"},
           weight_dt=1.0)


@pytest.mark.parametrize("same_step", SAME_STEPS)
@pytest.mark.parametrize("pairing", PAIRINGS)
def test_continued_runs_equal_one_run_bitwise(pairing, same_step):
    """A run cut into pieces (one of them a single step) equals one run, bit for bit:
    spikes, sampled and final weights (the rule's state lives in the kernel's arrays)."""
    wdep = ("additive", "soft", "power")[(PAIRINGS.index(pairing) + SAME_STEPS.index(
        same_step)) % 3]
    whole = recurrent_net(pairing, same_step, wdep).run(250.0, **RUN)
    net = recurrent_net(pairing, same_step, wdep)
    parts = [net.run(d, **RUN) for d in (90.0, 0.1, 59.9, 100.0)]
    for name in ("inp", "E"):
        np.testing.assert_array_equal(whole.spikes[name].t,
                                      np.concatenate([p.spikes[name].t for p in parts]))
        np.testing.assert_array_equal(whole.spikes[name].i,
                                      np.concatenate([p.spikes[name].i for p in parts]))
    for name in ("inp->E", "E->E"):
        np.testing.assert_array_equal(whole.weights[name].w,
                                      np.concatenate([p.weights[name].w for p in parts]))
        np.testing.assert_array_equal(whole.final_weights[name], parts[-1].final_weights[name])
        # the comparison means something: the weights moved
        assert np.abs(whole.final_weights[name] - parts[0].weights[name].w[0]).max() > 0
    assert len(whole.spikes["E"].t) > 50


def test_set_stdp_new_time_constant_applies_to_the_whole_lag():
    """Pre 100 in run 1 (0 .. 150 ms), tau_plus 16.8 -> 10 ms, post 200 in run 2: the
    trace is decayed over the whole 100 ms with the new time constant (what
    Projection.set_stdp documents, as Brian2's event-driven traces do), not piecewise."""
    net, proj, want = build(rule("all_to_all"), [([100.0], [200.0])])
    first = net.run(150.0, progress=False)
    proj.set_stdp(rule("all_to_all", tau_plus=10.0))
    second = net.run(60.0, progress=False)
    check_posts([first, second], want)
    assert_dw(second.final_weights["plastic"], [A_PLUS * math.exp(-100.0 / 10.0)])


def test_set_stdp_none_points_to_learning_and_messages_name_the_rules():
    """set_stdp(None) is refused with a message that does not offer None and says how to
    stop learning; a refused family change names both rules, without a pairing for rules
    that have none."""
    net, proj, _ = build(rule("all_to_all"), [([100.0], [110.0])])
    with pytest.raises(TypeError, match=r"got None.*learning = False"):
        proj.set_stdp(None)
    with pytest.raises(ValueError, match=r"STDPParams, pairing 'all_to_all' -> VogelsSTDP;"):
        proj.set_stdp(nl.VogelsSTDP())
