"""Helpers of the paper notebooks 08-10: the pairing protocol and delayed rewards
(neurolab.inputs), signal channels (Vogels et al. 2011), and the fit of a rule's amplitudes
to measured points (neurolab.analysis). Expected values are worked out by hand in the
comments, never computed by the code under test."""

from __future__ import annotations

import numpy as np
import pytest

from neurolab import analysis
from neurolab import stimuli as I


# ------------------------------------------------------------------ pairing protocol
def test_pairing_protocol_pre_before_post():
    # 20 Hz: period 50 ms; pairing k at 100 + 50 k, post 10 ms after pre
    pre, post = I.pairing_protocol(3, 20.0, 10.0, start=100.0)
    assert pre.tolist() == [100.0, 150.0, 200.0]
    assert post.tolist() == [110.0, 160.0, 210.0]


def test_pairing_protocol_post_before_pre():
    # lag -10: the post spike opens each pairing, the pre spike comes 10 ms later
    pre, post = I.pairing_protocol(2, 0.1, -10.0)
    assert post.tolist() == [0.0, 10000.0]
    assert pre.tolist() == [10.0, 10010.0]


@pytest.mark.parametrize("kw, word", [(dict(n_pairings=0), "n_pairings"),
                                      (dict(frequency=0.0), "frequency"),
                                      (dict(lag=50.0), "lag"),     # = the period at 20 Hz
                                      (dict(start=-1.0), "start")])
def test_pairing_protocol_refuses(kw, word):
    args = dict(n_pairings=3, frequency=20.0, lag=10.0) | kw
    start = args.pop("start", 0.0)
    with pytest.raises((ValueError, TypeError), match=word):
        I.pairing_protocol(**args, start=start)


# ------------------------------------------------------------------ delayed rewards
def test_reward_times_triggers():
    # pre 100, post 105 (5 ms after: reward), post 130 (30 ms after pre 100: too late),
    # pre 200 and post 200 together (not strictly after: none), post 219.5 (19.5 after 200:
    # reward), post 50 (no pre before it: none)
    pre = [100.0, 200.0]
    post = [50.0, 105.0, 130.0, 200.0, 219.5]
    s = I.reward_times(pre, post, window=20.0, delay=(1000.0, 1000.0), dt=0.5)
    assert s.triggers.tolist() == [105.0, 219.5]
    # zero-width delay range: exactly 1000 ms later
    assert s.times.tolist() == [1105.0, 1219.5]


def test_reward_times_simultaneous_pre_cancels():
    # Izhikevich's program: a reward needs the last post spike later than the last pre
    # spike; pre 190 and 200, post 200: the latest pre (200) is not earlier: no reward
    assert I.reward_times([190.0, 200.0], [200.0]).triggers.size == 0
    # without the pre spike at 200, the post spike 10 ms after 190 earns one
    assert I.reward_times([190.0], [200.0]).triggers.tolist() == [200.0]


def test_reward_times_delay_range_and_rounding():
    # one trigger at 10 ms per 100 ms (pre at 100 k, post 5 ms later); delays in [1000,
    # 3000) rounded to whole ms: every reward in [1005, 3005] ms after its trigger... and
    # the draws cover the range (mean near 2000 ms for 2000 draws: sd 577/sqrt(2000) = 13)
    pre = np.arange(2000) * 100.0
    post = pre + 5.0
    s = I.reward_times(pre, post, window=20.0, dt=1.0, seed=3)
    assert s.triggers.size == 2000
    assert np.all(s.times == np.rint(s.times))
    assert s.times.min() >= 1005.0 and s.times.max() <= 100.0 * 1999 + 5.0 + 3000.0
    # triggers 100 ms apart, delays spread over 2 s: some rewards share a step and merge
    assert s.times.size <= 2000 and np.all(np.diff(s.times) > 0)


