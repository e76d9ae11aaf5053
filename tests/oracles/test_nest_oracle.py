"""tests/nest_oracle.py against closed forms worked out by hand.

Every expected value below is written out here from the published rule (and NEST's
documented conventions), never computed by the harness. Times are at the synapse (ms);
``e(x) = exp(x)``. Parameters are chosen so that no weight bound is reached unless a test
is about the bounds. Each case resets the NEST kernel and simulates a few hundred ms: fast.
"""

from __future__ import annotations

import math

import pytest

nest = pytest.importorskip("nest")   # skips only when NEST is not installed

import nest_oracle                                             # noqa: E402
from nest_oracle import run_synapse                            # noqa: E402

pytestmark = pytest.mark.nest

e = math.exp
REL = 1e-10


def approx(x):
    return pytest.approx(x, rel=REL, abs=1e-12)


# stdp_synapse, additive (mu_plus = mu_minus = 0): A_plus = lambda*Wmax = 1.0,
# A_minus = alpha*lambda*Wmax = 1.5; tau_plus = 20 (synapse), tau_minus = 30 (post parrot)
ADD = {"lambda": 0.01, "alpha": 1.5, "mu_plus": 0.0, "mu_minus": 0.0, "Wmax": 100.0,
       "tau_plus": 20.0}
AP, AM, TP, TM = 1.0, 1.5, 20.0, 30.0
W0 = 50.0


# ---------------------------------------------------------------------------- the harness

def test_parrots_spike_exactly_where_asked_and_port_1_is_not_repeated():
    """The post parrot repeats only its generator's spikes; the plastic synapse arrives on
    receptor 1 and is not repeated (on receptor 0 it would be). The harness checks its own
    parrots on every call; this shows the mechanism directly."""
    counts = {}
    for port in (0, 1):
        nest.ResetKernel()
        g = nest.Create("spike_generator", params={"spike_times": [1.0, 5.0]})
        pre, post = nest.Create("parrot_neuron"), nest.Create("parrot_neuron")
        rec = nest.Create("spike_recorder")
        nest.Connect(g, pre, syn_spec={"delay": 0.1})
        nest.Connect(pre, post, syn_spec={"synapse_model": "stdp_synapse", "delay": 1.0,
                                          "receptor_type": port})
        nest.Connect(pre, rec)
        nest.Connect(post, rec)
        nest.Simulate(20.0)
        ev = rec.events
        counts[port] = tuple(sorted(round(float(t), 9) for t in
                                    ev["times"][ev["senders"] == node.global_id])
                             for node in (pre, post))
    # generator spike at t -> parrot spike at t + 0.1 (generator -> parrot delay)
    assert counts[0] == ([1.1, 5.1], [2.1, 6.1])      # port 0: repeated 1 ms later
    assert counts[1] == ([1.1, 5.1], [])              # port 1: never repeated


def test_result_layout_and_flush_spike():
    # flush: one pre spike `flush` ms after the last spike of any train (post 15 here)
    r = run_synapse("stdp_synapse", [10.0, 14.0], [15.0], syn_params=ADD, w0=W0,
                    tau_minus=TM, flush=100.0)
    assert list(r.pre_times) == [10.0, 14.0, 115.0]
    assert list(r.post_times) == [15.0]
    assert r.flush_time == 115.0
    assert len(r.weights) == 3 and r.weights[0] == W0
    assert r.w_final == r.weights[-1] == r.w_status
    r = run_synapse("stdp_synapse", [10.0, 20.0], [15.0], syn_params=ADD, w0=W0,
                    tau_minus=TM, flush=50.0)
    assert list(r.pre_times) == [10.0, 20.0, 70.0]           # pre 20 is the last spike
    r = run_synapse("stdp_synapse", [10.0, 20.0], [15.0], syn_params=ADD, w0=W0,
                    tau_minus=TM, flush=None)
    assert list(r.pre_times) == [10.0, 20.0] and r.flush_time is None


def test_rejects_off_grid_and_unsorted_times():
    with pytest.raises(ValueError, match="multiples of dt"):
        run_synapse("stdp_synapse", [10.05], [20.0])
    with pytest.raises(ValueError, match="increasing"):
        run_synapse("stdp_synapse", [20.0, 10.0], [15.0])
    with pytest.raises(ValueError, match="stdp_dopamine_synapse only"):
        run_synapse("stdp_synapse", [10.0], [15.0], dopa_times=[12.0])


