"""Diehl & Cook's presentation loop (:mod:`neurolab.papers.diehl_cook`): the same network as
neurolab's general engine, step for step (the engine is the reference), the input's Poisson
statistics, and each step of the per-digit protocol checked by hand (normalisation sum,
intensity retry, rest, frozen test phase)."""

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.papers import diehl_cook as DC
from neurolab.papers.diehl_cook import DiehlCook, DiehlCookParams


def naive_input(img, scale, dt_s, n_pres, u, upos):
    """The input of one attempt, the obvious way (pure Python): per pixel, geometric gaps
    ``floor(log(1 - u) / log(1 - p)) + 1`` from the uniforms; returns ((step, pixel) pairs
    sorted by step then pixel, new upos)."""
    out = []
    for i, x in enumerate(img):
        if x == 0:
            continue
        p = x * scale * dt_s
        s = -1
        while True:
            g = math.log(1.0 - u[upos]) / math.log1p(-p)
            upos += 1
            if g >= n_pres:
                break
            s += int(g) + 1
            if s >= n_pres:
                break
            out.append((s, i))
    return sorted(out), upos


# ------------------------------------------------------------- the engine as reference
# What the general engine can express: exponential Euler (not Brian 1's forward Euler),
# v held at reset while refractory, normalisation that clips, counts of the presentation
# only, delays rounded to the nearest step (the authors' values are the defaults; their
# own tests below, by hand).
ENGINE = dict(integration="exponential", hold_v_e=True, count_rest=False, norm_clip=True,
              delay_rounding="nearest")
SMALL = DiehlCookParams(theta_offset=0.0, theta_init=0.0, theta_plus=1.0, tau_theta=2000.0,
                        pixel_divisor=2.0, norm_target=5.0, nu_pre=0.01, nu_post=0.2,
                        min_spikes=3, max_repeats=1, **ENGINE)


def engine_network(P, weights, delays, times, ids):
    """Diehl & Cook's network in neurolab's general engine: explicit input spikes, the
    triplet rule (nearest spike, A2_plus 0, A3_plus nu_post, A2_minus nu_pre), adaptive
    threshold, normalisation every attempt (500 ms)."""
    n_in, n_e = weights.shape
    net = nl.Network(dt=P.dt, seed=0)
    X = net.add_spikes("X", n_in, times=times, indices=ids)
    cond = {"synapse": "conductance", "tau_e": P.tau_ge, "tau_i": P.tau_gi, "E_e": P.E_exc}
    E = net.add_lif("E", n_e, nl.LIFParams(tau_m=P.tau_e, v_rest=P.v_rest_e,
                                           v_th=P.v_thresh_e - P.theta_offset,
                                           v_reset=P.v_reset_e, refractory=P.refrac_e,
                                           E_i=P.E_inh_e, **cond),
                    threshold=nl.AdaptiveThreshold(P.theta_plus, P.tau_theta,
                                                   theta_init=P.theta_init),
                    v_init=P.v_init_e)
    inh = net.add_lif("I", n_e, nl.LIFParams(tau_m=P.tau_i, v_rest=P.v_rest_i,
                                             v_th=P.v_thresh_i, v_reset=P.v_reset_i,
                                             refractory=P.refrac_i, E_i=P.E_inh_i, **cond),
                      v_init=P.v_init_i)
    rule = nl.TripletSTDP(A2_plus=0.0, A3_plus=P.nu_post, A2_minus=P.nu_pre, A3_minus=0.0,
                          tau_plus=P.tau_pre, tau_x=P.tau_pre, tau_minus=P.tau_post1,
                          tau_y=P.tau_post2, w_min=0.0, w_max=P.w_max,
                          interaction="nearest_spike")
    net.connect(X, E, "all_to_all", weight=weights.ravel(), delay=delays.ravel() * P.dt,
                stdp=rule, normalize=nl.Normalization(P.norm_target,
                                                      every=P.presentation + P.rest),
                name="xe")
    net.connect(E, inh, "one_to_one", weight=P.w_ei)
    pre, post = np.nonzero(~np.eye(n_e, dtype=bool))
    net.connect(inh, E, "explicit", pre_ids=pre, post_ids=post, weight=P.w_ie,
                receptor="inh")
    return net, E


