"""The researcher's API (issue 7) and bounded, loud runs (issue 6): continued runs,
store/restore, per-neuron parameters, Poisson drives, time-varying rates, injected
currents, changes between runs, recording controls, memory and non-finite checks."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

import importlib

import neurolab as nl

S = importlib.import_module("neurolab.engine.tables")
R = importlib.import_module("neurolab.base.resources")


def busy_net(seed=2):
    """Every kind of input and state: Poisson (constant and table rates), explicit spikes,
    a Poisson drive, an injected current schedule, plastic recurrent delta synapses with
    delays and refractoriness, a conductance population."""
    net = nl.Network(dt=0.1, seed=seed)
    inp = net.add_poisson("inp", 60, rates=20.0)
    tv = net.add_poisson("tv", 20, rates=[[5.0], [60.0], [20.0]], rate_dt=70.0)
    stim = net.add_spikes("stim", 3, times=[3.0, 50.0, 120.0, 251.3], indices=[0, 1, 2, 0])
    E = net.add_lif("E", 15, nl.LIFParams(v_th=("uniform", -55.0, -53.0), refractory=2.0,
                                          tau_m=np.linspace(10.0, 20.0, 15)),
                    v_init=("uniform", -70.0, -56.0))
    C = net.add_lif("C", 3, nl.LIFParams(synapse="conductance", v_rest=-74.0))
    stdp = nl.STDPParams(A_plus=0.02, A_minus=0.021, w_max=3.0)
    net.connect(inp, E, "probability", p=0.4, weight=("uniform", 0.0, 3.0), stdp=stdp)
    net.connect(tv, E, "probability", p=0.4, weight=1.5)
    net.connect(stim, E, weight=4.0)
    net.connect(E, E, "probability", p=0.3, weight=("uniform", 0.0, 2.0), delay=1.5,
                stdp=nl.STDPParams(A_plus=0.01, A_minus=0.01, w_max=2.0, pairing="nearest"),
                autapses=False)
    net.connect(E, C, weight=0.05)
    net.add_poisson_input("ext", E, n_sources=50, rate=10.0, weight=0.5)
    net.add_current("I", E, amplitude=[0.0, 2.0, 1.0], times=[0.0, 100.0, 230.0])
    return net


RUN = dict(record_spikes="all", record_weights={"inp->E": "all", "E->E": [0, 3, 5]},
           weight_dt=1.0, record_state={"E": "all", "C": [1]}, state_vars=("v", "ge"),
           progress=False)


def concat(parts):
    """One result's arrays from consecutive runs (spikes, weight/state samples)."""
    out = {}
    for name in parts[0].spikes:
        out[f"spk {name}"] = (np.concatenate([p.spikes[name].t for p in parts]),
                              np.concatenate([p.spikes[name].i for p in parts]))
    for name in parts[0].weights:
        out[f"w {name}"] = np.concatenate([p.weights[name].w for p in parts])
        out[f"wt {name}"] = np.concatenate([p.weights[name].t for p in parts])
    for name in parts[0].state:
        out[f"v {name}"] = np.concatenate([p.state[name].v for p in parts])
        out[f"st {name}"] = np.concatenate([p.state[name].t for p in parts])
    for name in parts[-1].final_weights:
        out[f"final {name}"] = parts[-1].final_weights[name]
    return out


def assert_bitwise(a, b):
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, tuple):
            for u, v in zip(x, y):
                np.testing.assert_array_equal(u, v, err_msg=key)
        else:
            np.testing.assert_array_equal(x, y, err_msg=key)


# ---------------------------------------------------------------- continued runs
@pytest.mark.parametrize("splits", [(300.0,), (150.0, 150.0), (0.1, 99.9, 100.3, 99.7),
                                    (70.0, 0.5, 229.5)])
