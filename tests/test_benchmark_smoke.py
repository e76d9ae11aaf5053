"""Smoke test of benchmarks/bench.py and benchmarks/scaling.py: the benchmark networks
(the recurrent B3 included) build and run at tiny sizes (no JIT subprocesses, no C++
compilation) and the synaptic-event counts reported agree with a count made independently,
synapse by synapse, from the connectivity; the two Brian2 variants (PoissonGroup, same
input spikes) go through the driver, the comparison and the tables on Brian2's numpy
target; the memory per synapse reported agrees with what tracemalloc sees allocated; the
threads comparison flags a run that differs from one thread; the scaling script writes its
JSON and figure. No timing is asserted."""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import subprocess
import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import neurolab as nl

REPO = Path(__file__).resolve().parents[1]

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
BENCH = BENCH_DIR / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("neurolab_bench", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def scaling():
    """benchmarks/scaling.py (it imports bench.py as ``bench`` from its own folder, which
    it puts on sys.path: restored afterwards)."""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("neurolab_scaling",
                                                      BENCH_DIR / "scaling.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path[:] = saved
    return mod


def tiny_cases(bench):
    return bench.make_cases(quick=True, b3_sizes=(300,), b2_n=400, b3r_sizes=(300,),
                            durations={"B1": 300.0, "B2": 100.0, "B3": 60.0, "B3r": 60.0})


def count_events_by_hand(net, res, duration):
    """For every recorded presynaptic spike, walk the projection's synapse list and count
    the synapses whose (axonal) delay lets the spike arrive before the run ends."""
    n_steps = round(duration / net.dt)
    total = 0
    for proj in net.projections.values():
        out_delays = defaultdict(list)
        for pre, delay in zip(proj.pre_ids.tolist(), proj.delay.tolist()):
            out_delays[pre].append(round(delay / net.dt))
        rec = res.spikes[proj.pre.name]
        for t, i in zip(rec.t.tolist(), rec.i.tolist()):
            step = round(t / net.dt)
            total += sum(1 for d in out_delays.get(i, ()) if step + d < n_steps)
    return total


def test_event_counts_match_connectivity(bench):
    for case in tiny_cases(bench):
        net, res, spikes, out = bench.run_neurolab(case)
        by_hand = count_events_by_hand(net, res, case["duration"])
        assert out["events"] == by_hand, case["key"]
        assert out["events"] > 0, case["key"]
        # the recorded source spikes are exactly the input table the kernel saw
        for name, (steps, ids) in net.input_spike_steps(case["duration"]).items():
            assert np.array_equal(spikes[name][0], steps), (case["key"], name)
            assert np.array_equal(spikes[name][1], ids), (case["key"], name)
        # every network is active: its LIF neurons spike
        n_out = sum(out["spikes"][p]["n_spikes"] for p, pop in net.populations.items()
                    if pop.kind == "lif")
        assert n_out > 0, case["key"]


def test_event_count_with_delays(bench):
    """Spikes whose delayed arrival falls after the end of the run are not counted."""
    net = nl.Network(dt=0.1, seed=5)
    src = net.add_spikes("src", n=3, times=[0.0, 1.0, 9.5, 9.9], indices=[0, 1, 2, 0])
    lif = net.add_lif("lif", n=4, params=nl.LIFParams(synapse="delta"))
    net.connect(src, lif, rule="explicit", pre_ids=[0, 0, 1, 2, 2], post_ids=[0, 1, 2, 3, 0],
                weight=1.0, delay=[0.0, 0.3, 0.0, 0.2, 1.0])
    duration = 10.0
    res = net.run(duration, progress=False, record_spikes="all")
    spikes = {k: (np.rint(r.t / net.dt).astype(np.int64), r.i) for k, r in res.spikes.items()}
    # src 0 at 0.0 -> 2 synapses; at 9.9 -> delay 0 arrives (step 99), delay 0.3 does not;
    # src 1 at 1.0 -> 1; src 2 at 9.5 -> delay 0.2 arrives (step 97), delay 1.0 does not
    assert bench.synaptic_events(net, spikes, net.n_steps(duration)) == 5
    assert count_events_by_hand(net, res, duration) == 5


def test_report_table_and_json(bench, tmp_path):
    report = bench.run_benchmarks(tiny_cases(bench), brian2=False, jit=False,
                                  log=lambda *a: None)
    keys = [e["key"] for e in report["benchmarks"]]
    assert keys == ["B1", "B2", "B3-300", "B3r-300"]
    for e in report["benchmarks"]:
        r = e["neurolab"]
        assert r["events"] > 0 and r["loop_s"] > 0 and r["events_per_s"] > 0
        assert r["kernel_s"] == pytest.approx(max(r["loop_s"] - r["tables_s"], 0.0))
        # time inside the kernel's calls: part of the loop (None if no run_steps* is called)
        assert r["run_steps_s"] is None or 0 < r["run_steps_s"] < r["loop_s"]
        assert set(r["threads"]) == {"1"} and r["threads"]["1"]["identical"] is True
        assert e["variants"] == {}
    table = bench.markdown_table(report)
    for key in keys:
        # loop, totals, where the loop goes and memory tables (one thread: no threads table)
        assert table.count(f"\n| {key} |") == 4
    assert "Threads (" not in table
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(report))
    back = json.loads(path.read_text())["benchmarks"]
    assert back[2]["n_syn"] == 300 * 100
    # the recurrent B3: in-degree 100 onto each of its 300 neurons; plastic: 80 from the
    # 240 excitatory neurons onto each excitatory one
    assert back[3]["n_syn"] == 300 * 100
    mem = back[3]["neurolab"]["memory"]
    assert (mem["n_syn"], mem["n_plastic"]) == (300 * 100, 240 * 80)
    assert mem["plastic"] > mem["static"] > 0
    assert back[0]["neurolab"]["memory"]["plastic"] is not None     # B1: all plastic
    assert back[2]["neurolab"]["memory"]["plastic"] is None         # B3: all static
    limits = {t["target"].split(" (")[0]: t["limit"] for t in report["targets"]}
    assert limits["bytes per static synapse"] == 16
    assert limits["bytes per plastic synapse"] == 24


def test_cli_quick_no_brian2(bench, tmp_path, capsys):
    path = tmp_path / "out" / "bench.json"
    # --quick sizes, restricted to the smallest network so that the test stays short
    report = bench.main(["--quick", "--no-brian2", "--no-jit", "--only", "B3-1k",
                         "--json", str(path)])
    assert [e["key"] for e in report["benchmarks"]] == ["B3-1k"]
    assert json.loads(path.read_text())["options"]["brian2"] is False
    assert "| B3-1k |" in capsys.readouterr().out


def _fake_standalone(bench, b2, monkeypatch):
    """Brian2's numpy runtime in place of cpp_standalone in the driver (no compiler run)."""

    def fake_standalone(case, net, workdir, variant="same", repeat=1):
        b2.prefs.codegen.target = "numpy"
        prefix = f"fake_{variant}_{case['key'].replace('-', '_')}_"
        bnet, spikes_of, syn, final_w = bench._b2_build(b2, net, case["duration"], prefix,
                                                        variant, group=case["group"])
        bnet.run(net.n_steps(case["duration"]) * net.dt * b2.ms, namespace={})
        spikes = spikes_of()
        res = bench._b2_result(net, spikes, case["duration"], 1.0, 1.0, {
            "variant": variant, "construct_s": 0.0, "compile_s": 0.0, "binary_s": 1.0,
            "make_s": 0.0, "memory": bench.brian2_memory(net, syn)}, syn, final_w)
        res["_spikes"] = spikes
        return res

    monkeypatch.setattr(bench, "run_brian2_standalone", fake_standalone)
    monkeypatch.setattr(b2, "set_device", lambda *a, **k: None)


def test_brian2_variants_through_driver(bench, monkeypatch, request):
    """Both Brian2 variants on a tiny B1, with the numpy runtime standing in for
    cpp_standalone (no compiler run): same input spikes reproduce neurolab spike for spike
    and weight for weight; PoissonGroup draws its own input at the requested rate."""
    b2 = pytest.importorskip("brian2")
    old_target = b2.prefs.codegen.target
    request.addfinalizer(lambda: setattr(b2.prefs.codegen, "target", old_target))

    _fake_standalone(bench, b2, monkeypatch)
    cases = [{"key": "B1", "group": "B1", "build": bench.build_b1,
              "duration": 200.0, "runtime_span": 100.0, "title": "tiny B1"}]
    report = bench.run_benchmarks(cases, brian2=True, jit=False, log=lambda *a: None,
                                  models=("translated",))
    for e in report["benchmarks"]:
        assert set(e["variants"]) == {"poisson", "same"}
        same, pois = e["variants"]["same"]["check"], e["variants"]["poisson"]["check"]
        assert same["identical_spikes"] is True
        assert same["lif_rate_rel_diff"] == 0.0
        assert same["input_rate_hz"]["neurolab"] == same["input_rate_hz"]["brian2_cpp"]
        assert "identical_spikes" not in pois
        assert pois["input_rate_hz"]["brian2_cpp"] == pytest.approx(15.0, rel=0.3)
        assert e["variants"]["poisson"]["numpy"]["scale"] == 2.0  # 100 ms scaled to 200
    b1 = report["benchmarks"][0]["variants"]
    assert b1["same"]["check"]["max_abs_w_diff"] < 1e-12
    assert "mean_w" in b1["poisson"]["check"]
    table = bench.markdown_table(report)
    for label in ("B1 (Brian2 PoissonGroup)", "B1 (same input spikes)"):
        assert table.count(f"\n| {label} |") == 3  # loop, totals and agreement tables
    target = next(t for t in report["targets"] if t["target"].startswith("B1 loop"))
    assert target["variant"] == "Brian2 PoissonGroup"
    assert target["beside"].startswith("same input spikes: ")
    assert bench.readme_table(report).count("\n| B1: ") == 1


def test_recurrent_b3_through_brian2_driver(bench, monkeypatch, request):
    """The recurrent B3 (delays 1.5 ms, STDP on E->E, E and I populations) through the
    Brian2 driver on the numpy runtime: spike for spike and weight for weight; Brian2's
    memory per synapse reaches the memory table."""
    b2 = pytest.importorskip("brian2")
    old_target = b2.prefs.codegen.target
    request.addfinalizer(lambda: setattr(b2.prefs.codegen, "target", old_target))
    _fake_standalone(bench, b2, monkeypatch)
    case = next(c for c in tiny_cases(bench) if c["group"] == "B3r")
    case["runtime_span"] = case["duration"]
    report = bench.run_benchmarks([case], brian2=True, jit=False, log=lambda *a: None,
                                  models=("translated",), plain=False)
    e = report["benchmarks"][0]
    assert set(e["variants"]) == {"same"}          # no Poisson input: one variant
    chk = e["variants"]["same"]["check"]
    assert chk["identical_spikes"] is True
    assert chk["max_abs_w_diff"] < 1e-12
    assert e["neurolab"]["spikes"]["exc"]["n_spikes"] > 0
    assert e["neurolab"]["spikes"]["inh"]["n_spikes"] > 0
    row = next(ln for ln in bench.memory_table(report) if ln.startswith("| B3r-300 |"))
    assert row.endswith("| 20.0 | 60.0 | – | – |")     # no hand-written model run


def test_hand_written_brian2_models_through_driver(bench, monkeypatch, request):
    """The hand-written Brian2 models (benchmarks/brian2_hand.py) of B1, B2 and the
    recurrent B3 through the driver, at tiny sizes, with Brian2's numpy runtime standing in
    for cpp_standalone (no compiler run): with neurolab's input spikes each reproduces
    neurolab spike for spike and its plastic weights to 1e-12, beside the translated model;
    B1's PoissonGroup variant draws its own input; the side-by-side table has one row per
    benchmark and input, with the check; the plain loop on B3r gives neurolab's result."""
    b2 = pytest.importorskip("brian2")
    old_target = b2.prefs.codegen.target
    request.addfinalizer(lambda: setattr(b2.prefs.codegen, "target", old_target))
    _fake_standalone(bench, b2, monkeypatch)
    cases = [c for c in tiny_cases(bench) if c["group"] in ("B1", "B2", "B3r")]
    for c in cases:
        c["runtime_span"] = c["duration"]
    report = bench.run_benchmarks(cases, brian2=True, jit=False, log=lambda *a: None)
    by_key = {e["key"]: e for e in report["benchmarks"]}
    assert set(by_key) == {"B1", "B2", "B3r-300"}
    assert set(by_key["B1"]["variants"]) == {"poisson", "same", "hand_poisson", "hand"}
    for key in ("B2", "B3r-300"):
        assert set(by_key[key]["variants"]) == {"same", "hand"}
    for key, e in by_key.items():
        hand = e["variants"]["hand"]
        assert hand["check"]["identical_spikes"] is True, key
        assert hand["check"]["max_abs_w_diff"] < 1e-12, key
        assert "numpy" not in hand                      # cpp_standalone only
        assert sum(e["neurolab"]["spikes"][p]["n_spikes"] for p in e["lif_pops"]) > 0, key
        # the same events counted from the hand-written model's spikes
        assert hand["cpp"]["events"] == e["neurolab"]["events"], key
    pois = by_key["B1"]["variants"]["hand_poisson"]["check"]
    assert "identical_spikes" not in pois
    assert pois["input_rate_hz"]["brian2_cpp"] == pytest.approx(15.0, rel=0.3)
    plain = by_key["B3r-300"]["plain"]
    assert plain["same_spike_count"] is True and plain["same_weights"] is True
    side = bench.hand_table(report)
    rows = [ln for ln in side if ln.startswith("| B") and not ln.startswith("| Bench")]
    assert [r.split(" |")[0] for r in rows] == [
        "| B1 (Brian2 PoissonGroup)", "| B1 (same input spikes)", "| B2", "| B3r-300"]
    assert "– (other input)" in rows[0]
    for r in rows[1:]:
        assert "| yes, max \\|dw\\| " in r, r
    table = bench.markdown_table(report)
    assert "\n".join(side) in table
    for label in ("B2 (hand-written)", "B3r-300 (hand-written)",
                  "B1 (hand-written, same input spikes)"):
        assert table.count(f"\n| {label} |") == 3, label   # loop, totals, agreement
    mem = next(ln for ln in bench.memory_table(report) if ln.startswith("| B3r-300 |"))
    # hand-written: no weight variable on static synapses, scalar delays on every pathway
    assert mem.endswith("| 20.0 | 60.0 | 12.0 | 48.0 |")
    targets = {t["target"]: t for t in report["targets"]}
    b2t = targets["B2 loop neurolab / hand-written Brian2 cpp_standalone (issue 20)"]
    assert b2t["limit"] == 0.5 and "checked: yes" in b2t["beside"]
    assert bench.readme_table(report).count("\n| B2: ") == 1


def test_hand_written_b3r_refuses_heterogeneous_delays(bench):
    """A hand-written model has one delay per projection: a network whose delays differ
    between synapses is refused, not silently given one of them."""
    b2 = pytest.importorskip("brian2")
    from brian2_hand import build_hand

    net = bench.build_b3r(300)
    pr = net.projections["exc->inh"]
    pr.delay = np.where(np.arange(pr.n_syn) % 2 == 0, 1.5, 2.0)
    with _unused_brian2_objects_quiet(), pytest.raises(ValueError, match="delay of exc->inh"):
        build_hand("B3r", b2, net, 10.0, prefix="refuse_")


def test_cli_recurrent_b3_and_threads_option(bench, tmp_path, capsys):
    """The recurrent B3 from the command line with --threads 1,2: both counts timed where
    net.run takes threads=, otherwise one thread and a printed note; a bad --threads
    value is refused, naming the option."""
    # in a process of its own: threads > 1 and NEST (the oracle of other tests in this
    # process) must not meet in one process (see tests/test_threads.py)
    path = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench.py"), "--quick",
                          "--no-brian2", "--no-jit", "--only", "B3r-1k", "--threads", "1,2",
                          "--json", str(path)], capture_output=True, text=True, timeout=900,
                         cwd=str(REPO), check=False)
    out = run.stdout
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    saved = json.loads(path.read_text())
    assert [e["key"] for e in saved["benchmarks"]] == ["B3r-1k"]
    assert "| B3r-1k |" in out
    assert saved["options"]["threads"] == [1, 2]
    threads = saved["benchmarks"][0]["neurolab"]["threads"]
    if bench.threads_supported():
        assert set(threads) == {"1", "2"} and threads["2"]["identical"] is True
    else:
        assert set(threads) == {"1"}
        assert "takes no threads=" in out
    with pytest.raises(SystemExit):
        bench.main(["--threads", "0,2", "--no-jit", "--no-brian2"])
    assert "--threads must be comma-separated integers >= 1 (e.g. 1,2), got '0,2'" in \
        capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--models", "hand,numpy", "--no-jit", "--no-brian2"])
    assert "--models must be translated, hand or translated,hand, got 'hand,numpy'" in \
        capsys.readouterr().err


