"""Connectivity and initial values of projections: fixed_outdegree, subgroups (``E[:100]``),
weights and delays given as numbers, arrays or distributions, the sign rule for weights,
the delay grid, and size arithmetic.

Expected values are listed by hand, computed by an independent naive loop, drawn directly
from numpy with the documented seed, or (for bit-identity with earlier releases) hashes
recorded with the code as it was before distributions existed (commit f2357fe).
"""

from __future__ import annotations

import hashlib
import math
import re

import numpy as np
import pytest

import neurolab as nl
from neurolab.model.populations import Population
from neurolab.model.connectivity import estimate_synapses

SIGN = "weights are magnitudes >= 0; use receptor='inh' for inhibition"


def has(*fragments) -> str:
    return "(?s)" + "".join(f"(?=.*{re.escape(str(f))})" for f in fragments)


def pairs(proj):
    return list(zip(proj.pre_ids.tolist(), proj.post_ids.tolist()))


def stream(seed, index):
    """The projection's generator, as documented: [seed, stream 1 (connect), index]."""
    return np.random.default_rng([seed, 1, index])


# ------------------------------------------------------------------ same seed, same network
GOLDEN = {  # sha256[:16] of pre_ids, post_ids, weight, recorded with commit f2357fe
    (0, "a->e"): "fbbafc95a5b2d64b", (0, "e->e"): "d69948d45c1cc711",
    (0, "fi1"): "e957c2132b7b5f79", (0, "fi2"): "dc1e759dfb5ec1b2",
    (0, "fi3"): "a4762fb42f5c4c6d", (0, "aa"): "4a25cce4e6bec445",
    (0, "aa2"): "0a61501cc1bda2ab",
    (7, "a->e"): "4ea1a169cfb4b5d5", (7, "e->e"): "4ee29ed41b33d7e9",
    (7, "fi1"): "ec2ad662c192ae25", (7, "fi2"): "6f6c80b793f23eec",
    (7, "fi3"): "24547bc0df363bfe", (7, "aa"): "da7096ff656409fb",
    (7, "aa2"): "6e6237139d009ede",
}


@pytest.mark.parametrize("seed", [0, 7])
def test_same_seed_gives_the_same_networks_as_before_distributions(seed):
    net = nl.Network(dt=0.1, seed=seed)
    net.add_poisson("a", 40, 10.0)
    net.add_lif("e", 30)
    cases = [("a", "e", dict(rule="probability", p=0.2)),
             ("e", "e", dict(rule="probability", p=0.3, autapses=False)),
             ("a", "e", dict(rule="fixed_indegree", k=5, name="fi1")),
             ("e", "e", dict(rule="fixed_indegree", k=7, autapses=False, name="fi2")),
             ("e", "e", dict(rule="fixed_indegree", k=25, autapses=False, name="fi3")),
             ("a", "e", dict(rule="all_to_all", name="aa")),
             ("e", "e", dict(rule="all_to_all", autapses=False, name="aa2"))]
    for pre, post, kw in cases:
        pr = net.connect(pre, post, weight=("uniform", 0.1, 0.9), **kw)
        digest = hashlib.sha256(pr.pre_ids.tobytes() + pr.post_ids.tobytes()
                                + pr.weight.tobytes()).hexdigest()[:16]
        assert digest == GOLDEN[(seed, pr.name)], pr.name


def test_uniform_weights_are_numpy_uniform_on_the_projection_stream():
    net = nl.Network(seed=4)
    net.add_poisson("a", 20, 5.0)
    net.add_lif("b", 3, nl.LIFParams(synapse="conductance"))
    net.connect("a", "b", weight=0.1, name="first")  # index 0: draws nothing
    pr = net.connect("a", "b", weight=("uniform", 0.0, 0.05),
                     stdp=nl.STDPParams(w_max=0.05))  # index 1, all_to_all: no draws before
    want = stream(4, 1).uniform(0.0, 0.05, size=60)
    assert np.array_equal(pr.weight, want)


# ------------------------------------------------------------------ fixed_outdegree
def test_fixed_outdegree_exact_degrees_distinct_partners_and_order():
    net = nl.Network(seed=2)
    a = net.add_poisson("a", 300, 1.0)
    b = net.add_lif("b", 50)
    pr = net.connect(a, b, rule="fixed_outdegree", k=10)
    assert pr.n_syn == 3000
    assert np.all(np.bincount(pr.pre_ids, minlength=300) == 10)
    assert len(set(pairs(pr))) == 3000  # no repeated pair
    assert pairs(pr) == sorted(pairs(pr))  # by pre, then post
    assert pr.spec["rule"] == "fixed_outdegree" and pr.spec["k"] == 10


