"""Bad input is refused before it reaches the kernels.

Every case checks the exception type (ValueError for a bad value, TypeError for a value of
the wrong kind) and that the message names the parameter and shows the offending value, as
the API contract promises ("bad input raises ValueError/TypeError whose message names the
parameter, its value and what is allowed").
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import neurolab as nl

NAN, INF = math.nan, math.inf


def has(*fragments) -> str:
    """A regex (for pytest.raises(match=...)) that needs every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(str(f))})" for f in fragments)


def small_net(dt=0.1, n_in=2, n_out=3, params=None):
    net = nl.Network(dt=dt, seed=0)
    inp = net.add_poisson("inp", n=n_in, rates=10.0)
    exc = net.add_lif("exc", n=n_out, params=params if params is not None else nl.LIFParams())
    return net, inp, exc


# --------------------------------------------------------------------------------------
# LIFParams / STDPParams
# --------------------------------------------------------------------------------------

LIF_FLOATS = ("tau_m", "v_rest", "v_th", "v_reset", "refractory", "tau_e", "tau_i", "E_e", "E_i")
STDP_FLOATS = ("A_plus", "A_minus", "tau_plus", "tau_minus", "w_min", "w_max", "mu")


@pytest.mark.parametrize("value", [0.0, -3.5])
@pytest.mark.parametrize("name", ["tau_m", "tau_e", "tau_i"])
def test_lif_time_constant_not_positive(name, value):
    with pytest.raises(ValueError, match=has(name, repr(value))):
        nl.LIFParams(**{name: value})


@pytest.mark.parametrize("value", [0.0, -3.5])
@pytest.mark.parametrize("name", ["tau_plus", "tau_minus"])
def test_stdp_time_constant_not_positive(name, value):
    with pytest.raises(ValueError, match=has(name, repr(value))):
        nl.STDPParams(**{name: value})


@pytest.mark.parametrize("v_reset", [-50.0, -54.0])
def test_v_reset_not_below_v_th(v_reset):
    with pytest.raises(ValueError, match=has("v_reset", repr(v_reset), "v_th")):
        nl.LIFParams(v_th=-54.0, v_reset=v_reset)


def test_negative_refractory():
    with pytest.raises(ValueError, match=has("refractory", "-2.0")):
        nl.LIFParams(refractory=-2.0)


@pytest.mark.parametrize("w_max", [0.25, 0.5])
def test_w_max_not_above_w_min(w_max):
    with pytest.raises(ValueError, match=has("w_max", repr(w_max), "w_min")):
        nl.STDPParams(w_min=0.5, w_max=w_max)


@pytest.mark.parametrize("name", ["A_plus", "A_minus"])
def test_negative_stdp_amplitude(name):
    with pytest.raises(ValueError, match=has(name, "-0.01")):
        nl.STDPParams(**{name: -0.01})


@pytest.mark.parametrize("mu", [-0.5, 1.5])
def test_mu_outside_unit_interval(mu):
    with pytest.raises(ValueError, match=has("mu", repr(mu))):
        nl.STDPParams(mu=mu)


@pytest.mark.parametrize("value", [NAN, INF, -INF])
@pytest.mark.parametrize("name", LIF_FLOATS)
def test_lif_param_not_finite(name, value):
    with pytest.raises(ValueError, match=has(name, repr(value))):
        nl.LIFParams(**{name: value})


@pytest.mark.parametrize("value", [NAN, INF, -INF])
@pytest.mark.parametrize("name", STDP_FLOATS)
def test_stdp_param_not_finite(name, value):
    with pytest.raises(ValueError, match=has(name, repr(value))):
        nl.STDPParams(**{name: value})


@pytest.mark.parametrize("name", ["tau_m", "v_th"])
def test_lif_param_array_of_wrong_length(name):
    # per-neuron arrays are allowed, but their length must be the population's
    net = nl.Network()
    with pytest.raises(ValueError, match=has(name, "length 3", "length 1")):
        net.add_lif("x", 3, nl.LIFParams(**{name: [10.0 if name == "tau_m" else -50.0]}))


@pytest.mark.parametrize("value", ["10", None, {"tau": 10.0}])
@pytest.mark.parametrize("name", ["tau_m", "v_th"])
def test_lif_param_wrong_type(name, value):
    with pytest.raises(TypeError, match=has(name, repr(value))):
        nl.LIFParams(**{name: value})


@pytest.mark.parametrize("value", ["0.01", None])
@pytest.mark.parametrize("name", ["A_plus", "tau_plus", "w_max"])
def test_stdp_param_wrong_type(name, value):
    with pytest.raises(TypeError, match=has(name, repr(value))):
        nl.STDPParams(**{name: value})


