"""``net.run(..., threads=T)``: the threaded kernel (neurolab/_parallel.py) gives bitwise
the spikes, weights and recordings of the one-thread kernel, for every thread and
partition count; what it does not implement runs on one thread with a warning; bad
values of ``threads`` are refused by name."""

from __future__ import annotations

import importlib
import warnings

import numba
import numpy as np
import pytest

import neurolab as nl
from neurolab import _parallel as P

from test_research_api import RUN, assert_bitwise, busy_net, concat

S = importlib.import_module("neurolab.simulate")


def recurrent_net(seed=5, n_e=160, n_i=40):
    """A recurrent CUBA network with everything the threaded kernel splits: plastic E->E
    with a delay and plastic input with none, inhibitory and excitatory static
    projections, per-synapse delays (several pathways per projection), an explicit
    projection whose rows are not sorted by target, heterogeneous neurons, Poisson sources,
    a Poisson drive, explicit spikes, an injected current, delta and conductance
    populations."""
    net = nl.Network(dt=0.1, seed=seed)
    prm = nl.LIFParams(tau_m=20.0, v_rest=-49.0, v_th=-50.0, v_reset=-60.0, refractory=5.0,
                       synapse="current", tau_e=5.0, tau_i=10.0)
    rng = np.random.default_rng(seed)
    E = net.add_lif("E", n_e, prm, v_init=rng.uniform(-60.0, -50.0, n_e))
    I = net.add_lif("I", n_i, nl.LIFParams(tau_m=("uniform", 15.0, 25.0), v_rest=-49.0,
                                           v_th=-50.0, v_reset=-60.0, refractory=5.0,
                                           synapse="current", tau_e=5.0, tau_i=10.0),
                    v_init=rng.uniform(-60.0, -50.0, n_i))
    D = net.add_lif("D", 30, nl.LIFParams(refractory=2.0, synapse="delta"))
    C = net.add_lif("C", 7, nl.LIFParams(synapse="conductance", v_rest=-74.0))
    src = net.add_poisson("src", 50, rates=30.0)
    stim = net.add_spikes("stim", 4, times=[1.0, 2.0, 40.0, 41.0, 80.0],
                          indices=[0, 1, 2, 3, 0])
    w_max = 3.24
    stdp = nl.STDPParams(A_plus=0.01 * w_max, A_minus=0.0105 * w_max, w_max=w_max)
    net.connect(E, E, "fixed_indegree", k=16, weight=1.62, delay=1.5, stdp=stdp,
                autapses=False)
    net.connect(E, I, "fixed_indegree", k=16, weight=1.62, delay=("uniform", 0.0, 3.0))
    net.connect(I, E, "fixed_indegree", k=4, weight=9.0, delay=0.8, receptor="inh")
    net.connect(I, I, "fixed_indegree", k=4, weight=9.0, receptor="inh", autapses=False)
    net.connect(src, E, "probability", p=0.2, weight=("uniform", 0.0, 2.0),
                stdp=nl.STDPParams(A_plus=0.02, A_minus=0.021, w_max=2.0, pairing="nearest",
                                   mu=0.5))
    # explicit: targets in no particular order within a row
    pre = rng.integers(0, n_e, 300)
    post = rng.integers(0, 30, 300)
    net.connect(E, D, "explicit", pre_ids=pre, post_ids=post, weight=4.0, delay=0.5)
    net.connect(D, D, "explicit", pre_ids=[3, 3, 3, 7, 7], post_ids=[9, 1, 5, 2, 0],
                weight=6.0, receptor="inh")
    net.connect(stim, D, weight=20.0)
    net.connect(E, C, "fixed_indegree", k=20, weight=0.05,
                stdp=nl.STDPParams(A_plus=0.001, A_minus=0.00105, w_max=0.1))
    net.add_poisson_input("ext", D, n_sources=40, rate=20.0, weight=0.8)
    net.add_poisson_input("ext_i", E[:80], n_sources=20, rate=10.0, weight=0.5,
                          receptor="inh")
    net.add_current("I_inj", C, amplitude=[0.0, 30.0, 10.0], times=[0.0, 30.0, 150.0])
    return net