def test_fixed_outdegree_in_degrees_are_binomial():
    # each of 2000 pre neurons picks 10 of 50 posts: the in-degree of a post is
    # Binomial(2000, 1/5): mean 400, variance 2000 * 0.2 * 0.8 = 320
    net = nl.Network(seed=3)
    a = net.add_poisson("a", 2000, 1.0)
    b = net.add_lif("b", 50)
    indeg = np.bincount(net.connect(a, b, "fixed_outdegree", k=10).post_ids, minlength=50)
    assert indeg.sum() == 20000
    assert 0.5 * 320 < indeg.var(ddof=1) < 1.7 * 320
    assert abs(indeg[:25].mean() - indeg[25:].mean()) < 4 * math.sqrt(2 * 320 / 25)


def test_fixed_outdegree_dense_branch_and_full_degree():
    net = nl.Network(seed=1)
    a = net.add_poisson("a", 30, 1.0)
    b = net.add_lif("b", 12)
    dense = net.connect(a, b, "fixed_outdegree", k=9)  # k^2 > n_post: without replacement
    assert np.all(np.bincount(dense.pre_ids, minlength=30) == 9)
    assert len(set(pairs(dense))) == 270 and pairs(dense) == sorted(pairs(dense))
    full = net.connect(a, b, "fixed_outdegree", k=12, name="full")
    assert pairs(full) == [(i, j) for i in range(30) for j in range(12)]


def test_fixed_outdegree_without_autapses():
    net = nl.Network(seed=5)
    e = net.add_lif("e", 30)
    pr = net.connect(e, e, "fixed_outdegree", k=29, autapses=False)
    assert pairs(pr) == [(i, j) for i in range(30) for j in range(30) if i != j]
    pr = net.connect(e, e, "fixed_outdegree", k=4, autapses=False, name="sparse")
    assert not np.any(pr.pre_ids == pr.post_ids)
    assert np.all(np.bincount(pr.pre_ids, minlength=30) == 4)
    with pytest.raises(ValueError, match=has("k", "29", "30", "autapses excluded")):
        net.connect(e, e, "fixed_outdegree", k=30, autapses=False, name="x")
    with_self = net.connect(e, e, "fixed_outdegree", k=30, name="all")
    assert with_self.n_syn == 900


def test_fixed_outdegree_partners_are_uniform_without_autapses():
    # 4 neurons, k = 1, no autapses: neuron 0's partner is 1, 2 or 3 with probability 1/3
    net = nl.Network(seed=11)
    e = net.add_lif("e", 4)
    counts = np.zeros(4, int)
    for i in range(600):
        pr = net.connect(e, e, "fixed_outdegree", k=1, autapses=False, name=f"p{i}")
        counts[pr.post_ids[pr.pre_ids == 0]] += 1
    assert counts[0] == 0
    assert np.all(np.abs(counts[1:] - 200) < 4.5 * math.sqrt(600 * (1 / 3) * (2 / 3)))


def test_degree_rules_need_k_and_refuse_p():
    net = nl.Network()
    a = net.add_poisson("a", 5, 1.0)
    b = net.add_lif("b", 3)
    with pytest.raises(ValueError, match=has("fixed_outdegree", "k", "None")):
        net.connect(a, b, "fixed_outdegree")
    with pytest.raises(ValueError, match=has("k", "4", "<= 3")):
        net.connect(a, b, "fixed_outdegree", k=4)
    with pytest.raises(ValueError, match=has("p", "0.5", "probability")):
        net.connect(a, b, "fixed_outdegree", k=1, p=0.5)
    with pytest.raises(ValueError, match=has("k", "fixed_outdegree", "probability")):
        net.connect(a, b, "probability", p=0.5, k=1)
    assert net.connect(a, b, "fixed_outdegree", k=0).n_syn == 0


# ------------------------------------------------------------------ subgroups
@pytest.fixture
def ei():
    net = nl.Network(seed=1)
    return net, net.add_lif("E", 100), net.add_lif("I", 25)