def test_reward_times_same_seed_same_rewards_and_merge():
    a = I.reward_times([0.0], [5.0], seed=1)
    b = I.reward_times([0.0], [5.0], seed=1)
    assert a.times.tolist() == b.times.tolist() and a.times.size == 1
    # two triggers with one fixed delay land 0.2 ms apart: with dt = 1 they merge
    m = I.reward_times([0.0, 10.0], [5.0, 15.2], delay=(1000.0, 1000.0), dt=1.0)
    assert m.triggers.size == 2 and m.times.tolist() == [1005.0, 1015.0]
    m = I.reward_times([0.0, 10.0], [5.0, 5.4 + 0.0], delay=(1000.0, 1000.0), dt=1.0)
    assert m.times.tolist() == [1005.0]          # 1005.0 and 1005.4 round to one step


@pytest.mark.parametrize("kw, word", [(dict(window=0.0), "window"),
                                      (dict(delay=(3000.0, 1000.0)), "delay"),
                                      (dict(delay=5.0), "delay"),
                                      (dict(dt=0.0), "dt"),
                                      (dict(pre=[-1.0]), "pre"),
                                      (dict(post=[np.nan]), "post")])
def test_reward_times_refuses(kw, word):
    args = dict(pre=[0.0], post=[5.0]) | kw
    with pytest.raises((ValueError, TypeError), match=word):
        I.reward_times(args.pop("pre"), args.pop("post"), **args)


# ------------------------------------------------------------------ signal channels
def test_filtered_noise_rates_statistics():
    # OU with tau 50 ms sampled every 5 ms: lag-1 correlation exp(-5/50) = 0.905; mean 20,
    # sd 4 (rectification at 0 is 5 sd away: negligible)
    r = I.filtered_noise_rates(4, 200_000.0, rate_dt=5.0, tau=50.0, mean=20.0, sd=4.0,
                               seed=2)
    assert r.shape == (40_000, 4)
    x = r - r.mean(axis=0)
    lag1 = (x[1:] * x[:-1]).mean(axis=0) / x.var(axis=0)
    # 40 000 samples, correlation time 10 samples: effective n ~ 2000, se of mean 4/45
    assert np.allclose(r.mean(axis=0), 20.0, atol=0.5)
    assert np.allclose(r.std(axis=0), 4.0, atol=0.3)
    assert np.allclose(lag1, np.exp(-0.1), atol=0.01)
    # channels independent
    assert abs(np.corrcoef(r[:, 0], r[:, 1])[0, 1]) < 0.1


def test_filtered_noise_rates_rectified():
    r = I.filtered_noise_rates(2, 10_000.0, mean=0.0, sd=10.0, seed=0)
    assert r.min() == 0.0 and (r == 0).mean() > 0.3      # half the time below 0: clipped


def test_channel_poisson_rates_follow_groups():
    # two groups of 50; group 0 at 40 Hz in bin 0 and 0 Hz in bin 1 (bins of 1000 ms),
    # group 1 at 10 Hz throughout; dt 0.1: expected counts per input 40 / 0 and 10 / 10
    rates = np.array([[40.0, 10.0], [0.0, 10.0]])
    t, i = I.channel_poisson(rates, [50, 50], rate_dt=1000.0, dt=0.1, seed=5)
    assert np.all(np.diff(i) >= 0) and t.max() < 2000.0
    g0 = i < 50
    assert not np.any(g0 & (t >= 1000.0))                  # silent bin: no spike at all
    n0 = np.sum(g0 & (t < 1000.0)) / 50                    # 40 +- sqrt(40/50) = 0.9
    n1 = np.sum(~g0) / 50 / 2                              # 10 per second +- 0.3
    assert abs(n0 - 40.0) < 3.5 and abs(n1 - 10.0) < 1.5
    # at most one spike per input and step
    key = i * 100_000 + np.rint(t / 0.1).astype(np.int64)
    assert np.unique(key).size == key.size


def test_channel_poisson_refuses():
    with pytest.raises(ValueError, match="group_sizes"):
        I.channel_poisson(np.ones((2, 2)), [1], rate_dt=1.0)
    with pytest.raises(ValueError, match="rates"):
        I.channel_poisson(np.full((2, 1), 20000.0), [1], rate_dt=1.0, dt=0.1)
    with pytest.raises(ValueError, match="rate_dt"):
        I.channel_poisson(np.ones((2, 1)), [1], rate_dt=0.25, dt=0.1)


