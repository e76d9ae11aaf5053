"""Issue 24, item 14: numpy scalars are accepted wherever parameters are validated, and
error messages print plain numbers, never numpy 2's ``np.float64(nan)`` or
``(np.int64(0), np.int64(0))``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neurolab as nl
from neurolab.base import validate as V


@pytest.mark.parametrize("w_max", [np.float32(2.0), np.float64(2.0), np.int64(2),
                                   np.int32(2), np.float16(2.0)])
def test_power_law_accepts_numpy_w_max(w_max):
    rule = nl.PowerLawSTDP(w_max=w_max)
    assert rule.w_max == 2.0 and type(rule.w_max) is float


@pytest.mark.parametrize("w_max", [np.float32(np.inf), np.float64(np.inf), math.inf])
def test_power_law_accepts_numpy_inf(w_max):
    rule = nl.PowerLawSTDP(w_max=w_max)
    assert rule.w_max == math.inf and type(rule.w_max) is float


@pytest.mark.parametrize("w_max, error, text", [
    (np.float64(np.nan), ValueError, "w_max must be > w_min (0.0), got w_max=nan"),
    (np.float32(-1.0), ValueError, "w_max must be > w_min (0.0), got w_max=-1.0"),
    (np.int64(0), ValueError, "w_max must be > w_min (0.0), got w_max=0"),
    (np.bool_(True), TypeError, "w_max must be a real number or inf, got True"),
    (np.str_("2"), TypeError, "w_max must be a real number or inf, got '2'"),
    (-math.inf, ValueError, "w_max must be > w_min (0.0), got w_max=-inf"),
])
def test_power_law_w_max_refusals_print_plain_values(w_max, error, text):
    with pytest.raises(error) as info:
        nl.PowerLawSTDP(w_max=w_max)
    assert str(info.value) == text


@pytest.mark.parametrize("tau", [np.float32(np.inf), np.float64(np.inf), math.inf])
def test_adaptive_threshold_accepts_numpy_inf(tau):
    rule = nl.AdaptiveThreshold(tau_theta=tau)
    assert rule.tau_theta == math.inf and type(rule.tau_theta) is float
    assert rule.decay(0.1) == 1.0


def test_adaptive_threshold_frozen_refusal_is_plain():
    with pytest.raises(TypeError) as info:
        nl.AdaptiveThreshold(frozen=np.int64(0))
    assert str(info.value) == "frozen must be True or False, got 0"
    assert nl.AdaptiveThreshold(frozen=np.bool_(True)).frozen is True


@pytest.mark.parametrize("value, text", [
    (np.str_("x"), "A_plus must be a real number, got 'x' of type str_"),
    (np.bool_(True), "A_plus must be a real number, got True of type bool"),
    ((np.int64(1), np.int64(2)), "A_plus must be a real number, got (1, 2) of type tuple"),
    ([np.float64(np.nan)], "A_plus must be a real number, got [nan] of type list"),
])
def test_type_errors_show_plain_values(value, text):
    with pytest.raises(TypeError) as info:
        nl.STDPParams(A_plus=value)
    assert str(info.value) == text


def test_a_boolean_in_an_array_parameter_is_shown_plain():
    net = nl.Network(dt=0.1)
    with pytest.raises(TypeError) as info:
        net.add_spikes("s", 1, times=np.bool_(True), indices=[0])
    assert "np." not in str(info.value) and str(info.value).endswith("the boolean True")


def test_a_rate_table_index_is_plain():
    net = nl.Network(dt=0.1)
    rates = np.array([[1.0, 2.0], [3.0, -4.0]])
    with pytest.raises(ValueError) as info:
        net.add_poisson("p", 2, rates=rates, rate_dt=1.0)
    assert str(info.value) == "rates must be >= 0 Hz, got -4.0 at index (1, 1)"
    with pytest.raises(ValueError) as info:
        net.add_poisson("p", 2, rates=np.array([[1.0, 2e9]]), rate_dt=1.0)
    assert str(info.value).endswith("got 2000000000.0 at index (0, 1)")


def test_bin_ms_refusal_is_plain():
    net = nl.Network(dt=0.1)
    net.add_spikes("s", 1, times=[1.0], indices=[0])
    res = net.run(2.0, record_spikes="all", progress=False)
    with pytest.raises(ValueError) as info:
        res.population_rate("s", bin_ms=np.float64(0.05))
    assert str(info.value) == "bin_ms must be a positive multiple of dt=0.1 ms, got 0.05"


def test_plain_and_show():
    assert V.plain(np.float64(np.nan)) != V.plain(np.float64(np.nan))      # nan
    assert type(V.plain(np.float64(1.5))) is float
    assert V.plain((np.int64(0), [np.float32(0.5)], {"a": np.int8(3)})) == (0, [0.5],
                                                                          {"a": 3})
    assert V._show(np.float64(np.nan)) == "nan"
    assert V._show((np.int64(0), np.int64(0))) == "(0, 0)"
    assert V.index_text((np.int64(3),)) == "3"
    assert V.index_text((np.int64(0), np.intp(2))) == "(0, 2)"


def test_a_rate_function_that_turns_nan_is_reported_plainly():
    net = nl.Network(dt=0.1)
    net.add_poisson("p", 2, rates=lambda t: np.where(t < 1.0, 10.0, np.nan))
    with pytest.raises(ValueError) as info:
        net.run(2.0, record_spikes="all", progress=False)
    msg = str(info.value)
    assert "must be finite, got nan at t = 1 ms" in msg and "np." not in msg


def test_subgroup_and_learning_refusals_are_plain():
    net = nl.Network(dt=0.1)
    a = net.add_lif("a", 3)
    with pytest.raises(TypeError) as info:
        a[np.float64(1.5):]
    assert str(info.value).endswith("slice start must be an integer, got 1.5")
    with pytest.raises(TypeError) as info:
        a[np.float32(1.0)]
    assert str(info.value).endswith("got 1.0 of type float32")
    s = net.add_spikes("s", 1, times=[1.0], indices=[0])
    proj = net.connect(s, a, stdp=nl.STDPParams())
    with pytest.raises(TypeError) as info:
        proj.learning = np.int64(1)
    assert str(info.value) == "learning must be True or False, got 1"


def test_current_times_before_now_are_plain():
    net = nl.Network(dt=0.1)
    a = net.add_lif("a", 1)
    current = net.add_current("c", a, amplitude=1.0)
    net.run(1.0, progress=False)
    with pytest.raises(ValueError) as info:
        current.set([1.0], times=np.array([0.5]))
    assert str(info.value).endswith("got 0.5 ms")