@pytest.mark.parametrize("key, ids, name", [
    (slice(None, 10), list(range(10)), "E[0:10]"),
    (slice(90, None), list(range(90, 100)), "E[90:100]"),
    (slice(10, 20), list(range(10, 20)), "E[10:20]"),
    (slice(None), list(range(100)), "E[0:100]"),
    (slice(0, 10, 3), [0, 3, 6, 9], "E[0:10:3]"),
    (7, [7], "E[7]"),
    (np.int64(99), [99], "E[99]"),
    ([1, 5, 7], [1, 5, 7], "E[1,5,7]"),
    (np.array([4, 5, 6]), [4, 5, 6], "E[4:7]"),  # contiguous: the slice's name
    (range(2, 8, 2), [2, 4, 6], "E[2:7:2]"),
])
def test_subgroup_ids_and_names(ei, key, ids, name):
    _, E, _ = ei
    sub = E[key]
    assert sub.population is E and sub.n == len(ids)
    assert sub.ids.dtype == np.int64 and sub.ids.tolist() == ids
    assert sub.name == name
    assert sub.kind == "lif"


def test_subgroup_of_many_scattered_ids_has_a_distinct_name(ei):
    _, E, _ = ei
    a = E[[0, 2, 3, 5, 8, 13, 21, 34, 55, 89]]
    b = E[[0, 2, 3, 5, 8, 13, 21, 34, 56, 89]]
    assert a.name.startswith("E[10 ids 0..89") and a.name != b.name
    assert E[[0, 2, 3, 5, 8, 13, 21, 34, 55, 89]].name == a.name


def test_subgroup_of_a_subgroup_is_a_subgroup_of_the_parent(ei):
    _, E, _ = ei
    sub = E[20:40][5:10]
    assert sub.population is E and sub.ids.tolist() == [25, 26, 27, 28, 29]
    assert E[[3, 6, 9, 12]][[1, 3]].ids.tolist() == [6, 12]
    with pytest.raises(ValueError, match=has("E[20:40]", "stop", "25")):
        E[20:40][0:25]


@pytest.mark.parametrize("key, err, fragments", [
    (slice(-10, None), ValueError, ["negative"]),
    (slice(0, -1), ValueError, ["negative"]),
    (slice(0, 101), ValueError, ["stop", "100", "101"]),
    (slice(150, 160), ValueError, ["stop", "160"]),
    (slice(5, 5), ValueError, ["empty"]),
    (slice(6, 5), ValueError, ["empty"]),
    (slice(None, None, -1), ValueError, ["step", "-1"]),
    (slice(0, 10, 0), ValueError, ["step", "0"]),
    (slice(0.5, 3), TypeError, ["start", "0.5"]),
    (-1, ValueError, ["-1", "[0, 100)"]),
    (100, ValueError, ["100", "[0, 100)"]),
    ([], ValueError, ["no indices"]),
    ([3, 1], ValueError, ["increasing", "1", "3"]),
    ([1, 1], ValueError, ["increasing", "repeats"]),
    ([0, 100], ValueError, ["100", "[0, 100)"]),
    ([0, -2], ValueError, ["-2"]),
    (np.ones(100, bool), TypeError, ["boolean", "flatnonzero"]),
    (1.0, TypeError, ["1.0", "integer"]),
    ("a", TypeError, ["'a'"]),
    (True, TypeError, ["True"]),
])
def test_bad_subgroup_keys(ei, key, err, fragments):
    _, E, _ = ei
    with pytest.raises(err, match=has("E[", *fragments)):
        E[key]


def test_subgroup_ids_are_read_only(ei):
    _, E, _ = ei
    with pytest.raises(ValueError):
        E[0:5].ids[0] = 3


def test_all_to_all_between_subgroups_maps_to_parent_ids(ei):
    net, E, I = ei
    pr = net.connect(E[2:5], I[[0, 3]])
    assert pr.name == "E[2:5]->I[0,3]"
    assert pr.pre is E and pr.post is I
    assert pairs(pr) == [(2, 0), (2, 3), (3, 0), (3, 3), (4, 0), (4, 3)]
    assert pr.spec["pre_subgroup"] == "E[2:5]" and pr.spec["post_subgroup"] == "I[0,3]"
    assert pr.to_dict()["pre"] == "E"


def test_default_names_stay_unique(ei):
    net, E, I = ei
    assert net.connect(E[:50], I).name == "E[0:50]->I"
    assert net.connect(E[50:], I).name == "E[50:100]->I"
    assert net.connect(E, I).name == "E->I"
    with pytest.raises(ValueError, match=has("E[0:50]->I", "already used")):
        net.connect(E[0:50], I)