REC = dict(record_spikes="all", record_weights={"E->E": "all", "src->E": [0, 5, 9],
                                                "E->C": "all"},
           weight_dt=0.5, record_state={"E": [0, 50, 159], "I": "all", "C": "all"},
           state_vars=("v", "ge", "gi"), progress=False)


def runs(build, threads, durations=(120.0, 0.3, 79.7), parts=None, monkeypatch=None,
         between=None, **kw):
    """Run a fresh network in pieces with ``threads`` (and ``parts`` partitions); return the
    concatenated results."""
    if parts is not None:
        original = S.RunState.thread_tables
        monkeypatch.setattr(S.RunState, "thread_tables",
                            lambda self, n: original(self, parts))
    net = build()
    out = []
    for k, d in enumerate(durations):
        if between is not None and k == 1:
            between(net)
        out.append(net.run(d, threads=threads, **{**REC, **kw}))
    if parts is not None:
        monkeypatch.undo()
    return concat(out)


def _changes(net):
    net.projections["E->E"].learning = False
    net.populations["src"].rates = 55.0
    net.projections["src->E"].weight = np.full(net.projections["src->E"].n_syn, 1.0)


needs_two = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,
                               reason="numba has one thread on this machine")


@needs_two
def test_two_threads_equal_one_thread_bitwise():
    one = runs(recurrent_net, 1, between=_changes)
    two = runs(recurrent_net, 2, between=_changes)
    counts = {k: v[0].size for k, v in one.items() if k.startswith("spk")}
    assert min(counts.values()) > 4 and counts["spk E"] > 400, counts    # all pathways busy
    assert not np.array_equal(one["final E->E"], recurrent_net().projections["E->E"].weight)
    assert_bitwise(one, two)


@needs_two
@pytest.mark.parametrize("parts", [1, 3, 7, 64])
def test_any_partition_count_equals_one_thread(parts, monkeypatch):
    """The threaded kernel with one partition, more partitions than threads (prange
    spreads them) and more partitions than some populations have neurons (empty ranges),
    in short kernel calls."""
    one = runs(recurrent_net, 1, chunk_steps=37)
    many = runs(recurrent_net, 2, parts=parts, monkeypatch=monkeypatch, chunk_steps=37)
    assert_bitwise(one, many)


@needs_two
def test_busy_network_of_the_research_api_equal():
    """The researcher-API test network (table rates, explicit spikes, currents, heterogeneous
    neurons, nearest pairing, delays) with its changes between runs."""
    def run(threads):
        net = busy_net()
        a = net.run(100.0, threads=threads, **RUN)
        net.projections["E->E"].learning = False
        net.populations["inp"].rates = 35.0
        b = net.run(200.0, threads=threads, **RUN)
        return concat([a, b])
    assert_bitwise(run(1), run(2))


@needs_two
def test_spike_buffer_growth_inside_a_chunk_is_the_same(monkeypatch):
    """A chunk that fills the spike buffer stops before a step and resumes (the capacity
    check of the threaded kernel): force it with one big chunk of a busy network."""
    one = runs(recurrent_net, 1, durations=(1000.0,), chunk_steps=10000)
    two = runs(recurrent_net, 2, durations=(1000.0,), chunk_steps=10000)
    n = sum(v[0].size for k, v in one.items() if k.startswith("spk"))
    assert n > 4096       # more than the first buffer holds (4096 for this network)
    assert_bitwise(one, two)


def test_store_restore_and_continue_with_threads():
    """A run on threads continues a run on one thread (and back) bitwise."""
    t = min(2, numba.config.NUMBA_NUM_THREADS)
    net = recurrent_net()
    a = net.run(60.0, threads=1, **REC)
    b = net.run(60.0, threads=t, **REC)
    c = net.run(60.0, threads=1, **REC)
    ref = recurrent_net()
    d = [ref.run(60.0, **REC) for _ in range(3)]
    assert_bitwise(concat([a, b, c]), concat(d))


