"""Smoke test of benchmarks/bench.py: the benchmark networks build and run at tiny sizes
(no JIT subprocesses, no C++ compilation) and the synaptic-event counts it reports agree
with a count made independently, synapse by synapse, from the connectivity; the two Brian2
variants (PoissonGroup, same input spikes) go through the driver, the comparison and the
tables on Brian2's numpy target. No timing is asserted."""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import neurolab as nl

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("neurolab_bench", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tiny_cases(bench):
    return bench.make_cases(quick=True, b3_sizes=(300,), b2_n=400,
                            durations={"B1": 300.0, "B2": 100.0, "B3": 60.0})


def count_events_by_hand(net, res, duration):
    """For every recorded presynaptic spike, walk the projection's synapse list and count
    the synapses whose (axonal) delay lets the spike arrive before the run ends."""
    n_steps = int(round(duration / net.dt))
    total = 0
    for proj in net.projections.values():
        out_delays = defaultdict(list)
        for pre, delay in zip(proj.pre_ids.tolist(), proj.delay.tolist()):
            out_delays[pre].append(int(round(delay / net.dt)))
        rec = res.spikes[proj.pre.name]
        for t, i in zip(rec.t.tolist(), rec.i.tolist()):
            step = int(round(t / net.dt))
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
    assert keys == ["B1", "B2", "B3-300"]
    for e in report["benchmarks"]:
        r = e["neurolab"]
        assert r["events"] > 0 and r["loop_s"] > 0 and r["events_per_s"] > 0
        assert e["variants"] == {}
    table = bench.markdown_table(report)
    for key in keys:
        assert table.count(f"\n| {key} |") == 2  # loop table and totals table
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(report))
    assert json.loads(path.read_text())["benchmarks"][2]["n_syn"] == 300 * 100


def test_cli_quick_no_brian2(bench, tmp_path, capsys):
    path = tmp_path / "out" / "bench.json"
    # --quick sizes, restricted to the smallest network so that the test stays short
    report = bench.main(["--quick", "--no-brian2", "--no-jit", "--only", "B3-1k",
                         "--json", str(path)])
    assert [e["key"] for e in report["benchmarks"]] == ["B3-1k"]
    assert json.loads(path.read_text())["options"]["brian2"] is False
    assert "| B3-1k |" in capsys.readouterr().out


def test_brian2_variants_through_driver(bench, monkeypatch, request):
    """Both Brian2 variants on a tiny B1, with the numpy runtime standing in for
    cpp_standalone (no compiler run): same input spikes reproduce neurolab spike for spike
    and weight for weight; PoissonGroup draws its own input at the requested rate."""
    b2 = pytest.importorskip("brian2")
    old_target = b2.prefs.codegen.target
    request.addfinalizer(lambda: setattr(b2.prefs.codegen, "target", old_target))

    def fake_standalone(case, net, workdir, variant="same"):
        b2.prefs.codegen.target = "numpy"
        bnet, monitors, syn = bench._b2_objects(b2, net, case["duration"], variant=variant,
                                                prefix=f"fake_{variant}_{case['key']}_")
        bnet.run(net.n_steps(case["duration"]) * net.dt * b2.ms, namespace={})
        spikes = bench._b2_spikes(b2, net, monitors)
        res = bench._b2_result(net, spikes, case["duration"], 1.0, 1.0, {
            "variant": variant, "construct_s": 0.0, "compile_s": 0.0, "binary_s": 1.0,
            "make_s": 0.0}, syn)
        res["_spikes"] = spikes
        return res

    monkeypatch.setattr(bench, "run_brian2_standalone", fake_standalone)
    monkeypatch.setattr(b2, "set_device", lambda *a, **k: None)
    cases = [{"key": "B1", "group": "B1", "build": bench.build_b1,
              "duration": 200.0, "runtime_span": 100.0, "title": "tiny B1"}]
    report = bench.run_benchmarks(cases, brian2=True, jit=False, log=lambda *a: None)
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
    target = [t for t in report["targets"] if t["target"].startswith("B1 loop")][0]
    assert target["variant"] == "Brian2 PoissonGroup"
    assert target["beside"].startswith("same input spikes: ")
    assert bench.readme_table(report).count("\n| B1: ") == 1