def test_unknown_synapse():
    with pytest.raises(ValueError, match=has("synapse", "'alpha'")):
        nl.LIFParams(synapse="alpha")


def test_unknown_pairing():
    with pytest.raises(ValueError, match=has("pairing", "'triplet'")):
        nl.STDPParams(pairing="triplet")


# --------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", [0.0, -0.1])
def test_dt_not_positive(dt):
    with pytest.raises(ValueError, match=has("dt", repr(dt))):
        nl.Network(dt=dt)


@pytest.mark.parametrize("dt", [NAN, INF])
def test_dt_not_finite(dt):
    with pytest.raises(ValueError, match=has("dt", repr(dt))):
        nl.Network(dt=dt)


def test_dt_wrong_type():
    with pytest.raises(TypeError, match=has("dt", "'0.1'")):
        nl.Network(dt="0.1")


def test_seed_wrong_type():
    with pytest.raises(TypeError, match=has("seed", "1.5")):
        nl.Network(seed=1.5)


def test_dt_longer_than_tau_m():
    # the check may sit in add_lif or in run; either is fine, silence is not
    with pytest.raises(ValueError, match=has("dt", "12.0")):
        net = nl.Network(dt=12.0)
        net.add_lif("exc", n=2, params=nl.LIFParams(tau_m=10.0))
        net.run(120.0, progress=False)


def test_dt_longer_than_synaptic_tau():
    p = nl.LIFParams(tau_m=10.0, synapse="conductance", tau_e=5.0, tau_i=10.0)
    with pytest.raises(ValueError, match=has("dt", "6.0")):
        net = nl.Network(dt=6.0)
        net.add_lif("exc", n=2, params=p)
        net.run(60.0, progress=False)


def test_dt_longer_than_stdp_tau():
    s = nl.STDPParams(tau_plus=2.0, tau_minus=20.0)
    with pytest.raises(ValueError, match=has("dt", "5.0")):
        net = nl.Network(dt=5.0)
        inp = net.add_poisson("inp", n=2, rates=10.0)
        exc = net.add_lif("exc", n=2, params=nl.LIFParams(tau_m=10.0))
        net.connect(inp, exc, weight=0.5, stdp=s)
        net.run(50.0, progress=False)


# --------------------------------------------------------------------------------------
# Populations
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, -3])
@pytest.mark.parametrize("kind", ["poisson", "lif", "spikes"])
def test_population_size_not_positive(kind, n):
    net = nl.Network()
    with pytest.raises(ValueError, match=has("n", repr(n))):
        if kind == "poisson":
            net.add_poisson("inp", n=n, rates=10.0)
        elif kind == "lif":
            net.add_lif("exc", n=n, params=nl.LIFParams())
        else:
            net.add_spikes("stim", n=n, times=[], indices=[])


@pytest.mark.parametrize("n", [2.5, "10"])
def test_population_size_wrong_type(n):
    net = nl.Network()
    with pytest.raises(TypeError, match=has("n", repr(n))):
        net.add_lif("exc", n=n, params=nl.LIFParams())


def test_duplicate_population_name():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("exc")):
        net.add_lif("exc", n=1, params=nl.LIFParams())


def test_lif_params_wrong_type():
    net = nl.Network()
    with pytest.raises(TypeError, match=has("params", "STDPParams")):
        net.add_lif("exc", n=2, params=nl.STDPParams())


@pytest.mark.parametrize("rates, bad", [(-1.5, "-1.5"), ([1.0, -2.5, 3.0], "-2.5")])
def test_negative_rates(rates, bad):
    net = nl.Network()
    with pytest.raises(ValueError, match=has("rates", bad)):
        net.add_poisson("inp", n=3, rates=rates)


@pytest.mark.parametrize("rates, bad", [(NAN, "nan"), ([1.0, INF, 3.0], "inf")])
def test_rates_not_finite(rates, bad):
    net = nl.Network()
    with pytest.raises(ValueError, match=has("rates", bad)):
        net.add_poisson("inp", n=3, rates=rates)


def test_rates_length_mismatch():
    net = nl.Network()
    with pytest.raises(ValueError, match=has("rates", "3", "2")):
        net.add_poisson("inp", n=3, rates=[1.0, 2.0])


def test_rates_wrong_type():
    net = nl.Network()
    with pytest.raises(TypeError, match=has("rates", "'15'")):
        net.add_poisson("inp", n=3, rates="15")