def test_equals_the_general_engine_spike_for_spike():
    rng = np.random.default_rng(5)
    n_in, n_e = 12, 4
    images = rng.integers(0, 256, size=(4, n_in)).astype(np.uint8)
    images[1] = 0                         # no input: a repeat, then accepted short
    net = DiehlCook(n_e, SMALL, n_input=n_in, seed=3)
    w0, delays = net.weights, net.delays.copy()
    assert len(np.unique(delays)) > 5     # several delays: several engine pathways
    res = net.train(images, record_spikes=100_000, log_attempts=100)
    att = net.attempts
    # the attempts: digit 1 shown twice (no spikes), the others once or twice
    assert res.repeats[1] == 1 and res.short[1]
    assert len(att) == len(images) + res.repeats.sum()
    # the input spikes, the obvious way, from the same single stream of uniforms
    u = np.random.default_rng([3, 1]).random(1 << 20)
    times, ids, upos = [], [], 0
    n_att = net.n_pres + net.n_rest
    for a, (digit, inten, _) in enumerate(att):
        spikes, upos = naive_input(images[int(digit)].astype(float), inten / SMALL.pixel_divisor,
                                   SMALL.dt * 1e-3, net.n_pres, u, upos)
        times += [(a * n_att + s) * SMALL.dt for s, _ in spikes]
        ids += [i for _, i in spikes]
    assert len(ids) > 300
    eng, E = engine_network(SMALL, w0, delays, np.array(times), np.array(ids))
    out = eng.run(len(att) * n_att * SMALL.dt, progress=False)
    e_spk = out.spikes["E"]
    i_spk = out.spikes["I"]
    assert e_spk.t.size > 20 and i_spk.t.size > 5
    steps, who = net.spikes
    e = who < n_e
    np.testing.assert_array_equal(np.rint(e_spk.t / SMALL.dt).astype(int), steps[e])
    np.testing.assert_array_equal(e_spk.i, who[e])
    np.testing.assert_array_equal(np.rint(i_spk.t / SMALL.dt).astype(int), steps[~e])
    np.testing.assert_array_equal(i_spk.i, who[~e] - n_e)
    # learning happened, and the same way (to the last bit)
    assert np.abs(net.weights - w0).max() > 0.01
    np.testing.assert_array_equal(out.final_weights["xe"].reshape(n_in, n_e), net.weights)
    np.testing.assert_array_equal(E.theta, net.theta)
    # and the counts the retry decided on are the engine's spikes in each presentation
    a_of = np.rint(e_spk.t / SMALL.dt).astype(int) // n_att
    in_pres = np.rint(e_spk.t / SMALL.dt).astype(int) % n_att < net.n_pres
    np.testing.assert_array_equal(np.bincount(a_of[in_pres], minlength=len(att)), att[:, 2])


