"""neurolab.inputs' generators: correlated Poisson groups, the repeating pattern of
Masquelier et al. (2008) and rate-coded images (Diehl & Cook 2015). Expected values are
derived by hand in the comments (Bernoulli steps of probability p = rate dt / 1000), never
computed by the code under test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurolab import analysis
from neurolab import stimuli as I
from neurolab.course.explorer import correlated_inputs


def _binary(t, i, n, n_steps, dt):
    x = np.zeros((n, n_steps), dtype=bool)
    x[i, np.rint(t / dt).astype(np.int64)] = True
    return x


def _counts(t, i, n, duration, bin_ms):
    c = np.zeros((n, int(duration / bin_ms)))
    np.add.at(c, (i, (t // bin_ms).astype(np.int64)), 1)
    return c


def _mean_pair_corr(cc, ids_a, ids_b=None):
    if ids_b is None:
        sub = cc[np.ix_(ids_a, ids_a)]
        return sub[np.triu_indices(len(ids_a), 1)].mean()
    return cc[np.ix_(ids_a, ids_b)].mean()


# ------------------------------------------------------------------ correlated groups
@pytest.mark.parametrize("kw, q", [(dict(correlation=0.25), 0.5),       # c given: q = sqrt(c)
                                   (dict(copy_prob=0.25), 0.25)])      # q given: c = q**2
def test_correlated_poisson_rates_and_per_step_correlation(kw, q):
    rate, dt, dur = 20.0, 0.1, 10_000.0
    t, i = I.correlated_poisson([20, 20], rate, dur, n_independent=10, dt=dt, seed=3, **kw)
    n, n_steps = 50, 100_000
    p = rate * dt / 1000.0
    # own and copied spikes in one step merge: P(spike) = p - p q (1 - q) p
    r = p * (1.0 - q * (1.0 - q) * p)
    counts = np.bincount(i, minlength=n)
    # 200 spikes per train; a group's trains share its mother's count (sd 7 %, of which
    # a fraction q is shared): 40 trains of 2 groups within 8 %, 10 independent within 5 %
    assert abs(counts[:40].mean() / n_steps - r) < 0.08 * r
    assert abs(counts[40:].mean() / n_steps - p) < 0.05 * p
    # per step: cov = p (1 - p) (a - b)^2 with a - b = q (1 - (1 - q) p)
    expect = p * (1 - p) * (q * (1 - (1 - q) * p)) ** 2 / (r * (1 - r))
    cc = np.corrcoef(_binary(t, i, n, n_steps, dt))
    g0, g1, ind = np.arange(20), np.arange(20, 40), np.arange(40, 50)
    assert abs(_mean_pair_corr(cc, g0) - expect) < 0.02
    assert abs(_mean_pair_corr(cc, g1) - expect) < 0.02
    assert abs(_mean_pair_corr(cc, g0, g1)) < 0.005          # groups: separate mothers
    assert abs(_mean_pair_corr(cc, g0, ind)) < 0.005
    assert abs(_mean_pair_corr(cc, ind)) < 0.005


def test_correlated_poisson_rate_over_many_groups():
    # 300 groups of 2 (300 mothers): 600 trains x 20 s x 20 Hz = 240 000 spikes; the rate
    # rate (1 - q (1 - q) p) = 19.99 Hz for q = 0.5, p = 0.002, within 1 % (sd about 0.3 %)
    t, i = I.correlated_poisson([2] * 300, 20.0, 20_000.0, copy_prob=0.5, seed=4)
    assert abs(t.size / 600 / 20.0 - 20.0 * (1 - 0.25 * 0.002)) < 0.01 * 20.0
    t, i = I.correlated_poisson([2] * 300, 20.0, 20_000.0, copy_prob=1.0, seed=4)
    assert abs(t.size / 600 / 20.0 - 20.0) < 0.02 * 20.0       # copies only: the mothers


def test_correlated_poisson_count_correlation_in_bins_and_per_group_values():
    # in continuous time the count correlation is q**2 in any window (shared spikes are
    # simultaneous): 10 ms bins, 2000 bins, groups with c = 0.1 and c = 0.4
    t, i = I.correlated_poisson([15, 15], 30.0, 20_000.0, correlation=[0.1, 0.4], seed=5)
    cc = np.corrcoef(_counts(t, i, 30, 20_000.0, 10.0))
    assert abs(_mean_pair_corr(cc, np.arange(15)) - 0.1) < 0.03
    assert abs(_mean_pair_corr(cc, np.arange(15, 30)) - 0.4) < 0.04


def test_correlated_poisson_extremes_times_and_determinism():
    dt = 0.1
    # q = 1: every member is its mother train; q = 0: independent trains
    t, i = I.correlated_poisson(4, 50.0, 2000.0, copy_prob=1.0, dt=dt, seed=1)
    trains = [t[i == k] for k in range(4)]
    assert trains[0].size > 50 and all(np.array_equal(trains[0], x) for x in trains[1:])
    t, i = I.correlated_poisson(4, 50.0, 2000.0, copy_prob=0.0, dt=dt, seed=1)
    assert not np.array_equal(t[i == 0], t[i == 1])
    # times: whole steps in [0, duration), one spike per input per step, sorted id then t
    t, i = I.correlated_poisson([10], 200.0, 1000.0, correlation=0.5, n_independent=5,
                                dt=dt, seed=2)
    steps = np.rint(t / dt).astype(np.int64)
    np.testing.assert_allclose(steps * dt, t, rtol=0, atol=1e-9)
    assert t.min() >= 0 and t.max() < 1000.0
    key = i * 10**6 + steps
    assert np.all(np.diff(key) > 0)
    # same seed, same spikes; another seed, other spikes
    t2, i2 = I.correlated_poisson([10], 200.0, 1000.0, correlation=0.5, n_independent=5,
                                  dt=dt, seed=2)
    np.testing.assert_array_equal(t, t2)
    np.testing.assert_array_equal(i, i2)
    t3, _ = I.correlated_poisson([10], 200.0, 1000.0, correlation=0.5, n_independent=5,
                                 dt=dt, seed=3)
    assert t3.size != t.size or not np.array_equal(t3, t)


def test_explorer_correlated_inputs_is_one_group_of_correlated_poisson():
    a = correlated_inputs(12, 8, 15.0, 0.3, 1500.0, 0.1, 4)
    b = I.correlated_poisson([12], 15.0, 1500.0, correlation=0.3, n_independent=8, dt=0.1,
                             seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("args, kwargs, exc, match", [
    (([5], 10.0, 100.0), {}, ValueError, "exactly one of correlation"),
    (([5], 10.0, 100.0), dict(correlation=0.1, copy_prob=0.1), ValueError,
     "exactly one of correlation"),
    (([5], 10.0, 100.0), dict(correlation=1.5), ValueError,
     r"correlation must be within \[0, 1\], got 1.5"),
    (([5, 5], 10.0, 100.0), dict(copy_prob=[0.1, -0.2]), ValueError,
     r"copy_prob must be within \[0, 1\], got -0.2 \(group 1\)"),
    (([5, 5], 10.0, 100.0), dict(copy_prob=[0.1]), ValueError, "copy_prob must have length 2"),
    (([5, -1], 10.0, 100.0), dict(copy_prob=0.1), ValueError, r"group_sizes\[1\] must be"),
    (("ab", 10.0, 100.0), dict(copy_prob=0.1), TypeError, "group_sizes"),
    (([5], 20000.0, 100.0), dict(copy_prob=0.1), ValueError,
     r"rate must be <= 1000/dt = 10000.0 Hz"),
    (([5], -1.0, 100.0), dict(copy_prob=0.1), ValueError, "rate must be >= 0"),
    (([5], 10.0, 0.0), dict(copy_prob=0.1), ValueError, "duration must be > 0"),
    (([5], 10.0, 100.0), dict(copy_prob=0.1, n_independent=-2), ValueError, "n_independent"),
])
def test_correlated_poisson_bad_arguments(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        I.correlated_poisson(*args, **kwargs)


# ------------------------------------------------------------------ repeating pattern
def _windows(P, ids_mask):
    """For each onset: the sorted (afferent, step offset) keys of the spikes of the
    afferents in ids_mask inside the presentation window."""
    dt, L = P.dt, int(round(P.pattern_duration / P.dt))
    steps = np.rint(P.t / dt).astype(np.int64)
    sel = ids_mask[P.i]
    out = []
    for on in np.rint(P.onsets / dt).astype(np.int64):
        w = sel & (steps >= on) & (steps < on + L)
        out.append(np.sort(P.i[w] * L + (steps[w] - on)))
    return out


def test_pattern_fraction_onsets_and_exact_repeats_without_noise():
    P = I.repeating_pattern(200, 5000.0, noise_rate=0.0, seed=7)
    assert P.afferents.size == 100                                 # half of 200
    assert np.unique(P.afferents).size == 100 and np.all(np.diff(P.afferents) > 0)
    # 100 slots of 50 ms, a quarter of them, never two adjacent: onsets >= 100 ms apart
    assert P.onsets.size == 25
    assert np.all(np.diff(P.onsets) >= 100.0 - 1e-9)
    np.testing.assert_allclose(P.onsets / 50.0, np.round(P.onsets / 50.0), atol=1e-9)
    assert P.onsets.min() >= 0 and P.onsets.max() + 50.0 <= 5000.0 + 1e-9
    inside = np.zeros(200, dtype=bool)
    inside[P.afferents] = True
    L = 500
    pattern = np.sort(P.pattern_i * L + np.rint(P.pattern_t / P.dt).astype(np.int64))
    # every pattern afferent spikes in the pattern (at least once per 50 ms), none other
    assert set(P.pattern_i.tolist()) == set(P.afferents.tolist())
    for w in _windows(P, inside):                                  # exact copies
        np.testing.assert_array_equal(w, pattern)
    others = _windows(P, ~inside)                                  # the rest does not repeat
    assert sum(np.array_equal(others[0], w) for w in others[1:]) == 0


def test_pattern_with_noise_repeats_among_extra_spikes_and_scores():
    P = I.repeating_pattern(400, 5000.0, noise_rate=10.0, seed=8)
    steps = np.rint(P.t / P.dt).astype(np.int64)
    np.testing.assert_allclose(steps * P.dt, P.t, atol=1e-9)
    assert np.all(np.diff(P.i * 10**6 + steps) > 0)      # sorted, coincidences merged
    inside = np.zeros(400, dtype=bool)
    inside[P.afferents] = True
    L = 500
    pattern = P.pattern_i * L + np.rint(P.pattern_t / P.dt).astype(np.int64)
    extra = []
    for w in _windows(P, inside):
        assert np.isin(pattern, w).all()                # noise adds, never removes
        extra.append(w.size - np.unique(pattern).size)
    # noise: 200 afferents x 50 ms x 10 Hz = 100 spikes per window, minus the few that
    # fall on a pattern spike's step; 25 windows -> mean within ~10 %
    assert 88 < np.mean(extra) < 110
    # the onsets are what pattern_detection expects: a detector firing 5 ms after each
    post = P.onsets + 5.0
    s = analysis.pattern_detection(post, P.onsets, P.pattern_duration, t_start=0.0,
                                   t_stop=P.duration)
    assert s.hit_rate == 1.0 and s.n_false_alarms == 0 and s.latency == pytest.approx(5.0)


def test_pattern_activity_rates_and_max_isi():
    dt = 0.1
    # symmetric rate walk on [0, 90] Hz: mean rate 45 Hz (r -> 90 - r, s -> -s symmetry);
    # 200 afferents x 20 s, seed-to-seed sd about 0.2 Hz
    P = I.repeating_pattern(200, 20_000.0, time_in_pattern=0.0, max_isi=None,
                            noise_rate=0.0, seed=9)
    assert abs(P.t.size / 200 / 20.0 - 45.0) < 1.0
    assert P.onsets.size == 0 and P.pattern_t.size == 0
    # constant 40 Hz plus 10 Hz noise: P(spike) = 1 - (1 - 0.004)(1 - 0.001) per step
    P = I.repeating_pattern(100, 20_000.0, rate_range=(40.0, 40.0), time_in_pattern=0.0,
                            max_isi=None, noise_rate=10.0, dt=dt, seed=10)
    expect = (1 - (1 - 0.004) * (1 - 0.001)) * 1000.0 / dt       # 49.996 Hz
    assert abs(P.t.size / 100 / 20.0 - expect) < 0.01 * expect    # sd 0.16 Hz
    # forcing: no afferent silent for more than 50 ms, from t = 0 on
    P = I.repeating_pattern(100, 3000.0, rate_range=(0.0, 5.0), time_in_pattern=0.0,
                            noise_rate=0.0, dt=dt, seed=11)
    steps = np.rint(P.t / dt).astype(np.int64)
    for k in range(100):
        s = steps[P.i == k]
        assert s[0] < 500 and np.diff(s).max() <= 500 and 30_000 - s[-1] <= 500
    # the same without forcing: 5 Hz at most leaves gaps of more than 50 ms
    P = I.repeating_pattern(100, 3000.0, rate_range=(0.0, 5.0), time_in_pattern=0.0,
                            noise_rate=0.0, max_isi=None, dt=dt, seed=11)
    assert np.diff(np.rint(P.t[P.i == 0] / dt)).max() > 500


def test_rate_walk_stays_in_range_with_bounded_derivative():
    rng = np.random.default_rng(0)
    r = rng.uniform(0, 90, 50)
    s = rng.uniform(-1800, 1800, 50)
    rates = I._rate_walk(r, s, 5000, 0.0, 90.0, 1800.0, 1.0, rng)
    assert rates.min() >= 0.0 and rates.max() <= 90.0
    # |dr| <= 1800 Hz/s x 1 ms = 1.8 Hz per bin, and the walk does use the whole range
    assert np.abs(np.diff(rates, axis=0)).max() <= 1.8 + 1e-12
    assert np.abs(np.diff(rates, axis=0)).max() > 1.7
    assert rates.min() == 0.0 and rates.max() == 90.0


def test_pattern_jitter_moves_pasted_spikes_and_determinism():
    a = I.repeating_pattern(100, 2000.0, noise_rate=0.0, jitter=2.0, seed=12)
    b = I.repeating_pattern(100, 2000.0, noise_rate=0.0, jitter=2.0, seed=12)
    for f in ("t", "i", "onsets", "afferents", "pattern_t", "pattern_i"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    c = I.repeating_pattern(100, 2000.0, noise_rate=0.0, jitter=2.0, seed=13)
    assert not np.array_equal(a.t, c.t)
    inside = np.zeros(100, dtype=bool)
    inside[a.afferents] = True
    L = 500
    pattern = np.sort(a.pattern_i * L + np.rint(a.pattern_t / a.dt).astype(np.int64))
    same = [np.array_equal(w, pattern) for w in _windows(a, inside)]
    assert not any(same)                         # s.d. 2 ms: no presentation is exact
    # ... but each afferent's spike count in the window barely changes (merges only)
    per = [np.bincount(a.i[(a.t >= on) & (a.t < on + 50.0) & inside[a.i]], minlength=100)
           for on in a.onsets[1:-1]]
    ref = np.bincount(a.pattern_i, minlength=100)
    assert np.abs(np.array(per) - ref).sum() <= 0.05 * ref.sum() * len(per)


@pytest.mark.parametrize("kwargs, match", [
    (dict(time_in_pattern=0.6), r"time_in_pattern must be within \[0, 0.5\]"),
    (dict(fraction_in_pattern=1.2), r"fraction_in_pattern must be within \[0, 1\]"),
    (dict(pattern_duration=50.05), "pattern_duration must be a positive multiple of dt"),
    (dict(pattern_duration=200.0, duration=100.0), "pattern_duration must be <= duration"),
    (dict(rate_range=(90.0, 0.0)), "rate_range must satisfy 0 <= low <= high"),
    (dict(rate_range=(0.0, 90.0, 1.0)), r"rate_range must be a pair \(low, high\)"),
    (dict(rate_range=(0.0, 20_000.0)), r"rate_range must be <= 1000/dt"),
    (dict(noise_rate=-1.0), "noise_rate must be >= 0"),
    (dict(max_isi=0.05), "max_isi must be a positive multiple of dt"),
    (dict(jitter=-1.0), "jitter must be >= 0"),
    (dict(n_afferents=0), "n_afferents must be an integer >= 1"),
])
def test_pattern_bad_arguments(kwargs, match):
    args = dict(n_afferents=10, duration=500.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        I.repeating_pattern(**args)


# ------------------------------------------------------------------ rate-coded images
def test_image_rates_follow_intensity_and_per_sample_max_rate():
    dt = 0.1
    n = 200
    img = np.tile([0.0, 64.0, 128.0, 255.0], (n, 1))
    max_rate = np.where(np.arange(n) % 2 == 0, 63.75, 127.5)      # odd samples: twice
    R = I.rate_coded_images(img, max_rate=max_rate, dt=dt, seed=1)
    np.testing.assert_allclose(R.onsets, np.arange(n) * 500.0)
    k = np.searchsorted(R.onsets, R.t, side="right") - 1
    assert np.all(R.t - R.onsets[k] < 350.0 - 1e-9)               # silent in the rest
    counts = np.zeros((2, 4))
    np.add.at(counts, (k % 2, R.i), 1)
    counts /= n / 2 * 0.350                                        # Hz
    # intensity / 255 * max_rate: 0, 16, 32, 63.75 Hz; 100 x 350 ms -> sd <= 1.4 %
    expect = np.array([0.0, 16.0, 32.0, 63.75])
    np.testing.assert_allclose(counts[0], expect, rtol=0.05)
    np.testing.assert_allclose(counts[1], 2 * expect, rtol=0.05)
    assert counts[0, 0] == 0


def test_image_times_steps_start_and_determinism():
    img = np.random.default_rng(0).integers(0, 17, size=(5, 64)).astype(float)
    R = I.rate_coded_images(img, intensity_max=16, presentation=100.0, rest=20.0,
                            t_start=30.0, dt=0.5, seed=3)
    np.testing.assert_allclose(R.onsets, 30.0 + 120.0 * np.arange(5))
    np.testing.assert_allclose(R.rates, img / 16 * 63.75)
    steps = np.rint(R.t / 0.5).astype(np.int64)
    np.testing.assert_allclose(steps * 0.5, R.t, atol=1e-9)
    assert np.all(np.diff(R.i * 10**6 + steps) > 0)               # one spike per step, sorted
    assert R.t.min() >= 30.0 and R.t.max() < 30.0 + 120.0 * 4 + 100.0
    S = I.rate_coded_images(img, intensity_max=16, presentation=100.0, rest=20.0,
                            t_start=30.0, dt=0.5, seed=3)
    np.testing.assert_array_equal(R.t, S.t)
    np.testing.assert_array_equal(R.i, S.i)
    T = I.rate_coded_images(img, intensity_max=16, presentation=100.0, rest=20.0,
                            t_start=30.0, dt=0.5, seed=4)
    assert T.t.size != R.t.size or not np.array_equal(T.t, R.t)


@pytest.mark.parametrize("images, kwargs, exc, match", [
    (np.zeros((2, 3, 3)), {}, ValueError, r"images must have shape \(n_samples, n_pixels\)"),
    (np.zeros((0, 3)), {}, ValueError, "images must have shape"),
    ([[1.0, -1.0]], {}, ValueError, r"within \[0, intensity_max\] = \[0, 255.0\], got -1.0"),
    ([[1.0, 300.0]], {}, ValueError, r"got 300.0 at index \(0, 1\)"),
    ([[1.0, np.nan]], {}, ValueError, "images must be finite"),
    ("abc", {}, TypeError, "images must be a 2-d array"),
    ([[1.0, 2.0]], dict(max_rate=[1.0, 2.0]), ValueError, "max_rate must have length 1"),
    ([[1.0, 2.0]], dict(max_rate=-1.0), ValueError, "max_rate must be >= 0.0 Hz, got -1.0"),
    ([[1.0, 2.0]], dict(max_rate=20_000.0), ValueError, r"max_rate must be <= 1000/dt"),
    ([[1.0, 2.0]], dict(presentation=0.05), ValueError,
     "presentation must be a positive multiple of dt"),
    ([[1.0, 2.0]], dict(rest=-1.0), ValueError, "rest must be >= 0"),
    ([[1.0, 2.0]], dict(intensity_max=0.0), ValueError, "intensity_max must be > 0"),
])
def test_image_bad_arguments(images, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        I.rate_coded_images(images, **kwargs)


def test_public_exports():
    import neurolab as nl
    assert nl.correlated_poisson is I.correlated_poisson
    assert nl.repeating_pattern is I.repeating_pattern
    assert nl.rate_coded_images is I.rate_coded_images
    assert math.isclose(I.rate_coded_images([[255.0]], presentation=1.0).rates[0, 0], 63.75)