def test_one_to_one_and_explicit_on_subgroups(ei):
    net, E, I = ei
    assert pairs(net.connect(E[0:3], I[1:4], "one_to_one")) == [(0, 1), (1, 2), (2, 3)]
    pr = net.connect(E[[2, 5, 7]], I, "explicit", pre_ids=[0, 2, 2], post_ids=[1, 1, 24])
    assert pairs(pr) == [(2, 1), (7, 1), (7, 24)]
    with pytest.raises(ValueError, match=has("pre_ids", "3", "[0, 3)")):
        net.connect(E[[2, 5, 7]], I, "explicit", pre_ids=[3], post_ids=[0], name="x")
    with pytest.raises(ValueError, match=has("one_to_one", "3", "2")):
        net.connect(E[0:3], I[0:2], "one_to_one", name="x")


def test_random_rules_on_subgroups_stay_inside_them(ei):
    net, E, I = ei
    fi = net.connect(E[40:60], I[5:10], "fixed_indegree", k=4)
    assert set(fi.pre_ids.tolist()) <= set(range(40, 60))
    assert np.array_equal(np.bincount(fi.post_ids, minlength=25),
                          [0] * 5 + [4] * 5 + [0] * 15)
    fo = net.connect(E[40:60], I[5:10], "fixed_outdegree", k=2, name="fo")
    assert np.array_equal(np.bincount(fo.pre_ids, minlength=100),
                          [0] * 40 + [2] * 20 + [0] * 40)
    assert set(fo.post_ids.tolist()) <= set(range(5, 10))
    pb = net.connect(E[::2], I[0], "probability", p=1.0)
    assert pairs(pb) == [(i, 0) for i in range(0, 100, 2)]


def test_subgroup_as_post_must_be_lif_and_of_this_network(ei):
    net, E, I = ei
    src = net.add_poisson("src", 10, 1.0)
    assert net.connect(src[2:4], E[0:2]).pre is src
    with pytest.raises(ValueError, match=has("post", "src[0:2]", "poisson")):
        net.connect(E, src[0:2])
    other = nl.Network().add_lif("E", 100)
    with pytest.raises(ValueError, match=has("pre", "must be a population of this network")):
        net.connect(other[0:5], I)


def naive_pairs(pre_ids, post_ids, autapses):
    return [(i, j) for i in pre_ids for j in post_ids if autapses or i != j]


def test_overlapping_subgroups_without_autapses(ei):
    net, E, _ = ei
    pre, post = E[0:6], E[3:10]
    aa = net.connect(pre, post, autapses=False)
    assert pairs(aa) == naive_pairs(range(0, 6), range(3, 10), False)  # 6*7 - 3 = 39 pairs
    assert aa.n_syn == 39
    assert pairs(net.connect(pre, post, "probability", p=1.0, autapses=False, name="p1")) \
        == naive_pairs(range(0, 6), range(3, 10), False)
    pb = net.connect(pre, post, "probability", p=0.5, autapses=False, name="p5")
    assert not np.any(pb.pre_ids == pb.post_ids)
    assert set(pairs(pb)) <= set(naive_pairs(range(0, 6), range(3, 10), False))
    fi = net.connect(pre, post, "fixed_indegree", k=5, autapses=False, name="fi")
    assert not np.any(fi.pre_ids == fi.post_ids)
    assert np.array_equal(np.bincount(fi.post_ids, minlength=10), [0] * 3 + [5] * 7)
    assert len(set(pairs(fi))) == 35 and pairs(fi) == sorted(pairs(fi))
    fo = net.connect(pre, post, "fixed_outdegree", k=6, autapses=False, name="fo")
    assert not np.any(fo.pre_ids == fo.post_ids)
    assert np.array_equal(np.bincount(fo.pre_ids, minlength=10), [6] * 6 + [0] * 4)
    with pytest.raises(ValueError, match=has("k", "<= 5", "6", "autapses excluded")):
        net.connect(pre, post, "fixed_indegree", k=6, autapses=False, name="x")
    o2o = net.connect(E[0:4], E[2:6], "one_to_one", autapses=False, name="o2o")
    assert pairs(o2o) == [(0, 2), (1, 3), (2, 4), (3, 5)]  # no pair is an autapse
    o2o = net.connect(E[0:4], E[[0, 2, 5, 7]], "one_to_one", autapses=True, name="o2o_self")
    assert pairs(o2o) == [(0, 0), (1, 2), (2, 5), (3, 7)]
    o2o = net.connect(E[0:4], E[[0, 2, 5, 7]], "one_to_one", autapses=False, name="o2o_drop")
    assert pairs(o2o) == [(1, 2), (2, 5), (3, 7)]  # 0->0 is an autapse: not made
    with pytest.raises(ValueError, match=has("autapse", "0->2", "index 1", "neuron 2 of 'E'",
                                             "autapses=False")):
        net.connect(E[2:5], E[0:4], "explicit", pre_ids=[1, 0], post_ids=[0, 2],
                    autapses=False, name="x")
    # disjoint subgroups of one population: no pair can be an autapse
    assert net.connect(E[0:3], E[3:5], autapses=False, name="dj").n_syn == 6