def test_continued_runs_equal_one_run_bitwise(splits):
    whole = concat([busy_net().run(300.0, **RUN)])
    net = busy_net()
    parts = [net.run(d, **RUN) for d in splits]
    assert net.t == pytest.approx(300.0)
    assert parts[0].t_start == 0.0 and parts[-1].t_end == pytest.approx(300.0)
    assert_bitwise(whole, concat(parts))
    assert len(whole["spk E"][0]) > 50          # the comparison means something


def test_second_run_is_not_a_replay():
    net = busy_net()
    a = net.run(100.0, **RUN)
    b = net.run(100.0, **RUN)
    assert b.t_start == pytest.approx(100.0)
    assert b.spikes["inp"].t.min() >= 100.0
    assert not np.array_equal(a.spikes["inp"].t + 100.0, b.spikes["inp"].t)


def test_store_restore_returns_bitwise():
    net = busy_net()
    net.run(120.0, **RUN)
    net.store("mid")
    a = net.run(80.0, **RUN)
    net.restore("mid")
    assert net.t == pytest.approx(120.0)
    b = net.run(80.0, **RUN)
    assert_bitwise(concat([a]), concat([b]))
    with pytest.raises(KeyError, match="nope.*mid"):
        net.restore("nope")


def test_store_at_start_and_structure_is_fixed():
    net = busy_net()
    net.store()
    first = net.run(50.0, **RUN)
    net.restore()
    assert net.t == 0.0
    again = net.run(50.0, **RUN)
    assert_bitwise(concat([first]), concat([again]))
    with pytest.raises(RuntimeError, match="structure is fixed.*t = 50 ms"):
        net.add_lif("late", 1)


def test_interrupt_while_drawing_input_is_clean_and_resumable(monkeypatch):
    whole = concat([busy_net().run(300.0, chunk_steps=200, **RUN)])
    net = busy_net()
    real = S.RunState.chunk_inputs
    calls = {"n": 0}

    def flaky(self, n0, n1):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, n0, n1)

    monkeypatch.setattr(S.RunState, "chunk_inputs", flaky)
    with pytest.raises(nl.SimulationInterrupted, match="stopped at t = 60 ms") as err:
        net.run(300.0, chunk_steps=200, **RUN)
    part = err.value.result
    assert part.interrupted and part.t_end == pytest.approx(60.0) and net.t == 60.0
    monkeypatch.setattr(S.RunState, "chunk_inputs", real)
    rest = net.run(240.0, chunk_steps=200, **RUN)
    assert_bitwise(whole, concat([part, rest]))


# ---------------------------------------------------------------- per-neuron parameters
def test_heterogeneous_population_equals_one_neuron_populations():
    n = 5
    rng = np.random.default_rng(0)
    prm = dict(tau_m=rng.uniform(8.0, 25.0, n), v_th=rng.uniform(-56.0, -50.0, n),
               v_reset=rng.uniform(-65.0, -60.0, n), refractory=[0.0, 0.1, 1.0, 2.0, 3.3],
               I_bias=rng.uniform(0.0, 6.0, n), tau_e=rng.uniform(2.0, 8.0, n))
    times = np.sort(rng.uniform(0, 200, 300)).round(1)
    ids = rng.integers(0, 10, 300)
    keep = np.unique(np.stack([np.rint(times * 10), ids]), axis=1, return_index=True)[1]
    times, ids = times[keep], ids[keep]

    def spikes(net):
        return net.add_spikes("in", 10, times=times, indices=ids)

    big = nl.Network(dt=0.1, seed=0)
    src = spikes(big)
    pop = big.add_lif("P", n, nl.LIFParams(synapse="current", **prm), v_init=-65.0)
    big.connect(src, pop, weight=6.0)
    res = big.run(200.0, record_state={"P": "all"}, progress=False)
    small = nl.Network(dt=0.1, seed=0)
    src = spikes(small)
    for k in range(n):
        one = {key: float(np.asarray(val)[k]) for key, val in prm.items()}
        q = small.add_lif(f"P{k}", 1, nl.LIFParams(synapse="current", **one), v_init=-65.0)
        small.connect(src, q, weight=6.0)
    ref = small.run(200.0, record_state={f"P{k}": "all" for k in range(n)}, progress=False)
    total = 0
    for k in range(n):
        sel = res.spikes["P"].i == k
        np.testing.assert_array_equal(res.spikes["P"].t[sel], ref.spikes[f"P{k}"].t)
        np.testing.assert_array_equal(res.state["P"].v[:, k], ref.state[f"P{k}"].v[:, 0])
        total += int(sel.sum())
    assert total > 20