@pytest.mark.parametrize("delay", [0.1, 1.0, 3.7])
def test_result_does_not_depend_on_the_dendritic_delay(delay):
    """Trains are given at the synapse: the harness shifts the post parrot by -delay, so
    the pair intervals NEST uses are the caller's whatever the delay (fact 1)."""
    # pre 10, post 16 (dt = +6), pre 30 (post 16 before it: dt = -14), flush=None
    r = run_synapse("stdp_synapse", [10.0, 30.0], [16.0], syn_params=ADD, w0=W0,
                    tau_minus=TM, delay=delay, flush=None)
    assert r.w_final == approx(W0 + AP * e(-6 / TP) - AM * e(-14 / TM))


def test_other_resolution():
    r = run_synapse("stdp_synapse", [10.0, 30.0], [16.5], syn_params=ADD, w0=W0,
                    tau_minus=TM, dt=0.5, delay=1.5, flush=None)
    assert r.w_final == approx(W0 + AP * e(-6.5 / TP) - AM * e(-13.5 / TM))


# ----------------------------------------------------------------------- stdp_synapse

@pytest.mark.parametrize("interval", [-40.0, -12.3, -1.0, -0.1, 0.1, 0.5, 7.0, 25.0])
def test_stdp_synapse_single_pair(interval):
    """One pair, pre at 50, post at 50 + interval, then the flush pre at
    max(50, post) + 100 (fact 2). interval > 0: potentiation A_plus e(-interval/tau_plus),
    applied at the flush pre, which also depresses with the post: A_minus e(-100/tau_minus).
    interval < 0: depression A_minus e(-|interval|/tau_minus) at pre 50, and the flush pre at
    150 depresses with the post too: A_minus e(-(150 - post)/tau_minus)."""
    t_pre, t_post = 50.0, round(50.0 + interval, 10)
    r = run_synapse("stdp_synapse", [t_pre], [t_post], syn_params=ADD, w0=W0,
                    tau_minus=TM, flush=100.0)
    if interval > 0:
        expected = W0 + AP * e(-interval / TP) - AM * e(-100.0 / TM)
    else:
        expected = W0 - AM * e(interval / TM) - AM * e(-(150.0 - t_post) / TM)
    assert r.w_final == approx(expected)


def test_stdp_synapse_pre_post_pre_triplet():
    """pre 10, post 15, pre 22 (no flush: the last pre follows the post).
    Pairs: (10 -> 15) potentiation +A_plus e(-5/20), applied at pre 22;
           (15 -> 22) depression -A_minus e(-7/30), at pre 22.
    Weight after pre 10: W0 (nothing before it)."""
    r = run_synapse("stdp_synapse", [10.0, 22.0], [15.0], syn_params=ADD, w0=W0,
                    tau_minus=TM, flush=None)
    assert r.weights[0] == approx(W0)
    assert r.weights[1] == approx(W0 + AP * e(-5 / TP) - AM * e(-7 / TM))


def test_stdp_synapse_all_to_all_sums():
    """pre 10, 14; post 20, 23; pre 40. All four pre->post pairs potentiate at pre 40:
    A_plus [e(-10/20) + e(-6/20) + e(-13/20) + e(-9/20)]; pre 40 depresses with both posts:
    -A_minus [e(-20/30) + e(-17/30)]."""
    r = run_synapse("stdp_synapse", [10.0, 14.0, 40.0], [20.0, 23.0], syn_params=ADD,
                    w0=W0, tau_minus=TM, flush=None)
    expected = (W0 + AP * (e(-10 / TP) + e(-6 / TP) + e(-13 / TP) + e(-9 / TP))
                - AM * (e(-20 / TM) + e(-17 / TM)))
    assert r.w_final == approx(expected)