def _fake_threads(monkeypatch, bench, broken=False):
    """Make the driver believe that net.run takes threads= (the run ignores it); with
    ``broken``, a run on 2 threads returns one final weight changed by 1e-12."""
    run = nl.Network.run

    def run_threads(self, duration, threads=1, **kw):
        res = run(self, duration, **kw)
        if broken and threads == 2:
            name = next(k for k, pr in self.projections.items() if pr.stdp is not None)
            w = np.array(res.final_weights[name])
            w[0] += 1e-12
            res.final_weights[name] = w
        return res

    monkeypatch.setattr(bench, "threads_supported", lambda: True)
    monkeypatch.setattr(nl.Network, "run", run_threads)


@pytest.mark.parametrize("broken", [False, True])
def test_threads_compared_bitwise(bench, monkeypatch, broken):
    """Each thread count is timed on a rebuilt network and its spikes and final weights
    compared bitwise with one thread's: a run that differs by 1e-12 in one weight is
    reported as not identical, in the entry, the threads table and the target."""
    _fake_threads(monkeypatch, bench, broken)
    case = next(c for c in tiny_cases(bench) if c["group"] == "B3r")
    report = bench.run_benchmarks([case], brian2=False, jit=False, log=lambda *a: None,
                                  threads=(1, 2), repeat=2)
    th = report["benchmarks"][0]["neurolab"]["threads"]
    assert set(th) == {"1", "2"}
    assert len(th["1"]["loop_runs_s"]) == len(th["2"]["loop_runs_s"]) == 2
    assert th["1"]["identical"] is True           # one thread, run twice: reproducible
    assert th["2"]["identical"] is (not broken)
    table = bench.threads_table(report)
    assert table[-1].startswith("| B3r-300 |")
    assert table[-1].endswith("| **no** (2 threads) |" if broken else "| yes |")
    assert "\n".join(table) in bench.markdown_table(report)
    # the speed-up target counts as met only with bitwise identical results
    report["benchmarks"][0]["key"] = "B3r-50k"
    th["2"]["speedup"] = 2.0
    target = next(t for t in bench.check_targets(report) if "threads=2" in t["target"])
    assert target["met"] is (not broken)


