"""Issue 24, item 14: a spike time too late to count in steps is refused clearly, naming
the parameter, instead of being dropped with only a numpy warning."""

from __future__ import annotations

import warnings

import pytest

import neurolab as nl


@pytest.mark.parametrize("late", [1e19, 1e300, 2.0 ** 53 * 0.1 * 2])
def test_add_spikes_refuses_a_time_beyond_the_step_range(late):
    net = nl.Network(dt=0.1, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # no numpy warning on the way
        with pytest.raises(ValueError) as info:
            net.add_spikes("s", 1, times=[5.0, late], indices=[0, 0])
    msg = str(info.value)
    assert msg.startswith("times must be <= ")
    assert f"got {late!r} ms at index 1" in msg
    assert "s" not in net.populations              # nothing added


def test_add_spikes_keeps_late_but_countable_times():
    net = nl.Network(dt=0.1, seed=0)
    src = net.add_spikes("s", 2, times=[5.0, 1e12], indices=[0, 1])
    res = net.run(10.0, record_spikes="all", progress=False)
    assert res.spikes["s"].t.tolist() == [5.0] and src.n == 2


def test_the_limit_is_two_to_the_53_steps():
    net = nl.Network(dt=0.5, seed=0)
    net.add_spikes("ok", 1, times=[2.0 ** 53 * 0.5], indices=[0])
    with pytest.raises(ValueError, match=r"times must be <= 4503599627370496 ms \(2\*\*53 "
                                         r"steps of dt=0.5 ms\), got 4503599627372544.0 ms "
                                         r"at index 0"):
        net.add_spikes("late", 1, times=[2.0 ** 53 * 0.5 + 2.0 ** 11], indices=[0])


def test_current_times_beyond_the_step_range_are_refused():
    net = nl.Network(dt=0.1, seed=0)
    a = net.add_lif("a", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"times of 'c' must be <= .* got 1e\+19 ms at "
                                             r"index 1"):
            net.add_current("c", a, amplitude=[1.0, 2.0], times=[0.0, 1e19])