def test_frozen_phase_equals_the_engine_with_learning_off():
    rng = np.random.default_rng(7)
    n_in, n_e = 10, 3
    images = rng.integers(0, 256, size=(3, n_in)).astype(np.uint8)
    net = DiehlCook(n_e, SMALL.replace(max_repeats=0), n_input=n_in, seed=4)
    w0, delays = net.weights, net.delays.copy()
    net.respond(images, record_spikes=10_000, log_attempts=10)
    u = np.random.default_rng([4, 1]).random(1 << 18)
    times, ids, upos = [], [], 0
    n_att = net.n_pres + net.n_rest
    for a, (digit, inten, _) in enumerate(net.attempts):
        spikes, upos = naive_input(images[int(digit)].astype(float), inten / SMALL.pixel_divisor,
                                   SMALL.dt * 1e-3, net.n_pres, u, upos)
        times += [(a * n_att + s) * SMALL.dt for s, _ in spikes]
        ids += [i for _, i in spikes]
    eng, E = engine_network(SMALL, w0, delays, np.array(times), np.array(ids))
    eng.projections["xe"].learning = False
    E.threshold = E.threshold.replace(frozen=True)
    out = eng.run(len(net.attempts) * n_att * SMALL.dt, progress=False)
    steps, who = net.spikes
    e = who < n_e
    assert e.sum() > 5
    np.testing.assert_array_equal(np.rint(out.spikes["E"].t / SMALL.dt).astype(int), steps[e])
    np.testing.assert_array_equal(out.spikes["E"].i, who[e])
    np.testing.assert_array_equal(net.weights, w0)


# ------------------------------------------------------------- the input
def test_input_matches_the_naive_generator():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, size=50).astype(float)
    img[::3] = 0
    u = rng.random(200_000)
    in_ptr = np.zeros(701, np.int64)
    in_ids = np.zeros(50 * 700 + 1, np.int64)
    upos = DC.draw_input(img, 0.25, 5e-4, 700, u, 17, in_ptr, in_ids, np.zeros(700, np.int64))
    want, upos_naive = naive_input(img, 0.25, 5e-4, 700, u, 17)
    got = [(s, int(in_ids[k])) for s in range(700) for k in range(in_ptr[s], in_ptr[s + 1])]
    assert got == want and upos == upos_naive


def test_input_has_the_poisson_statistics():
    """Bernoulli trains with p = rate dt: spike counts binomial(n, p) (mean and variance),
    a spike followed by one in the next step with probability p, spikes spread evenly over
    the presentation's steps."""
    rng = np.random.default_rng(2)
    n_pres, dt_s = 700, 5e-4
    img = np.array([255.0, 128.0, 40.0, 8.0])
    scale = 2.0 / 8.0                               # intensity 2: 63.75 Hz for 255
    p = img * scale * dt_s
    trials = 3000
    u = rng.random(trials * 400)
    in_ptr = np.zeros(n_pres + 1, np.int64)
    in_ids = np.zeros(4 * n_pres + 1, np.int64)
    counts = np.zeros((trials, 4))
    per_step = np.zeros(n_pres)
    follow = np.zeros(2)            # pixel 0: spikes before the last step, and those followed
    upos = 0
    for t in range(trials):
        upos = DC.draw_input(img, scale, dt_s, n_pres, u, upos, in_ptr, in_ids,
                             np.zeros(n_pres, np.int64))
        steps = np.repeat(np.arange(n_pres), np.diff(in_ptr))
        ids = in_ids[:in_ptr[-1]]
        counts[t] = np.bincount(ids, minlength=4)
        per_step += np.bincount(steps, minlength=n_pres)
        s0 = steps[ids == 0]
        follow += (np.sum(s0 < n_pres - 1), np.sum(np.diff(s0) == 1))
    mean, var = n_pres * p, n_pres * p * (1 - p)
    # mean within 5 standard errors, variance within 10 % (3000 trials: ~2.6 % s.e.)
    assert np.all(np.abs(counts.mean(0) - mean) < 5 * np.sqrt(var / trials))
    np.testing.assert_allclose(counts.var(0), var, rtol=0.1)
    # independent steps: after a spike the next step spikes with probability p again
    # (geometric gaps)
    q = follow[1] / follow[0]
    assert abs(q - p[0]) < 5 * math.sqrt(p[0] * (1 - p[0]) / follow[0])
    # evenly spread over the steps: chi-square of 700 bins (mean 699, sd 37.4)
    expect = trials * p.sum()
    chi2 = np.sum((per_step - expect) ** 2 / expect)
    assert abs(chi2 - (n_pres - 1)) < 6 * math.sqrt(2 * (n_pres - 1))