def _state_bytes(sim, net):
    """Bytes that building the kernel's state of ``net`` leaves allocated (tracemalloc),
    and the state."""
    sim.RunState(net)      # anything built once per network (a cache) is built here
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        state = sim.RunState(net)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, state


@pytest.mark.parametrize("plastic", [False, True])
def test_bytes_per_synapse_agree_with_allocations(bench, plastic):
    """Two networks that differ only in their number of synapses: the extra memory that
    building the kernel's state keeps, per extra synapse, is what bytes_per_synapse
    reports for a synapse of that kind (kernel tables, plus RunState's own per-synapse
    index), measured without knowing how the tables are laid out."""
    sim = importlib.import_module("neurolab.engine.tables")

    def build(k):
        net = nl.Network(dt=0.1, seed=1)
        a = net.add_lif("a", n=200, params=nl.LIFParams(synapse="current"))
        b = net.add_lif("b", n=200, params=nl.LIFParams(synapse="current"))
        net.connect(a, b, rule="fixed_indegree", k=k, weight=0.1, delay=1.0,
                    stdp=nl.STDPParams(w_max=1.0) if plastic else None)
        return net

    net = build(40)
    small, _ = _state_bytes(sim, build(10))
    large, state = _state_bytes(sim, net)
    measured = (large - small) / (200 * 40 - 200 * 10)
    mem = bench.bytes_per_synapse(net, state)
    kind = "plastic" if plastic else "static"
    assert mem[kind] + mem["host"] == pytest.approx(measured, abs=0.5)
    assert mem["n_plastic"] == (200 * 40 if plastic else 0)
    if not plastic:
        assert mem["plastic"] is None