def test_distribution_parameters_are_drawn_per_neuron_and_seeded():
    p = nl.LIFParams(v_th=("normal", -50.0, 1.0))
    a = nl.Network(seed=4).add_lif("x", 500, p).param("v_th")
    b = nl.Network(seed=4).add_lif("x", 500, p).param("v_th")
    c = nl.Network(seed=5).add_lif("x", 500, p).param("v_th")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(a.mean() + 50.0) < 0.2 and abs(a.std() - 1.0) < 0.15


def test_per_neuron_errors_name_the_neuron():
    net = nl.Network(dt=0.1)
    with pytest.raises(ValueError, match=r"v_reset must be < v_th.*index 2"):
        net.add_lif("x", 3, nl.LIFParams(v_th=[-50.0, -50.0, -61.0]))
    with pytest.raises(ValueError, match=r"tau_m must be > 0.*-1.0.*index 1"):
        nl.LIFParams(tau_m=[10.0, -1.0])
    with pytest.raises(ValueError, match=r"dt must not exceed.*tau_m = 0.05 ms at neuron 1"):
        net.add_lif("y", 2, nl.LIFParams(tau_m=[10.0, 0.05]))


def test_bias_current_sets_the_steady_state():
    # tau_m dv/dt = v_rest + I_bias - v: v(t) = v_rest + I_bias (1 - exp(-t / tau_m))
    net = nl.Network(dt=0.1)
    net.add_lif("n", 2, nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=0.0, I_bias=[5.0, 12.0]),
                v_init=-70.0)
    res = net.run(50.0, record_state={"n": "all"}, progress=False)
    t = res.state["n"].t
    want = -70.0 + np.array([5.0, 12.0]) * (1.0 - np.exp(-t[:, None] / 10.0))
    np.testing.assert_allclose(res.state["n"].v, want, rtol=0, atol=1e-11)


# ---------------------------------------------------------------- inputs
def test_step_current_follows_the_closed_form():
    # 0 until 10 ms, then I = 8 mV until 30 ms, then 3 mV: piecewise exact exponentials
    tau = 15.0
    net = nl.Network(dt=0.1)
    n = net.add_lif("n", 1, nl.LIFParams(tau_m=tau, v_rest=-70.0, v_th=0.0), v_init=-70.0)
    net.add_current("I", n, amplitude=[8.0, 3.0], times=[10.0, 30.0])
    res = net.run(60.0, record_state={"n": "all"}, progress=False)
    t = res.state["n"].t
    v = res.state["n"].v[:, 0]
    v30 = -70.0 + 8.0 * (1.0 - math.exp(-20.0 / tau))
    want = np.where(t <= 10.0, -70.0, np.where(
        t <= 30.0, -70.0 + 8.0 * (1.0 - np.exp(-(t - 10.0) / tau)),
        -67.0 + (v30 + 67.0) * np.exp(-(t - 30.0) / tau)))
    np.testing.assert_allclose(v, want, rtol=0, atol=1e-11)