def test_results_do_not_depend_on_how_the_stream_is_cut():
    X, _ = nl.datasets.mnist("train", subset=True)
    a = DiehlCook(5, seed=2)
    b = DiehlCook(5, seed=2, block=1)           # the smallest block: a refill every call
    ra = a.train(X[:6])
    rb = b.train(X[:3], chunk=1)
    rb2 = b.train(X[3:6], chunk=2)
    np.testing.assert_array_equal(ra.counts, np.concatenate([rb.counts, rb2.counts]))
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.t == b.t


# ------------------------------------------------------------- the protocol, by hand
def test_normalisation_before_every_attempt_sums_to_the_target():
    X, _ = nl.datasets.mnist("train", subset=True)
    P = DiehlCookParams(nu_pre=0.0, nu_post=0.0)     # no STDP: only the normalisation
    net = DiehlCook(10, P, seed=0)
    before = net.weights.sum(axis=0)
    assert np.all(np.abs(before - 78.0) > 1.0)       # (U + 0.01) 0.3 sums to ~121
    net.train(X[:1])
    np.testing.assert_allclose(net.weights.sum(axis=0), 78.0, rtol=1e-12)
    w = net.weights
    net.respond(X[1:3])                               # the test phase does not normalise
    net.weights = w * 0.5
    net.respond(X[3:4])
    np.testing.assert_allclose(net.weights.sum(axis=0), 39.0, rtol=1e-12)
    net.train(X[4:5])
    np.testing.assert_allclose(net.weights.sum(axis=0), 78.0, rtol=1e-12)


def test_fewer_than_min_spikes_raises_the_intensity_and_shows_the_digit_again():
    X, _ = nl.datasets.mnist("train", subset=True)
    images = X[:4].copy()
    images[2] = 0                                   # silent: never reaches 5 spikes
    P = DiehlCookParams(max_repeats=3, count_rest=False)
    net = DiehlCook(20, P, seed=1)
    res = net.train(images, log_attempts=100)
    att = net.attempts
    # each attempt: under 5 spikes -> the same digit at intensity + 1 (until 3 repeats);
    # otherwise the next digit at intensity 2
    for a in range(len(att) - 1):
        digit, inten, spikes = att[a]
        if spikes < 5 and inten < 2 + 3:
            assert att[a + 1][0] == digit and att[a + 1][1] == inten + 1
        else:
            assert att[a + 1][0] == digit + 1 and att[a + 1][1] == 2.0
    silent = att[att[:, 0] == 2]
    np.testing.assert_array_equal(silent[:, 1], [2, 3, 4, 5])
    np.testing.assert_array_equal(silent[:, 2], 0)
    assert res.repeats[2] == 3 and res.short[2] and res.intensity[2] == 5.0
    assert res.short.sum() == 1
    # accepted counts are the last attempt's; every attempt took 500 ms
    assert net.t == len(att) * 500.0
    np.testing.assert_array_equal(res.counts.sum(1), [att[att[:, 0] == k][-1, 2]
                                                      for k in range(4)])


def test_rest_has_no_input_and_its_spikes_are_not_counted():
    """Input only in the first 350 ms of an attempt (plus the delays); the counts are the
    spikes of those 350 ms; the network runs on through the 150 ms of rest."""
    X, _ = nl.datasets.mnist("train", subset=True)
    P = DiehlCookParams(rest=150.0, count_rest=False)
    net = DiehlCook(10, P, seed=2)
    res = net.train(X[:5], record_spikes=100_000, log_attempts=100)
    steps, who = net.spikes
    att = net.attempts
    n_att = net.n_pres + net.n_rest
    a_of = steps // n_att
    e = who < 10
    last_attempt = np.array([np.flatnonzero(att[:, 0] == k)[-1] for k in range(5)])
    for k in range(5):
        sel = e & (a_of == last_attempt[k]) & (steps % n_att < net.n_pres)
        np.testing.assert_array_equal(np.bincount(who[sel], minlength=10), res.counts[k])
    # the input of an attempt, from the naive generator: nothing in the rest
    u = np.random.default_rng([2, 1]).random(1 << 20)
    spikes, _ = naive_input(X[0].ravel().astype(float), 2.0 / 8.0, 5e-4, net.n_pres, u, 0)
    assert max(s for s, _ in spikes) < net.n_pres


