"""Issue 24, items 1 and 12: a value that turns non-finite inside a chunk and is reset
before the chunk-end check still stops the run once it reached a recording; and a run
that fails part-way (a rate function that raises) leaves the network consistent where it
stopped, says where, and keeps what ran."""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl


def _huge_input_net():
    net = nl.Network(dt=0.1, seed=0)
    src = net.add_spikes("src", n=2, times=[5.0, 5.0], indices=[0, 1])
    out = net.add_lif("out", n=3, params=nl.LIFParams(synapse="delta", refractory=0.0))
    net.connect(src, out, rule="all_to_all", weight=1e308)   # 2e308 = inf in one step
    return net


def test_inf_in_a_recorded_sample_stops_the_run_naming_it():
    """The two inputs of 1e308 mV arrive in the same step: v = inf, then v > v_th resets
    it within the same chunk, so the chunk-end state check sees a finite v; the sample
    recorded at 5.1 ms (the default delay is one step) holds inf."""
    net = _huge_input_net()
    with pytest.raises(nl.NonFiniteStateError) as err:
        net.run(20.0, record_state={"out": "all"}, state_vars=("v",), progress=False)
    text = str(err.value)
    assert "neuron 0 of 'out'" in text and "v = inf" in text and "t = 5.1 ms" in text, text
    part = err.value.partial_result
    assert np.isinf(part.state["out"].v).any()           # what was recorded is kept


def test_without_a_recording_the_reset_value_is_what_the_network_holds():
    """Not recorded, the transient inf leaves nothing non-finite behind (reset to v_reset):
    the run completes, and its spikes say what happened."""
    res = _huge_input_net().run(20.0, progress=False)
    np.testing.assert_array_equal(res.spikes["out"].t, np.full(3, 51 * 0.1))   # step 51


def _rate_net(fn):
    net = nl.Network(dt=0.1, seed=3)
    inp = net.add_poisson("inp", n=50, rates=fn)
    out = net.add_lif("out", n=1, params=nl.LIFParams(synapse="delta"))
    net.connect(inp, out, weight=3.0)
    return net


def _fails_after_1500(t):
    return np.where(t < 1500.0, 20.0, np.nan)


def test_a_run_that_fails_part_way_says_where_the_network_stands_and_keeps_what_ran():
    net = _rate_net(_fails_after_1500)
    with pytest.raises(ValueError, match="must be finite") as err:
        net.run(3000.0, progress=False, record_spikes="all")
    part = err.value.partial_result
    assert part.interrupted and 0.0 < part.t_end < 1500.0
    assert net.t == pytest.approx(part.t_end)
    notes = " ".join(getattr(err.value, "__notes__", []))
    assert f"the run stopped at t = {part.t_end:.10g} ms of 3000 ms" in notes
    # what ran equals the same network run to that time with a function that never fails
    good = _rate_net(lambda t: np.full(t.shape, 20.0)).run(part.t_end, progress=False,
                                                           record_spikes="all")
    for name in ("inp", "out"):
        np.testing.assert_array_equal(part.spikes[name].t, good.spikes[name].t)
        np.testing.assert_array_equal(part.spikes[name].i, good.spikes[name].i)


def test_the_recording_check_tells_overflowing_sums_from_non_finite_samples():
    """The check of recorded samples sums a block first (finite sum: all finite) and tests
    every sample only when the sum is not finite: finite samples whose sum overflows pass,
    and a NaN, an inf or an inf of each sign (whose sum is NaN) is found and named."""
    from neurolab.engine.run import _check_recorded

    sched = np.array([1, 0, 100, 0], dtype=np.int64)      # every step, rows from step 0
    sel = {"a": np.array([4, 5]), "b": np.array([7])}
    huge = np.full((3, 3), 1e308)                          # sum overflows to inf
    _check_recorded(huge, sched, 1, sel, 0.1, ("neuron", "v"))
    _check_recorded(-huge, sched, 1, sel, 0.1, ("neuron", "v"))
    for bad in (np.nan, np.inf, -np.inf):
        rows = huge.copy()
        rows[2, 2] = bad
        with pytest.raises(nl.NonFiniteStateError, match=r"neuron 7 of 'b' has v = "
                                                         r"(nan|inf|-inf) at t = 0.2 ms"):
            _check_recorded(rows, sched, 1, sel, 0.1, ("neuron", "v"))
    rows = np.zeros((2, 3))
    rows[1, 0], rows[1, 1] = np.inf, -np.inf
    with pytest.raises(nl.NonFiniteStateError, match=r"neuron 4 of 'a' has v = inf"):
        _check_recorded(rows, sched, 1, sel, 0.1, ("neuron", "v"))