def test_stdp_synapse_multiplicative_and_bounds():
    """Gütig mu = 1: potentiation lambda*Wmax*(1 - w/Wmax)*K_plus, depression
    alpha*lambda*Wmax*(w/Wmax)*K_minus, applied in turn at pre 30 (post 15 before it)."""
    p = dict(ADD, mu_plus=1.0, mu_minus=1.0)
    r = run_synapse("stdp_synapse", [10.0, 30.0], [15.0], syn_params=p, w0=W0,
                    tau_minus=TM, flush=None)
    w1 = W0 + 0.01 * 100.0 * (1 - W0 / 100.0) * e(-5 / TP)
    w2 = w1 - 1.5 * 0.01 * 100.0 * (w1 / 100.0) * e(-15 / TM)
    assert r.w_final == approx(w2)
    # additive steps clip at Wmax and at 0
    big = dict(ADD, **{"lambda": 1.0})                # A_plus = 100, A_minus = 150
    r = run_synapse("stdp_synapse", [10.0, 200.0], [11.0], syn_params=big, w0=W0,
                    tau_minus=TM, flush=None)
    # at 200: +100 e(-1/20) -> clipped to 100, then -150 e(-189/30) = -0.277...
    assert r.w_final == approx(100.0 - 150.0 * e(-189 / TM))
    r = run_synapse("stdp_synapse", [10.0, 12.0], [11.0], syn_params=big, w0=W0,
                    tau_minus=TM, flush=None)
    # at 12: +100 e(-1/20) = +95.1 -> 100 (clipped), then -150 e(-1/30) = -145.1 -> 0
    assert r.w_final == 0.0


# --------------------------------------------------------- the nearest-neighbour variants

# One pattern where the three nearest-neighbour schemes differ:
#   pre 10, 20, 45, 50; post 25, 30 (additive: A_plus = 1, A_minus = 1.5, tau 20 / 30).
# stdp_nn_symm (each post with its nearest pre before, each pre with its nearest post before):
#   post 25 <- pre 20: +e(-5/20);  post 30 <- pre 20: +e(-10/20)
#   pre 45 <- post 30: -1.5 e(-15/30);  pre 50 <- post 30: -1.5 e(-20/30)
# stdp_nn_pre_centered (each pre with its nearest post before; the first post after a run of
# pres takes all of them, later posts nothing):
#   post 25 <- pres 10 and 20: +e(-15/20) + e(-5/20);  post 30: nothing
#   pre 45 <- post 30: -1.5 e(-15/30);  pre 50 <- post 30: -1.5 e(-20/30)
# stdp_nn_restr (only the first post after a pre, with that pre; a pre is depressed only if a
# post came since the previous pre):
#   post 25 <- pre 20: +e(-5/20);  post 30: nothing
#   pre 45 <- post 30: -1.5 e(-15/30);  pre 50: no post since 45: nothing
# (pres 10 and 20 have no post before them: no depression in any scheme.)
NN_PATTERN = ([10.0, 20.0, 45.0, 50.0], [25.0, 30.0])
NN_EXPECTED = {
    "stdp_nn_symm_synapse":
        W0 + AP * (e(-5 / TP) + e(-10 / TP)) - AM * (e(-15 / TM) + e(-20 / TM)),
    "stdp_nn_pre_centered_synapse":
        W0 + AP * (e(-15 / TP) + e(-5 / TP)) - AM * (e(-15 / TM) + e(-20 / TM)),
    "stdp_nn_restr_synapse":
        W0 + AP * e(-5 / TP) - AM * e(-15 / TM),
}


@pytest.mark.parametrize("model", list(NN_EXPECTED))
def test_nearest_neighbour_schemes(model):
    r = run_synapse(model, *NN_PATTERN, syn_params=ADD, w0=W0, tau_minus=TM, flush=None)
    assert r.w_final == approx(NN_EXPECTED[model])


def test_nearest_neighbour_schemes_give_three_answers():
    assert len({round(v, 9) for v in NN_EXPECTED.values()}) == 3