# ---------------------------------------------------------------- what runs on one thread
def triplet_net():
    net = nl.Network(dt=0.1, seed=3)
    src = net.add_poisson("src", 40, rates=20.0)
    out = net.add_lif("out", 5, nl.LIFParams(synapse="delta", refractory=2.0))
    net.connect(src, out, weight=("uniform", 0.0, 2.0), stdp=nl.TripletSTDP(w_max=2.0))
    return net


@pytest.mark.parametrize("make, what", [
    (triplet_net, "the triplet rule"),
    (lambda: _variant_net("presynaptic_centred"), "pair-rule variant"),
])
def test_unsupported_networks_run_on_one_thread_with_a_warning(make, what):
    t = min(2, numba.config.NUMBA_NUM_THREADS)
    ref = make().run(50.0, record_spikes="all", progress=False)
    with pytest.warns(RuntimeWarning, match=what) as rec:
        res = make().run(50.0, threads=t, record_spikes="all", progress=False)
    assert "runs on one thread" in str(rec[0].message)
    assert_bitwise(concat([ref]), concat([res]))


def _variant_net(pairing):
    net = nl.Network(dt=0.1, seed=4)
    src = net.add_poisson("src", 40, rates=20.0)
    out = net.add_lif("out", 5, nl.LIFParams(synapse="delta", refractory=2.0))
    net.connect(src, out, weight=("uniform", 0.0, 2.0),
                stdp=nl.STDPParams(w_max=2.0, pairing=pairing))
    return net


def test_supported_network_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recurrent_net().run(5.0, threads=min(2, numba.config.NUMBA_NUM_THREADS),
                            progress=False)


# ---------------------------------------------------------------- bad values
@pytest.mark.parametrize("bad, err", [(0, ValueError), (-2, ValueError), (2.5, TypeError),
                                      ("2", TypeError), (None, TypeError),
                                      (numba.config.NUMBA_NUM_THREADS + 1, ValueError)])
def test_bad_threads_named(bad, err):
    net = recurrent_net()
    with pytest.raises(err, match="threads"):
        net.run(5.0, threads=bad, progress=False)
    assert net.t == 0.0                   # refused before anything ran


def test_too_many_threads_says_the_limit():
    limit = numba.config.NUMBA_NUM_THREADS
    with pytest.raises(ValueError, match=f"between 1 and {limit}"):
        recurrent_net().run(5.0, threads=limit + 1, progress=False)


# ---------------------------------------------------------------- the split itself
def test_partition_worked_by_hand():
    """Populations: a source of 4 (ids 0-3), LIF of 10 (4-13), LIF of 5 (14-18); 3 parts:
    each LIF population cut at floor(k * n / 3): 10 -> 0, 3, 6, 10; 5 -> 0, 1, 3, 5."""
    net = nl.Network(dt=0.1, seed=0)
    net.add_poisson("s", 4, rates=1.0)
    net.add_lif("a", 10)
    net.add_lif("b", 5)
    state = net._ensure_state()
    qb, owner = P.partition(state.nrn, 3)
    np.testing.assert_array_equal(qb, [[0, 0, 0, 0], [4, 7, 10, 14], [14, 15, 17, 19]])
    np.testing.assert_array_equal(owner, [-1] * 4 + [0] * 3 + [1] * 3 + [2] * 4
                                  + [0] + [1] * 2 + [2] * 2)


def test_rows_ascending_worked_by_hand():
    net = nl.Network(dt=0.1, seed=0)
    a = net.add_lif("a", 4)
    b = net.add_lif("b", 4)
    net.connect(a, b, "explicit", pre_ids=[0, 0, 1, 2, 2], post_ids=[1, 3, 0, 2, 3])
    net.connect(a, b, "explicit", pre_ids=[0, 0, 1], post_ids=[3, 1, 2], name="down")
    net.connect(b, a, "all_to_all")
    syn = net._ensure_state().syn
    np.testing.assert_array_equal(P.rows_ascending(syn), [1, 0, 1])
