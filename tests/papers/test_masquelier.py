"""Masquelier et al. (2008) helpers: the SRM -> LIF mapping, the selectivity onset and a
pattern trial. Expected values worked by hand (see each test)."""

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.papers import masquelier as M
from neurolab.analysis import selectivity_onset


def test_psp_peak_hand_values():
    # tau_m = 10, tau_s = 2.5: s* = (10/3) ln 4, exp(-s*/10) = 4^(-1/3), exp(-s*/2.5) =
    # 4^(-4/3); peak = (4^(-1/3) - 4^(-4/3)) / 3 = 4^(-4/3) (4 - 1) / 3 = 4^(-4/3)
    assert M.psp_peak(10.0, 2.5) == pytest.approx(4.0 ** (-4.0 / 3.0), rel=1e-12)
    # tau_m = 2 tau_s: s* = 2 tau_s ln 2, peak = (1/4 - 1/16) = 3/16... times tau_s/(tau_m -
    # tau_s) = 1: exp(-s*/tau_m) = 1/2, exp(-s*/tau_s) = 1/4, peak = 1/4
    assert M.psp_peak(8.0, 4.0) == pytest.approx(0.25, rel=1e-12)
    assert M.psp_peak(5.0, 5.0) == pytest.approx(1.0 / math.e, rel=1e-12)
    assert M.psp_peak(5.0, 5.0 * (1 + 1e-7)) == pytest.approx(1.0 / math.e, rel=1e-6)
    with pytest.raises(ValueError, match="tau_s"):
        M.psp_peak(10.0, 0.0)


def test_psp_peak_is_the_simulated_peak_of_a_current_synapse():
    net = nl.Network(dt=0.01, seed=0)
    src = net.add_spikes("s", 1, times=[1.0], indices=[0])
    lif = net.add_lif("n", 1, nl.LIFParams(tau_m=10.0, v_rest=0.0, v_th=1e6, v_reset=0.0,
                                           synapse="current", tau_e=2.5))
    net.connect(src, lif, "all_to_all", weight=1.0)
    res = net.run(30.0, record_state={"n": [0]}, state_dt=0.01, progress=False)
    assert res.state["n"].v.max() == pytest.approx(4.0 ** (-4.0 / 3.0), rel=1e-4)


def test_srm_lif_params_paper_values():
    # T psp_peak = 500 * 0.1574901 = 78.745; reset -(K2 - K1) T psp_peak = -157.490;
    # compensation 2000 * 0.064 * 0.475 * 2.5^2 / 7.5 = 60.8 * 6.25 / 7.5 = 50.6667
    p = M.srm_lif_params(n_afferents=2000, rate=64.0, w_init=0.475, compensate_current=False)
    assert p.v_th == pytest.approx(78.74507, abs=1e-5)
    assert p.v_reset == pytest.approx(-157.49013, abs=1e-5)
    assert (p.synapse, p.tau_e, p.tau_m, p.v_rest, p.refractory) == \
        ("current", 2.5, 10.0, 0.0, 0.0)
    q = M.srm_lif_params(n_afferents=2000, rate=64.0, w_init=0.475)
    assert q.v_reset == pytest.approx(-157.49013 - 50.66667, abs=1e-5)
    assert q.v_th == p.v_th
    assert M.PAPER_STDP.A_plus == 1 / 32 and M.PAPER_STDP.A_minus == pytest.approx(0.85 / 32)
    assert (M.PAPER_STDP.tau_plus, M.PAPER_STDP.tau_minus, M.PAPER_STDP.pairing) == \
        (16.8, 33.7, "restricted")


@pytest.mark.parametrize("kwargs, match", [
    (dict(tau_s=10.0), "tau_s must be < tau_m"),
    (dict(K1=4.0, K2=4.0), "K2 must be > K1"),
    (dict(n_afferents=0), "n_afferents"),
    (dict(rate=-1.0), "rate"),
    (dict(threshold=0.0), "threshold"),
])
def test_srm_lif_params_bad_arguments(kwargs, match):
    args = dict(n_afferents=10, rate=10.0, w_init=0.5) | kwargs
    with pytest.raises(ValueError, match=match):
        M.srm_lif_params(**args)


def test_selectivity_onset_hand_example():
    onsets = [100.0, 300.0]
    # false alarms: 10 (before any window), 150 (window end is excluded), 200; hits: 120,
    # 310; 400 lies at/after t_stop and is ignored. Last false alarm 200, the 4th spike.
    post = [10.0, 120.0, 150.0, 200.0, 310.0, 400.0]
    s = selectivity_onset(post, onsets, 50.0, t_stop=400.0)
    assert (s.t, s.n_spikes) == (200.0, 4)
    s = selectivity_onset([10.0, 120.0, 150.0, 310.0], onsets, 50.0, t_stop=400.0)
    assert (s.t, s.n_spikes) == (150.0, 3)             # onset + pattern_duration is outside
    s = selectivity_onset([120.0, 310.0], onsets, 50.0, t_stop=400.0)
    assert (s.t, s.n_spikes) == (0.0, 0)
    s = selectivity_onset([], onsets, 50.0, t_stop=400.0)
    assert (s.t, s.n_spikes) == (0.0, 0)
    with pytest.raises(ValueError, match="onsets must be sorted"):
        selectivity_onset(post, [300.0, 100.0], 50.0, t_stop=400.0)
    with pytest.raises(ValueError, match="pattern_duration"):
        selectivity_onset(post, onsets, 0.0, t_stop=400.0)


def test_pattern_trial_deterministic_and_scored():
    P = nl.repeating_pattern(200, 3000.0, seed=3)
    lif = M.srm_lif_params(n_afferents=200, rate=64.0, w_init=0.475, threshold=50.0)
    a = M.pattern_trial(P, lif, w_init=0.475, score_ms=1000.0)
    b = M.pattern_trial(P, lif, w_init=0.475, score_ms=1000.0)
    assert np.array_equal(a.post_times, b.post_times)
    assert np.array_equal(a.weights, b.weights)
    assert a.weights.shape == (200,)
    assert np.all((a.weights >= 0.0) & (a.weights <= 1.0))
    assert not np.all(a.weights == 0.475)              # it learned something
    ref = nl.analysis.pattern_detection(a.post_times, P.onsets, 50.0, t_start=2000.0,
                                        t_stop=3000.0)
    assert a.scores == ref
    assert a.success == (ref.hit_rate >= 0.9 and ref.false_alarm_rate <= 1.0)
    with pytest.raises(TypeError, match="PatternInput"):
        M.pattern_trial((P.t, P.i), lif)
    with pytest.raises(ValueError, match="score_ms"):
        M.pattern_trial(P, lif, score_ms=4000.0)