@contextlib.contextmanager
def _unused_brian2_objects_quiet():
    """Brian2 objects built only to be inspected (never run) are freed inside this block,
    which keeps Brian2's "never included in a network" warnings out of the output."""
    from brian2.utils.logger import catch_logs

    with catch_logs():
        yield
        gc.collect()


def test_brian2_bytes_per_synapse(bench):
    """Brian2 2.9's per-synapse memory as its source gives it: _synaptic_pre and
    _synaptic_post int32, w float64, an int per synapse in each pathway's spike queue;
    STDP adds Apre, Apost and lastupdate (float64) and an on_post pathway whose delay is
    per synapse (a float64 array, and an int per synapse in its queue)."""
    b2 = pytest.importorskip("brian2")
    from brian2_model import build_brian2

    net = bench.build_b3r(300)

    def measured():
        model = build_brian2(net, 10.0, b2=b2)
        return ({k: bench.brian2_bytes_per_synapse(S) for k, S in model.synapses.items()},
                bench.brian2_memory(net, model.synapses))

    with _unused_brian2_objects_quiet():
        per_projection, memory = measured()
    static = 4 + 4 + 8 + 4
    plastic = 4 + 4 + 8 + 3 * 8 + 8 + 4 + 4 + 4
    assert per_projection == {"exc->exc": plastic, "exc->inh": static, "inh->exc": static,
                              "inh->inh": static}
    assert memory == {"static": static, "plastic": plastic}