@pytest.mark.parametrize("v_init, bad", [(NAN, "nan"), ([-70.0, INF, -65.0], "inf")])
def test_v_init_not_finite(v_init, bad):
    net = nl.Network()
    with pytest.raises(ValueError, match=has("v_init", bad)):
        net.add_lif("exc", n=3, params=nl.LIFParams(), v_init=v_init)


def test_v_init_length_mismatch():
    net = nl.Network()
    with pytest.raises(ValueError, match=has("v_init", "3", "2")):
        net.add_lif("exc", n=3, params=nl.LIFParams(), v_init=[-70.0, -65.0])


def test_v_init_wrong_type():
    net = nl.Network()
    with pytest.raises(TypeError, match=has("v_init", "'rest'")):
        net.add_lif("exc", n=3, params=nl.LIFParams(), v_init="rest")


def test_spike_times_not_finite():
    net = nl.Network()
    with pytest.raises(ValueError, match=has("times", "nan")):
        net.add_spikes("stim", n=3, times=[1.0, NAN], indices=[0, 1])


def test_spike_times_negative():
    net = nl.Network()
    with pytest.raises(ValueError, match=has("times", "-1.0")):
        net.add_spikes("stim", n=3, times=[-1.0, 2.0], indices=[0, 1])


@pytest.mark.parametrize("t", [25.0, 20.0])
def test_spike_times_at_or_after_the_run_end_come_in_the_next_run(t):
    # network time is absolute: a spike at t >= the end of a run is emitted by the run
    # that reaches it (continued runs), never lost and never moved into the earlier run
    net = nl.Network(dt=0.1)
    net.add_spikes("stim", n=3, times=[1.0, t], indices=[0, 1])
    first = net.run(20.0, progress=False, record_spikes="all")
    np.testing.assert_allclose(first.spikes["stim"].t, [1.0])
    second = net.run(10.0, progress=False, record_spikes="all")
    np.testing.assert_allclose(second.spikes["stim"].t, [t])
    np.testing.assert_array_equal(second.spikes["stim"].i, [1])


def test_spike_times_indices_length_mismatch():
    net = nl.Network()
    with pytest.raises(ValueError, match=has("times", "indices", "3", "2")):
        net.add_spikes("stim", n=3, times=[1.0, 2.0, 3.0], indices=[0, 1])


@pytest.mark.parametrize("indices, bad", [([0, 3], "3"), ([-1, 0], "-1")])
def test_spike_indices_out_of_range(indices, bad):
    net = nl.Network()
    with pytest.raises(ValueError, match=has("indices", bad)):
        net.add_spikes("stim", n=3, times=[1.0, 2.0], indices=indices)


def test_spike_indices_not_integer():
    net = nl.Network()
    with pytest.raises(ValueError, match=has("indices", "1.5")):
        net.add_spikes("stim", n=3, times=[1.0, 2.0], indices=[0, 1.5])


def test_spike_times_wrong_type():
    net = nl.Network()
    with pytest.raises(TypeError, match=has("times", "'1.0'")):
        net.add_spikes("stim", n=3, times="1.0", indices=[0])


# --------------------------------------------------------------------------------------
# connect
# --------------------------------------------------------------------------------------

def test_unknown_rule():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("rule", "'random'")):
        net.connect(inp, exc, rule="random")


def test_unknown_receptor():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("receptor", "'gaba'")):
        net.connect(inp, exc, receptor="gaba")


def test_unknown_weight_distribution():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("weight", "normal")):
        net.connect(inp, exc, weight=("normal", 0.0, 1.0))


def test_uniform_weight_bounds_reversed():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("weight", "0.8", "0.2")):
        net.connect(inp, exc, weight=("uniform", 0.8, 0.2))


@pytest.mark.parametrize(
    "weight, bad",
    [(NAN, "nan"), (INF, "inf"), (np.array([0.1, 0.2, NAN, 0.4, 0.5, 0.6]), "nan"),
     (np.array([0.1, -INF, 0.3, 0.4, 0.5, 0.6]), "-inf")],
    ids=["scalar-nan", "scalar-inf", "array-nan", "array-neg-inf"],
)
def test_weight_not_finite(weight, bad):
    net, inp, exc = small_net()  # all_to_all: 2 x 3 = 6 synapses
    with pytest.raises(ValueError, match=has("weight", bad)):
        net.connect(inp, exc, weight=weight)


def test_weight_array_length_mismatch():
    net, inp, exc = small_net()  # 6 synapses
    with pytest.raises(ValueError, match=has("weight", "6", "4")):
        net.connect(inp, exc, weight=np.full(4, 0.5))


def test_weight_wrong_type():
    net, inp, exc = small_net()
    with pytest.raises(TypeError, match=has("weight", "'0.5'")):
        net.connect(inp, exc, weight="0.5")