def test_membrane_relaxes_as_the_closed_form_without_input():
    """No input: v(t) = v_rest + (v0 - v_rest) exp(-t / tau_m) for both populations (the
    exponential Euler step is exact at g = 0), theta decays as theta0 exp(-t/tau_theta)."""
    P = DiehlCookParams(max_repeats=0, tau_theta=1000.0, integration="exponential")
    net = DiehlCook(3, P, n_input=4, seed=0)
    net.train(np.zeros((2, 4)))
    t = 1000.0
    np.testing.assert_allclose(net.v[:3], -65.0 + (-105.0 + 65.0) * math.exp(-t / 100.0),
                               rtol=1e-12)
    np.testing.assert_allclose(net.v[3:], -60.0 + (-100.0 + 60.0) * math.exp(-t / 10.0),
                               rtol=1e-12)
    np.testing.assert_allclose(net.theta, 20.0 * math.exp(-t / 1000.0), rtol=1e-12)


def test_test_phase_freezes_weights_and_theta():
    X, _ = nl.datasets.mnist("train", subset=True)
    net = DiehlCook(10, seed=3)
    net.train(X[:3])
    w, th = net.weights, net.theta.copy()
    res = net.respond(X[3:8])
    assert res.counts.sum() > 0
    np.testing.assert_array_equal(net.weights, w)
    np.testing.assert_array_equal(net.theta, th)
    net.train(X[8:9])
    assert not np.array_equal(net.weights, w) and not np.array_equal(net.theta, th)


def test_theta_threshold_as_the_authors_write_it():
    """theta from 20 mV under v_thresh - 20 mV: the first spike needs v > -52 mV, and
    each spike adds 0.05 mV."""
    P = DiehlCookParams()
    net = DiehlCook(2, P, n_input=4, seed=0)
    np.testing.assert_array_equal(net.theta, 20.0)
    assert net._fpar()[6] == -72.0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="rest"):
        DiehlCookParams(rest=10.0)                   # shorter than the delays
    with pytest.raises(ValueError, match="multiple of dt"):
        DiehlCookParams(presentation=350.2)
    with pytest.raises(ValueError, match="images"):
        DiehlCook(2, n_input=4).train(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="rates"):
        DiehlCook(2, DiehlCookParams(pixel_divisor=0.01), n_input=4).train(np.full((1, 4), 255))
    with pytest.raises(TypeError, match="params"):
        DiehlCook(2, params={"dt": 0.5})


def test_online_accuracy_windows():
    counts = np.zeros((30, 2))
    labels = np.tile([0, 1], 15)
    counts[labels == 0, 0] = 3
    counts[labels == 1, 1] = 3
    seen, acc = DC.online_accuracy(counts, labels, 10)
    np.testing.assert_array_equal(seen, [20, 30])
    np.testing.assert_array_equal(acc, [1.0, 1.0])