def test_scaling_script_tiny(scaling, tmp_path, capsys):
    """benchmarks/scaling.py at two tiny sizes: JSON with the expected keys per size and
    thread count, a PNG figure and a Markdown row per size; bad --sizes refused."""
    js, png = tmp_path / "s.json", tmp_path / "s.png"
    scaling.main(["--sizes", "400,300", "--duration", "30", "--threads", "1",
                  "--json", str(js), "--plot", str(png)])
    report = json.loads(js.read_text())
    assert [e["n"] for e in report["sizes"]] == [300, 400]
    for e in report["sizes"]:
        assert e["n_syn"] == 100 * e["n"] and e["n_lif"] == e["n"]
        assert e["events"] > 0 and e["n_steps"] == 300
        assert e["memory"]["static"] > 0 and e["memory"]["plastic"] > 0
        one = e["threads"]["1"]
        for key in ("loop_s", "kernel_s", "run_steps_s", "speedup", "identical"):
            assert key in one, key
        assert one["events_per_s"] == pytest.approx(e["events"] / one["loop_s"])
        assert one["ns_per_event"] == pytest.approx(1e9 * one["loop_s"] / e["events"])
        assert one["ns_per_neuron_step"] == pytest.approx(
            1e9 * one["loop_s"] / (e["n"] * 300))
    assert report["options"]["sizes"] == [400, 300]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "\n| 300 | 30,000 |" in out and "\n| 400 | 40,000 |" in out
    with pytest.raises(SystemExit):
        scaling.main(["--sizes", "1000,x"])
    assert "--sizes must be comma-separated integers >= 1 (e.g. 1,2), got '1000,x'" in \
        capsys.readouterr().err


