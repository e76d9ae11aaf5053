"""neurolab.analysis: every expected value below is worked out by hand in the comment beside it."""

import numpy as np
import pytest

from neurolab import analysis as A


# ------------------------------------------------------------------------- bimodality
def test_bimodality_two_point_distribution_by_hand():
    # five weights at 0, five at w_max = 1: population moments m2 = 1/4, m3 = 0, m4 = 1/16,
    # so g1 = 0, g2 = -2; G2 = 9/(8*7) * (11*(-2) + 6) = -144/56; the correction term
    # 3*9**2/(8*7) = 243/56; BC = 1 / (99/56) = 56/99
    b = A.weight_bimodality([0.0] * 5 + [1.0] * 5, 1.0)
    assert b.coefficient == pytest.approx(56 / 99, rel=1e-12)
    assert (b.frac_low, b.frac_high, b.n) == (0.5, 0.5, 10)
    assert b.frac_bounds == 1.0


def test_bimodality_large_two_point_tends_to_one():
    # n = 1000 half at each bound: BC = 998*997 / (999*1001) (same algebra as above)
    b = A.weight_bimodality(np.repeat([0.0, 2.0], 500), 2.0)
    assert b.coefficient == pytest.approx(998 * 997 / (999 * 1001), rel=1e-10)


def test_bimodality_uniform_and_normal_reference_values():
    # a uniform distribution has skewness 0 and excess kurtosis -6/5: BC -> 1/(9/5) = 5/9;
    # a normal one: BC -> 1/3 (Pfister et al. 2013)
    u = A.weight_bimodality(np.linspace(0.0, 1.0, 200001), 1.0)
    assert u.coefficient == pytest.approx(5 / 9, abs=1e-4)
    rng = np.random.default_rng(3)
    g = np.clip(rng.normal(0.5, 0.05, 400000), 0, 1)
    assert A.weight_bimodality(g, 1.0).coefficient == pytest.approx(1 / 3, abs=0.01)


def test_bimodality_fractions_use_edge():
    w = [0.0, 0.05, 0.1, 0.11, 0.5, 0.89, 0.9, 1.0]
    b = A.weight_bimodality(w, 1.0, edge=0.1)
    assert (b.frac_low, b.frac_high) == (3 / 8, 2 / 8)


def test_bimodality_no_spread_has_no_coefficient():
    assert A.weight_bimodality([0.3] * 6, 1.0).coefficient is None


@pytest.mark.parametrize("kw, match", [
    (dict(w=[0.1, 0.2, 0.3], w_max=1.0), "at least 4"),
    (dict(w=[0.1, 0.2, 0.3, 1.5], w_max=1.0), r"w must lie in \[0, w_max\].*1.5.*index 3"),
    (dict(w=[0.1, 0.2, np.nan, 0.4], w_max=1.0), "finite"),
    (dict(w=[0.1, 0.2, 0.3, 0.4], w_max=0.0), "w_max must be > 0"),
    (dict(w=[0.1, 0.2, 0.3, 0.4], w_max=1.0, edge=0.5), r"edge must lie in \(0, 0.5\)"),
])
def test_bimodality_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        A.weight_bimodality(**kw)


# ----------------------------------------------------------------------------- window fit
def _window(dt, ap, tp, am, tm):
    dt = np.asarray(dt, float)
    return np.where(dt > 0, ap * np.exp(-dt / tp), -am * np.exp(dt / tm))


def test_fit_recovers_bi_poo_constants_exactly():
    dt = np.r_[-100:0:7.0, 3:100:6.0]
    fit = A.fit_stdp_window(dt, _window(dt, 0.0103, 16.8, 0.0051, 33.7))
    assert (fit.A_plus, fit.tau_plus) == pytest.approx((0.0103, 16.8), rel=1e-7)
    assert (fit.A_minus, fit.tau_minus) == pytest.approx((0.0051, 33.7), rel=1e-7)
    assert fit.tau_plus_err < 1e-6 and fit.tau_minus_err < 1e-6


def test_fit_with_noise_is_close_and_reports_error():
    rng = np.random.default_rng(0)
    dt = np.repeat(np.r_[-80:0:5.0, 5:80:5.0], 8)
    dw = _window(dt, 1.0, 16.8, 0.5, 33.7) + rng.normal(0, 0.05, dt.size)
    fit = A.fit_stdp_window(dt, dw)
    assert abs(fit.tau_plus - 16.8) < 3 * fit.tau_plus_err + 1.0
    assert abs(fit.tau_minus - 33.7) < 3 * fit.tau_minus_err + 2.0
    assert 0 < fit.tau_plus_err < 3 and 0 < fit.tau_minus_err < 6