@pytest.mark.parametrize("model", nest_oracle.T0_ARTIFACT_MODELS)
def test_t0_artifact_refused_and_observed(model):
    """stdp_nn_symm / stdp_nn_restr keep no presynaptic trace and start with
    t_lastspike_ = 0: post 5 before the first pre 10 is potentiated as if paired with a
    pre at t = 0, +A_plus e(-(5 + offset)/20) (offset: where the harness put the caller's
    t = 0 in NEST time), and pre 10 is depressed by it, -A_minus e(-5/30) (both models:
    restr sees a post since the 'previous' pre at 0)."""
    with pytest.raises(ValueError, match="phantom"):
        run_synapse(model, [10.0, 200.0], [5.0], syn_params=ADD, w0=W0, tau_minus=TM)
    r = run_synapse(model, [10.0, 200.0], [5.0], syn_params=ADD, w0=W0, tau_minus=TM,
                    flush=None, allow_t0_artifact=True)
    assert r.weights[0] == approx(W0 + AP * e(-(5.0 + r.offset) / TP) - AM * e(-5 / TM))


@pytest.mark.parametrize("model", ["stdp_synapse", "stdp_nn_pre_centered_synapse"])
def test_no_t0_artifact_with_a_presynaptic_trace(model):
    """Kplus starts at 0: post 5 before the first pre only depresses pre 10."""
    r = run_synapse(model, [10.0, 200.0], [5.0], syn_params=ADD, w0=W0, tau_minus=TM,
                    flush=None)
    assert r.weights[0] == approx(W0 - AM * e(-5 / TM))


# ------------------------------------------------------------- zero interval (same step)

def test_zero_interval_discarded_stdp_synapse():
    """pre 5, 10, 40; post 10 (coincident with pre 10 at the synapse). The zero-interval
    pair (10, 10) counts neither way; the post still pairs with pre 5 (+e(-5/20), applied
    at pre 10: the post is in (5, 10]) and with pre 40 (-1.5 e(-30/30)). Pre 10 itself is
    not depressed by it."""
    r = run_synapse("stdp_synapse", [5.0, 10.0, 40.0], [10.0], syn_params=ADD, w0=W0,
                    tau_minus=TM, flush=None)
    assert r.weights[1] == approx(W0 + AP * e(-5 / TP))
    assert r.w_final == approx(W0 + AP * e(-5 / TP) - AM * e(-30 / TM))


@pytest.mark.parametrize("model", ["stdp_nn_symm_synapse", "stdp_nn_pre_centered_synapse"])
def test_zero_interval_nearest(model):
    """pre 10, 30, 60; post 30 (coincident with pre 30). Discarded: the post pairs with
    pre 10 instead (+e(-20/20)), pre 30 has no post strictly before it, pre 60 depresses
    with post 30 (-1.5 e(-30/30))."""
    r = run_synapse(model, [10.0, 30.0, 60.0], [30.0], syn_params=ADD, w0=W0,
                    tau_minus=TM, flush=None)
    assert r.w_final == approx(W0 + AP * e(-20 / TP) - AM * e(-30 / TM))


def test_zero_interval_nn_restr_quirk():
    """pre 2, 10, 30; post 5, 30 (post 30 coincident with pre 30).
    pre 10: post 5 since pre 2: +e(-3/20), -1.5 e(-5/30).
    pre 30: the coincident post 30 counts as 'a post since pre 10': +e(-20/20); the
    depression then uses the nearest post strictly before 30, which is post 5 (already
    paired with pre 10): -1.5 e(-25/30). A strictly restricted scheme would skip it."""
    r = run_synapse("stdp_nn_restr_synapse", [2.0, 10.0, 30.0], [5.0, 30.0], syn_params=ADD,
                    w0=W0, tau_minus=TM, flush=None)
    assert r.w_final == approx(W0 + AP * e(-3 / TP) - AM * e(-5 / TM)
                               + AP * e(-20 / TP) - AM * e(-25 / TM))
    # pre 10, 30, 60; post 30: potentiated with pre 10; pre 60 has no post since 30
    r = run_synapse("stdp_nn_restr_synapse", [10.0, 30.0, 60.0], [30.0], syn_params=ADD,
                    w0=W0, tau_minus=TM, flush=None)
    assert r.w_final == approx(W0 + AP * e(-20 / TP))


# ---------------------------------------------------------------- stdp_pl_synapse_hom

