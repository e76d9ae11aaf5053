"""The AdEx spike clamp (``t_clamp``, ``V_clamp``; NEST's ``aeif_psc_delta_clopath``): ``v``
held at ``V_clamp`` for ``t_clamp`` after a spike, then ``V_reset``; ``w`` held during the
clamp; refractoriness counted from the end of the clamp; delta input discarded meanwhile.

Expected values are written down by hand from the documented semantics (step n_s spikes;
``Kc = t_clamp / dt``; monitors sample ``v`` at the start of each step), never computed by
the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl

DT = 0.1


def run(p, kicks=(), duration=3.0, w_kick=5.0):
    """One AdEx neuron that spikes at step 0 (v_init just below V_peak = 0), optionally
    kicked by delta inputs arriving at the given steps."""
    net = nl.Network(dt=DT)
    A = net.add_adex("A", 1, p, v_init=-0.01)
    if kicks:
        src = net.add_spikes("k", 1, times=np.array(kicks) * DT,
                             indices=np.zeros(len(kicks), int))
        net.connect(src, A, weight=w_kick, delay=0.0)
    return net.run(duration, record_state={"A": "all"}, state_vars=("v", "w"))


def params(**changes):
    base = {"V_peak": 0.0, "V_reset": -60.0, "b": 50.0, "a": 0.0, "tau_w": 100.0,
            "refractory": 0.5, "t_clamp": 1.0, "V_clamp": 29.4}
    return nl.AdExParams(**(base | changes))


def test_v_is_clamped_then_reset_then_refractory():
    res = run(params())                 # Kc = 10 steps, K = 5 steps
    assert res.spikes["A"].t.tolist() == [0.0]
    v = res.state["A"].v[:, 0]
    assert v[0] == -0.01
    np.testing.assert_array_equal(v[1:11], 29.4)        # after steps 0 .. 9: clamped
    np.testing.assert_array_equal(v[11:16], -60.0)      # step 10 resets, 11 .. 14 frozen
    assert v[16] < -60.0                                # step 15 integrates (towards E_L)
    w = res.state["A"].w[:, 0]
    np.testing.assert_array_equal(w[1:12], 50.0)        # w += b, held through step 10
    # then tau_w dw/dt = -w (a = 0) from step 11 on: RK4 of a linear decay, to 1e-10
    np.testing.assert_allclose(w[11:], 50.0 * np.exp(-np.arange(w.size - 11) * DT / 100.0),
                               rtol=1e-10)


def test_without_refractory_period_the_reset_step_is_the_last_frozen_one():
    v = run(params(refractory=0.0)).state["A"].v[:, 0]
    np.testing.assert_array_equal(v[1:11], 29.4)
    assert v[11] == -60.0
    assert v[12] < -60.0


def test_delta_input_is_discarded_while_clamped_and_refractory_then_accepted():
    quiet = run(params()).state["A"].v[:, 0]
    # arrivals at steps 0 (the spike step), 3, 10 (reset step) and 14 (last refractory one)
    discarded = run(params(), kicks=(0, 3, 10, 14)).state["A"].v[:, 0]
    np.testing.assert_array_equal(discarded, quiet)
    # an arrival at step 15, the first free step, moves v after that step by the weight
    kicked = run(params(), kicks=(15,)).state["A"].v[:, 0]
    np.testing.assert_array_equal(kicked[:16], quiet[:16])
    assert kicked[16] - quiet[16] == pytest.approx(5.0, abs=1e-12)


def test_no_spike_before_the_clamp_and_refractory_period_end():
    # V_clamp above V_peak never re-triggers; a kick of 100 mV arriving at step 15 does
    # (threshold crossed in the state update of step 16)
    res = run(params(V_clamp=40.0), kicks=(5, 14, 15), w_kick=100.0)
    assert np.rint(res.spikes["A"].t / DT).astype(int).tolist() == [0, 16]
    v = res.state["A"].v[:, 0]
    np.testing.assert_array_equal(v[17:27], 40.0)       # the second spike is clamped too


def test_clamp_off_by_default_and_bitwise_unchanged():
    assert nl.AdExParams().t_clamp == 0.0
    a = run(params(t_clamp=0.0, V_clamp=99.0))
    b = run(nl.AdExParams(V_peak=0.0, V_reset=-60.0, b=50.0, a=0.0, tau_w=100.0,
                          refractory=0.5))
    np.testing.assert_array_equal(a.state["A"].v, b.state["A"].v)
    np.testing.assert_array_equal(a.state["A"].w, b.state["A"].w)
    np.testing.assert_array_equal(a.state["A"].v[1:6, 0], -60.0)


def test_continued_runs_cross_the_clamp_bitwise():
    net = nl.Network(dt=DT)
    net.add_adex("A", 1, params(), v_init=-0.01)
    r1 = net.run(0.5, record_state={"A": "all"})
    r2 = net.run(2.5, record_state={"A": "all"})
    whole = run(params()).state["A"].v
    np.testing.assert_array_equal(np.concatenate([r1.state["A"].v, r2.state["A"].v]), whole)


def test_t_clamp_is_validated():
    with pytest.raises(ValueError, match="t_clamp"):
        nl.AdExParams(t_clamp=-1.0)