def test_fit_ignores_zero_lag():
    dt = np.array([-30.0, -20, -10, 0.0, 10, 20, 30])
    dw = _window(dt, 1.0, 10.0, 1.0, 20.0)
    dw[3] = 123.0                                  # whatever a same-step pair gave
    fit = A.fit_stdp_window(dt, dw)
    assert fit.tau_plus == pytest.approx(10.0, rel=1e-7)


@pytest.mark.parametrize("dt, dw, match", [
    ([-10.0, -20, -30, 10, 20], [-1, -1, -1, 1, 1], r"delta_t > 0.*got 2 point"),
    ([-10.0, -10, -10, 10, 20, 30], [-1, -1, -1, 1, 1, 1], r"delta_t < 0.*1 lag"),
    ([-10.0, 10, 20], [-1, 1], "dw must have length 3"),
])
def test_fit_bad_input(dt, dw, match):
    with pytest.raises(ValueError, match=match):
        A.fit_stdp_window(dt, dw)


# ---------------------------------------------------------------------- pattern detection
def test_pattern_detection_by_hand():
    # windows [100,150), [300,350), [500,550): hits at 105 (latency 5) and 320 (20); the
    # third is missed (next spike 650); 200 and 650 are false alarms over 700 - 150 ms
    s = A.pattern_detection([650.0, 105.0, 320.0, 200.0], [100.0, 300.0, 500.0], 50.0,
                            t_start=0.0, t_stop=700.0)
    assert s.hit_rate == pytest.approx(2 / 3)
    assert s.latency == pytest.approx(12.5)
    assert (s.n_presentations, s.n_hits, s.n_false_alarms) == (3, 2, 2)
    assert s.false_alarm_rate == pytest.approx(2 / 0.55)


def test_pattern_detection_interval_and_window_end():
    # only [250, 700) counts: presentations at 300 and 500; a spike at exactly onset+duration
    # (550) is outside the window: a miss and a false alarm
    s = A.pattern_detection([105.0, 300.0, 550.0], [100.0, 300.0, 500.0], 50.0,
                            t_start=250.0, t_stop=700.0)
    assert (s.n_presentations, s.n_hits, s.n_false_alarms) == (2, 1, 1)
    assert s.latency == 0.0
    assert s.false_alarm_rate == pytest.approx(1 / 0.35)


def test_pattern_detection_silent_neuron():
    s = A.pattern_detection([], [100.0], 50.0, t_start=0.0, t_stop=1000.0)
    assert (s.hit_rate, s.false_alarm_rate, s.latency) == (0.0, 0.0, None)


@pytest.mark.parametrize("kw, match", [
    (dict(onsets=[100.0, 120.0]), "at least pattern_duration"),
    (dict(onsets=[2000.0]), "no pattern presentation"),
    (dict(pattern_duration=0.0), "pattern_duration must be > 0"),
    (dict(t_stop=0.0), "t_stop must be > t_start"),
])
def test_pattern_detection_bad_input(kw, match):
    args = dict(post_times=[1.0], onsets=[100.0], pattern_duration=50.0, t_start=0.0,
                t_stop=1000.0)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        A.pattern_detection(**args)


# ------------------------------------------------------------------- labels (Diehl & Cook)
def test_label_assignment_prediction_accuracy_by_hand():
    # neuron 0 fires for class 1, neuron 1 for class 0, neuron 2 for class 2, neuron 3 never
    train = np.array([[0, 4, 0, 0],     # class 0
                      [5, 1, 0, 0],     # class 1
                      [1, 0, 3, 0],     # class 2
                      [0, 2, 0, 0]])    # class 0
    labels = np.array([0, 1, 2, 0])
    a = A.assign_labels(train, labels, 3)
    assert a.tolist() == [1, 0, 2, -1]
    test = np.array([[0, 1, 0, 9],      # neuron 1 -> class 0
                     [2, 0, 3, 0],      # class 2 (3 > 2)
                     [0, 0, 0, 7]])     # only the unassigned neuron fired: no answer
    p = A.predict_labels(test, a, 3)
    assert p.tolist() == [0, 2, -1]
    assert A.accuracy(p, [0, 1, 2]) == pytest.approx(1 / 3)


def test_label_bad_input():
    with pytest.raises(ValueError, match="labels must lie in"):
        A.assign_labels(np.ones((2, 3)), [0, 5], 3)
    with pytest.raises(ValueError, match=r"responses must be a 2-d array"):
        A.assign_labels(np.ones(3), [0, 1, 2], 3)
    with pytest.raises(ValueError, match="assignments must have shape"):
        A.predict_labels(np.ones((2, 3)), [0, 1], 3)
    with pytest.raises(ValueError, match=">= 0"):
        A.assign_labels(-np.ones((2, 3)), [0, 1], 3)