def test_pl_synapse_single_pair():
    """Morrison, Aertsen & Diesmann 2007 (NEST omits w0): pre 10, post 15, pre 40.
    At pre 40: dw+ = lambda w^mu x_pre, x_pre = e(-5/20), then dw- = -lambda alpha w x_post
    with the potentiated w, x_post = e(-25/30)."""
    lam, alpha, mu = 0.1, 1.5, 0.4
    r = run_synapse("stdp_pl_synapse_hom", [10.0, 40.0], [15.0],
                    syn_params={"lambda": lam, "alpha": alpha, "mu": mu, "tau_plus": TP},
                    w0=W0, tau_minus=TM, flush=None)
    w1 = W0 + lam * W0 ** mu * e(-5 / TP)
    w2 = w1 - lam * alpha * w1 * e(-25 / TM)
    assert r.w_final == approx(w2)


def test_pl_synapse_zero_interval_discarded():
    r = run_synapse("stdp_pl_synapse_hom", [10.0, 40.0], [10.0],
                    syn_params={"lambda": 0.1, "alpha": 1.5, "mu": 0.4, "tau_plus": TP},
                    w0=W0, tau_minus=TM, flush=None)
    assert r.w_final == approx(W0 - 0.1 * 1.5 * W0 * e(-30 / TM))


# ---------------------------------------------------------------- stdp_triplet_synapse

TRIPLET = {"Aplus": 0.5, "Aplus_triplet": 0.1, "Aminus": 0.3, "Aminus_triplet": 0.05,
           "tau_plus": 20.0, "tau_plus_triplet": 100.0, "Wmax": 100.0}
TAU_Y = 80.0     # tau_minus_triplet (o2), on the post parrot


def test_triplet_post_pre_post():
    """Pfister & Gerstner 2006, all-to-all: post 10, pre 15, post 25, flush pre at 125.
    r1 (tau 20), r2 (tau 100) pre traces; o1 (tau_minus 30), o2 (tau_y 80) post traces.
    pre 15:  w -= o1(15) (A2- + A3- r2_before) = e(-5/30) (0.3 + 0.05*0)
    post 25: w += r1(25) (A2+ + A3+ o2_before) = e(-10/20) (0.5 + 0.1 e(-15/80))
             (applied at the flush pre)
    pre 125: w -= o1(125) (A2- + A3- r2_before)
                = [e(-115/30) + e(-100/30)] (0.3 + 0.05 e(-110/100))"""
    r = run_synapse("stdp_triplet_synapse", [15.0], [10.0, 25.0], syn_params=TRIPLET,
                    w0=W0, tau_minus=TM, tau_minus_triplet=TAU_Y, flush=100.0)
    assert r.pre_times[-1] == 125.0
    expected = (W0 - e(-5 / TM) * 0.3
                + e(-10 / 20) * (0.5 + 0.1 * e(-15 / TAU_Y))
                - (e(-115 / TM) + e(-100 / TM)) * (0.3 + 0.05 * e(-110 / 100)))
    assert r.w_final == approx(expected)


def test_triplet_zero_interval_discarded():
    """pre 10, 40; post 10: only pre 40's depression with post 10 remains:
    -e(-30/30) (0.3 + 0.05 e(-30/100))."""
    r = run_synapse("stdp_triplet_synapse", [10.0, 40.0], [10.0], syn_params=TRIPLET,
                    w0=W0, tau_minus=TM, tau_minus_triplet=TAU_Y, flush=None)
    assert r.w_final == approx(W0 - e(-30 / TM) * (0.3 + 0.05 * e(-30 / 100)))


# ------------------------------------------------------------- vogels_sprekeler_synapse

def test_vogels_sprekeler_pair():
    """Vogels et al. 2011, both traces +1 per spike with the same tau (20): pre 10, post 15,
    pre 40. pre 10: w += eta (x_post - alpha) = eta (0 - alpha);
    post 15: w += eta x_pre = eta e(-5/20) (applied at pre 40);
    pre 40: w += eta (x_post - alpha) = eta (e(-25/20) - alpha)."""
    eta, alpha, tau = 0.1, 0.2, 20.0
    r = run_synapse("vogels_sprekeler_synapse", [10.0, 40.0], [15.0],
                    syn_params={"eta": eta, "alpha": alpha, "tau": tau, "Wmax": 100.0},
                    w0=W0, flush=None)
    assert r.weights[0] == approx(W0 - eta * alpha)
    assert r.w_final == approx(W0 - 2 * eta * alpha + eta * e(-5 / tau) + eta * e(-25 / tau))