@pytest.mark.parametrize("delay, bad", [(-1.0, "-1.0"), (np.array([0.0, -0.5, 0.0, 0.0, 0.0, 0.0]), "-0.5")],
                         ids=["scalar", "array"])
def test_delay_negative(delay, bad):
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("delay", bad)):
        net.connect(inp, exc, delay=delay)


@pytest.mark.parametrize("delay, bad", [(0.25, "0.25"), (np.array([0.1, 0.2, 1.05, 0.0, 0.0, 0.0]), "1.05")],
                         ids=["scalar", "array"])
def test_delay_not_multiple_of_dt(delay, bad):
    net, inp, exc = small_net(dt=0.1)
    with pytest.raises(ValueError, match=has("delay", bad)):
        net.connect(inp, exc, delay=delay)


def test_delay_not_finite():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("delay", "nan")):
        net.connect(inp, exc, delay=NAN)


def test_delay_array_length_mismatch():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("delay", "6", "5")):
        net.connect(inp, exc, delay=np.zeros(5))


@pytest.mark.parametrize("pre_ids, post_ids, name, bad",
                         [([0, 7], [0, 1], "pre_ids", "7"), ([0, -1], [0, 1], "pre_ids", "-1"),
                          ([0, 1], [0, 3], "post_ids", "3"), ([0, 1], [-2, 0], "post_ids", "-2")])
def test_explicit_ids_out_of_range(pre_ids, post_ids, name, bad):
    net, inp, exc = small_net(n_in=5, n_out=3)
    with pytest.raises(ValueError, match=has(name, bad)):
        net.connect(inp, exc, rule="explicit", pre_ids=pre_ids, post_ids=post_ids)


def test_explicit_ids_length_mismatch():
    net, inp, exc = small_net(n_in=5, n_out=3)
    with pytest.raises(ValueError, match=has("post_ids", "3", "2")):
        net.connect(inp, exc, rule="explicit", pre_ids=[0, 1, 2], post_ids=[0, 1])


def test_explicit_ids_missing():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("pre_ids", "None")):
        net.connect(inp, exc, rule="explicit", pre_ids=None, post_ids=[0])


def test_explicit_weight_length_mismatch():
    net, inp, exc = small_net(n_in=5, n_out=3)
    with pytest.raises(ValueError, match=has("weight", "3", "2")):
        net.connect(inp, exc, rule="explicit", pre_ids=[0, 1, 2], post_ids=[0, 1, 2],
                    weight=np.array([0.1, 0.2]))


@pytest.mark.parametrize("p", [1.5, -0.1, NAN])
def test_probability_outside_unit_interval(p):
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("p", repr(p))):
        net.connect(inp, exc, rule="probability", p=p)


def test_probability_missing():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("p", "None")):
        net.connect(inp, exc, rule="probability")


@pytest.mark.parametrize("k", [10, -1])
def test_fixed_indegree_out_of_range(k):
    net, inp, exc = small_net(n_in=5)
    with pytest.raises(ValueError, match=has("k", repr(k))):
        net.connect(inp, exc, rule="fixed_indegree", k=k)


def test_fixed_indegree_wrong_type():
    net, inp, exc = small_net(n_in=5)
    with pytest.raises(TypeError, match=has("k", "2.5")):
        net.connect(inp, exc, rule="fixed_indegree", k=2.5)


def test_one_to_one_size_mismatch():
    net, inp, exc = small_net(n_in=3, n_out=4)
    with pytest.raises(ValueError, match=has("one_to_one", "3", "4")):
        net.connect(inp, exc, rule="one_to_one")


def test_connect_into_input_population():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("post", "inp")):
        net.connect(exc, inp)


def test_stdp_wrong_type():
    net, inp, exc = small_net()
    with pytest.raises(TypeError, match=has("stdp", "LIFParams")):
        net.connect(inp, exc, stdp=nl.LIFParams())


def test_duplicate_projection_name():
    net, inp, exc = small_net()
    net.connect(inp, exc, name="ff")
    with pytest.raises(ValueError, match=has("ff")):
        net.connect(inp, exc, name="ff")


# --------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("duration", [0.0, -5.0, NAN])
def test_duration_not_positive(duration):
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("duration", repr(duration))):
        net.run(duration, progress=False)


def test_duration_wrong_type():
    net, inp, exc = small_net()
    with pytest.raises(TypeError, match=has("duration", "'100'")):
        net.run("100", progress=False)


def test_record_spikes_unknown_population():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("record_spikes", "nope")):
        net.run(5.0, record_spikes=["nope"], progress=False)