def test_benchmark_runs_quick(tmp_path):
    """benchmarks/diehl_cook.py --quick: both loops run and report (no timing asserted)."""
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "diehl_cook.py"
    spec = importlib.util.spec_from_file_location("neurolab_bench_diehl_cook", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main(["--quick", "--json", str(tmp_path / "b.json")])
    row = json.loads((tmp_path / "b.json").read_text())["sizes"]["10"]
    assert row["fast"]["train"]["digits"] == 10 and row["engine"]["digits"] == 2
    assert out["sizes"][10]["fast"]["train"]["per_s"] > 0


# ------------------------------------------------------------- the authors' Brian 1 details
def hand_single(P, w, arrivals, n_steps, hold):
    """One excitatory neuron and its inhibitory partner, frozen (no STDP, theta fixed), in
    plain Python as Brian 1 runs the authors' script: forward Euler on v, g_e, g_i (the
    equations are nonlinear, g v, so Brian 1 picks Euler), the excitatory v free during
    its 5 ms of refractoriness (a string reset: Brian 1 only forbids spikes then), the
    inhibitory v held at its reset (a scalar reset: Brian 1's Refractoriness). ``hold``:
    hold the excitatory v too. ``arrivals[n]``: input spikes arriving at step n, each
    adding ``w`` to g_e after the step's update. Returns the spike steps and the final v."""
    dt = P.dt
    v, ge, gi = P.v_init_e, 0.0, 0.0
    vi, gei, gii = P.v_init_i, 0.0, 0.0
    last = last_i = -10**9
    K_e, K_i = round(P.refrac_e / dt), round(P.refrac_i / dt)
    e_spk, i_spk = [], []
    for n in range(n_steps):
        if not hold or n >= last + K_e:
            v = v + dt / P.tau_e * ((P.v_rest_e - v) + ge * (P.E_exc - v)
                                    + gi * (P.E_inh_e - v))
        ge *= 1.0 - dt / P.tau_ge
        gi *= 1.0 - dt / P.tau_gi
        fired = v > P.v_thresh_e - P.theta_offset + P.theta_init and n >= last + K_e
        if fired:
            last, v = n, P.v_reset_e
            e_spk.append(n)
        if n >= last_i + K_i:
            vi = vi + dt / P.tau_i * ((P.v_rest_i - vi) + gei * (P.E_exc - vi)
                                      + gii * (P.E_inh_i - vi))
        gei *= 1.0 - dt / P.tau_ge
        gii *= 1.0 - dt / P.tau_gi
        if vi > P.v_thresh_i and n >= last_i + K_i:
            last_i, vi = n, P.v_reset_i
            i_spk.append(n)
        ge += w * arrivals[n]
        if fired:
            gei += P.w_ei
    return e_spk, i_spk, v


def test_forward_euler_and_free_refractory_membrane_as_brian1_runs_them():
    P = DiehlCookParams(max_repeats=0, integration="euler")
    w, seed = 6.0, 4
    img = np.full(3, 255.0)
    net = DiehlCook(1, P, n_input=3, seed=seed, weights=np.full((3, 1), w),
                    delays=np.zeros((3, 1), np.int64))
    net.respond(img[None], record_spikes=1000)
    u = np.random.default_rng([seed, 1]).random(1 << 16)
    spikes, _ = naive_input(img, P.intensity / P.pixel_divisor, P.dt * 1e-3, net.n_pres, u, 0)
    n_att = net.n_pres + net.n_rest
    arrivals = np.bincount([s for s, _ in spikes], minlength=n_att)
    e_spk, i_spk, v_end = hand_single(P, w, arrivals, n_att, hold=False)
    held, _, _ = hand_single(P, w, arrivals, n_att, hold=True)
    assert len(e_spk) > 5 and held != e_spk          # the test tells the two apart
    # the default integration (exponential Euler) with the free v: other spikes again
    default = DiehlCook(1, P.replace(integration="exponential"), n_input=3, seed=seed,
                        weights=np.full((3, 1), w), delays=np.zeros((3, 1), np.int64))
    default.respond(img[None], record_spikes=1000)
    assert default.spikes[0][default.spikes[1] == 0].tolist() != e_spk
    steps, who = net.spikes
    assert steps[who == 0].tolist() == e_spk
    assert steps[who == 1].tolist() == i_spk
    assert net.v[0] == pytest.approx(v_end, rel=1e-12)
    # the engine's choices (exponential Euler, v held) give other spikes
    other = DiehlCook(1, P.replace(integration="exponential", hold_v_e=True), n_input=3,
                      seed=seed, weights=np.full((3, 1), w), delays=np.zeros((3, 1), np.int64))
    other.respond(img[None], record_spikes=1000)
    assert other.spikes[0][other.spikes[1] == 0].tolist() != e_spk


def test_membrane_relaxes_as_forward_euler_without_input():
    """No input, the authors' integration: v_n = v_rest + (v0 - v_rest) (1 - dt/tau_m)^n,
    theta_n = theta0 (1 - dt/tau_theta)^n."""
    P = DiehlCookParams(max_repeats=0, tau_theta=1000.0, integration="euler")
    net = DiehlCook(3, P, n_input=4, seed=0)
    net.train(np.zeros((2, 4)))
    n = 2000
    np.testing.assert_allclose(net.v[:3], -65.0 + (-105.0 + 65.0) * (1 - 0.5 / 100.0) ** n,
                               rtol=1e-12)
    np.testing.assert_allclose(net.v[3:], -60.0 + (-100.0 + 60.0) * (1 - 0.5 / 10.0) ** n,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(net.theta, 20.0 * (1 - 0.5 / 1000.0) ** n, rtol=1e-12)


def test_counts_include_the_rest_before_the_attempt_as_the_authors_count():
    """The authors read the spike counter right after each 350 ms and before the 150 ms of
    rest: an attempt's count is the rest before it plus its presentation."""
    P = DiehlCookParams(max_repeats=0)
    n_in = 5
    img = np.full((3, n_in), 255.0)
    kw = dict(n_input=n_in, seed=1, weights=np.full((n_in, 1), 15.0),
              delays=np.full((n_in, 1), 20, np.int64))     # input arrives 10 ms late
    net = DiehlCook(1, P, **kw)
    res = net.respond(img, record_spikes=10_000)
    steps, who = net.spikes
    e = steps[who == 0]
    n_att = net.n_pres + net.n_rest
    a, s = e // n_att, e % n_att
    rest = np.array([np.sum((a == k) & (s >= net.n_pres)) for k in range(3)])
    pres = np.array([np.sum((a == k) & (s < net.n_pres)) for k in range(3)])
    assert rest[:2].sum() > 0                              # spikes in the rest to count
    np.testing.assert_array_equal(res.counts[:, 0], pres + np.r_[0, rest[:2]])
    only = DiehlCook(1, P.replace(count_rest=False), **kw).respond(img)
    np.testing.assert_array_equal(only.counts[:, 0], pres)


def test_normalisation_does_not_clip_as_the_authors_normalise():
    """``normalize_weights`` multiplies each column by 78 / its sum, nothing more: a weight
    can leave [0, w_max] until its next STDP update clips it."""
    w = np.array([[0.5], [0.01], [0.01], [0.01]])
    P = DiehlCookParams(nu_pre=0.0, nu_post=0.0, max_repeats=0)
    net = DiehlCook(1, P, n_input=4, seed=0, weights=w)
    net.train(np.zeros((1, 4)))
    np.testing.assert_allclose(net.weights[:, 0], w[:, 0] * 78.0 / 0.53, rtol=1e-12)
    clipped = DiehlCook(1, P.replace(norm_clip=True), n_input=4, seed=0, weights=w)
    clipped.train(np.zeros((1, 4)))
    assert clipped.weights.max() == 1.0


def test_delays_truncated_to_the_step_as_brian1_does():
    """Brian 1's DelayConnection: U(0, 10) ms, int(delay / dt) steps: 0..19, each 1/20."""
    net = DiehlCook(50, seed=3)
    rng = np.random.default_rng([3, 0])
    rng.random((784, 50))                                  # the weights come first
    np.testing.assert_array_equal(net.delays, np.floor(rng.random((784, 50)) * 20.0))
    assert net.delays.max() == 19 and net.delays.min() == 0
    near = DiehlCook(50, DiehlCookParams(delay_rounding="nearest"), seed=3)
    assert near.delays.max() == 20