def test_vogels_sprekeler_zero_interval_discarded():
    r = run_synapse("vogels_sprekeler_synapse", [10.0, 40.0], [10.0],
                    syn_params={"eta": 0.1, "alpha": 0.0, "tau": 20.0, "Wmax": 100.0},
                    w0=W0, flush=None)
    assert r.w_final == approx(W0 + 0.1 * e(-30 / 20))


# ---------------------------------------------------------------- stdp_dopamine_synapse

DOPA = {"A_plus": 0.8, "A_minus": 0.5, "tau_plus": 20.0, "tau_c": 50.0, "tau_n": 30.0,
        "Wmin": 0.0, "Wmax": 200.0}


@pytest.mark.parametrize("b", [0.0, 0.01])
def test_dopamine_single_eligibility_and_dopamine_pulse(b):
    """Izhikevich 2007 as NEST integrates it. pre 10, post 20, dopamine 40, flush pre 160.
    Eligibility c: pre 10 -> c -= A_minus K_minus(10) = 0 (no post yet);
    post 20 -> c += A_plus K_plus(20) = 0.8 e(-10/20) =: c20; then c(t) = c20 e(-(t-20)/tau_c).
    Dopamine n: 0 before 40, n(t) = (1/tau_n) e(-(t-40)/tau_n) after (a spike adds 1/tau_n).
    dw/dt = c (n - b), integrated exactly by NEST, up to the flush pre at T = 160:
      w(T) = W0 - b c20 tau_c (1 - e(-(T-20)/tau_c))
                + c20 e(-20/tau_c) (1/tau_n) (1 - e(-k (T-40))) / k,  k = 1/tau_c + 1/tau_n."""
    r = run_synapse("stdp_dopamine_synapse", [10.0], [20.0], syn_params=dict(DOPA, b=b),
                    w0=W0, dopa_times=[40.0], tau_minus=TM, flush=120.0)
    T, tc, tn = 160.0, 50.0, 30.0
    assert r.pre_times[-1] == T
    c20 = 0.8 * e(-10 / 20)
    k = 1 / tc + 1 / tn
    expected = (W0 - b * c20 * tc * (1 - e(-(T - 20) / tc))
                + c20 * e(-20 / tc) * (1 / tn) * (1 - e(-k * (T - 40))) / k)
    assert r.weights[0] == approx(W0)
    assert r.w_final == pytest.approx(expected, rel=1e-9)   # integrated in many segments


def test_dopamine_timing_is_exact():
    """A one-step shift of the dopamine spike (40 -> 40.1) changes the weight: the harness
    puts it where asked (c20 e(-(t_d-20)/tau_c) (1/tau_n)(1 - e(-k(T - t_d)))/k)."""
    r = run_synapse("stdp_dopamine_synapse", [10.0], [20.0], syn_params=dict(DOPA, b=0.0),
                    w0=W0, dopa_times=[40.1], tau_minus=TM, flush=119.9)
    T, tc, tn, td = 160.0, 50.0, 30.0, 40.1
    c20 = 0.8 * e(-10 / 20)
    k = 1 / tc + 1 / tn
    assert r.w_final == pytest.approx(
        W0 + c20 * e(-(td - 20) / tc) * (1 / tn) * (1 - e(-k * (T - td))) / k, rel=1e-9)


def test_dopamine_zero_interval_discarded():
    """pre 5, 10, 200; post 10 (coincident with pre 10); dopamine 12, b = 0. Only the pair
    (5 -> 10) makes eligibility, c10 = 0.8 e(-5/20), and the depression of pre 10 by post
    10 is skipped (K_minus strictly before); pre 200's depression changes c, not w:
    w(200) = W0 + c10 e(-2/tau_c) (1/tau_n) (1 - e(-k (200 - 12))) / k."""
    r = run_synapse("stdp_dopamine_synapse", [5.0, 10.0, 200.0], [10.0],
                    syn_params=dict(DOPA, b=0.0), w0=W0, dopa_times=[12.0], tau_minus=TM,
                    flush=None)
    k = 1 / 50 + 1 / 30
    c10 = 0.8 * e(-5 / 20)
    assert r.w_final == pytest.approx(
        W0 + c10 * e(-2 / 50) * (1 / 30) * (1 - e(-k * 188)) / k, rel=1e-9)