def test_brian2_shared_parameters_as_scalars(bench):
    """The benchmarks hand Brian2 a population's shared parameters as scalars (its
    namespace, not per-neuron variables); a parameter that differs between neurons stays
    per neuron; the oracle's default keeps every parameter per neuron."""
    b2 = pytest.importorskip("brian2")
    from brian2_model import build_brian2

    net = nl.Network(dt=0.1, seed=0)
    src = net.add_spikes("src", n=2, times=[1.0, 2.0], indices=[0, 1])
    tau = np.array([10.0, 10.0, 20.0])
    lif = net.add_lif("lif", n=3, params=nl.LIFParams(synapse="current", tau_m=tau,
                                                       refractory=2.0))
    net.connect(src, lif, rule="all_to_all", weight=1.0)

    def inspect(**kw):
        g = build_brian2(net, 5.0, b2=b2, **kw).groups["lif"]
        return (set(g.variables), dict(g.namespace),
                np.asarray(g.tau_m[:] / b2.ms) if "tau_m" in g.variables else None)

    with _unused_brian2_objects_quiet():
        fast_vars, fast_ns, fast_tau = inspect(prefix="fast_", scalar_params=True)
        slow_vars, _, _ = inspect(prefix="slow_")
    for key in ("v_th", "v_rest", "tau_e", "ref"):
        assert key not in fast_vars and key in fast_ns, key
        assert key in slow_vars, key
    assert "tau_m" in fast_vars and "tau_m" not in fast_ns
    assert np.allclose(fast_tau, tau)
    assert float(fast_ns["ref"] / b2.ms) == pytest.approx(2.0)