def test_current_changed_between_runs_and_summed_over_sources():
    net = nl.Network(dt=0.1)
    n = net.add_lif("n", 2, nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=0.0), v_init=-70.0)
    a = net.add_current("a", n, amplitude=[1.0, 2.0])
    net.add_current("b", n[1:] if hasattr(n, "__getitem__") and False else n, amplitude=4.0)
    net.run(20.0, progress=False)
    a.amplitude = [10.0, 0.0]
    res = net.run(20.0, record_state={"n": "all"}, progress=False)
    # from t = 20 the totals are 14 and 4 mV
    v20 = -70.0 + np.array([5.0, 6.0]) * (1 - math.exp(-2.0))
    t = res.state["n"].t - 20.0
    want = -70.0 + np.array([14.0, 4.0]) + (v20 + 70.0 - np.array([14.0, 4.0])) * np.exp(
        -t[:, None] / 10.0)
    np.testing.assert_allclose(res.state["n"].v, want, rtol=0, atol=1e-11)
    assert any(c["what"] == "a.amplitude" for c in res.params["run"]["changes_before_run"])


def test_poisson_input_counts_are_binomial():
    N, rate, dt = 400, 30.0, 0.1
    p = rate * dt / 1000
    net = nl.Network(dt=dt, seed=9)
    t = net.add_lif("t", 50, nl.LIFParams(tau_m=1e12, v_rest=0.0, v_th=1e9, v_reset=-1.0),
                    v_init=0.0)
    net.add_poisson_input("ext", t, n_sources=N, rate=rate, weight=0.25)
    res = net.run(300.0, record_state={"t": "all"}, progress=False)
    k = np.rint(np.diff(res.state["t"].v, axis=0) / 0.25).reshape(-1).astype(int)
    m = k.size
    assert abs(k.mean() - N * p) < 5 * math.sqrt(N * p * (1 - p) / m)
    # the frequencies of 0, 1, 2, 3 spikes against the binomial pmf
    for j in range(4):
        pmf = math.comb(N, j) * p ** j * (1 - p) ** (N - j)
        assert abs(np.mean(k == j) - pmf) < 5 * math.sqrt(pmf * (1 - pmf) / m) + 1e-4


def test_poisson_input_inhibitory_delta_lowers_v():
    net = nl.Network(dt=0.1, seed=1)
    t = net.add_lif("t", 3, nl.LIFParams(tau_m=1e12, v_rest=0.0, v_th=1e9, v_reset=-1.0),
                    v_init=0.0)
    net.add_poisson_input("inh", t, n_sources=100, rate=50.0, weight=1.0, receptor="inh")
    res = net.run(100.0, record_state={"t": "all"}, progress=False)
    assert res.state["t"].v[-1].max() < -100.0          # about -100 * 50 Hz * 0.1 s = -500


def test_time_varying_rates_table_and_function():
    net = nl.Network(dt=0.1, seed=3)
    net.add_poisson("tab", 200, rates=[0.0, 100.0, 10.0], rate_dt=100.0)
    net.add_poisson("fn", 200, rates=lambda t: np.where(t < 150.0, 0.0, 80.0))
    res = net.run(400.0, record_spikes="all", progress=False)
    ts = res.spikes["tab"].t
    assert (ts < 100.0).sum() == 0
    n1 = ((ts >= 100.0) & (ts < 200.0)).sum()       # 200 sources x 100 Hz x 0.1 s = 2000
    n2 = (ts >= 200.0).sum()                        # the last bin holds: 200 x 10 Hz x 0.2 s
    assert abs(n1 - 2000) < 5 * math.sqrt(2000) and abs(n2 - 400) < 5 * math.sqrt(400)
    tf = res.spikes["fn"].t
    assert (tf < 150.0).sum() == 0 and abs(tf.size - 4000) < 5 * math.sqrt(4000)


def test_bad_rate_function_is_named():
    net = nl.Network(dt=0.1)
    net.add_poisson("fn", 3, rates=lambda t: np.full(t.size, 2e4))
    with pytest.raises(ValueError, match=r"rates of population 'fn'.*<= 1000/dt"):
        net.run(10.0, progress=False)


