"""neurolab.model.distributions.resolve: numbers, arrays and distributions for per-element values.

Expected values are worked out by hand (closed-form moments of the truncated and log-normal
distributions) or come straight from numpy's own samplers, never from resolve itself.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from neurolab.model.distributions import MIN_ACCEPTANCE, is_distribution, resolve


def has(*fragments) -> str:
    return "(?s)" + "".join(f"(?=.*{re.escape(str(f))})" for f in fragments)


def state(rng):
    return rng.bit_generator.state


# ------------------------------------------------------------------ numbers and arrays
@pytest.mark.parametrize("value", [0.5, 3, np.float32(0.25), np.int64(2), np.array(1.5)])
def test_scalar_is_broadcast_and_uses_no_random_numbers(value):
    rng = np.random.default_rng(1)
    before = state(rng)
    out = resolve("w", value, 4, rng)
    assert out.dtype == np.float64 and out.shape == (4,)
    assert np.all(out == float(value))
    assert state(rng) == before


def test_array_is_used_as_given_and_uses_no_random_numbers():
    rng = np.random.default_rng(1)
    before = state(rng)
    given = [0.1, 0.2, 0.3]
    out = resolve("w", given, 3, rng, low=0.0, high=1.0)
    assert out.dtype == np.float64
    assert out.tolist() == given
    assert state(rng) == before


def test_array_is_a_copy_not_a_view():
    given = np.array([0.1, 0.2, 0.3])
    out = resolve("w", given, 3, np.random.default_rng(0))
    given[0] = 9.0
    assert out.tolist() == [0.1, 0.2, 0.3]


def test_array_is_copied_to_float64():
    given = np.array([1, 2, 3], dtype=np.int32)
    out = resolve("w", given, 3, np.random.default_rng(0))
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("value", [True, np.bool_(False), np.array([True, False])])
def test_booleans_are_refused(value):
    with pytest.raises(TypeError, match=has("v_th", "bool")):
        resolve("v_th", value, 2, np.random.default_rng(0))


@pytest.mark.parametrize("value", ["0.5", b"1", None, {"a": 1}])
def test_non_numbers_are_refused(value):
    with pytest.raises(TypeError, match="v_th"):
        resolve("v_th", value, 2, np.random.default_rng(0))


def test_wrong_length_and_shape():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=has("tau_m", "length 3", "length 2")):
        resolve("tau_m", [1.0, 2.0], 3, rng)
    with pytest.raises(ValueError, match=has("tau_m", "1-d", "(2, 2)")):
        resolve("tau_m", np.ones((2, 2)), 4, rng)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_element_is_named_with_its_index(bad):
    with pytest.raises(ValueError, match=has("v_init", repr(bad), "index 2")):
        resolve("v_init", [1.0, 2.0, bad, 4.0], 4, np.random.default_rng(0))


def test_element_outside_bounds_is_refused_with_index_value_and_range():
    with pytest.raises(ValueError, match=has("tau_m", ">= 0.5 ms", "0.25", "index 1")):
        resolve("tau_m", [1.0, 0.25, 3.0], 3, np.random.default_rng(0), low=0.5, unit="ms")
    with pytest.raises(ValueError, match=has("w", "[0.0, 1.0]", "1.5", "index 0")):
        resolve("w", [1.5, 0.5], 2, np.random.default_rng(0), low=0.0, high=1.0)


def test_scalar_outside_bounds_is_refused_without_an_index():
    with pytest.raises(ValueError, match=has("delay", ">= 0.0 ms", "-1.0")) as info:
        resolve("delay", -1.0, 5, np.random.default_rng(0), low=0.0, unit="ms")
    assert "index" not in str(info.value)


def test_open_and_closed_bounds():
    rng = np.random.default_rng(0)
    assert resolve("tau", 0.0, 2, rng, low=0.0).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match=has("tau", "> 0.0 ms", "0.0")):
        resolve("tau", 0.0, 2, rng, low=0.0, low_inclusive=False, unit="ms")
    assert resolve("p", [1.0], 1, rng, high=1.0).tolist() == [1.0]
    with pytest.raises(ValueError, match=has("p", "< 1.0", "1.0", "index 0")):
        resolve("p", [0.5, 1.0][1:], 1, rng, high=1.0, high_inclusive=False)


def test_zero_elements():
    rng = np.random.default_rng(0)
    assert resolve("w", 1.0, 0, rng).shape == (0,)
    assert resolve("w", [], 0, rng).shape == (0,)
    assert resolve("w", ("normal", 1.0, 1.0), 0, rng).shape == (0,)


# ------------------------------------------------------------------ distributions
def test_uniform_is_bit_identical_to_numpy_uniform():
    """What connect() did before distributions existed: rng.uniform(lo, hi, size=n)."""
    got = resolve("w", ("uniform", 0.0, 0.05), 1000, np.random.default_rng([3, 1, 0]),
                  low=0.0, high=0.05)
    want = np.random.default_rng([3, 1, 0]).uniform(0.0, 0.05, size=1000)
    assert np.array_equal(got, want)


def test_normal_first_draws_are_numpy_normal():
    got = resolve("v", ("normal", -65.0, 2.0), 500, np.random.default_rng(5))
    want = np.random.default_rng(5).normal(-65.0, 2.0, size=500)
    assert np.array_equal(got, want)


def test_lognormal_parameters_are_those_of_the_value_itself():
    # mean 1, sd 1: sigma^2 = ln(1 + 1) = ln 2, mu = ln 1 - ln 2 / 2 (worked by hand)
    got = resolve("w", ("lognormal", 1.0, 1.0), 500, np.random.default_rng(9))
    want = np.random.default_rng(9).lognormal(-math.log(2.0) / 2, math.sqrt(math.log(2.0)),
                                              size=500)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_lognormal_sample_mean_and_sd():
    x = resolve("w", ("lognormal", 0.5, 0.2), 400_000, np.random.default_rng(2))
    # standard errors: 0.2/sqrt(4e5) = 3e-4 for the mean; the sd's is of the same order
    assert abs(x.mean() - 0.5) < 2e-3
    assert abs(x.std() - 0.2) < 3e-3
    assert (x > 0).all()


def test_list_from_json_is_the_tuple():
    a = resolve("w", ["normal", 1.0, 0.5], 100, np.random.default_rng(4))
    b = resolve("w", ("normal", 1.0, 0.5), 100, np.random.default_rng(4))
    assert np.array_equal(a, b)


def test_zero_width_distributions_are_one_value():
    rng = np.random.default_rng(0)
    assert np.all(resolve("w", ("uniform", 0.3, 0.3), 5, rng) == 0.3)
    assert np.all(resolve("w", ("normal", 0.3, 0.0), 5, rng) == 0.3)


# ------------------------------------------------------------------ truncation by redrawing
def test_normal_truncated_at_zero_is_half_normal():
    x = resolve("w", ("normal", 0.0, 1.0), 200_000, np.random.default_rng(11), low=0.0)
    assert (x >= 0).all()
    # half-normal: mean sqrt(2/pi) = 0.79788; P(X < 0.5) = 2 Phi(0.5) - 1 = 0.38292
    assert abs(x.mean() - math.sqrt(2 / math.pi)) < 6e-3
    assert abs((x < 0.5).mean() - 0.38292) < 5e-3


def test_redraw_keeps_draws_inside_and_replaces_only_those_outside():
    n = 2000
    x = resolve("w", ("normal", 0.2, 0.3), n, np.random.default_rng(8), low=0.0, high=0.5)
    first = np.random.default_rng(8).normal(0.2, 0.3, size=n)
    inside = (first >= 0.0) & (first <= 0.5)
    assert 0 < (~inside).sum() < n
    assert np.array_equal(x[inside], first[inside])
    assert ((x >= 0.0) & (x <= 0.5)).all()
    assert not np.isin(x[~inside], first).any()  # fresh draws, not clipped copies


def test_open_bound_excludes_the_bound_itself_when_drawing():
    x = resolve("tau", ("uniform", 0.0, 1.0), 10_000, np.random.default_rng(0), low=0.0,
                low_inclusive=False)
    assert (x > 0.0).all()


def test_uniform_partly_outside_becomes_uniform_on_the_overlap():
    x = resolve("w", ("uniform", -1.0, 1.0), 100_000, np.random.default_rng(1), low=0.0)
    assert (x >= 0).all() and (x < 1).all()
    assert abs(x.mean() - 0.5) < 5e-3  # uniform on [0, 1): mean 1/2, se 9e-4


def test_lognormal_truncated_above():
    x = resolve("w", ("lognormal", 1.0, 1.0), 50_000, np.random.default_rng(3), high=2.0)
    assert (x <= 2.0).all() and (x > 0).all()


@pytest.mark.parametrize("value, kw", [
    (("normal", -5.0, 1.0), dict(low=0.0)),  # 2.9e-7 of the mass above 0
    (("uniform", -2.0, -1.0), dict(low=0.0)),  # none
    (("uniform", 0.0, 1.0), dict(low=0.995)),  # 0.5 % inside
    (("lognormal", 1.0, 0.1), dict(low=5.0)),
    (("normal", 0.0, 0.0), dict(low=0.0, low_inclusive=False)),  # the point is the open end
])
def test_distribution_almost_entirely_outside_is_refused(value, kw):
    with pytest.raises(ValueError, match=has("weight", value[0], "probability",
                                             str(MIN_ACCEPTANCE))):
        resolve("weight", value, 10, np.random.default_rng(0), **kw)


def test_just_enough_inside_is_drawn():
    # 2 % of uniform(0, 1) lies in [0.98, 1]: accepted, every value redrawn into place
    x = resolve("w", ("uniform", 0.0, 1.0), 5000, np.random.default_rng(0), low=0.98)
    assert (x >= 0.98).all() and (x < 1.0).all()


# ------------------------------------------------------------------ bad distributions
@pytest.mark.parametrize("value, fragments", [
    (("gamma", 1.0, 2.0), ["'gamma'", "uniform", "normal", "lognormal"]),
    (("uniform", 1.0), ["('uniform', 1.0)", "2 parameters", "lognormal"]),
    (("normal", 1.0, 2.0, 3.0), ["('normal', 1.0, 2.0, 3.0)", "2 parameters"]),
    (("uniform", 0.8, 0.2), ["lo <= hi", "0.8", "0.2"]),
    (("normal", 0.0, -1.0), ["sd >= 0", "-1.0"]),
    (("lognormal", 1.0, -0.5), ["sd >= 0", "-0.5"]),
    (("lognormal", 0.0, 1.0), ["mean > 0", "('lognormal', 0.0, 1.0)"]),
    (("lognormal", -1.0, 1.0), ["mean > 0", "-1.0"]),
    (("normal", math.nan, 1.0), ["mean", "finite", "nan"]),
    (("uniform", 0.0, math.inf), ["hi", "finite", "inf"]),
    (("",), ["''", "allowed"]),
])
def test_bad_distribution_is_a_value_error_naming_quantity_and_value(value, fragments):
    with pytest.raises(ValueError, match=has("v_th", *fragments)):
        resolve("v_th", value, 3, np.random.default_rng(0))


@pytest.mark.parametrize("value", [("uniform", "0", 1.0), ("normal", 0.0, True),
                                   ("normal", None, 1.0)])
def test_non_numeric_distribution_parameter_is_a_type_error(value):
    with pytest.raises(TypeError, match=has("v_th", "real number", "allowed")):
        resolve("v_th", value, 3, np.random.default_rng(0))


def test_is_distribution():
    assert is_distribution(("uniform", 0, 1))
    assert is_distribution(["normal", 0, 1])
    assert is_distribution(("whatever",))  # resolve names the problem
    assert not is_distribution(1.0)
    assert not is_distribution([1.0, 2.0])
    assert not is_distribution(np.array([1.0, 2.0]))
    assert not is_distribution("uniform")
    assert not is_distribution(())