def test_identical_subgroups_draw_like_the_whole_population():
    def build(sub):
        net = nl.Network(seed=6)
        e = net.add_lif("e", 40)
        g = e[:] if sub else e
        return [net.connect(g, g, rule, autapses=False, name=rule, **kw)
                for rule, kw in (("fixed_indegree", dict(k=6)), ("probability", dict(p=0.2)),
                                 ("fixed_outdegree", dict(k=6)), ("all_to_all", {}))]
    for a, b in zip(build(False), build(True)):
        assert pairs(a) == pairs(b)


def test_overlapping_fixed_indegree_partners_are_uniform():
    # post neuron 3 of E[3:5] (also pre neuron 3 of E[0:5]) draws 1 partner among 0,1,2,4
    net = nl.Network(seed=21)
    e = net.add_lif("e", 5)
    counts = np.zeros(5, int)
    for i in range(800):
        pr = net.connect(e[0:5], e[3:5], "fixed_indegree", k=1, autapses=False, name=f"p{i}")
        counts[pr.pre_ids[pr.post_ids == 3]] += 1
    assert counts[3] == 0
    assert np.all(np.abs(counts[[0, 1, 2, 4]] - 200) < 4.5 * math.sqrt(800 * 0.25 * 0.75))


# ------------------------------------------------------------------ weights and the sign rule
@pytest.fixture
def two():
    net = nl.Network(seed=3)
    return net, net.add_poisson("a", 10, 5.0), net.add_lif("b", 4)


@pytest.mark.parametrize("synapse", ["delta", "current", "conductance"])
@pytest.mark.parametrize("weight, fragments", [
    (-0.5, ["-0.5"]),
    (np.r_[np.full(7, 0.1), -2.0, np.full(32, 0.1)], ["-2.0", "index 7"]),
    (("uniform", -1.0, 1.0), ["('uniform', -1.0, 1.0)", "lo < 0"]),
    (("normal", 0.0, 1.0), ["('normal', 0.0, 1.0)", "mean <= 0"]),
    (["normal", -0.2, 0.1], ["['normal', -0.2, 0.1]"]),
])
def test_negative_weights_are_refused_on_every_synapse_type(synapse, weight, fragments):
    net = nl.Network()
    a = net.add_poisson("a", 10, 5.0)
    b = net.add_lif("b", 4, nl.LIFParams(synapse=synapse))
    for receptor in ("exc", "inh"):
        with pytest.raises(ValueError, match=has("weight", SIGN, *fragments)):
            net.connect(a, b, weight=weight, receptor=receptor)


def test_negative_w_min_is_refused(two):
    net, a, b = two
    with pytest.raises(ValueError, match=has("w_min", "-0.1", SIGN)):
        net.connect(a, b, weight=0.5, stdp=nl.STDPParams(w_min=-0.1), receptor="inh")


def test_zero_and_positive_inhibitory_weights_are_accepted(two):
    net, a, b = two
    assert np.all(net.connect(a, b, weight=0.0, receptor="inh").weight == 0.0)
    assert np.all(net.connect(a, b, weight=2.0, receptor="inh", name="i2").weight == 2.0)


