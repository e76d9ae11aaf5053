"""neurolab.course.exercises: right answers pass, each diagnosed mistake is named.

Every expected value here is written out by hand from the closed forms (the LIF membrane
and f-I curve, the pair rule, the protocol's double sum, the window's area, the drift of
an uncorrelated synapse), never taken from the module under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurolab.course import exercises as ex

LIF = dict(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0, refractory=2.0)
STDP = dict(A_plus=0.01, A_minus=0.0105, tau_plus=16.8, tau_minus=33.7)


def right(result, capsys):
    out = capsys.readouterr().out
    assert result and result.correct is True, result.message
    assert result.message.startswith("Right!") and out.split() == result.message.split()
    assert max(len(line) for line in out.splitlines()) <= 88          # wrapped
    return result


def wrong(result, capsys, *phrases):
    out = capsys.readouterr().out
    assert not result and result.correct is False, result.message
    assert result.message.startswith("Not yet:") and out.split() == result.message.split()
    for phrase in phrases:
        assert phrase in result.message, (phrase, result.message)
    return result


# ----------------------------------------------------------------------------- lesson 1
def test_rheobase(capsys):
    right(ex.check_rheobase(16.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0), capsys)
    right(ex.check_rheobase(np.float64(20.0), v_rest=-65.0, v_th=-45.0), capsys)
    wrong(ex.check_rheobase(6.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0), capsys,
          "from v_reset")
    wrong(ex.check_rheobase(-16.0, v_rest=-70.0, v_th=-54.0), capsys, "sign is flipped")
    wrong(ex.check_rheobase(-54.0, v_rest=-70.0, v_th=-54.0), capsys, "threshold potential itself")
    wrong(ex.check_rheobase(54.0, v_rest=-70.0, v_th=-54.0), capsys, "minus the threshold")
    wrong(ex.check_rheobase(1.6, v_rest=-70.0, v_th=-54.0), capsys, "expected 16 mV, got 1.6")
    wrong(ex.check_rheobase(None, v_rest=-70.0, v_th=-54.0), capsys, "None")
    wrong(ex.check_rheobase("16", v_rest=-70.0, v_th=-54.0), capsys, "expected one number")
    wrong(ex.check_rheobase(float("nan"), v_rest=-70.0, v_th=-54.0), capsys, "NaN")


def test_rheobase_refuses_bad_parameters():
    with pytest.raises(ValueError, match=r"v_th must be > v_rest \(-50.0 mV\), got v_th=-54.0"):
        ex.check_rheobase(4.0, v_rest=-50.0, v_th=-54.0)
    with pytest.raises(TypeError, match="v_rest must be a real number, got v_rest='a'"):
        ex.check_rheobase(4.0, v_rest="a", v_th=-54.0)


def test_membrane_trace(capsys):
    t = np.arange(0.0, 60.0, 0.5)
    tau, v0, I = 10.0, -70.0, 10.0
    good = v0 + I * (1 - np.exp(-t / tau))
    kw = dict(I=I, v_rest=v0, tau_m=tau)
    right(ex.check_membrane_trace(t, good, **kw), capsys)
    right(ex.check_membrane_trace(t, list(good), **kw), capsys)
    wrong(ex.check_membrane_trace(t, v0 + I * np.exp(-t / tau), **kw), capsys,
          "starts at v_rest + I and decays")
    wrong(ex.check_membrane_trace(t, I * (1 - np.exp(-t / tau)), **kw), capsys,
          "starts at 0 mV", "add v_rest = -70 mV")
    wrong(ex.check_membrane_trace(t, v0 + I * (1 - np.exp(-t * tau)), **kw), capsys,
          "multiplied by tau_m")
    wrong(ex.check_membrane_trace(t, v0 + I * (1 - np.exp(-t / 0.01)), **kw), capsys,
          "1000 times too fast")
    wrong(ex.check_membrane_trace(t, v0 + I * (1 - np.exp(-t / 1000 / tau)), **kw), capsys,
          "1000 times too slowly")
    wrong(ex.check_membrane_trace(t, v0 - I * (1 - np.exp(-t / tau)), **kw), capsys,
          "sign of I is flipped")
    # forward Euler with a 0.5 ms step: close, not exact
    euler = np.empty_like(t)
    euler[0] = v0
    for k in range(1, t.size):
        euler[k] = euler[k - 1] + 0.5 / tau * (v0 - euler[k - 1] + I)
    wrong(ex.check_membrane_trace(t, euler, **kw), capsys, "close (within 2 % of I)")
    bad = good.copy()
    bad[7] += 1.0
    wrong(ex.check_membrane_trace(t, bad, **kw), capsys, "1 of 120 values differ",
          "t = 3.5 ms")
    wrong(ex.check_membrane_trace(t, good[:-1], **kw), capsys, "got shape (119,)")


def fi_by_hand(I, tau_m, v_rest, v_th, v_reset, refractory):
    out = []
    for i in np.asarray(I, dtype=float):
        v_inf = v_rest + i
        if v_inf <= v_th:
            out.append(0.0)
        else:
            out.append(1000.0 / (refractory + tau_m * math.log((v_inf - v_reset)
                                                               / (v_inf - v_th))))
    return np.array(out)


def test_fi_curve(capsys):
    I = np.arange(0.0, 80.0, 2.0)
    good = fi_by_hand(I, **LIF)
    right(ex.check_fi_curve(I, good, **LIF), capsys)
    # rheobase of 16 mV and one point exactly there (rate 0: v only approaches v_th)
    assert good[I == 16.0] == 0.0 and good[I == 18.0] > 0
    no_ref = fi_by_hand(I, **{**LIF, "refractory": 0.0})
    wrong(ex.check_fi_curve(I, no_ref, **LIF), capsys,
          "zero below rheobase but too high above it", "forget the refractory period")
    wrong(ex.check_fi_curve(I, good / 1000.0, **LIF), capsys, "1000 times too small",
          "spikes per ms")
    wrong(ex.check_fi_curve(I, no_ref / 1000.0, **LIF), capsys, "spikes per ms",
          "refractory period is missing")
    isi = np.where(good > 0, 1000.0 / np.where(good > 0, good, 1.0), 0.0)
    wrong(ex.check_fi_curve(I, isi, **LIF), capsys, "interspike interval")
    from_rest = np.array([0.0 if -70 + i <= -54 else
                          1000.0 / (2.0 + 10.0 * math.log((i) / (-70 + i + 54))) for i in I])
    wrong(ex.check_fi_curve(I, from_rest, **LIF), capsys, "starts after a spike, at v_reset")
    flipped = np.array([0.0 if -70 + i <= -54 else
                        1000.0 / (2.0 + 10.0 * math.log((-70 + i + 54) / (-70 + i + 60)))
                        for i in I])
    wrong(ex.check_fi_curve(I, flipped, **LIF), capsys, "upside down")
    with np.errstate(invalid="ignore", divide="ignore"):
        nan_below = 1000.0 / (2.0 + 10.0 * np.log((I - 10.0) / (I - 16.0)))
    wrong(ex.check_fi_curve(I, nan_below, **LIF), capsys, "NaN below the rheobase")
    leaky = good.copy()
    leaky[:3] = 1.0
    wrong(ex.check_fi_curve(I, leaky, **LIF), capsys, "not 0 below the rheobase")
    off = good.copy()
    off[20] *= 1.01
    wrong(ex.check_fi_curve(I, off, **LIF), capsys, "1 of 40 values differ", "I = 40 mV")
    wrong(ex.check_fi_curve(I, None, **LIF), capsys, "None")
    wrong(ex.check_fi_curve(I, good[:, None], **LIF), capsys, "got shape (40, 1)")


def test_fi_curve_without_refractory_period_needs_no_refractory_diagnosis(capsys):
    I = np.arange(0.0, 40.0, 4.0)
    params = {**LIF, "refractory": 0.0}
    right(ex.check_fi_curve(I, fi_by_hand(I, **params), **params), capsys)
    assert "no bound" in ex.check_fi_curve(I, fi_by_hand(I, **params), **params).message


def test_fi_curve_refuses_bad_parameters():
    with pytest.raises(ValueError, match="refractory must be >= 0, got refractory=-1.0"):
        ex.check_fi_curve([20.0], [1.0], **{**LIF, "refractory": -1.0})
    with pytest.raises(ValueError, match="tau_m must be > 0, got tau_m=0.0"):
        ex.check_fi_curve([20.0], [1.0], **{**LIF, "tau_m": 0.0})
    with pytest.raises(ValueError, match="v_reset must be < v_th"):
        ex.check_fi_curve([20.0], [1.0], **{**LIF, "v_reset": -50.0})
    with pytest.raises(ValueError, match="I must be a non-empty 1-d array"):
        ex.check_fi_curve([], [], **LIF)


def test_max_rate(capsys):
    right(ex.check_max_rate(500.0, refractory=2.0), capsys)
    right(ex.check_max_rate(200, refractory=5.0), capsys)
    wrong(ex.check_max_rate(0.5, refractory=2.0), capsys, "spikes per ms")
    wrong(ex.check_max_rate(2.0, refractory=2.0), capsys, "shortest interval")
    wrong(ex.check_max_rate(float("inf"), refractory=2.0), capsys, "bounded")
    wrong(ex.check_max_rate(400.0, refractory=2.0), capsys, "expected 500 Hz")
    with pytest.raises(ValueError, match="refractory must be > 0"):
        ex.check_max_rate(1.0, refractory=0.0)


# ----------------------------------------------------------------------------- lesson 2
def window_by_hand(d, A_plus, A_minus, tau_plus, tau_minus):
    return np.array([A_plus * math.exp(-x / tau_plus) if x >= 0
                     else -A_minus * math.exp(x / tau_minus) for x in np.atleast_1d(d)])


def test_stdp_window(capsys):
    d = np.arange(-100.0, 100.1, 5.0)
    good = window_by_hand(d, **STDP)
    right(ex.check_stdp_window(d, good, **STDP), capsys)
    wrong(ex.check_stdp_window(d, window_by_hand(-d, **STDP), **STDP), capsys, "mirrored",
          "t_pre - t_post")
    swapped = window_by_hand(d, STDP["A_plus"], STDP["A_minus"], STDP["tau_minus"],
                             STDP["tau_plus"])
    wrong(ex.check_stdp_window(d, swapped, **STDP), capsys, "time constants are swapped")
    amps = window_by_hand(d, STDP["A_minus"], STDP["A_plus"], STDP["tau_plus"],
                          STDP["tau_minus"])
    wrong(ex.check_stdp_window(d, amps, **STDP), capsys, "amplitudes are swapped")
    wrong(ex.check_stdp_window(d, np.abs(good), **STDP), capsys, "depression lobe is positive")
    strict = np.where(d > 0, good, -STDP["A_minus"] * np.exp(d / STDP["tau_minus"]))
    wrong(ex.check_stdp_window(d, strict, **STDP), capsys, "Δt = 0", "counts as potentiation")
    growing = np.where(d >= 0, STDP["A_plus"] * np.exp(d / STDP["tau_plus"]),
                       -STDP["A_minus"] * np.exp(-d / STDP["tau_minus"]))
    wrong(ex.check_stdp_window(d, growing, **STDP), capsys, "grow away from Δt = 0")
    off = good.copy()
    off[0] = 0.0
    wrong(ex.check_stdp_window(d, off, **STDP), capsys, "at Δt = -100 ms")


def test_stdp_window_equal_parameters_skip_swaps_that_change_nothing(capsys):
    # tau_plus == tau_minus: the "swapped" answer is the right one, so the right answer
    # is right and is not reported as a swap
    p = dict(A_plus=0.01, A_minus=0.01, tau_plus=20.0, tau_minus=20.0)
    d = np.array([-10.0, 0.0, 10.0])
    right(ex.check_stdp_window(d, window_by_hand(d, **p), **p), capsys)


def protocol_by_hand(n, f, d, A_plus, A_minus, tau_plus, tau_minus):
    period = 1000.0 / f
    total = 0.0
    for i in range(n):                 # presynaptic spike i
        for j in range(n):             # postsynaptic spike j
            x = (j * period + d) - i * period
            total += (A_plus * math.exp(-x / tau_plus) if x >= 0
                      else -A_minus * math.exp(x / tau_minus))
    return total


def test_pairing_total(capsys):
    kw = dict(n_pairs=60, frequency=40.0, delta_t=10.0, **STDP)
    good = protocol_by_hand(60, 40.0, 10.0, **STDP)
    assert good < 0                                 # 40 Hz causal pairing depresses
    r = right(ex.check_pairing_total(good, **kw), capsys)
    assert "60 pairings at 40 Hz" in r.message
    one = STDP["A_plus"] * math.exp(-10.0 / STDP["tau_plus"])
    wrong(ex.check_pairing_total(60 * one, **kw), capsys, "only the pair inside each pairing",
          "25 ms away")
    wrong(ex.check_pairing_total(one, **kw), capsys, "one pair's change")
    wrong(ex.check_pairing_total(protocol_by_hand(60, 40.0, -10.0, **STDP), **kw), capsys,
          "sign of Δt is flipped")
    wrong(ex.check_pairing_total(protocol_by_hand(60, 40000.0, 10.0, **STDP), **kw), capsys,
          "1000 / frequency ms apart")
    wrong(ex.check_pairing_total(0.1, **kw), capsys, "sum the window over every")
    # at 1 Hz the neighbours are a second away: 60 times one pair is right (to 1e-6)
    slow = dict(kw, frequency=1.0)
    right(ex.check_pairing_total(protocol_by_hand(60, 1.0, 10.0, **STDP), **slow), capsys)
    with pytest.raises(ValueError, match="n_pairs must be a whole number, got n_pairs=2.5"):
        ex.check_pairing_total(0.0, **dict(kw, n_pairs=2.5))
    with pytest.raises(ValueError, match="frequency must be > 0"):
        ex.check_pairing_total(0.0, **dict(kw, frequency=0.0))


def test_window_integral(capsys):
    good = 0.01 * 16.8 - 0.0105 * 33.7
    right(ex.check_window_integral(good, **STDP), capsys)
    assert "net depression" in ex.check_window_integral(good, quiet=True, **STDP).message
    wrong(ex.check_window_integral(0.01 * 33.7 - 0.0105 * 16.8, **STDP), capsys,
          "time constants are swapped")
    wrong(ex.check_window_integral(0.01 - 0.0105, **STDP), capsys,
          "amplitude times its time constant")
    wrong(ex.check_window_integral(-good, **STDP), capsys, "sign is flipped")
    wrong(ex.check_window_integral(good / 1000, **STDP), capsys, "keep the time constants in ms")
    wrong(ex.check_window_integral(0.01 * 16.8 + 0.0105 * 33.7, **STDP), capsys,
          "subtract its area")
    wrong(ex.check_window_integral(1.0, **STDP), capsys, "integrate each exponential lobe")
    with pytest.raises(ValueError, match="A_minus must be >= 0, got A_minus=-0.1"):
        ex.check_window_integral(0.0, **dict(STDP, A_minus=-0.1))


def test_half_time(capsys):
    right(ex.check_half_time(16.8 * math.log(2), tau_plus=16.8), capsys)
    wrong(ex.check_half_time(16.8, tau_plus=16.8), capsys, "1/e")
    wrong(ex.check_half_time(8.4, tau_plus=16.8), capsys, "half its time constant")
    wrong(ex.check_half_time(16.8 * math.log10(2), tau_plus=16.8), capsys, "log10")
    wrong(ex.check_half_time(16.8 / math.log(2), tau_plus=16.8), capsys, "ln 2 multiplies")
    wrong(ex.check_half_time(3.0, tau_plus=16.8), capsys, "solve exp(-Δt / tau_plus) = 1/2")
    wrong(ex.check_half_time([1.0, 2.0], tau_plus=16.8), capsys, "expected one number")


# ----------------------------------------------------------------------------- lesson 3
def test_output_rate(capsys):
    spikes = np.array([10.0, 500.0, 999.9, 1000.0, 1500.0, 4000.0, 4999.0])
    kw = dict(spike_times=spikes, t_start=0.0, t_end=1000.0)
    right(ex.check_output_rate(3.0, **kw), capsys)                 # 3 spikes in 1 s
    right(ex.check_output_rate(2.0, spike_times=spikes, t_start=4000.0, t_end=5000.0), capsys)
    wrong(ex.check_output_rate(0.003, **kw), capsys, "spikes per ms")
    kw2 = dict(spike_times=spikes, t_start=0.0, t_end=2000.0)     # 5 spikes in 2 s
    wrong(ex.check_output_rate(5.0, **kw2), capsys, "number of spikes")
    wrong(ex.check_output_rate(7.0, **kw), capsys, "every spike of the run")
    # 2 spikes in [4000, 5000) over the whole span 0..5000 ms (5 s)
    wrong(ex.check_output_rate(0.4, spike_times=spikes, t_start=4000.0, t_end=5000.0,
                               run_duration=5000.0), capsys, "whole run's duration")
    wrong(ex.check_output_rate(0.4, spike_times=spikes, t_start=4000.0, t_end=5000.0), capsys,
          "expected 2 Hz")
    wrong(ex.check_output_rate(10.0, **kw), capsys, "expected 3 Hz (3 spikes in 1 s)")
    with pytest.raises(ValueError, match="t_end must be > t_start"):
        ex.check_output_rate(1.0, spike_times=spikes, t_start=5.0, t_end=5.0)


def test_weight_fractions(capsys):
    w_max = 0.01
    w = np.array([0.0, 0.0005, 0.002, 0.005, 0.0095, 0.01, 0.01, 0.003])
    good = (2 / 8, 3 / 8)          # below 0.001, above 0.009
    kw = dict(weights=w, w_max=w_max)
    right(ex.check_weight_fractions(good, **kw), capsys)
    right(ex.check_weight_fractions(np.array(good), **kw), capsys)
    wrong(ex.check_weight_fractions((2, 3), **kw), capsys, "counts", "(8)")
    wrong(ex.check_weight_fractions(good[::-1], **kw), capsys, "swapped")
    wrong(ex.check_weight_fractions((1.0, 0.0), **kw), capsys, "fractions of w_max")
    wrong(ex.check_weight_fractions((25.0, 37.5), **kw), capsys, "percentages")
    wrong(ex.check_weight_fractions((0.5, 0.5), **kw), capsys, "expected (0.25, 0.375)")
    wrong(ex.check_weight_fractions(0.25, **kw), capsys,
          "the fraction below and the fraction above")
    with pytest.raises(ValueError, match="need 0 <= low < high <= 1"):
        ex.check_weight_fractions(good, weights=w, w_max=w_max, low=0.9, high=0.1)


def test_uncorrelated_drift(capsys):
    p = dict(A_plus=1e-4, A_minus=1.05e-4, tau_plus=20.0, tau_minus=20.0)
    good = 15.0 * 51.0 * (1e-4 * 0.020 - 1.05e-4 * 0.020)      # per second, taus in s
    kw = dict(rate_pre=15.0, rate_post=51.0, **p)
    right(ex.check_uncorrelated_drift(good, **kw), capsys)
    wrong(ex.check_uncorrelated_drift(good * 1000, **kw), capsys, "1000 times too large")
    wrong(ex.check_uncorrelated_drift(1e-4 * 0.020 - 1.05e-4 * 0.020, **kw), capsys,
          "multiply by rate_pre * rate_post")
    wrong(ex.check_uncorrelated_drift(1e-4 * 20 - 1.05e-4 * 20, **kw), capsys,
          "window's area (in ms)")
    wrong(ex.check_uncorrelated_drift(-good, **kw), capsys, "sign is flipped")
    q = dict(A_plus=1e-4, A_minus=1.05e-4, tau_plus=20.0, tau_minus=30.0)
    swapped = 15.0 * 51.0 * (1e-4 * 0.030 - 1.05e-4 * 0.020)
    wrong(ex.check_uncorrelated_drift(swapped, rate_pre=15.0, rate_post=51.0, **q), capsys,
          "time constants are swapped")


def test_choice(capsys):
    right(ex.check_choice("lesson3_potentiation_wins", " B "), capsys)
    for letter in "acd":
        wrong(ex.check_choice("lesson3_potentiation_wins", letter), capsys)
    wrong(ex.check_choice("lesson3_potentiation_wins", "e"), capsys, "one of the letters")
    text = ex.question_text("lesson3_potentiation_wins")
    assert "b) most weights climb to w_max" in text
    with pytest.raises(KeyError, match="unknown question 'nope'"):
        ex.check_choice("nope", "a")


def test_result_object_and_quiet(capsys):
    r = ex.check_max_rate(500.0, refractory=2.0, quiet=True)
    assert capsys.readouterr().out == ""
    assert bool(r) and r.exercise == "check_max_rate"
    assert repr(r) == "CheckResult(check_max_rate: right)"
    r = ex.check_max_rate(1.0, refractory=2.0, quiet=True)
    assert not r and repr(r) == "CheckResult(check_max_rate: wrong)"
    with pytest.raises(AssertionError, match="Not yet"):
        assert r, r.message


# ----------------------------------------------------------------------------- near misses
def test_rounded_answer_is_called_close_and_printed_with_enough_digits(capsys):
    # tau_plus ln 2 = 16.8 * 0.693147... = 11.64487...; a student who types 11.64 must not
    # read "expected 11.64 ms, got 11.64 ms"
    r = wrong(ex.check_half_time(11.64, tau_plus=16.8), capsys, "close, but not exact",
              "expected 11.64487", "got 11.64 ms")
    assert "expected 11.64 ms, got 11.64 ms" not in r.message
    # A_plus tau_plus / tau_minus = 0.05 * 20 / 24 = 0.041666...
    wrong(ex.check_balanced_depression(0.0417, A_plus=0.05, tau_plus=20.0, tau_minus=24.0),
          capsys, "close, but not exact", "expected 0.041666")
    # a numerical integral of the window: 0.05 % off the area -0.18585
    wrong(ex.check_window_integral(-0.185952, **STDP), capsys, "close, but not exact",
          "numerical approximation")
    # more than 1 % off: the check's own message
    wrong(ex.check_half_time(11.0, tau_plus=16.8), capsys, "solve exp(-Δt / tau_plus) = 1/2")


def test_answer_a_power_of_ten_off_is_named(capsys):
    # drift with the amplitudes not multiplied by w_max = 0.01: 100 times too large
    p = dict(A_plus=1e-4, A_minus=1.05e-4, tau_plus=20.0, tau_minus=20.0)
    good = 15.0 * 51.0 * (1e-4 * 0.020 - 1.05e-4 * 0.020)
    wrong(ex.check_uncorrelated_drift(good * 100, rate_pre=15.0, rate_post=51.0, **p), capsys,
          "10^2 times the expected one")
    wrong(ex.check_max_rate(50.0, refractory=2.0), capsys, "10^-1 times the expected one")