def test_record_weights_unknown_projection():
    net, inp, exc = small_net()
    net.connect(inp, exc, name="ff")
    with pytest.raises(ValueError, match=has("record_weights", "nope")):
        net.run(5.0, record_weights={"nope": "all"}, progress=False)


def test_record_weights_index_out_of_range():
    net, inp, exc = small_net()
    net.connect(inp, exc, name="ff")  # 6 synapses
    with pytest.raises(ValueError, match=has("record_weights", "99")):
        net.run(5.0, record_weights={"ff": [0, 99]}, progress=False)


def test_record_state_unknown_population():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("record_state", "nope")):
        net.run(5.0, record_state={"nope": "all"}, progress=False)


def test_record_state_index_out_of_range():
    net, inp, exc = small_net()  # exc has 3 neurons
    with pytest.raises(ValueError, match=has("record_state", "3")):
        net.run(5.0, record_state={"exc": [0, 3]}, progress=False)


def test_unknown_state_var():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("state_vars", "'u'")):
        net.run(5.0, record_state={"exc": "all"}, state_vars=("v", "u"), progress=False)


@pytest.mark.parametrize("weight_dt, bad", [(0.0, "0.0"), (-1.0, "-1.0"), (0.15, "0.15")])
def test_bad_weight_dt(weight_dt, bad):
    net, inp, exc = small_net()
    net.connect(inp, exc, name="ff")
    with pytest.raises(ValueError, match=has("weight_dt", bad)):
        net.run(5.0, record_weights={"ff": "all"}, weight_dt=weight_dt, progress=False)


@pytest.mark.parametrize("state_dt, bad", [(0.0, "0.0"), (-0.5, "-0.5"), (0.25, "0.25")])
def test_bad_state_dt(state_dt, bad):
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("state_dt", bad)):
        net.run(5.0, record_state={"exc": "all"}, state_dt=state_dt, progress=False)


# --------------------------------------------------------------------------------------
# cases found in review
# --------------------------------------------------------------------------------------

def test_duration_not_multiple_of_dt():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("duration", "multiple of dt", "1.05")):
        net.run(1.05, progress=False)


def test_duration_shorter_than_one_step():
    net, inp, exc = small_net()
    with pytest.raises(ValueError, match=has("duration", "1e-12")):
        net.run(1e-12, progress=False)


@pytest.mark.parametrize("arg,value", [("record_weights", ["inp->exc"]),
                                       ("record_state", ["exc"])])
def test_record_dict_wrong_type(arg, value):
    net, inp, exc = small_net()
    net.connect(inp, exc)
    with pytest.raises(TypeError, match=has(arg, "dict", repr(value))):
        net.run(1.0, progress=False, **{arg: value})


def test_record_spikes_wrong_type():
    net, inp, exc = small_net()
    with pytest.raises(TypeError, match=has("record_spikes", "5")):
        net.run(1.0, record_spikes=5, progress=False)


def test_state_vars_wrong_type():
    net, inp, exc = small_net()
    with pytest.raises(TypeError, match=has("state_vars", "5")):
        net.run(1.0, record_state={"exc": "all"}, state_vars=5, progress=False)


@pytest.mark.parametrize("value", [True, [True, False, True]])
def test_booleans_are_not_numbers(value):
    net = nl.Network()
    with pytest.raises(TypeError, match=has("v_init", "boolean")):
        net.add_lif("n", 3, v_init=value)


@pytest.mark.parametrize("rule,arg,value", [("all_to_all", "p", 0.1),
                                            ("probability", "k", 3),
                                            ("explicit", "p", 0.5)])
def test_rule_argument_for_another_rule(rule, arg, value):
    net, inp, exc = small_net()
    kw = {"pre_ids": [0], "post_ids": [0]} if rule == "explicit" else {}
    if rule == "probability":
        kw["p"] = 0.5
    with pytest.raises(ValueError, match=has(arg, repr(value), "only used with")):
        net.connect(inp, exc, rule=rule, **{arg: value}, **kw)


def test_mu_minus_outside_unit_interval():
    with pytest.raises(ValueError, match=has("mu_minus", "1.5")):
        nl.STDPParams(mu_minus=1.5)


def test_rate_at_the_limit_is_allowed_and_above_is_refused():
    net = nl.Network(dt=0.13)
    pop = net.add_poisson("p", 1, rates=1000.0 / 0.13)   # one spike every step
    steps, _ = net.input_spike_steps(1.3)["p"]
    np.testing.assert_array_equal(steps, np.arange(10))
    with pytest.raises(ValueError, match=has("rates", "7700")):
        net.add_poisson("q", 1, rates=7700.0)
    assert pop.n == 1