# ------------------------------------------------------------------ fitting amplitudes
def test_normalized_error_by_hand():
    # model 1, 0 against data 0, 4 with sem 1, 2: residuals 1 and -2 sem: (1 + 4) / 2 = 2.5
    assert analysis.normalized_error([1.0, 0.0], [0.0, 4.0], [1.0, 2.0]) == pytest.approx(2.5)
    # residuals 1 and 2 sem: (1 + 4) / 2 = 2.5
    assert analysis.normalized_error([0.5, 2.0], [0.0, 0.0], [0.5, 1.0]) == pytest.approx(2.5)


def test_fit_amplitudes_exact_and_nonnegative():
    # data = 2 * col0 + 3 * col1 exactly: the fit returns (2, 3) and E = 0
    basis = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    fit = analysis.fit_amplitudes(basis, [2.0, 3.0, 5.0], [0.1, 0.1, 0.1])
    assert np.allclose(fit.amplitudes, [2.0, 3.0]) and fit.error == pytest.approx(0.0)
    # one column, data -1 and -1: the unconstrained slope would be -1, non-negativity makes
    # it 0; E = mean((0 - (-1))**2 / 1) = 1
    fit = analysis.fit_amplitudes([[1.0], [1.0]], [-1.0, -1.0], [1.0, 1.0])
    assert fit.amplitudes.tolist() == [0.0] and fit.error == pytest.approx(1.0)


def test_fit_amplitudes_weights_by_sem():
    # one column of ones, data 0 and 3 with sem 1 and 2: weighted mean
    # (0/1 + 3/4) / (1/1 + 1/4) = 0.75 / 1.25 = 0.6
    fit = analysis.fit_amplitudes([[1.0], [1.0]], [0.0, 3.0], [1.0, 2.0])
    assert fit.amplitudes[0] == pytest.approx(0.6)
    # E = ((0.6 - 0)/1)**2 / 2 + ((0.6 - 3)/2)**2 / 2 = (0.36 + 1.44) / 2 = 0.9
    assert fit.error == pytest.approx(0.9)


@pytest.mark.parametrize("args, word", [(([[1.0]], [1.0, 2.0], [1.0, 1.0]), "basis"),
                                        (([[1.0]], [1.0], [0.0]), "sem"),
                                        (([[np.inf]], [1.0], [1.0]), "basis"),
                                        (([[1.0]], [[1.0]], [1.0]), "data")])
def test_fit_amplitudes_refuses(args, word):
    with pytest.raises(ValueError, match=word):
        analysis.fit_amplitudes(*args)


# ------------------------------------------------------------------ imposed trains
def test_impose_pair_rule_by_hand():
    import neurolab as nl
    from neurolab.papers.protocols import impose

    # synapse 0: pre 10, post 20 (dt +10): +A_plus e^{-10/20}; synapse 1: post 10, pre 30
    # (dt -20): -A_minus e^{-20/20}; A_plus 0.01, A_minus 0.02, all-to-all, w0 1
    rule = nl.STDPParams(A_plus=0.01, A_minus=0.02, tau_plus=20.0, tau_minus=20.0,
                         w_min=0.0, w_max=2.0)
    out = impose({"pair": rule}, ([10.0, 30.0], [0, 1]), ([20.0, 10.0], [0, 1]), 1.0)
    assert out.dw["pair"][0] == pytest.approx(0.01 * np.exp(-0.5), rel=1e-12)
    assert out.dw["pair"][1] == pytest.approx(-0.02 * np.exp(-1.0), rel=1e-12)


def test_impose_refuses_close_post_spikes_and_detects_driven_devices():
    import neurolab as nl
    from neurolab.papers.protocols import impose

    rule = nl.STDPParams(w_max=200.0)
    with pytest.raises(ValueError, match="two steps"):
        impose({"r": rule}, ([5.0], [0]), ([10.0, 10.1], [0, 0]), 1.0)
    # a weight of 80 mV from the plastic synapse alone crosses the 70 mV threshold
    with pytest.raises(RuntimeError, match="fired"):
        impose({"r": rule}, ([5.0], [0]), ([20.0], [0]), 80.0)