def test_plastic_weights_outside_w_min_w_max_are_refused(two):
    net, a, b = two
    s = nl.STDPParams(w_min=0.1, w_max=0.5)
    with pytest.raises(ValueError, match=has("weight", "[0.1, 0.5]", "0.6", "w_min, w_max")):
        net.connect(a, b, weight=0.6, stdp=s)
    w = np.full(40, 0.3)
    w[12] = 0.05
    with pytest.raises(ValueError, match=has("weight", "0.05", "index 12", "w_min, w_max")):
        net.connect(a, b, weight=w, stdp=s)


def test_drawn_weights_are_truncated_to_the_bounds(two):
    net, a, b = two
    s = nl.STDPParams(w_min=0.1, w_max=0.5)
    pr = net.connect(a, b, weight=("normal", 0.3, 0.2), stdp=s, name="plastic")
    assert pr.weight.min() >= 0.1 and pr.weight.max() <= 0.5
    assert len(np.unique(pr.weight)) == pr.n_syn  # redrawn, not clipped onto the bounds
    static = net.connect(a, b, weight=("normal", 0.05, 0.1), name="static")
    assert static.weight.min() >= 0.0


def test_lognormal_weights_have_the_given_mean(two):
    net, a, _ = two
    big = net.add_lif("big", 2000)
    pr = net.connect(a, big, weight=("lognormal", 0.5, 0.25))
    # 20000 draws: standard error of the mean 0.25 / sqrt(2e4) = 1.8e-3
    assert abs(pr.weight.mean() - 0.5) < 9e-3
    assert abs(pr.weight.std() - 0.25) < 1.5e-2


def test_json_list_is_the_tuple():
    def build(w):
        net = nl.Network(seed=8)
        net.add_poisson("a", 10, 5.0)
        net.add_lif("b", 4)
        return net.connect("a", "b", "probability", p=0.5, weight=w).weight
    assert np.array_equal(build(["normal", 1.0, 0.3]), build(("normal", 1.0, 0.3)))


def test_bad_weight_distribution_is_named(two):
    net, a, b = two
    with pytest.raises(ValueError, match=has("weight", "'gamma'", "uniform", "lognormal")):
        net.connect(a, b, weight=("gamma", 1.0, 1.0))


# ------------------------------------------------------------------ delays and the dt grid
def test_explicit_delays_on_the_grid_are_kept_as_given(two):
    net, a, b = two
    given = np.arange(40) * 0.1
    pr = net.connect(a, b, delay=given)
    assert np.array_equal(pr.delay, given)


@pytest.mark.parametrize("delay, bad", [(0.25, "0.25"), (np.r_[np.zeros(5), 0.33, np.zeros(34)],
                                                         "0.33")])
def test_explicit_delays_off_the_grid_are_refused(two, delay, bad):
    net, a, b = two
    with pytest.raises(ValueError, match=has("delay", "dt=0.1", bad, "rounded")):
        net.connect(a, b, delay=delay)


def test_drawn_delays_are_rounded_to_the_nearest_step():
    dt = 0.1
    net = nl.Network(dt=dt, seed=12)
    net.add_poisson("a", 50, 5.0)
    net.add_lif("b", 20)
    pr = net.connect("a", "b", weight=0.5, delay=("uniform", 0.0, 3.0))  # all_to_all
    raw = stream(12, 0).uniform(0.0, 3.0, size=1000)  # the scalar weight drew nothing
    steps = np.array([math.floor(d / dt + 0.5) for d in raw])
    assert np.array_equal(pr.delay, steps * dt)
    assert np.all(np.abs(pr.delay / dt - np.rint(pr.delay / dt)) < 1e-9)
    assert np.all(np.abs(pr.delay - raw) <= dt / 2 + 1e-12)


@pytest.mark.parametrize("d, want", [(0.25, 0.5), (0.75, 1.0), (0.2, 0.0), (0.3, 0.5),
                                     (1.24, 1.0)])
def test_drawn_delay_ties_round_up(d, want):
    net = nl.Network(dt=0.5, seed=0)  # binary-exact steps: d / dt = 0.5 is a true tie
    net.add_poisson("a", 1, 5.0)
    net.add_lif("b", 1, nl.LIFParams(tau_m=10.0))
    assert net.connect("a", "b", delay=("uniform", d, d)).delay.tolist() == [want]


def test_drawn_delays_are_redrawn_below_zero(two):
    net, a, b = two
    pr = net.connect(a, b, delay=("normal", 0.2, 1.0))
    assert pr.delay.min() >= 0.0
    with pytest.raises(ValueError, match=has("delay", "('normal', -10.0, 1.0)", ">= 0.0 ms")):
        net.connect(a, b, delay=("normal", -10.0, 1.0), name="x")


