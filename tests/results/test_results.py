"""SimResult as a data object: connectivity saved with a run, weight matrices, population
rates, informative lookups, equality and diff. Expected values are written out by hand or
built by a naive loop, never by the code under test."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import pickle
import sys

import numpy as np
import pytest

import neurolab as nl
from neurolab.base import io
from neurolab.results.records import assert_same, weight_matrix

NAN = math.nan


def explicit_net(seed=0):
    """3 explicit sources -> 2 delta LIF neurons through 4 hand-placed static synapses,
    presynaptic ids not sorted and delays not uniform (so the kernel reorders them)."""
    net = nl.Network(dt=0.1, seed=seed)
    net.add_spikes("src", 3, times=[1.0, 2.0, 3.0], indices=[0, 1, 2])
    net.add_lif("out", 2, nl.LIFParams(synapse="delta"))
    net.connect("src", "out", rule="explicit", pre_ids=[2, 0, 1, 2], post_ids=[1, 0, 1, 0],
                weight=np.array([0.1, 0.2, 0.3, 0.4]), delay=np.array([0.2, 0.0, 0.1, 0.0]),
                name="p")
    return net


# the matrix of explicit_net's weights, pre x post, written out by hand
HAND = np.array([[0.2, NAN],
                 [NAN, 0.3],
                 [0.4, 0.1]])


def plastic_net(seed=1):
    net = nl.Network(dt=0.1, seed=seed)
    net.add_poisson("inp", n=30, rates=60.0)
    net.add_lif("out", n=2, params=nl.LIFParams(synapse="conductance", v_rest=-74.0,
                                                 v_th=-54.0, v_reset=-60.0, tau_e=5.0))
    net.connect("inp", "out", rule="probability", p=0.6, weight=("uniform", 0.0, 0.5),
                stdp=nl.STDPParams(A_plus=5e-3, A_minus=5.25e-3, w_max=0.5))
    return net


# --------------------------------------------------------------------------- connectivity
def test_connectivity_is_kept_in_the_projections_own_synapse_order():
    res = explicit_net().run(10.0, progress=False, record_spikes="all")
    pre, post = res.connectivity["p"]
    assert pre.dtype == np.int64 and post.dtype == np.int64
    np.testing.assert_array_equal(pre, [2, 0, 1, 2])
    np.testing.assert_array_equal(post, [1, 0, 1, 0])
    np.testing.assert_array_equal(res.final_weights["p"], [0.1, 0.2, 0.3, 0.4])
    assert res.populations == {"src": 3, "out": 2}
    assert res.projections == {"p": ("src", "out")}


def test_dense_weight_matrix_puts_each_synapse_at_its_pair():
    res = explicit_net().run(10.0, progress=False, record_spikes="all")
    w = res.weight_matrix("p")
    assert w.shape == (3, 2) and w.dtype == np.float64
    np.testing.assert_array_equal(w, HAND)                   # NaN where no synapse
    np.testing.assert_array_equal(res.weight_matrix("p", fill=0.0), np.nan_to_num(HAND))
    np.testing.assert_array_equal(weight_matrix(res, "p"), HAND)


def test_weight_matrix_of_a_network_uses_its_current_weights():
    net = explicit_net()
    np.testing.assert_array_equal(weight_matrix(net, "p"), HAND)
    with pytest.raises(KeyError, match="unknown projection 'q'"):
        weight_matrix(net, "q")
    with pytest.raises(TypeError, match="t is only accepted with a SimResult"):
        weight_matrix(net, "p", t=0.0)
    with pytest.raises(TypeError, match="SimResult or a Network"):
        weight_matrix({"p": 1}, "p")


def test_sparse_weight_matrix_holds_exactly_the_synapses_and_explicit_zeros():
    sp = pytest.importorskip("scipy.sparse")
    net = nl.Network(dt=0.1, seed=0)
    net.add_spikes("src", 3, times=[1.0], indices=[0])
    net.add_lif("out", 2, nl.LIFParams(synapse="delta"))
    net.connect("src", "out", rule="explicit", pre_ids=[2, 0, 1], post_ids=[1, 0, 1],
                weight=np.array([0.1, 0.0, 0.3]), name="p")
    m = net.run(5.0, progress=False).weight_matrix("p", sparse=True)
    assert isinstance(m, sp.csr_array) and m.shape == (3, 2)
    assert m.nnz == 3                                    # the 0-weight synapse is stored
    np.testing.assert_array_equal(m.toarray(), [[0.0, 0.0], [0.0, 0.3], [0.0, 0.1]])
    np.testing.assert_array_equal(m.indptr, [0, 1, 2, 3])
    np.testing.assert_array_equal(m.indices, [0, 1, 1])


def test_sparse_without_scipy_says_how_to_get_it(monkeypatch):
    res = explicit_net().run(5.0, progress=False, record_spikes="all")
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(ImportError, match="needs scipy.*sparse=False"):
        res.weight_matrix("p", sparse=True)


def test_duplicate_pairs_are_refused_or_summed():
    net = nl.Network(dt=0.1, seed=0)
    net.add_spikes("src", 2, times=[1.0], indices=[0])
    net.add_lif("out", 2, nl.LIFParams(synapse="delta"))
    net.connect("src", "out", rule="explicit", pre_ids=[0, 1, 0], post_ids=[1, 0, 1],
                weight=np.array([0.125, 0.5, 0.25]), name="p")
    res = net.run(5.0, progress=False)
    with pytest.raises(ValueError, match=r"1 neuron pair.*pre 0 -> post 1, 2 synapses.*"
                                         r"duplicates='sum'"):
        res.weight_matrix("p")
    np.testing.assert_array_equal(res.weight_matrix("p", duplicates="sum"),
                                  [[NAN, 0.375], [0.5, NAN]])    # 0.125 + 0.25, exact
    with pytest.raises(ValueError, match="duplicates must be 'raise' or 'sum', got 'max'"):
        res.weight_matrix("p", duplicates="max")
    with pytest.raises(TypeError, match="fill must be a real number"):
        res.weight_matrix("p", duplicates="sum", fill="0")


def test_weight_matrix_at_a_sample_time_matches_a_naive_fill():
    res = plastic_net().run(60.0, record_weights={"inp->out": np.arange(0, 30, 2)},
                            weight_dt=10.0, progress=False)
    rec = res.weights["inp->out"]
    assert rec.w.shape == (6, 15)
    k = 4
    assert rec.t[k] == 40.0
    expected = np.full((30, 2), NAN)
    for j in range(rec.syn.size):                         # naive: one synapse at a time
        expected[rec.pre[j], rec.post[j]] = rec.w[k, j]
    np.testing.assert_array_equal(res.weight_matrix("inp->out", t=40.0), expected)
    # the sample times must have changed something, or the test could not fail
    assert not np.array_equal(rec.w[0], rec.w[-1])
    # t = t_end gives the final weights of every synapse
    pre, post = res.connectivity["inp->out"]
    final = np.full((30, 2), NAN)
    for j in range(pre.size):
        final[pre[j], post[j]] = res.final_weights["inp->out"][j]
    np.testing.assert_array_equal(res.weight_matrix("inp->out", t=60.0), final)
    np.testing.assert_array_equal(res.weight_matrix("inp->out"), final)
    with pytest.raises(ValueError, match=r"t=35.0 ms is not a sample time.*6 samples from "
                                         r"0.0 to 50.0 ms.*t_end=60.0"):
        res.weight_matrix("inp->out", t=35.0)


def test_weight_matrix_at_a_time_without_a_record_says_how_to_record():
    res = explicit_net().run(10.0, progress=False, record_spikes="all")
    with pytest.raises(KeyError, match=r"record_weights=\{'p': 'all'\}"):
        res.weight_matrix("p", t=5.0)
    with pytest.raises(KeyError, match=r"unknown projection 'q'; projections of this run: "
                                       r"\['p'\]"):
        res.weight_matrix("q")
    with pytest.raises(TypeError, match="t must be None or a time in ms"):
        res.weight_matrix("p", t="5")


# --------------------------------------------------------------------------- save / load
def test_saved_run_keeps_connectivity_and_every_population_size(tmp_path):
    net = explicit_net()
    res = net.run(10.0, record_spikes=["out"], progress=False)
    res.save(tmp_path / "r")
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    assert meta["format"] == "neurolab-run-2"
    assert meta["sizes"] == {"src": 3, "out": 2}           # "src" spikes were not recorded
    assert meta["projections"] == {"p": ["src", "out"]}
    stored = io.load_npz(tmp_path / "r" / "weights.npz")
    np.testing.assert_array_equal(stored["p/pre_ids"], [2, 0, 1, 2])
    np.testing.assert_array_equal(stored["p/post_ids"], [1, 0, 1, 0])
    back = nl.load_run(tmp_path / "r")
    assert back.populations == {"src": 3, "out": 2}
    assert back.projections == {"p": ("src", "out")}
    assert back.connectivity["p"][0].dtype == np.int64
    np.testing.assert_array_equal(back.weight_matrix("p"), HAND)
    assert back == res
    assert back.diff(res, ignore=()) == []


def test_delays_are_kept_in_synapse_order_and_saved(tmp_path):
    res = explicit_net().run(10.0, record_spikes=["out"], progress=False)
    np.testing.assert_array_equal(res.delays["p"], [0.2, 0.0, 0.1, 0.0])   # as connected
    assert res.delays["p"].dtype == np.float64
    res.save(tmp_path / "r")
    np.testing.assert_array_equal(io.load_npz(tmp_path / "r" / "weights.npz")["p/delay"],
                                  [0.2, 0.0, 0.1, 0.0])
    back = nl.load_run(tmp_path / "r")
    np.testing.assert_array_equal(back.delays["p"], [0.2, 0.0, 0.1, 0.0])
    other = dataclasses.replace(back, delays={"p": np.array([0.2, 0.0, 0.3, 0.0])})
    assert other.diff(back) == ["delays['p']: 1 of 4 elements differ, first at index 2: "
                                "0.3 vs 0.1"]


def _make_old_format(folder):
    """Rewrite a saved run as neurolab-run-1 wrote it: no connectivity arrays in
    weights.npz, no sizes/projections in run.json."""
    weights = io.load_npz(folder / "weights.npz")
    kept = {k: v for k, v in weights.items()
            if not k.endswith(("/pre_ids", "/post_ids", "/delay"))}
    io.save_npz(folder / "weights.npz", kept)
    meta = json.loads((folder / "run.json").read_text())
    del meta["sizes"], meta["projections"]
    meta["format"] = "neurolab-run-1"
    meta["sha256"]["weights.npz"] = io.sha256_file(folder / "weights.npz")
    io.atomic_write_json(folder / "run.json", meta)


def test_runs_saved_before_connectivity_still_load(tmp_path):
    res = plastic_net().run(30.0, record_weights={"inp->out": "all"}, weight_dt=10.0,
                            record_spikes=["out"], progress=False)
    res.save(tmp_path / "old")
    _make_old_format(tmp_path / "old")
    back = nl.load_run(tmp_path / "old")
    assert back.connectivity == {}
    assert back.populations == {"inp": 30, "out": 2}       # from params["network"]
    assert back.projections == {"inp->out": ("inp", "out")}
    np.testing.assert_array_equal(back.final_weights["inp->out"],
                                  res.final_weights["inp->out"])
    with pytest.raises(ValueError, match="holds no connectivity for projection 'inp->out'"):
        back.weight_matrix("inp->out")
    # a recorded sample still maps to neurons through the record's own pre/post ids
    np.testing.assert_array_equal(back.weight_matrix("inp->out", t=20.0),
                                  res.weight_matrix("inp->out", t=20.0))
    assert back.delays == {}
    assert back.diff(res) == ["connectivity['inp->out']: only in other",
                              "delays['inp->out']: only in other"]


def test_unknown_run_format_is_refused(tmp_path):
    explicit_net().run(5.0, progress=False, record_spikes="all").save(tmp_path / "r")
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    meta["format"] = "neurolab-run-99"
    io.atomic_write_json(tmp_path / "r" / "run.json", meta)
    with pytest.raises(ValueError, match="format 'neurolab-run-99' is not one this version"):
        nl.load_run(tmp_path / "r")


# --------------------------------------------------------------------------- population rate
def hand_result(t, i, n, t_end, dt=0.1):
    return nl.SimResult(dt=dt, duration=t_end, t_end=t_end, interrupted=False, seed=0,
                        params={}, spikes={"a": nl.SpikeRecord(np.asarray(t, float),
                                                               np.asarray(i, np.int64), n)})


def test_population_rate_by_hand_with_a_partial_last_bin():
    # 2 neurons, 12.5 ms, bins of 5 ms: [0, 5) [5, 10) [10, 12.5)
    t = [0.0, 0.5, 4.9, 5.0, 9.9, 10.0, 12.4]
    res = hand_result(t, [0, 1, 0, 1, 1, 0, 1], n=2, t_end=12.5)
    start, rate = res.population_rate("a", 5.0)
    np.testing.assert_allclose(start, [0.0, 5.0, 10.0])
    # 3 spikes / (2 neurons x 5 ms), 2 / (2 x 5 ms), 2 / (2 x 2.5 ms)
    np.testing.assert_allclose(rate, [300.0, 200.0, 400.0], rtol=1e-12)


def test_population_rate_whole_bins_and_bins_off_the_float_grid():
    # 3 neurons, 10 ms in bins of 0.3 ms (3 steps): spikes at steps 2, 3, 3 and 99
    res = hand_result([0.2, 0.30000000000000004, 0.3, 9.9], [0, 1, 2, 0], n=3, t_end=10.0)
    start, rate = res.population_rate("a", 0.3)
    assert start.size == 34                              # 33 bins of 0.3 ms + one of 0.1
    expected = np.zeros(34)
    expected[0] = 1 / (3 * 0.3e-3)                       # step 2
    expected[1] = 2 / (3 * 0.3e-3)                       # steps 3, 3
    expected[33] = 1 / (3 * 0.1e-3)                      # step 99, in the last 0.1 ms
    np.testing.assert_allclose(rate, expected, rtol=1e-12)
    s2, r2 = hand_result([1.0, 7.5], [0, 0], n=1, t_end=10.0).population_rate("a", 5.0)
    np.testing.assert_allclose(r2, [200.0, 200.0])       # no partial bin
    assert hand_result([], [], n=1, t_end=0.0).population_rate("a", 1.0)[0].size == 0


def test_population_rate_of_a_run_matches_its_spike_count():
    net = nl.Network(dt=0.1, seed=0)
    net.add_spikes("src", 4, times=[0.0, 3.3, 3.3, 7.0, 7.1], indices=[0, 1, 2, 0, 3])
    net.add_lif("out", 1)
    res = net.run(7.5, progress=False, record_spikes="all")
    start, rate = res.population_rate("src", 3.0)
    np.testing.assert_allclose(start, [0.0, 3.0, 6.0])
    # [0,3): 1 spike; [3,6): 2; [6,7.5): 2, over 4 neurons
    np.testing.assert_allclose(rate, [1 / (4 * 3e-3), 2 / (4 * 3e-3), 2 / (4 * 1.5e-3)],
                               rtol=1e-12)


def test_population_rate_checks_its_arguments():
    res = hand_result([1.0], [0], n=1, t_end=10.0)
    for bad in (0.25, 0.0, -1.0, math.inf):
        with pytest.raises(ValueError, match=rf"bin_ms must be a positive multiple of "
                                             rf"dt=0.1 ms, got {bad!r}"):
            res.population_rate("a", bad)
    with pytest.raises(TypeError, match="bin_ms must be a number"):
        res.population_rate("a", "5")
    with pytest.raises(KeyError, match="spikes of population 'b' were not recorded"):
        res.population_rate("b", 1.0)


# --------------------------------------------------------------------------- lookups
def test_unrecorded_lookups_name_what_was_recorded_and_how_to_record():
    res = plastic_net().run(5.0, record_spikes=["out"], progress=False)
    with pytest.raises(KeyError) as err:
        res.weights["inp->out"]
    msg = str(err.value)
    assert "projection 'inp->out' has no weight record; recorded: []" in msg
    assert "record_weights={'inp->out': 'all'}" in msg
    with pytest.raises(KeyError, match="unknown projection 'x'; projections of this run: "
                                       r"\['inp->out'\]"):
        res.weights["x"]
    with pytest.raises(KeyError, match=r"spikes of population 'inp' were not recorded; "
                                       r"recorded: \['out'\].*record_spikes"):
        res.spikes["inp"]
    with pytest.raises(KeyError, match=r"state of population 'out' was not recorded.*"
                                       r"record_state=\{'out': 'all'\}"):
        res.state["out"]
    with pytest.raises(KeyError, match="unknown population 'zz'; populations of this run: "
                                       r"\['inp', 'out'\]"):
        res.spike_trains("zz")
    with pytest.raises(KeyError, match="unknown projection 'x'"):
        res.final_weights["x"]
    # dict behaviour is otherwise unchanged
    assert res.weights.get("inp->out") is None and "inp->out" not in res.weights
    assert res.spikes["out"].n == 2
    # copies keep the informative lookups
    for back in (pickle.loads(pickle.dumps(res)), copy.deepcopy(res),
                 dataclasses.replace(res, t_end=4.0)):
        assert back.weights.owner is back
        with pytest.raises(KeyError, match="record_weights"):
            back.weights["inp->out"]
    assert pickle.loads(pickle.dumps(res)) == res
    assert dataclasses.replace(res, t_end=4.0).diff(res) == ["t_end: 4.0 vs 5.0"]
    plain = dataclasses.asdict(res)
    with pytest.raises(KeyError, match=r"'x' not found; keys: \['out'\]"):
        plain["spikes"]["x"]


# --------------------------------------------------------------------------- equality
def small(**changes):
    fields = dict(dt=0.1, duration=2.0, t_end=2.0, interrupted=False, seed=0,
                  params={"run": {"duration": 2.0}},
                  spikes={"a": nl.SpikeRecord(np.array([0.1, 0.5]), np.array([0, 1]), 2)},
                  final_weights={"p": np.array([0.1, 0.2, 0.3])},
                  populations={"a": 2}, projections={"p": ("a", "a")},
                  connectivity={"p": (np.array([0, 1, 1]), np.array([1, 0, 1]))})
    fields.update(changes)
    return nl.SimResult(**fields)


def test_equal_results_compare_equal_and_differences_are_listed():
    a, b = small(), small()
    assert a == b and not (a != b) and a.equal(b) and a.diff(b) == []
    c = small(final_weights={"p": np.array([0.1, 0.5, 0.3])})
    assert a != c and not a.equal(c)
    assert a.diff(c) == ["final_weights['p']: 1 of 3 elements differ, first at index 1: "
                         "0.2 vs 0.5"]
    d = small(spikes={"b": nl.SpikeRecord(np.array([0.1]), np.array([0]), 1)})
    assert a.diff(d) == ["spikes['a']: only in self", "spikes['b']: only in other"]
    e = small(spikes={"a": nl.SpikeRecord(np.array([0.1]), np.array([0]), 2)})
    assert a.diff(e) == ["spikes['a'].t: shape (2,) vs (1,)",
                         "spikes['a'].i: shape (2,) vs (1,)"]
    f = small(connectivity={"p": (np.array([0, 1, 1], np.int32), np.array([1, 0, 1]))})
    assert a.diff(f) == ["connectivity['p'].pre_ids: dtype int64 vs int32"]
    with pytest.raises(AssertionError, match=r"results differ:\n  final_weights\['p'\]"):
        assert_same(a, c)
    assert_same(a, b)


def test_equality_is_bitwise():
    nan = small(final_weights={"p": np.array([0.1, NAN, 0.3])})
    assert nan == small(final_weights={"p": np.array([0.1, NAN, 0.3])})   # same bits
    zero = small(final_weights={"p": np.array([0.0, 0.2, 0.3])})
    negzero = small(final_weights={"p": np.array([-0.0, 0.2, 0.3])})
    assert zero != negzero
    assert zero.diff(negzero) == ["final_weights['p']: 1 of 3 elements differ, first at "
                                  "index 0: 0.0 vs -0.0"]
    tiny = small(final_weights={"p": np.array([0.1, 0.2, 0.3 + 5.6e-17])})
    assert small() != tiny                                       # one ulp apart


def test_params_count_for_eq_but_not_for_equal_by_default():
    a, b = small(), small(params={"run": {"duration": 1.0}})
    assert a != b
    assert a.equal(b)
    assert a.diff(b, ignore=()) == ["params['run']['duration']: 2.0 vs 1.0"]
    assert a.diff(small(t_end=1.5), ignore=("params", "t_end")) == []
    with pytest.raises(ValueError, match="ignore names an unknown field 'parms'"):
        a.diff(b, ignore=("parms",))
    with pytest.raises(TypeError, match="other must be a SimResult, got dict"):
        a.diff({})
    assert (a == {}) is False
    with pytest.raises(TypeError, match="unhashable"):
        hash(a)


def test_records_compare_bitwise_too():
    r = nl.SpikeRecord(np.array([1.0]), np.array([0]), 1)
    assert r == nl.SpikeRecord(np.array([1.0]), np.array([0]), 1)
    assert r != nl.SpikeRecord(np.array([1.0]), np.array([0]), 2)
    s = nl.StateRecord(np.array([0.0]), np.array([0]), v=np.array([[-70.0]]))
    assert s != nl.StateRecord(np.array([0.0]), np.array([0]), v=np.array([[-70.0]]),
                               ge=np.array([[0.0]]))


def test_two_runs_of_one_network_are_equal_and_another_seed_is_not():
    kw = dict(record_weights={"inp->out": "all"}, weight_dt=5.0, progress=False,
              record_spikes="all")
    a = plastic_net(seed=4).run(40.0, **kw)
    b = plastic_net(seed=4).run(40.0, **kw)
    c = plastic_net(seed=5).run(40.0, **kw)
    assert a == b
    assert a != c
    lines = a.diff(c)
    assert any(line.startswith("spikes['inp'].t") for line in lines)