# ---------------------------------------------------------------- between runs
def test_rates_learning_params_weights_between_runs():
    net = nl.Network(dt=0.1, seed=5)
    inp = net.add_poisson("inp", 100, rates=10.0)
    out = net.add_lif("out", 2, nl.LIFParams(synapse="conductance", v_rest=-74.0))
    pr = net.connect(inp, out, weight=("uniform", 0.0, 0.02),
                     stdp=nl.STDPParams(A_plus=2e-4, A_minus=2.1e-4, w_max=0.02))
    a = net.run(200.0, record_spikes="all", progress=False)
    inp.rates = 40.0
    pr.learning = False
    frozen_at = pr.weight
    b = net.run(200.0, record_spikes="all", progress=False)
    assert len(b.spikes["inp"]) > 2.5 * len(a.spikes["inp"])
    np.testing.assert_array_equal(b.final_weights["inp->out"], frozen_at)
    whats = [c["what"] for c in b.params["run"]["changes_before_run"]]
    assert whats == ["inp.rates", "inp->out.learning"]
    pr.learning = True
    out.set_params(v_th=-76.0, v_reset=-78.0)      # below rest: both fire at once
    out.v = -75.0
    c = net.run(50.0, progress=False)
    assert len(c.spikes["out"]) > 100
    assert not np.array_equal(c.final_weights["inp->out"], frozen_at)
    pr.weight = 0.01
    np.testing.assert_array_equal(pr.weight, np.full(pr.n_syn, 0.01))
    with pytest.raises(ValueError, match=r"weight must be in \[0.0, 0.02\], got 0.5"):
        pr.weight = 0.5
    with pytest.raises(RuntimeError, match="delays of 'inp->out' cannot change"):
        pr.delay = 1.0
    with pytest.raises(ValueError, match="rates must be <= 1000/dt"):
        inp.rates = 1e5
    with pytest.raises(ValueError, match="unknown or fixed parameter 'synapse'"):
        out.set_params(synapse="delta")


def test_off_grid_delay_refused_before_the_run():
    net = nl.Network(dt=0.1)
    a = net.add_spikes("a", 1, times=[1.0], indices=[0])
    b = net.add_lif("b", 1)
    pr = net.connect(a, b)
    with pytest.raises(ValueError, match="delay must be a multiple of dt"):
        pr.delay = 0.15


def test_changed_rates_continue_deterministically():
    def go():
        net = nl.Network(dt=0.1, seed=8)
        inp = net.add_poisson("inp", 50, rates=5.0)
        net.run(100.0, progress=False)
        inp.rates = np.linspace(1.0, 50.0, 50)
        return net.run(300.0, record_spikes="all", progress=False)
    a, b = go(), go()
    np.testing.assert_array_equal(a.spikes["inp"].t, b.spikes["inp"].t)
    np.testing.assert_array_equal(a.spikes["inp"].i, b.spikes["inp"].i)


# ---------------------------------------------------------------- recording
def test_recording_subsets_and_windows():
    net = busy_net()
    res = net.run(200.0, record_spikes={"E": [0, 4, 7]}, record_weights={"inp->E": [1, 2]},
                  weight_dt=5.0, weight_window=(50.0, 120.0), record_state={"E": [3]},
                  state_dt=1.0, state_window=(10.0, 20.0), progress=False)
    assert set(res.spikes) == {"E"}
    assert set(np.unique(res.spikes["E"].i)) <= {0, 4, 7}
    np.testing.assert_array_equal(res.spikes["E"].recorded, [0, 4, 7])
    np.testing.assert_allclose(res.weights["inp->E"].t, np.arange(50.0, 120.0, 5.0))
    np.testing.assert_allclose(res.state["E"].t, np.arange(10.0, 20.0, 1.0))
    rates = res.rates("E")
    assert np.isnan(rates[1]) and np.isfinite(rates[[0, 4, 7]]).all()


