"""``net.run(..., threads=T)``: the threaded kernel (neurolab/_parallel.py) gives bitwise
the spikes, weights and recordings of the one-thread kernel, for every thread and
partition count; what it does not implement runs on one thread with a warning; bad
values of ``threads`` are refused by name.

Run by tests/test_threads.py in a process of its own (``python -m pytest
tests/threads_cases.py`` runs it directly): numba's OpenMP threads and NEST's bundled
OpenMP runtime crash one process that uses both, and the NEST oracle tests run in the main
test process."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import warnings

import numba
import numpy as np
import pytest

import neurolab as nl
from neurolab.engine import parallel as P

from test_research_api import RUN, assert_bitwise, busy_net, concat

# what a child process needs on sys.path to import this module (and test_research_api)
_HELPERS = [os.path.dirname(os.path.abspath(__file__)),
            os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "model")]

S = importlib.import_module("neurolab.engine.tables")


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


# ---------------------------------------------------------------- edge cases
def compare(build, rec, durations=(50.0, 30.0), between=None, threads=2, **kw):
    """(one thread, ``threads``): the concatenated results of the same runs of two fresh
    networks from ``build``, ``between(net)`` called after the first run."""
    out = []
    for t in (1, threads):
        net = build()
        parts = []
        for k, d in enumerate(durations):
            if between is not None and k == 1:
                between(net)
            parts.append(net.run(d, threads=t, progress=False, **rec, **kw))
        out.append(concat(parts))
    return out


def _self_targets():
    """A neuron that is its own target with no delay: all-to-all plastic E->E with
    autapses, nearest pairing, delay 0, delta synapses without refractoriness (the delivery
    to a neuron that spikes in the step is discarded)."""
    net = nl.Network(dt=0.1, seed=1)
    src = net.add_poisson("src", 30, rates=40.0)
    E = net.add_lif("E", 9, nl.LIFParams(synapse="delta", refractory=0.0, v_th=-55.0))
    net.connect(src, E, "probability", p=0.5, weight=3.0)
    net.connect(E, E, "all_to_all", weight=1.0, delay=0.0, autapses=True,
                stdp=nl.STDPParams(A_plus=0.05, A_minus=0.06, w_max=3.0, pairing="nearest"))
    return net


def _subgroups():
    """Projections and Poisson drives between subgroups: plastic E[:10] -> E[5:] (the
    overlap makes autapses), a drive onto E[12:] and an inhibitory one onto three
    scattered neurons (partitions 0 and 1)."""
    net = nl.Network(dt=0.1, seed=3)
    src = net.add_poisson("src", 40, rates=30.0)
    E = net.add_lif("E", 20, nl.LIFParams(synapse="current", v_th=-55.0, refractory=1.0))
    net.connect(src, E[3:17], "probability", p=0.5, weight=8.0)
    net.connect(E[:10], E[5:], "all_to_all", weight=1.0, delay=0.5, name="sub",
                stdp=nl.STDPParams(A_plus=0.05, A_minus=0.06, w_max=3.0))
    net.add_poisson_input("drv", E[12:], n_sources=30, rate=30.0, weight=2.0)
    net.add_poisson_input("drv_i", E[[0, 7, 19]], n_sources=30, rate=30.0, weight=2.0,
                          receptor="inh")
    return net


def _tiny():
    """Populations of 1 and 2 neurons (fewer than the threads), plastic both ways."""
    net = nl.Network(dt=0.1, seed=4)
    src = net.add_poisson("src", 20, rates=50.0)
    A = net.add_lif("A", 1, nl.LIFParams(synapse="delta", refractory=1.0))
    B = net.add_lif("B", 2, nl.LIFParams(synapse="conductance", v_rest=-60.0))
    net.connect(src, A, weight=5.0, stdp=nl.STDPParams(A_plus=0.1, A_minus=0.12, w_max=8.0))
    net.connect(A, B, weight=0.5, stdp=nl.STDPParams(A_plus=0.01, A_minus=0.012, w_max=1.0))
    net.connect(B, A, weight=2.0, receptor="inh", delay=3.0)
    return net


def _sources_only():
    net = nl.Network(dt=0.1, seed=5)
    net.add_poisson("src", 20, rates=50.0)
    net.add_spikes("st", 2, times=[1.0, 2.0, 2.0], indices=[0, 1, 0])
    return net


def _empty_projections():
    """A plastic projection without synapses and a static one with p = 0."""
    net = nl.Network(dt=0.1, seed=6)
    src = net.add_poisson("src", 20, rates=50.0)
    E = net.add_lif("E", 10, nl.LIFParams(synapse="delta"))
    net.connect(src, E, "probability", p=0.6, weight=4.0)
    net.connect(E, E, "explicit", pre_ids=[], post_ids=[], name="empty",
                stdp=nl.STDPParams(w_max=2.0))
    net.connect(src, E, "probability", p=0.0, weight=4.0, name="none")
    assert net.projections["empty"].n_syn == net.projections["none"].n_syn == 0
    return net


def _long_delays():
    """Plastic recurrent synapses with delays of 10-60 ms (a ring of 601 steps)."""
    net = nl.Network(dt=0.1, seed=7)
    src = net.add_poisson("src", 30, rates=30.0)
    E = net.add_lif("E", 12, nl.LIFParams(synapse="current", v_th=-55.0))
    net.connect(src, E, "probability", p=0.5, weight=8.0)
    net.connect(E, E, "probability", p=0.5, weight=1.0, delay=("uniform", 10.0, 60.0),
                stdp=nl.STDPParams(A_plus=0.05, A_minus=0.06, w_max=3.0))
    return net


_ALL_STATE = ("v", "ge", "gi")


@needs_two
@pytest.mark.parametrize("build, rec, durations", [
    (_self_targets, dict(record_weights={"E->E": "all"}, record_state={"E": "all"}), None),
    (_subgroups, dict(record_weights={"sub": "all"}, record_state={"E": [0, 19, 10, 9]}),
     None),
    (_tiny, dict(record_weights={"src->A": "all", "A->B": "all"},
                 record_state={"A": "all", "B": "all"}), None),
    (_sources_only, {}, None),
    (_empty_projections, dict(record_weights={"empty": "all", "none": "all"},
                              record_state={"E": "all"}), None),
    (_long_delays, dict(record_weights={"E->E": "all"}, record_state={"E": "all"}),
     (100.0, 50.0)),
], ids=["own-target-delay-0", "subgroups", "fewer-neurons-than-threads", "sources-only",
        "no-synapses", "long-delays"])
def test_edge_networks_equal_one_thread(build, rec, durations):
    rec = dict(record_spikes="all", weight_dt=0.1, state_vars=_ALL_STATE, **rec)
    one, two = compare(build, rec, durations or (50.0, 30.0))
    assert sum(v[0].size for k, v in one.items() if k.startswith("spk")) > 50
    assert_bitwise(one, two)


def _every_target():
    """Plastic synapses onto every target (delta exc and inh, conductance exc and inh;
    the threaded kernel writes the plastic delivery out per target), an explicit plastic
    projection out of presynaptic order with duplicate synapses and delays from 0 to 2 ms,
    a plastic self-projection with delay 0 and autapses in explicit order, a spike source
    between LIF populations, currents and a drive onto subgroups."""
    net = nl.Network(dt=0.1, seed=11)
    rng = np.random.default_rng(11)
    A = net.add_lif("A", 13, nl.LIFParams(synapse="delta", refractory=("uniform", 0.0, 3.0),
                                          v_th=("uniform", -56.0, -52.0)),
                    v_init=("uniform", -70.0, -54.0))
    src = net.add_poisson("src", 25, rates=np.linspace(5.0, 60.0, 25))
    B = net.add_lif("B", 11, nl.LIFParams(synapse="conductance", v_rest=-60.0,
                                          tau_e=("uniform", 3.0, 7.0)))
    st = net.add_spikes("st", 3, times=[0.0, 0.0, 5.0, 33.3, 60.0], indices=[0, 2, 1, 1, 0])
    C = net.add_lif("C", 6, nl.LIFParams(synapse="current", v_th=-55.0, refractory=1.0))
    pre, post = rng.integers(0, 25, 200), rng.integers(0, 13, 200)
    pre[:5], post[:5] = 3, 7                                   # one synapse five times
    net.connect(src, A, "explicit", pre_ids=pre, post_ids=post, weight=("uniform", 0.5, 3.0),
                delay=("uniform", 0.0, 2.0),
                stdp=nl.STDPParams(A_plus=0.05, A_minus=0.06, w_max=3.0, pairing="nearest",
                                   mu=1.0))
    net.connect(src, A, "probability", p=0.2, weight=("uniform", 0.0, 1.0), receptor="inh",
                stdp=nl.STDPParams(A_plus=0.05, A_minus=0.06, w_max=1.0), name="src-|A")
    net.connect(A, B, "all_to_all", weight=0.2,
                stdp=nl.STDPParams(A_plus=0.01, A_minus=0.012, w_max=0.5))
    net.connect(A, B, "probability", p=0.5, weight=0.3, receptor="inh", name="A-|B",
                stdp=nl.STDPParams(A_plus=0.01, A_minus=0.012, w_max=0.5))
    net.connect(st, A, weight=10.0)
    net.connect(B, C, "all_to_all", weight=5.0, delay=("uniform", 0.1, 0.5))
    net.connect(C, A, "explicit", pre_ids=[5, 5, 5, 0], post_ids=[12, 0, 6, 6], weight=4.0)
    net.connect(A, A, "explicit", pre_ids=[4, 4, 2, 2, 2], post_ids=[4, 1, 2, 2, 9],
                weight=2.0, name="A->A", stdp=nl.STDPParams(A_plus=0.05, A_minus=0.06,
                                                              w_max=3.0))
    net.add_current("I_a", A[[1, 6, 11]], amplitude=[0.0, 3.0, 0.5], times=[0.0, 20.0, 45.0])
    net.add_current("I_b", A[5:], amplitude=[1.0, 2.0], times=[0.0, 70.0])
    net.add_poisson_input("drv", A[::2], n_sources=10, rate=20.0, weight=1.0)
    return net


def _change_everything(net):
    """Between runs: learning off, another STDP parameter set, per-neuron thresholds,
    rates, a drive's rate, a current's amplitude, membrane potentials, weights."""
    net.projections["A->B"].learning = False
    net.projections["src->A"].set_stdp(nl.STDPParams(A_plus=0.02, A_minus=0.03, w_max=3.0,
                                                     pairing="nearest", mu=0.5))
    net.populations["A"].set_params(v_th=np.linspace(-57.0, -52.0, 13))
    net.populations["src"].rates = 20.0
    net.drives["drv"].rate = 50.0
    net.currents["I_a"].amplitude = 2.0
    net.populations["C"].v = np.linspace(-70.0, -56.0, 6)
    net.projections["A-|B"].weight = ("uniform", 0.0, 0.5)


_EVERY = dict(record_spikes="all", weight_dt=0.2, state_vars=_ALL_STATE,
              record_weights={k: "all" for k in ("src->A", "src-|A", "A->B", "A-|B",
                                                 "A->A", "C->A")},
              record_state={"A": "all", "B": [10, 0, 5], "C": "all"})


@needs_two
@pytest.mark.parametrize("chunk_steps", [None, 1, 7])
def test_every_target_and_changes_between_runs_equal_one_thread(chunk_steps):
    one, two = compare(_every_target, _EVERY, (40.0, 30.0), between=_change_everything,
                       chunk_steps=chunk_steps)
    assert min(v[0].size for k, v in one.items() if k.startswith("spk")) >= 5
    for name in ("src-|A", "A-|B", "A->A"):          # the plastic ones learnt
        assert not np.array_equal(one[f"w {name}"][0], one[f"w {name}"][-1]), name
    assert_bitwise(one, two)


@needs_two
def test_interrupt_inside_the_threaded_kernel_is_clean_and_resumable(monkeypatch):
    """Ctrl-C while the threaded kernel runs (raised as its call returns, where Python
    sees the signal): the partial result ends where the kernel stopped, numba's thread
    count is what it was, and the run continues bitwise (on two threads or one)."""
    whole = concat([recurrent_net().run(100.0, chunk_steps=50, **REC)])
    real = P.run_steps_threads
    calls = {"n": 0}

    def interrupted(*args):
        real(*args)
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt

    before = numba.get_num_threads()
    numba.set_num_threads(1)       # the caller's setting, which threads=2 changes for a while
    try:
        for then in (2, 1):
            calls["n"] = 0
            monkeypatch.setattr(P, "run_steps_threads", interrupted)
            net = recurrent_net()
            with pytest.raises(nl.SimulationInterrupted, match="stopped at t = 25 ms") as err:
                net.run(100.0, chunk_steps=50, threads=2, **REC)
            part = err.value.result
            assert part.interrupted and net.t == pytest.approx(25.0)
            assert numba.get_num_threads() == 1
            monkeypatch.setattr(P, "run_steps_threads", real)
            rest = net.run(75.0, chunk_steps=50, threads=then, **REC)
            assert_bitwise(whole, concat([part, rest]))
    finally:
        numba.set_num_threads(before)


@needs_two
def test_store_on_threads_restore_on_another_count():
    net = recurrent_net()
    net.run(40.0, threads=2, **REC)
    net.store("mid")
    one = net.run(40.0, threads=1, **REC)
    net.restore("mid")
    two = net.run(40.0, threads=2, **REC)
    net.restore("mid")
    mixed = [net.run(20.0, threads=2, **REC), net.run(20.0, threads=1, **REC)]
    assert_bitwise(concat([one]), concat([two]))
    assert_bitwise(concat([one]), concat(mixed))


# ---------------------------------------------------------------- the environment
def _python(code, timeout=600, **env):
    """Run ``code`` in a fresh interpreter (this environment plus ``env``); its stdout."""
    try:
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                             env={**os.environ, **env}, capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"no answer within {timeout} s: {e.stdout!r} {e.stderr!r}")
    assert out.returncode == 0, out.stderr
    return out.stdout


@needs_two
def test_threaded_runs_from_several_python_threads_take_turns():
    """numba's ``workqueue`` threading layer (the one every installation has; others need
    OpenMP or TBB) aborts the whole process when two Python threads call a parallel kernel
    at the same time: threaded runs from several Python threads must take turns, and
    give what they give one after the other."""
    out = _python(f"""
        import sys, threading
        sys.path[:0] = {_HELPERS!r}
        import numba
        from threads_cases import recurrent_net

        def run(seed):
            res = recurrent_net(seed=seed).run(200.0, threads=2, progress=False,
                                               chunk_steps=20)
            return [s.t.tobytes() for s in res.spikes.values()]

        alone = [run(seed) for seed in (1, 2, 3)]
        together = {{}}
        workers = [threading.Thread(target=lambda s=s: together.__setitem__(s, run(s)))
                   for s in (1, 2, 3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print(numba.threading_layer(), [together[s] for s in (1, 2, 3)] == alone)
    """, NUMBA_THREADING_LAYER="workqueue")
    assert out.split() == ["workqueue", "True"]


@needs_two
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_process_forked_after_a_threaded_run_can_run():
    """GNU OpenMP, numba's threading layer here, is not fork-safe: a child forked after the
    parent ran threads=2 (multiprocessing's default on Linux) was terminated by numba when
    it ran threads=2 itself, and a Pool of such children hung. Under the ``omp`` layer such
    a child runs on one thread with a warning (the same results)."""
    out = _python(f"""
        import os, signal, sys, warnings
        sys.path[:0] = {_HELPERS!r}
        import numba
        from threads_cases import recurrent_net

        def run(threads):
            res = recurrent_net(seed=1).run(20.0, threads=threads, progress=False)
            return [s.t.tobytes() for s in res.spikes.values()]

        ref = run(1)
        run(2)
        layer = numba.threading_layer()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            signal.alarm(60)
            os.close(r)
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                same = run(2) == ref
            said = any("forked" in str(x.message) for x in rec)
            os.write(w, f"{{same}} {{said}}".encode())
            os._exit(0)
        os.close(w)
        _, status = os.waitpid(pid, 0)
        print(layer, os.read(r, 100).decode() or "nothing", os.waitstatus_to_exitcode(status))
    """)
    layer, rest = out.split(maxsplit=1)
    # (the child's result, whether it warned, its exit code)
    assert rest.split() == ["True", "True" if layer == "omp" else "False", "0"], out


@needs_two
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_while_another_thread_runs_threads_is_not_locked_out():
    """Forked while another thread of the parent holds the lock the threaded calls take
    turns with (here held by hand; on the ``workqueue`` layer, where the child may run
    threaded), the child runs threads=2: it has a lock of its own."""
    out = _python(f"""
        import importlib, os, signal, sys, threading
        sys.path[:0] = {_HELPERS!r}
        from threads_cases import recurrent_net
        S = importlib.import_module("neurolab.engine.dispatch")

        def run(threads):
            res = recurrent_net(seed=1).run(20.0, threads=threads, progress=False)
            return [s.t.tobytes() for s in res.spikes.values()]

        ref = run(2)
        held, done = threading.Event(), threading.Event()

        def hold():
            with S._PARALLEL_CALL:
                held.set()
                done.wait()

        threading.Thread(target=hold).start()
        held.wait()
        pid = os.fork()
        if pid == 0:
            signal.alarm(60)                    # a child locked out ends, and says so
            print("child", run(2) == ref, flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        done.set()
        print("exit", os.waitstatus_to_exitcode(status))
    """, timeout=120, NUMBA_THREADING_LAYER="workqueue")
    assert out.split() == ["child", "True", "exit", "0"], out


def test_importing_and_running_on_one_thread_do_not_load_the_threaded_kernel():
    out = _python("""
        import sys
        import neurolab as nl
        print("after import:", "neurolab.engine.parallel" in sys.modules)
        net = nl.Network(dt=0.1, seed=0)
        src = net.add_poisson("src", 5, rates=50.0)
        net.connect(src, net.add_lif("E", 3), weight=1.0, stdp=nl.STDPParams())
        net.run(5.0, progress=False)
        print("after a run:", "neurolab.engine.parallel" in sys.modules)
    """)
    assert out.split() == ["after", "import:", "False", "after", "a", "run:", "False"]


def test_numba_with_one_thread_refuses_two_and_runs_one():
    """``NUMBA_NUM_THREADS=1`` in the environment: threads=2 is refused, naming the
    parameter, the value, what is allowed and where the limit comes from; threads=1
    runs."""
    out = _python("""
        import neurolab as nl
        net = nl.Network(dt=0.1, seed=0)
        src = net.add_poisson("src", 5, rates=50.0)
        net.connect(src, net.add_lif("E", 3), weight=1.0)
        try:
            net.run(5.0, threads=2, progress=False)
        except ValueError as e:
            print(e)
        print("t =", net.t)
        net.run(5.0, threads=1, progress=False)
        print("t =", net.t)
    """, NUMBA_NUM_THREADS="1")
    lines = out.strip().splitlines()
    assert lines[1:] == ["t = 0.0", "t = 5.0"]
    assert lines[0] == ("threads must be 1 here (numba's thread count is 1: "
                        "NUMBA_NUM_THREADS=1 in the environment), got threads=2")


# ---------------------------------------------------------------- what runs on one thread
def triplet_net():
    net = nl.Network(dt=0.1, seed=3)
    src = net.add_poisson("src", 40, rates=20.0)
    out = net.add_lif("out", 5, nl.LIFParams(synapse="delta", refractory=2.0))
    net.connect(src, out, weight=("uniform", 0.0, 2.0), stdp=nl.TripletSTDP(w_max=2.0))
    return net


@needs_two
@pytest.mark.parametrize("make, what", [
    (triplet_net, "the triplet rule"),
    (lambda: _variant_net("presynaptic_centred"), "pair-rule variant"),
])
def test_unsupported_networks_run_on_one_thread_with_a_warning(make, what):
    ref = make().run(50.0, record_spikes="all", progress=False)
    with pytest.warns(RuntimeWarning, match=what) as rec:
        res = make().run(50.0, threads=2, record_spikes="all", progress=False)
    assert "runs on one thread" in str(rec[0].message)
    assert rec[0].filename == __file__            # the line that asked for threads
    assert_bitwise(concat([ref]), concat([res]))


def _variant_net(pairing):
    net = nl.Network(dt=0.1, seed=4)
    src = net.add_poisson("src", 40, rates=20.0)
    out = net.add_lif("out", 5, nl.LIFParams(synapse="delta", refractory=2.0))
    net.connect(src, out, weight=("uniform", 0.0, 2.0),
                stdp=nl.STDPParams(w_max=2.0, pairing=pairing))
    return net


@needs_two
def test_supported_network_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recurrent_net().run(5.0, threads=2, progress=False)


# ---------------------------------------------------------------- bad values
@pytest.mark.parametrize("bad", [2.5, "2", None, True, 2.0])
def test_threads_not_an_integer_refused_by_name(bad):
    net = recurrent_net()
    with pytest.raises(TypeError, match=r"threads must be an integer, got .* of type"):
        net.run(5.0, threads=bad, progress=False)
    assert net.t == 0.0                   # refused before anything ran


@pytest.mark.parametrize("bad", [0, -2, numba.config.NUMBA_NUM_THREADS + 1])
def test_threads_out_of_range_say_what_is_allowed(bad):
    limit = numba.config.NUMBA_NUM_THREADS
    allowed = "1 here" if limit == 1 else f"between 1 and {limit}"
    net = recurrent_net()
    with pytest.raises(ValueError, match=rf"threads must be {allowed} \(numba's thread count "
                                         rf"is {limit}: .*NUMBA_NUM_THREADS.*\), got "
                                         rf"threads={bad}$"):
        net.run(5.0, threads=bad, progress=False)
    assert net.t == 0.0


def test_threads_as_a_numpy_integer():
    t = np.int64(min(2, numba.config.NUMBA_NUM_THREADS))
    recurrent_net().run(1.0, threads=t, progress=False)


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


@pytest.mark.parametrize("t_clamp", [0.0, 2.0])
def test_adex_and_izhikevich_on_threads_equal_one_thread(t_clamp):
    """AdEx and Izhikevich populations run on the threaded kernel (each thread owns a range
    of their neurons) with results bitwise those of one thread (issue 23); AdEx with and
    without the spike clamp."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    out = {}
    for threads in (1, 2):
        net = nl.Network(dt=0.1, seed=5)
        inp = net.add_poisson("inp", 30, rates=30.0)
        A = net.add_adex("A", 9, nl.AdExParams.preset("adapting", synapse="conductance",
                                                     t_clamp=t_clamp))
        Z = net.add_izhikevich("Z", 7, nl.IzhikevichParams.preset("CH", synapse="current"))
        L = net.add_lif("L", 5)
        net.add_current("IA", A, np.linspace(200.0, 500.0, 9))
        net.add_poisson_input("dZ", Z, n_sources=20, rate=10.0, weight=3.0)
        net.connect(inp, A, "probability", p=0.3, weight=3.0,
                    stdp=nl.STDPParams(A_plus=0.05, A_minus=0.06, w_max=6.0))
        net.connect(inp, Z, "probability", p=0.3, weight=5.0, delay=1.0)
        net.connect(A, Z, "all_to_all", weight=2.0)
        net.connect(Z, A, "all_to_all", weight=1.0, receptor="inh")
        net.connect(Z, L, "all_to_all", weight=2.0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)     # no fallback to one thread
            out[threads] = (net.run(200.0, threads=threads, record_state={"A": "all"},
                                    state_vars=("v", "w")), A.w, Z.u)
    from neurolab.engine import parallel

    assert any(str(sig[-1]).startswith("Models")
               for sig in parallel.run_steps_threads.signatures)
    (r1, w1, u1), (r2, w2, u2) = out[1], out[2]
    assert r1.spikes["A"].t.size > 10 and r1.spikes["Z"].t.size > 10
    for name in ("A", "Z", "L"):
        np.testing.assert_array_equal(r1.spikes[name].t, r2.spikes[name].t)
        np.testing.assert_array_equal(r1.spikes[name].i, r2.spikes[name].i)
    np.testing.assert_array_equal(r1.state["A"].w, r2.state["A"].w)
    np.testing.assert_array_equal(r1.final_weights["inp->A"], r2.final_weights["inp->A"])
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(u1, u2)