def test_drawn_delay_is_what_runs():
    # one input spike at 1.0 ms, delay drawn as 1.26 ms -> 13 steps (1.3 ms): delivered in
    # the step starting at 2.3 ms, seen in v from 2.4 ms on (after that step's update)
    net = nl.Network(dt=0.1)
    net.add_spikes("s", 1, times=[1.0], indices=[0])
    net.add_lif("n", 1, nl.LIFParams(tau_m=10.0, v_rest=-70.0))
    pr = net.connect("s", "n", weight=2.0, delay=("uniform", 1.26, 1.26))
    assert pr.delay.tolist() == [13 * 0.1]
    res = net.run(5.0, record_state={"n": [0]}, progress=False)
    t, v = res.state["n"].t, res.state["n"].v[:, 0]
    assert np.all(v[t < 2.35] == -70.0)
    assert v[np.argmin(np.abs(t - 2.4))] == pytest.approx(-68.0, abs=1e-12)


def test_weight_arrays_draw_no_random_numbers():
    net = nl.Network(seed=9)
    net.add_poisson("a", 10, 5.0)
    net.add_lif("b", 4)
    pr = net.connect("a", "b", weight=np.linspace(0.0, 1.0, 40), delay=("uniform", 0.0, 2.0))
    raw = stream(9, 0).uniform(0.0, 2.0, size=40)  # all_to_all: the delays come first
    assert np.array_equal(pr.delay, np.floor(raw / 0.1 + 0.5) * 0.1)


# ------------------------------------------------------------------ sizes
@pytest.mark.parametrize("rule, kw, want", [
    ("all_to_all", {}, 100 * 40), ("one_to_one", {}, 100),
    ("fixed_indegree", dict(k=7), 40 * 7), ("fixed_outdegree", dict(k=7), 100 * 7),
    ("probability", dict(p=0.0), 0), ("probability", dict(p=1.0), 4000),
])
def test_estimate_synapses_exact_rules(rule, kw, want):
    assert estimate_synapses(rule, 100, 40, **kw) == want


def test_estimate_synapses_bounds_the_probability_rule():
    bound = estimate_synapses("probability", 300, 200, p=0.1)
    # mean 6000, sd sqrt(6000 * 0.9) = 73.5: bound = ceil(6000 + 6 * 73.48...) = 6441
    assert bound == 6441
    for seed in range(5):
        net = nl.Network(seed=seed)
        net.add_poisson("a", 300, 1.0)
        net.add_lif("b", 200)
        assert net.connect("a", "b", "probability", p=0.1).n_syn <= bound


@pytest.mark.parametrize("args, kw, err, fragments", [
    (("explicit", 3, 3), {}, ValueError, ["explicit", "len(pre_ids)"]),
    (("random", 3, 3), {}, ValueError, ["rule", "'random'"]),
    (("probability", 3, 3), {}, ValueError, ["p", "None"]),
    (("probability", 3, 3), dict(p=1.5), ValueError, ["p", "1.5"]),
    (("fixed_indegree", 3, 3), {}, ValueError, ["k", "None"]),
    (("fixed_indegree", 0, 3), dict(k=1), ValueError, ["n_pre", "0"]),
    (("all_to_all", 2**32, 2**32), {}, ValueError, ["int64", str(2**64)]),
    (("fixed_outdegree", 2**40, 3), dict(k=2**30), ValueError, ["int64", str(2**70)]),
])
def test_estimate_synapses_refuses(args, kw, err, fragments):
    with pytest.raises(err, match=has(*fragments)):
        estimate_synapses(*args, **kw)


def test_pair_count_beyond_int64_is_refused_before_drawing():
    # populations this large cannot be built on a test machine; a bare Population is
    # enough to reach connect's size check, which must come before any allocation
    net = nl.Network()
    big_in = Population("big_in", 2**33, "poisson", 0)
    big_out = Population("big_out", 2**31, "lif", 1, params=nl.LIFParams())
    net.populations.update(big_in=big_in, big_out=big_out)
    with pytest.raises(ValueError, match=has("big_in", "big_out", str(2**64), "int64")):
        net.connect(big_in, big_out, "probability", p=1e-12)
    with pytest.raises(ValueError, match=has("big_in", "int64")):
        net.connect(big_in, big_out, "fixed_indegree", k=1)