def test_default_records_neurons_not_inputs():
    res = busy_net().run(20.0, progress=False)
    assert set(res.spikes) == {"E", "C"}


# ---------------------------------------------------------------- memory and NaN
def test_recordings_that_do_not_fit_are_refused_before_running(monkeypatch):
    monkeypatch.setattr(R, "available_memory", lambda: 2 * 2 ** 30)
    net = busy_net()
    with pytest.raises(MemoryError, match=r"need about .*GiB; 2 GiB available; record fewer"):
        net.run(5_000_000.0, record_weights={"inp->E": "all"}, weight_dt=0.1,
                progress=False)
    assert net.t == 0.0


def test_non_finite_state_stops_with_a_named_error():
    net = nl.Network(dt=0.1)
    s = net.add_spikes("s", 1, times=[5.0, 6.0], indices=[0, 0])
    n = net.add_lif("big", 2, nl.LIFParams(synapse="current", tau_e=1e6), v_init=-70.0)
    net.connect(s, n, weight=1e308)      # two such kicks overflow the synaptic current
    with pytest.raises(nl.NonFiniteStateError,
                       match=r"of neuron 0 of population 'big' is (inf|nan) at t = .* ms"):
        net.run(10.0, progress=False)


def test_memory_does_not_grow_with_duration():
    """Peak RSS of the README's one-neuron network (1000 Poisson inputs, STDP, only output
    spikes recorded) for 20 s and 200 s of simulated time, each in a fresh process."""
    code = ("import resource, neurolab as nl\n"
            "net = nl.Network(dt=0.1, seed=0)\n"
            "i = net.add_poisson('inp', 1000, 15.0)\n"
            "o = net.add_lif('out', 1, nl.LIFParams(synapse='conductance', v_rest=-74.0))\n"
            "net.connect(i, o, weight=('uniform', 0, 0.01), stdp=nl.STDPParams("
            "A_plus=5e-5, A_minus=5.25e-5, w_max=0.01))\n"
            "net.run(%f, progress=False)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    rss = [int(subprocess.run([sys.executable, "-c", code % d], capture_output=True,
                              text=True, check=True).stdout.split()[-1])
           for d in (20_000.0, 200_000.0)]
    # today's (chunked) input: the same peak within 30 MiB; before: +170 MiB for +180 s
    assert rss[1] - rss[0] < 30 * 1024, rss


def test_projection_too_big_for_the_machine_is_refused_before_allocating():
    net = nl.Network()
    a = net.add_lif("a", 40_000)
    b = net.add_lif("b", 40_000)
    with pytest.raises(MemoryError, match=r"1.6e\+09 synapses .* need about .*GiB; "
                                          r".* available; use rule='fixed_indegree'"):
        net.connect(a, b, rule="all_to_all")
    with pytest.raises(MemoryError, match="synapses"):
        net.connect(a, b, rule="probability", p=0.9)
    net.connect(a, b, rule="fixed_indegree", k=10)      # 400 000 synapses: fine


def test_provenance_records_the_weights_a_run_starts_from():
    net = nl.Network(dt=0.1, seed=2)
    inp = net.add_poisson("inp", 50, rates=30.0)
    out = net.add_lif("out", 1, nl.LIFParams(synapse="conductance", v_rest=-74.0,
                                             v_th=-73.0, v_reset=-76.0))   # fires often
    net.connect(inp, out, weight=0.01, stdp=nl.STDPParams(A_plus=1e-3, A_minus=1e-3,
                                                          w_max=0.02))
    first = net.run(500.0, progress=False)
    assert len(first.spikes["out"]) > 10
    (rec,) = first.params["network"]["projections"]
    assert rec["weight_init"] == 0.01                 # not the weights learning left
    second = net.run(10.0, progress=False)
    (rec,) = second.params["network"]["projections"]
    assert rec["weight_init"]["mean"] == pytest.approx(first.final_weights["inp->out"].mean())