# ============================================================ Izhikevich 2003 network
@pytest.fixture(scope="module")
def izh():
    spec = importlib.util.spec_from_file_location("neurolab_bench_izh",
                                                  BENCH_DIR / "izhikevich.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_izhikevich_network_draws(izh):
    """The paper's parameter ranges, weight signs and input scales."""
    net = izh.make_network(n=100, n_steps=50, seed=3)
    ne = net["ne"]
    assert (ne, net["ni"]) == (80, 20)
    assert np.all(net["a"][:ne] == 0.02) and np.all(net["b"][:ne] == 0.2)
    assert np.all((net["c"][:ne] >= -65) & (net["c"][:ne] <= -50))
    assert np.all((net["d"][:ne] >= 2) & (net["d"][:ne] <= 8))
    assert np.all((net["a"][ne:] >= 0.02) & (net["a"][ne:] <= 0.1))
    assert np.all((net["b"][ne:] >= 0.2) & (net["b"][ne:] <= 0.25))
    assert np.all(net["c"][ne:] == -65) and np.all(net["d"][ne:] == 2)
    assert np.all((net["S"][:, :ne] >= 0) & (net["S"][:, :ne] <= 0.5))
    assert np.all((net["S"][:, ne:] <= 0) & (net["S"][:, ne:] >= -1))
    assert np.all(net["I"][:izh.INPUT_START_STEPS] == 0)
    rest = net["I"][izh.INPUT_START_STEPS:]
    assert rest[:, :ne].std() == pytest.approx(5.0, rel=0.1)
    assert rest[:, ne:].std() == pytest.approx(2.0, rel=0.15)
    assert np.array_equal(net["u0"], net["b"] * net["v0"])


def test_izhikevich_agreement_checks_can_fail(izh):
    """The comparison finds a single moved or missing spike, and ``check`` fails a row
    whose simulators disagree."""
    a = (np.array([3, 3, 7, 9]), np.array([1, 4, 2, 0]))
    assert izh.agreement(a, a, 10)["identical"]
    moved = (np.array([3, 3, 8, 9]), np.array([1, 4, 2, 0]))
    ag = izh.agreement(a, moved, 10)
    assert not ag["identical"] and ag["first_difference_ms"] == 7.0
    missing = (np.array([3, 3, 7]), np.array([1, 4, 2]))
    ag = izh.agreement(a, missing, 10)
    assert ag["first_difference_ms"] == 9.0 and ag["count_diff"] == -1
    row = {"duration_ms": 200.0,
           "brian2_agreement": {"agree_until_ms": 50.0},
           "nest_agreement": {"count_rel_diff": 0.2, "spikes": 120, "spikes_ref": 100}}
    ok, problems = izh.check(row)
    assert not ok and len(problems) == 2
    row = {"duration_ms": 200.0, "brian2_agreement": {"agree_until_ms": 200.0},
           "nest_agreement": {"count_rel_diff": 0.01, "spikes": 101, "spikes_ref": 100}}
    assert izh.check(row) == (True, [])


def test_izhikevich_references_differ(izh):
    """The two numpy references (the paper's synaptic current, the benchmark's jump) are
    different models: on a network where synapses matter they part, so the checks that
    name one of them discriminate."""
    net = izh.make_network(n=200, n_steps=300, seed=2003)
    cur, jump = izh.reference(net, 300, "current"), izh.reference(net, 300, "jump")
    assert cur[0].size > 0
    assert not izh.agreement(cur, jump, 300)["identical"]


def test_izhikevich_benchmark_tiny(izh, request):
    """The whole driver at a tiny size (50 neurons, 60 ms) with Brian2's numpy target and
    NEST: neurolab, Brian2 and the numpy reference of the jump model give the same spikes
    in every step; NEST gives the spikes of the paper's own scheme (numpy reference) and
    a count within the tolerance; the table and the JSON are written. No timing asserted."""
    b2 = pytest.importorskip("brian2")
    pytest.importorskip("nest")
    old_target = b2.prefs.codegen.target
    request.addfinalizer(lambda: setattr(b2.prefs.codegen, "target", old_target))
    report = izh.run_benchmark(n=50, durations_ms=(60.0,), repeat=2, seed=7,
                               brian2_target="numpy", log=lambda *a: None)
    assert report["ok"], [r["problems"] for r in report["rows"]]
    row = report["rows"][0]
    assert row["neurolab"]["spikes"] > 0
    assert row["brian2_agreement"]["identical"]
    assert row["neurolab_vs_reference"]["identical"]
    assert row["nest_vs_reference"]["identical"]
    assert abs(row["nest_agreement"]["count_rel_diff"]) <= izh.NEST_TOLERANCE
    assert len(row["neurolab"]["loops_s"]) == 2 and len(row["nest"]["loops_s"]) == 2
    assert row["neurolab"]["run_steps_s"] is not None
    table = izh.table(report)
    assert table.count("\n| 0.06 |") == 1 and "| yes |" in table
    json.dumps(report, default=float)
