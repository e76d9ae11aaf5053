"""Core behaviour: analytic single-neuron results, inputs, connectivity, recording,
determinism, chunking, interruption and save/load."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

import neurolab as nl
from neurolab.engine import kernels as K


def song_like_net(seed=3, n_in=200, stdp=True):
    net = nl.Network(dt=0.1, seed=seed)
    net.add_poisson("inp", n=n_in, rates=15.0)
    net.add_lif("out", n=2, params=nl.LIFParams(tau_m=10.0, v_rest=-74.0, v_th=-54.0,
                                                 v_reset=-60.0, synapse="conductance",
                                                 tau_e=5.0))
    net.connect("inp", "out", weight=("uniform", 0.0, 0.05),
                stdp=nl.STDPParams(A_plus=5e-4, A_minus=5.25e-4, w_max=0.05) if stdp else None)
    return net


def run_song(net, duration=500.0, **kw):
    """A run from t = 0: the first call stores the fresh network, later calls restore it
    (networks continue from where they are otherwise)."""
    if net.t == 0.0:
        net.store("t0")
    else:
        net.restore("t0")
    kw.setdefault("record_spikes", "all")
    return net.run(duration, record_weights={"inp->out": "all"}, weight_dt=10.0,
                   record_state={"out": "all"}, state_vars=("v", "ge"), progress=False, **kw)


# ---------------------------------------------------------------- analytic neurons
def test_passive_decay_is_exact_exponential():
    net = nl.Network(dt=0.1)
    net.add_lif("n", 1, nl.LIFParams(tau_m=12.0, v_rest=-70.0), v_init=-58.0)
    res = net.run(50.0, record_state={"n": [0]}, progress=False)
    t = res.state["n"].t
    expected = -70.0 + 12.0 * np.exp(-t / 12.0)
    np.testing.assert_allclose(res.state["n"].v[:, 0], expected, rtol=1e-12)


@pytest.mark.parametrize("refractory", [0.0, 2.0])
def test_regular_firing_interval_matches_analytic(refractory):
    # v relaxes towards v_rest = -50 > v_th: the neuron fires regularly; the time from reset
    # to threshold is tau ln((v_rest - v_reset)/(v_rest - v_th)), rounded up to whole steps.
    p = nl.LIFParams(tau_m=10.0, v_rest=-50.0, v_th=-55.0, v_reset=-65.0,
                     refractory=refractory)
    net = nl.Network(dt=0.1)
    net.add_lif("n", 1, p, v_init=-65.0)
    res = net.run(300.0, progress=False)
    isi = np.diff(res.spikes["n"].t)
    t_cross = 10.0 * math.log(15.0 / 5.0)
    k_ref = round(refractory / 0.1)
    # after a spike at step s, v integrates again from step s + max(K, 1) (Brian2:
    # not_refractory = (n - s) >= K at each state update) and needs floor(t_cross/dt) + 1
    # updates to cross the threshold
    steps = math.floor(t_cross / 0.1) + max(k_ref, 1)
    assert len(isi) > 5
    np.testing.assert_allclose(isi, steps * 0.1, rtol=1e-9)
    # a spike is stamped with the start of the step whose update crossed the threshold
    # (Brian2's convention): v((n + 1) dt) > v_th gives a spike at n dt
    assert res.spikes["n"].t[0] == pytest.approx(math.floor(t_cross / 0.1) * 0.1)


def test_current_synapse_psp_matches_closed_form():
    tau_m, tau_s, w = 10.0, 3.0, 2.0
    net = nl.Network(dt=0.1)
    net.add_spikes("s", 1, times=[1.0], indices=[0])
    net.add_lif("n", 1, nl.LIFParams(tau_m=tau_m, tau_e=tau_s, v_rest=-70.0,
                                     synapse="current"))
    net.connect("s", "n", weight=w)
    res = net.run(40.0, record_state={"n": [0]}, progress=False)
    # the spike of the step starting at 1.0 ms is delivered after that step's state update,
    # i.e. the current jumps at 1.1 ms (Brian2's schedule)
    t = res.state["n"].t - 1.1
    u = np.where(t > 1e-9, w * tau_s / (tau_s - tau_m) * (np.exp(-t / tau_s) - np.exp(-t / tau_m)),
                 0.0)
    np.testing.assert_allclose(res.state["n"].v[:, 0] + 70.0, u, atol=1e-12)


def test_delta_input_is_discarded_while_refractory():
    p = nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-70.0, refractory=3.0)
    net = nl.Network(dt=0.1)
    # the input at 1.0 ms lifts v above threshold after that step's update: the neuron
    # spikes in the step at 1.1 ms and is refractory for K = 30 steps (1.1 .. 3.9 ms start
    # times plus 4.0): inputs at 1.1 (spike step), 2.0 and 4.0 ms are discarded; the one
    # at 4.1 ms is the first that counts.
    net.add_spikes("s", 2, times=[1.0, 1.1, 2.0, 4.0, 4.1], indices=[0, 1, 1, 1, 1])
    net.add_lif("n", 1, p)
    net.connect("s", "n", rule="explicit", pre_ids=[0, 1], post_ids=[0, 0],
                weight=[20.0, 1.0])
    res = net.run(6.0, record_state={"n": [0]}, progress=False)
    np.testing.assert_allclose(res.spikes["n"].t, [1.1])
    v = res.state["n"].v[:, 0]
    t = res.state["n"].t
    assert np.all(v[(t > 1.15) & (t < 4.15)] == -70.0)
    assert v[np.argmin(np.abs(t - 4.2))] == pytest.approx(-69.0, abs=1e-12)


# ---------------------------------------------------------------- inputs
def test_poisson_rate_and_one_spike_per_step():
    net = nl.Network(dt=0.1, seed=11)
    rates = np.array([0.0, 5.0, 40.0, 200.0])
    net.add_poisson("p", 4, rates=rates)
    steps, ids = net.input_spike_steps(20000.0)["p"]
    counts = np.bincount(ids, minlength=4)
    expected = rates * 20.0
    assert counts[0] == 0
    # binomial standard deviation; 5 sigma
    sd = np.sqrt(200000 * rates * 1e-4 * (1 - rates * 1e-4))
    assert np.all(np.abs(counts - expected)[1:] < 5 * sd[1:])
    for i in range(4):
        s = steps[ids == i]
        assert np.all(np.diff(s) > 0)
    assert steps.min() >= 0 and steps.max() < 200000
    assert np.all(np.diff(steps) >= 0)


def test_poisson_intervals_are_geometric():
    net = nl.Network(dt=0.1, seed=2)
    net.add_poisson("p", 1, rates=100.0)
    steps, _ = net.input_spike_steps(100000.0)["p"]
    gaps = np.diff(steps)
    p = 100.0 * 0.1 / 1000
    assert gaps.mean() == pytest.approx(1 / p, rel=0.03)
    assert np.mean(gaps == 1) == pytest.approx(p, abs=0.003)


def test_explicit_spike_times_become_rounded_steps():
    net = nl.Network(dt=0.1)
    net.add_spikes("s", 3, times=[0.0, 0.26, 5.0, 9.96], indices=[2, 0, 1, 0])
    steps, ids = net.input_spike_steps(10.0)["s"]
    # 9.96 ms rounds to step 100, the first step of a following run
    np.testing.assert_array_equal(steps, [0, 3, 50])
    steps2, ids2 = net.input_spike_steps(10.0, start=10.0)["s"]
    np.testing.assert_array_equal(steps2, [100])
    np.testing.assert_array_equal(ids2, [0])
    np.testing.assert_array_equal(ids, [2, 0, 1])


# ---------------------------------------------------------------- connectivity
def test_connectivity_rules():
    net = nl.Network(seed=5)
    a = net.add_poisson("a", 30, 1.0)
    b = net.add_lif("b", 40)
    c = net.add_lif("c", 40)
    full = net.connect(a, b)
    assert full.n_syn == 1200
    assert len(set(zip(full.pre_ids.tolist(), full.post_ids.tolist()))) == 1200
    rec = net.connect(b, b, autapses=False, name="bb")
    assert rec.n_syn == 40 * 39 and not np.any(rec.pre_ids == rec.post_ids)
    fi = net.connect(b, c, rule="fixed_indegree", k=7, autapses=False)
    assert np.all(np.bincount(fi.post_ids, minlength=40) == 7)
    pairs = set(zip(fi.pre_ids.tolist(), fi.post_ids.tolist()))
    assert len(pairs) == fi.n_syn
    fs = net.connect(c, c, rule="fixed_indegree", k=39, autapses=False, name="cc")
    assert not np.any(fs.pre_ids == fs.post_ids)
    assert np.all(np.bincount(fs.post_ids, minlength=40) == 39)
    o2o = net.connect(b, c, rule="one_to_one", name="o2o")
    np.testing.assert_array_equal(o2o.pre_ids, o2o.post_ids)


def test_probability_rule_statistics_and_no_autapses():
    net = nl.Network(seed=9)
    e = net.add_lif("e", 400)
    proj = net.connect(e, e, rule="probability", p=0.05, autapses=False)
    n = 400 * 399
    assert abs(proj.n_syn - 0.05 * n) < 5 * math.sqrt(n * 0.05 * 0.95)
    assert not np.any(proj.pre_ids == proj.post_ids)
    assert len(set(zip(proj.pre_ids.tolist(), proj.post_ids.tolist()))) == proj.n_syn
    # every post neuron is equally likely: in-degrees are not biased towards low ids
    indeg = np.bincount(proj.post_ids, minlength=400)
    assert abs(indeg[:200].mean() - indeg[200:].mean()) < 3.0


def test_connectivity_is_seeded():
    def build(seed):
        net = nl.Network(seed=seed)
        e = net.add_lif("e", 100)
        return net.connect(e, e, rule="probability", p=0.1)
    a, b, c = build(1), build(1), build(2)
    np.testing.assert_array_equal(a.pre_ids, b.pre_ids)
    np.testing.assert_array_equal(a.post_ids, b.post_ids)
    assert a.n_syn != c.n_syn or not np.array_equal(a.post_ids, c.post_ids)


# ---------------------------------------------------------------- recording
def test_recording_shapes_and_only_what_was_asked():
    net = song_like_net()
    w0 = net.projections["inp->out"].weight
    res = net.run(100.0, record_spikes=["out"], record_weights={"inp->out": [0, 5, 7]},
                  weight_dt=1.0, progress=False)
    assert set(res.spikes) == {"out"}
    rec = res.weights["inp->out"]
    assert rec.w.shape == (100, 3)
    np.testing.assert_allclose(rec.t, np.arange(100) * 1.0)
    proj = net.projections["inp->out"]
    np.testing.assert_array_equal(rec.pre, proj.pre_ids[[0, 5, 7]])
    np.testing.assert_array_equal(rec.w[0], w0[[0, 5, 7]])
    np.testing.assert_array_equal(proj.weight, res.final_weights["inp->out"])
    assert res.state == {}
    assert res.final_weights["inp->out"].shape == (proj.n_syn,)


def test_weights_stay_in_bounds_and_change():
    res = run_song(song_like_net(), 1000.0)
    w = res.weights["inp->out"].w
    assert np.all(w >= 0.0) and np.all(w <= 0.05)
    assert not np.array_equal(w[0], w[-1])
    assert np.all(np.isfinite(res.state["out"].v))


# ---------------------------------------------------------------- determinism / chunks
def _same(a, b):
    for pop in a.spikes:
        np.testing.assert_array_equal(a.spikes[pop].t, b.spikes[pop].t)
        np.testing.assert_array_equal(a.spikes[pop].i, b.spikes[pop].i)
    for proj in a.final_weights:
        np.testing.assert_array_equal(a.final_weights[proj], b.final_weights[proj])
        np.testing.assert_array_equal(a.weights[proj].w, b.weights[proj].w)
    for pop in a.state:
        np.testing.assert_array_equal(a.state[pop].v, b.state[pop].v)


def test_same_seed_same_result_and_other_seed_differs():
    a = run_song(song_like_net(seed=4))
    b = run_song(song_like_net(seed=4))
    _same(a, b)
    c = run_song(song_like_net(seed=5))
    assert not np.array_equal(a.final_weights["inp->out"], c.final_weights["inp->out"])


def _digest_in_new_process():
    code = ("import hashlib, numpy as np, sys; sys.path.insert(0, %r)\n"
            "from test_core import song_like_net, run_song\n"
            "r = run_song(song_like_net(seed=4))\n"
            "h = hashlib.sha256()\n"
            "for p in sorted(r.spikes): h.update(r.spikes[p].t.tobytes()); "
            "h.update(r.spikes[p].i.tobytes())\n"
            "h.update(r.final_weights['inp->out'].tobytes())\n"
            "print(h.hexdigest())\n")
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, "-c", code % here], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_bitwise_identical_in_a_new_process():
    import hashlib
    r = run_song(song_like_net(seed=4))
    h = hashlib.sha256()
    for p in sorted(r.spikes):
        h.update(r.spikes[p].t.tobytes())
        h.update(r.spikes[p].i.tobytes())
    h.update(r.final_weights["inp->out"].tobytes())
    assert _digest_in_new_process() == h.hexdigest()


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_chunking_changes_nothing(chunk):
    net = song_like_net(seed=6)
    _same(run_song(net, 300.0), run_song(net, 300.0, chunk_steps=chunk))


def test_spike_buffer_growth_loses_nothing():
    # many recorded input spikes force the spike buffer to grow several times: every input
    # spike must still be there, in order
    net = song_like_net(seed=6, n_in=1000)
    a = run_song(net, 2000.0)
    steps, ids = net.input_spike_steps(2000.0)["inp"]
    assert steps.size > 20000
    np.testing.assert_array_equal(a.spikes["inp"].i, ids)
    np.testing.assert_array_equal(a.spikes["inp"].t, steps * 0.1)
    b = run_song(net, 2000.0, chunk_steps=20000)
    _same(a, b)


def test_interrupt_keeps_partial_result(monkeypatch):
    net = song_like_net(seed=7)
    full = run_song(net, 400.0, chunk_steps=100)
    real = K.run_steps
    calls = {"n": 0}

    def flaky(*args):
        out = real(*args)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(K, "run_steps", flaky)
    with pytest.raises(nl.SimulationInterrupted, match="stopped at t = 20 ms of 400 ms") as err:
        run_song(net, 400.0, chunk_steps=100)
    assert isinstance(err.value, KeyboardInterrupt)          # Run All stops, as on Ctrl-C
    part = err.value.result
    assert err.value.t == pytest.approx(20.0) and err.value.t_stop == pytest.approx(400.0)
    assert part.interrupted and part.t_end == pytest.approx(20.0)
    assert not full.interrupted
    sel = full.spikes["inp"].t < 20.0
    np.testing.assert_array_equal(part.spikes["inp"].t, full.spikes["inp"].t[sel])
    np.testing.assert_array_equal(part.weights["inp->out"].w,
                                  full.weights["inp->out"].w[:2])
    np.testing.assert_array_equal(part.state["out"].v, full.state["out"].v[:200])


def test_progress_bar_shown_when_asked(capsys):
    song_like_net().run(50.0, progress=True, chunk_steps=100)
    err = capsys.readouterr().err
    assert "simulating 50 ms" in err


# ---------------------------------------------------------------- save / load
def test_save_load_roundtrip_and_bytes_are_deterministic(tmp_path):
    net = song_like_net(seed=8)
    res = run_song(net, 200.0)
    res.save(tmp_path / "a")
    run_song(net, 200.0).save(tmp_path / "b")
    for name in ("run.json", "spikes.npz", "weights.npz", "state.npz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    back = nl.load_run(tmp_path / "a")
    _same_everything(res, back)
    assert back.params["network"]["seed"] == 8
    assert back.params["run"]["dt"] == 0.1
    assert "numpy" in back.params["versions"]
    assert not list((tmp_path / "a").glob(".*.tmp"))


def _same_everything(a, b):
    import dataclasses

    for key in ("dt", "duration", "t_end", "interrupted", "seed", "params"):
        assert getattr(a, key) == getattr(b, key), key
    for kind in ("spikes", "weights", "state"):
        da, db = getattr(a, kind), getattr(b, kind)
        assert set(da) == set(db)
        for name in da:
            for f in dataclasses.fields(da[name]):
                x, y = getattr(da[name], f.name), getattr(db[name], f.name)
                if x is None or y is None:
                    assert x is None and y is None, (kind, name, f.name)
                elif isinstance(x, np.ndarray):
                    assert x.dtype == np.asarray(y).dtype, (kind, name, f.name)
                    np.testing.assert_array_equal(x, y)
                else:
                    assert x == y, (kind, name, f.name)
    assert set(a.final_weights) == set(b.final_weights)
    for name in a.final_weights:
        np.testing.assert_array_equal(a.final_weights[name], b.final_weights[name])


def test_load_run_detects_a_mixed_folder(tmp_path):
    net = song_like_net(seed=8)
    run_song(net, 100.0).save(tmp_path / "a")
    run_song(song_like_net(seed=9), 100.0).save(tmp_path / "b")
    # an interrupted save: new spikes beside the old run.json
    (tmp_path / "a" / "spikes.npz").write_bytes((tmp_path / "b" / "spikes.npz").read_bytes())
    with pytest.raises(ValueError, match="spikes.npz does not match"):
        nl.load_run(tmp_path / "a")


def test_failed_write_leaves_previous_file(tmp_path, monkeypatch):
    from neurolab.base import io

    target = tmp_path / "x.json"
    io.atomic_write_json(target, {"a": 1})
    before = target.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError):
        io.atomic_write_json(target, {"a": 2})
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_rates_and_spike_trains():
    net = nl.Network(dt=0.1)
    net.add_spikes("s", 3, times=[1.0, 2.0, 3.0, 4.0], indices=[0, 0, 2, 0])
    res = net.run(1000.0, progress=False, record_spikes="all")
    np.testing.assert_allclose(res.rates("s"), [3.0, 0.0, 1.0])
    trains = res.spike_trains("s")
    np.testing.assert_allclose(trains[0], [1.0, 2.0, 4.0])
    assert trains[1].size == 0
    with pytest.raises(KeyError, match="nope"):
        res.rates("nope")


# ---------------------------------------------------------------- cases found in review
def test_default_weight_sampling_works_for_any_dt():
    net = nl.Network(dt=0.3)
    net.add_poisson("p", 3, 10.0)
    net.add_lif("n", 1)
    net.connect("p", "n", stdp=nl.STDPParams(w_max=2.0))
    res = net.run(30.0, record_weights={"p->n": "all"}, progress=False)
    np.testing.assert_allclose(res.weights["p->n"].t, np.arange(34) * 0.9)   # 3 steps


def test_tiny_poisson_rates_never_give_negative_steps():
    net = nl.Network(seed=1)
    net.add_poisson("p", 3, rates=[1e-13, 50.0, 0.0])
    steps, ids = net.input_spike_steps(1000.0)["p"]
    assert steps.min() >= 0 and steps.max() < 10000
    assert set(ids.tolist()) <= {0, 1} and np.sum(ids == 1) > 20


def test_poisson_input_of_a_short_run_is_a_prefix_of_a_long_one():
    net = nl.Network(seed=3)
    net.add_poisson("p", 20, rates=np.linspace(1.0, 80.0, 20))
    short = net.input_spike_steps(1500.0)["p"]
    long = net.input_spike_steps(4000.0)["p"]
    k = short[0].size
    assert k > 100
    np.testing.assert_array_equal(long[0][:k], short[0])
    np.testing.assert_array_equal(long[1][:k], short[1])
    assert long[0][k] >= 15000


def test_a_few_fast_poisson_sources_do_not_blow_up_the_draws():
    from neurolab import stimuli as inputs

    rng = np.random.default_rng(0)
    p = np.r_[0.05, np.full(999, 1e-4)]
    calls = []
    real = rng.geometric

    class Spy:
        def geometric(self, pp, size):
            calls.append(size[0] * size[1])
            return real(pp, size=size)

    steps, ids = inputs._block(p, 10000, Spy())
    # about 500 + 999 spikes are needed; a single gap count for all would draw ~600 000
    assert sum(calls) < 60000
    assert abs(np.sum(ids == 0) - 500) < 5 * math.sqrt(500)


def test_a_delay_longer_than_the_run_delivers_nothing_and_costs_no_memory():
    net = nl.Network(dt=0.1)
    net.add_spikes("s", 1, times=[0.0], indices=[0])
    net.add_lif("n", 1)
    net.connect("s", "n", weight=30.0, delay=1e6)
    res = net.run(5.0, progress=False)
    assert len(res.spikes["n"]) == 0


def test_van_rossum_depression_is_proportional_to_the_weight():
    # one post spike, then one pre spike 5 ms later: depression only, scaled by
    # (w - w_min)/(w_max - w_min) when mu_minus = 1 (potentiation stays additive)
    def final(mu_minus):
        net = nl.Network(dt=0.1)
        net.add_spikes("pre", 1, times=[15.0], indices=[0])
        net.add_spikes("drive", 1, times=[10.0], indices=[0])
        net.add_lif("post", 1, nl.LIFParams(v_rest=-70.0, v_th=-54.0))
        net.connect("drive", "post", weight=30.0)
        s = nl.STDPParams(A_plus=0.01, A_minus=0.01, w_max=1.0, mu=0.0, mu_minus=mu_minus)
        net.connect("pre", "post", weight=0.25, stdp=s)
        return net.run(40.0, progress=False).final_weights["pre->post"][0]
    dw_add = final(0.0) - 0.25
    dw_mult = final(1.0) - 0.25
    assert dw_add < 0
    assert dw_mult == pytest.approx(dw_add * 0.25, rel=1e-12)
