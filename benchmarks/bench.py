"""neurolab against Brian2 (C++ standalone and runtime/numpy) on three benchmark networks.

Run from the repository root::

    python benchmarks/bench.py [--quick] [--only B1,B3] [--no-brian2] [--no-jit] [--json PATH]

Benchmarks (dt = 0.1 ms everywhere; each network is built once with neurolab and translated
to Brian2 from its documented attributes, so both simulators run the same model, the same
connectivity, the same initial state and the same input spikes):

- **B1** Song, Miller & Abbott (2000): 1000 Poisson inputs at 15 Hz onto one conductance
  LIF (tau_m 10 ms, E_L -74, v_th -54, v_reset -60, E_e 0 mV, tau_e 5 ms); additive
  all-to-all STDP (tau 20/20 ms, g_max 0.015, A_plus = 0.005 g_max, A_minus = 1.05 A_plus),
  initial weights uniform in [0, g_max]; 100 s.
- **B2** CUBA balanced network after Brette et al. (2007) / Brian2's ``CUBA.py``: 3200
  excitatory + 800 inhibitory current-based LIF (tau_m 20 ms, E_L -49 mV above v_th -50 mV,
  v_reset -60 mV, refractory 5 ms, tau_e 5 ms, tau_i 10 ms), connection probability 0.02,
  w_e = 1.62 mV, w_i = -9 mV; additive all-to-all STDP on E->E (w_max = 2 w_e,
  A_plus = 0.01 w_max, A_minus = 1.05 A_plus, tau 20/20 ms); 10 s.
- **B3** N Poisson sources at 20 Hz -> N delta LIF (tau_m 10 ms, v_rest -70, v_th -54,
  v_reset -60 mV, refractory 2 ms), fixed in-degree 100, w = 0.8 mV; N = 1k, 10k, 50k; 1 s.

Poisson input is drawn by neurolab (``Network.input_spike_steps``) and handed to Brian2 as a
``SpikeGeneratorGroup``, so both get exactly the same spikes; neurolab draws it inside
``net.run`` (its loop time includes that), Brian2 gets it precomputed.

Times reported (seconds, wall clock, ``time.perf_counter``):

- neurolab ``loop``: ``net.run(duration)`` with the kernel already compiled (warm), which
  includes drawing the Poisson input and building the kernel's tables; ``tables``: that
  preparation alone (``simulate._Compiled``), timed separately; ``build``: constructing the
  ``Network`` (populations, connectivity, initial weights); ``total`` = build + loop + the
  cold JIT time measured in a fresh process (or the in-process warm-up when ``--no-jit``).
- Brian2 ``cpp_standalone``: ``loop`` = ``device._last_run_time`` (the simulation loop as
  timed inside the compiled binary); ``compile`` = code generation + ``make``;
  ``binary`` = the whole binary (loading arrays, creating synapses, loop, writing results);
  ``total`` = Python model construction + compile + binary.
- Brian2 runtime (numpy target): ``loop`` = ``device._last_run_time`` (the Python step loop,
  code generation excluded); ``total`` = construction + ``Network.run``. For long biological
  durations it runs a shorter span and the loop is scaled to the full duration (per
  biological second): such numbers are marked ``*`` and say so.
- synaptic events = sum over delivered presynaptic spikes of their fan-out in each
  projection, counted from the recorded spikes and the connectivity; events/s = events / loop.
- JIT: time to the first result of a tiny run in a fresh process, minus ``import neurolab``;
  cold = empty ``NUMBA_CACHE_DIR``, warm = the same cache directory, populated.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import neurolab as nl  # noqa: E402

_sim = importlib.import_module("neurolab.simulate")  # the module (nl.simulate is the function)

DT = 0.1  # ms

# targets on a 2-core machine (DESIGN.md "Performance yardsticks", lead's brief)
TARGETS = {
    "B1_loop_ratio_cpp": 0.10,
    "B2_loop_ratio_cpp": 0.25,
    "B3_50k_events_per_s": 55e6,
    "jit_cold_s": 3.0,
    "jit_warm_s": 1.0,
}


# ============================================================================ networks
def build_b1(seed=1, n_inputs=1000):
    """Song, Miller & Abbott 2000: Poisson inputs -> one conductance LIF, additive STDP."""
    g_max = 0.015
    a_plus = 0.005 * g_max
    net = nl.Network(dt=DT, seed=seed)
    inp = net.add_poisson("inp", n=n_inputs, rates=15.0)
    out = net.add_lif("out", n=1, params=nl.LIFParams(
        tau_m=10.0, v_rest=-74.0, v_th=-54.0, v_reset=-60.0, refractory=0.0,
        synapse="conductance", tau_e=5.0, E_e=0.0))
    net.connect(inp, out, rule="all_to_all", weight=("uniform", 0.0, g_max),
                stdp=nl.STDPParams(A_plus=a_plus, A_minus=1.05 * a_plus, tau_plus=20.0,
                                   tau_minus=20.0, w_min=0.0, w_max=g_max,
                                   pairing="all_to_all", mu=0.0),
                name="inp->out")
    return net


def build_b2(seed=2, n=4000, p=0.02):
    """CUBA balanced network (Brette et al. 2007), 80 % E / 20 % I, STDP on E->E."""
    n_e = int(round(0.8 * n))
    n_i = n - n_e
    prm = nl.LIFParams(tau_m=20.0, v_rest=-49.0, v_th=-50.0, v_reset=-60.0, refractory=5.0,
                       synapse="current", tau_e=5.0, tau_i=10.0)
    rng = np.random.default_rng([seed, 99])
    we, wi = 60 * 0.27 / 10, -20 * 4.5 / 10  # mV, as in Brian2's CUBA example
    w_max = 2.0 * we
    a_plus = 0.01 * w_max
    net = nl.Network(dt=DT, seed=seed)
    exc = net.add_lif("exc", n=n_e, params=prm, v_init=rng.uniform(-60.0, -50.0, n_e))
    inh = net.add_lif("inh", n=n_i, params=prm, v_init=rng.uniform(-60.0, -50.0, n_i))
    stdp = nl.STDPParams(A_plus=a_plus, A_minus=1.05 * a_plus, tau_plus=20.0, tau_minus=20.0,
                         w_min=0.0, w_max=w_max, pairing="all_to_all", mu=0.0)
    net.connect(exc, exc, rule="probability", p=p, weight=we, stdp=stdp, autapses=False,
                name="exc->exc")
    net.connect(exc, inh, rule="probability", p=p, weight=we, name="exc->inh")
    net.connect(inh, exc, rule="probability", p=p, weight=wi, receptor="inh",
                name="inh->exc")
    net.connect(inh, inh, rule="probability", p=p, weight=wi, receptor="inh",
                autapses=False, name="inh->inh")
    return net


def build_b3(n, seed=3, k=100, rate=20.0, w=0.8):
    """N Poisson sources -> N delta LIF with fixed in-degree k (static synapses)."""
    net = nl.Network(dt=DT, seed=seed)
    src = net.add_poisson("src", n=n, rates=rate)
    lif = net.add_lif("lif", n=n, params=nl.LIFParams(
        tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0, refractory=2.0, synapse="delta"))
    net.connect(src, lif, rule="fixed_indegree", k=min(k, n), weight=w, name="src->lif")
    return net


def make_cases(quick=False, b3_sizes=None, durations=None, b2_n=4000):
    """The benchmark cases: dicts with key, title, build (callable), duration and the span
    the Brian2 runtime target runs (ms)."""
    b3_sizes = b3_sizes or ((1000, 10000) if quick else (1000, 10000, 50000))
    dur = {"B1": 1000.0 if quick else 100_000.0, "B2": 200.0 if quick else 10_000.0,
           "B3": 100.0 if quick else 1000.0}
    dur.update(durations or {})
    # the numpy runtime target is ~1e3x slower than the kernel: shorter spans, scaled
    span = {"B1": 2000.0, "B2": 1000.0, "B3": 1000.0}
    cases = [
        {"key": "B1", "group": "B1", "build": build_b1, "duration": dur["B1"],
         "title": "Song et al. 2000: 1000 Poisson -> 1 cond. LIF, STDP"},
        {"key": "B2", "group": "B2", "build": lambda: build_b2(n=b2_n), "duration": dur["B2"],
         "title": f"CUBA {b2_n} LIF (80/20), p=0.02, STDP E->E"},
    ]
    for n in b3_sizes:
        label = f"{n // 1000}k" if n % 1000 == 0 else str(n)
        cases.append({"key": f"B3-{label}", "group": "B3", "build": (lambda n=n: build_b3(n)),
                      "duration": dur["B3"], "n": n,
                      "title": f"{label} Poisson -> {label} delta LIF, in-degree 100"})
    for c in cases:
        full = span[c["group"]] if c.get("n", 0) <= 10_000 else 200.0
        c["runtime_span"] = min(full, c["duration"])
    return cases


# ============================================================================ counting
def synaptic_events(net, spikes, n_steps):
    """Delivered presynaptic spikes times their fan-out, summed over every projection.

    ``spikes``: ``{pop: (steps, ids)}``; a spike at step s counts for the synapses of delay
    d (steps) when it arrives inside the run, ``s + d < n_steps``.
    """
    total = 0
    for proj in net.projections.values():
        steps, ids = spikes[proj.pre.name]
        dsteps = np.rint(proj.delay / net.dt).astype(np.int64)
        for d in np.unique(dsteps):
            sel = dsteps == d
            outdeg = np.bincount(proj.pre_ids[sel], minlength=proj.pre.n)
            arrived = steps + d < n_steps
            total += int(outdeg[ids[arrived]].sum())
    return total


def net_size(net):
    n_lif = sum(p.n for p in net.populations.values() if p.kind == "lif")
    n_src = sum(p.n for p in net.populations.values() if p.kind != "lif")
    n_syn = sum(pr.n_syn for pr in net.projections.values())
    return {"n_lif": n_lif, "n_sources": n_src, "n_syn": n_syn}


def _spike_summary(net, spikes, duration):
    """Spike count and mean rate per population, and the rate in the first and last tenth
    of the run (is the network settled, silent or running away?)."""
    out = {}
    n_steps = net.n_steps(duration)
    tenth = max(n_steps // 10, 1)
    sec = tenth * net.dt / 1000.0
    for name, pop in net.populations.items():
        steps = spikes[name][0]
        n_spk = int(steps.size)
        out[name] = {"n_spikes": n_spk, "rate_hz": n_spk / pop.n / (duration / 1000.0),
                     "rate_first_tenth_hz": int((steps < tenth).sum()) / pop.n / sec,
                     "rate_last_tenth_hz": int((steps >= n_steps - tenth).sum()) / pop.n / sec}
    return out


# ============================================================================ neurolab
def warm_kernel():
    """Compile (or load from the numba cache) the kernel in this process; return seconds."""
    t0 = time.perf_counter()
    _jit_probe_run()
    return time.perf_counter() - t0


def _jit_probe_run():
    net = nl.Network(dt=DT, seed=0)
    inp = net.add_poisson("inp", n=20, rates=50.0)
    out = net.add_lif("out", n=2, params=nl.LIFParams(synapse="conductance"))
    net.connect(inp, out, weight=0.01, stdp=nl.STDPParams(w_max=0.02))
    return net.run(10.0, progress=False)


_JIT_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
sys.path.insert(0, {bench_dir!r})
import neurolab
t1 = time.perf_counter()
import bench
bench._jit_probe_run()
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "first_result_s": t2 - t1}}))
"""


def measure_jit(n_warm=3):
    """Cold and warm time to the first result of a tiny run, in fresh processes."""
    cache = tempfile.mkdtemp(prefix="neurolab_jit_cache_")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    script = _JIT_SCRIPT.format(repo=str(REPO), bench_dir=str(Path(__file__).parent))

    def one():
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, check=True, cwd=str(REPO))
        return json.loads(out.stdout.strip().splitlines()[-1])

    try:
        cold = one()
        warm = [one() for _ in range(n_warm)]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    warm_s = sorted(w["first_result_s"] for w in warm)
    return {"cold_s": cold["first_result_s"], "cold_import_s": cold["import_s"],
            "warm_s": warm_s[len(warm_s) // 2], "warm_runs_s": warm_s,
            "warm_import_s": float(np.median([w["import_s"] for w in warm]))}


def run_neurolab(case):
    """Build and run one case with neurolab (kernel assumed warm)."""
    t0 = time.perf_counter()
    net = case["build"]()
    build_s = time.perf_counter() - t0
    duration = case["duration"]
    t0 = time.perf_counter()
    _sim._Compiled(net, duration)  # the tables net.run builds (Poisson draw included)
    tables_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = net.run(duration, progress=False)
    loop_s = time.perf_counter() - t0
    n_steps = net.n_steps(duration)
    spikes = {name: (np.rint(rec.t / net.dt).astype(np.int64), rec.i)
              for name, rec in res.spikes.items()}
    events = synaptic_events(net, spikes, n_steps)
    out = {"build_s": build_s, "tables_s": tables_s, "loop_s": loop_s,
           "kernel_s": max(loop_s - tables_s, 0.0), "events": events,
           "events_per_s": events / loop_s, "spikes": _spike_summary(net, spikes, duration),
           "neuron_steps_per_s": net_size(net)["n_lif"] * n_steps / loop_s}
    plastic = [k for k, pr in net.projections.items() if pr.stdp is not None]
    if plastic:
        w = res.final_weights[plastic[0]]
        w_max = net.projections[plastic[0]].stdp.w_max
        out["final_weights"] = {"projection": plastic[0], "mean": float(w.mean()),
                                "frac_below_10pct": float(np.mean(w < 0.1 * w_max)),
                                "frac_above_90pct": float(np.mean(w > 0.9 * w_max))}
    return net, res, spikes, out


# ============================================================================ Brian2
def _b2_objects(b2, net, duration, prefix):
    """Brian2 objects for neurolab network ``net`` (same model, same input spikes)."""
    ms = b2.ms
    inputs = net.input_spike_steps(duration)
    groups, monitors, objs = {}, {}, []
    for q, (name, pop) in enumerate(net.populations.items()):
        if pop.kind != "lif":
            steps, ids = inputs[name]
            g = b2.SpikeGeneratorGroup(pop.n, indices=ids.astype(np.int32),
                                       times=steps * net.dt * ms, name=f"{prefix}src{q}")
        else:
            p = pop.params
            K = int(round(p.refractory / net.dt))
            flag = " (unless refractory)" if K > 0 else ""
            ns = {"tau_m": p.tau_m * ms, "tau_e": p.tau_e * ms, "tau_i": p.tau_i * ms,
                  "v_rest": p.v_rest, "v_th": p.v_th, "v_reset": p.v_reset,
                  "E_e": p.E_e, "E_i": p.E_i}
            if p.synapse == "delta":
                eqs, method = f"dv/dt = (v_rest - v)/tau_m : 1{flag}", "exact"
            elif p.synapse == "current":
                eqs = (f"dv/dt = (v_rest - v + Ie + Ii)/tau_m : 1{flag}\n"
                       "dIe/dt = -Ie/tau_e : 1\ndIi/dt = -Ii/tau_i : 1\n")
                method = "exact"
            else:
                eqs = (f"dv/dt = (v_rest - v + ge*(E_e - v) + gi*(E_i - v))/tau_m : 1{flag}\n"
                       "dge/dt = -ge/tau_e : 1\ndgi/dt = -gi/tau_i : 1\n")
                method = "exponential_euler"
            g = b2.NeuronGroup(pop.n, eqs, threshold="v > v_th", reset="v = v_reset",
                               refractory=(K * net.dt * ms) if K > 0 else False,
                               method=method, namespace=ns, name=f"{prefix}lif{q}")
            g.v = np.asarray(pop.v_init, dtype=float)
        groups[name] = g
        monitors[name] = b2.SpikeMonitor(g, name=f"{prefix}mon{q}")
        objs += [g, monitors[name]]
    for q, (name, pr) in enumerate(net.projections.items()):
        post = pr.post.params
        K_post = int(round(post.refractory / net.dt))
        if post.synapse == "delta":
            deliver = "v_post += w*int(not_refractory_post)" if K_post > 0 else "v_post += w"
        else:
            var = {"current": ("Ie", "Ii"), "conductance": ("ge", "gi")}[post.synapse]
            deliver = f"{var[0] if pr.receptor == 'exc' else var[1]}_post += w"
        s = pr.stdp
        if s is None:
            model, on_pre, on_post, ns = "w : 1", deliver, None, {}
        else:
            model = ("w : 1\n"
                     "dApre/dt = -Apre/tau_plus : 1 (event-driven)\n"
                     "dApost/dt = -Apost/tau_minus : 1 (event-driven)\n")
            f_minus = "*((w - w_min)/(w_max - w_min))**mu" if s.mu != 0 else ""
            f_plus = "*((w_max - w)/(w_max - w_min))**mu" if s.mu != 0 else ""
            op = "=" if s.pairing == "nearest" else "+="
            on_pre = f"{deliver}\nApre {op} A_plus\nw = clip(w - Apost{f_minus}, w_min, w_max)\n"
            on_post = f"Apost {op} A_minus\nw = clip(w + Apre{f_plus}, w_min, w_max)\n"
            ns = {"tau_plus": s.tau_plus * ms, "tau_minus": s.tau_minus * ms,
                  "A_plus": s.A_plus, "A_minus": s.A_minus, "w_min": s.w_min,
                  "w_max": s.w_max, "mu": s.mu}
        uniform_delay = pr.n_syn == 0 or bool(np.all(pr.delay == pr.delay[0]))
        kw = {}
        if uniform_delay and pr.n_syn and pr.delay[0] > 0:
            kw["delay"] = float(pr.delay[0]) * ms
        S = b2.Synapses(groups[pr.pre.name], groups[pr.post.name], model=model, on_pre=on_pre,
                        on_post=on_post, namespace=ns, name=f"{prefix}syn{q}", **kw)
        S.connect(i=pr.pre_ids.astype(np.int32), j=pr.post_ids.astype(np.int32))
        S.w = np.asarray(pr.weight, dtype=float)
        if not uniform_delay:
            S.delay = np.asarray(pr.delay, dtype=float) * ms
        objs.append(S)
    return b2.Network(objs), monitors


def _b2_spikes(b2, net, monitors):
    out = {}
    for name, mon in monitors.items():
        steps = np.rint(np.asarray(mon.t[:] / b2.ms) / net.dt).astype(np.int64)
        out[name] = (steps, np.asarray(mon.i[:], dtype=np.int64))
    return out


def _b2_result(net, spikes, span, loop_s, total_s, extra):
    n_steps = net.n_steps(span)
    events = synaptic_events(net, spikes, n_steps)
    out = {"span_ms": span, "loop_s": loop_s, "total_s": total_s, "events": events,
           "events_per_s": events / loop_s if loop_s > 0 else math.nan,
           "spikes": _spike_summary(net, spikes, span)}
    out.update(extra)
    return out


def run_brian2_runtime(case, net):
    """Brian2 runtime device, numpy target; runs ``case['runtime_span']`` ms."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = net.dt * b2.ms
    span = case["runtime_span"]
    t0 = time.perf_counter()
    bnet, monitors = _b2_objects(b2, net, span, prefix=f"rt_{case['key'].replace('-', '_')}_")
    construct_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    bnet.run(net.n_steps(span) * net.dt * b2.ms, namespace={})
    run_s = time.perf_counter() - t0
    loop_s = float(b2.get_device()._last_run_time)
    spikes = _b2_spikes(b2, net, monitors)
    scale = case["duration"] / span
    res = _b2_result(net, spikes, span, loop_s, construct_s + run_s,
                     {"construct_s": construct_s, "codegen_s": run_s - loop_s,
                      "scale": scale, "loop_full_s": loop_s * scale,
                      "total_full_s": construct_s + (run_s - loop_s) + loop_s * scale})
    del bnet, monitors
    return res


def run_brian2_standalone(case, net, workdir):
    """Brian2 cpp_standalone: build and compile, then run the binary separately."""
    import brian2 as b2
    from brian2 import device

    duration = case["duration"]
    t0 = time.perf_counter()
    b2.defaultclock.dt = net.dt * b2.ms
    bnet, monitors = _b2_objects(b2, net, duration, prefix="")
    bnet.run(net.n_steps(duration) * net.dt * b2.ms, namespace={})
    construct_s = time.perf_counter() - t0
    directory = os.path.join(workdir, case["key"])
    t0 = time.perf_counter()
    device.build(directory=directory, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    device.run(directory=directory, with_output=False)
    binary_s = time.perf_counter() - t0
    loop_s = float(device._last_run_time)
    spikes = _b2_spikes(b2, net, monitors)
    res = _b2_result(net, spikes, duration, loop_s, construct_s + compile_s + binary_s,
                     {"construct_s": construct_s, "compile_s": compile_s,
                      "binary_s": binary_s,
                      "make_s": device.timers["compile"]["make"]})
    del bnet, monitors
    device.reinit()
    device.activate(build_on_run=False)
    shutil.rmtree(directory, ignore_errors=True)
    return res


# ============================================================================ driver
def machine_info():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}
    try:
        info["brian2"] = importlib.metadata.version("brian2")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a dev dependency
        info["brian2"] = None
    return info


def run_benchmarks(cases, brian2=True, jit=True, log=print):
    """Run every case with neurolab (and Brian2 unless ``brian2=False``); return a dict."""
    from neurolab import io as nlio

    report = {"machine": dict(machine_info(), **nlio.versions()),
              "load_avg_start": _loadavg(), "benchmarks": [], "jit": None}
    if jit:
        log("measuring neurolab JIT time (fresh processes, cold and warm numba cache) ...")
        report["jit"] = measure_jit()
        log(f"  cold {report['jit']['cold_s']:.2f} s, warm {report['jit']['warm_s']:.2f} s")
    warm_s = warm_kernel()
    report["warm_in_process_s"] = warm_s
    jit_cost = report["jit"]["cold_s"] if report["jit"] else warm_s
    nets = {}
    for case in cases:
        log(f"[{case['key']}] neurolab, {case['duration'] / 1000:g} s ...")
        net, _res, _spk, r = run_neurolab(case)
        r["total_s"] = r["build_s"] + r["loop_s"] + jit_cost
        nets[case["key"]] = net
        entry = {"key": case["key"], "group": case["group"], "title": case["title"],
                 "duration_ms": case["duration"], **net_size(net),
                 "lif_pops": [k for k, p in net.populations.items() if p.kind == "lif"],
                 "neurolab": r,
                 "brian2_cpp": None, "brian2_numpy": None}
        report["benchmarks"].append(entry)
        log(f"  loop {r['loop_s']:.3f} s (tables {r['tables_s']:.3f} s), build "
            f"{r['build_s']:.3f} s, {r['events']:,} events, {r['events_per_s'] / 1e6:.1f} M/s")
        del _res, _spk
    if brian2:
        import brian2 as b2

        b2.prefs.logging.console_log_level = "WARNING"
        for case, entry in zip(cases, report["benchmarks"]):
            log(f"[{case['key']}] Brian2 runtime (numpy), {case['runtime_span'] / 1000:g} s ...")
            r = run_brian2_runtime(case, nets[case["key"]])
            entry["brian2_numpy"] = r
            log(f"  loop {r['loop_s']:.2f} s for {r['span_ms'] / 1000:g} s"
                + (f" (x{r['scale']:g} -> {r['loop_full_s']:.1f} s)" if r["scale"] != 1 else ""))
        workdir = tempfile.mkdtemp(prefix="neurolab_bench_b2_")
        b2.set_device("cpp_standalone", build_on_run=False)
        try:
            for case, entry in zip(cases, report["benchmarks"]):
                log(f"[{case['key']}] Brian2 cpp_standalone, {case['duration'] / 1000:g} s ...")
                r = run_brian2_standalone(case, nets[case["key"]], workdir)
                entry["brian2_cpp"] = r
                log(f"  loop {r['loop_s']:.2f} s, compile {r['compile_s']:.1f} s, binary "
                    f"{r['binary_s']:.2f} s, {r['events'] / max(r['loop_s'], 1e-9) / 1e6:.1f} M/s")
        finally:
            b2.set_device("runtime")
            shutil.rmtree(workdir, ignore_errors=True)
    for entry in report["benchmarks"]:
        nlr, cpp, npy = entry["neurolab"], entry["brian2_cpp"], entry["brian2_numpy"]
        entry["ratio_loop_cpp"] = nlr["loop_s"] / cpp["loop_s"] if cpp else None
        entry["ratio_total_cpp"] = nlr["total_s"] / cpp["total_s"] if cpp else None
        entry["ratio_loop_numpy"] = (nlr["loop_s"] / npy["loop_full_s"]) if npy else None
        if cpp:
            entry["output_spikes"] = {
                name: {"neurolab": nlr["spikes"][name]["n_spikes"],
                       "brian2_cpp": cpp["spikes"][name]["n_spikes"]}
                for name in nlr["spikes"]}
    report["load_avg_end"] = _loadavg()
    report["targets"] = check_targets(report)
    return report


def _loadavg():
    try:
        return list(os.getloadavg())
    except OSError:  # pragma: no cover
        return None


def check_targets(report):
    """Each target: measured value, limit, met (None when not measured)."""
    out = []
    by_key = {e["key"]: e for e in report["benchmarks"]}

    def add(name, value, limit, le=True):
        met = None if value is None else (value <= limit if le else value >= limit)
        out.append({"target": name, "value": value, "limit": limit,
                    "op": "<=" if le else ">=", "met": met})

    for key, lim in (("B1", TARGETS["B1_loop_ratio_cpp"]), ("B2", TARGETS["B2_loop_ratio_cpp"])):
        if key in by_key:
            add(f"{key} loop neurolab / Brian2 cpp_standalone", by_key[key]["ratio_loop_cpp"], lim)
    if "B3-50k" in by_key:
        add("B3-50k synaptic events/s (neurolab, 1 core)",
            by_key["B3-50k"]["neurolab"]["events_per_s"], TARGETS["B3_50k_events_per_s"],
            le=False)
    if report["jit"]:
        add("JIT cold (s)", report["jit"]["cold_s"], TARGETS["jit_cold_s"])
        add("JIT warm (s)", report["jit"]["warm_s"], TARGETS["jit_warm_s"])
    return out


# ============================================================================ output
def _f(x, nd=2):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{nd}f}"


def _m(x):
    return "–" if x is None else f"{x / 1e6:.1f}"


def markdown_table(report):
    """The results as Markdown (ready to paste into benchmarks/README.md): a loop table, a
    totals table (compile included), the JIT times and the targets."""
    m = report["machine"]
    lines = [f"Machine: {m.get('cpu')}, {m.get('cores')} cores; Python {m.get('python')}, "
             f"numpy {m.get('numpy')}, numba {m.get('numba')}, Brian2 {m.get('brian2')}. "
             f"Load average at start {_la(report.get('load_avg_start'))}, "
             f"end {_la(report.get('load_avg_end'))}.", ""]
    lines += ["| Bench | LIF / sources / synapses | bio s | neurolab loop s | of which tables s "
              "| cpp loop s | numpy loop s | nl/cpp loop | nl kernel/cpp loop | nl/numpy loop "
              "| Mevents/s nl | Mevents/s cpp | LIF spikes nl / cpp |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for e in report["benchmarks"]:
        nlr, cpp, npy = e["neurolab"], e["brian2_cpp"], e["brian2_numpy"]
        if npy and npy["scale"] != 1:
            numpy_cell = f"{_f(npy['loop_full_s'])}*"
            notes.append(f"{e['key']}: numpy ran {npy['span_ms'] / 1000:g} s of the "
                         f"{e['duration_ms'] / 1000:g} s ({_f(npy['loop_s'])} s loop), "
                         f"scaled x{npy['scale']:g} per biological second")
        else:
            numpy_cell = _f(npy["loop_s"]) if npy else "–"
        out_nl = sum(v["n_spikes"] for k, v in nlr["spikes"].items() if k in e["lif_pops"])
        out_cpp = (sum(v["n_spikes"] for k, v in cpp["spikes"].items() if k in e["lif_pops"])
                   if cpp else None)
        kern_ratio = nlr["kernel_s"] / cpp["loop_s"] if cpp else None
        lines.append(
            f"| {e['key']} | {e['n_lif']:,} / {e['n_sources']:,} / {e['n_syn']:,} | "
            f"{e['duration_ms'] / 1000:g} | {_f(nlr['loop_s'], 3)} | {_f(nlr['tables_s'], 3)} | "
            f"{_f(cpp['loop_s'], 3) if cpp else '–'} | {numpy_cell} | "
            f"{_f(e['ratio_loop_cpp'], 3)} | {_f(kern_ratio, 3)} | "
            f"{_f(e['ratio_loop_numpy'], 4)} | "
            f"{_m(nlr['events_per_s'])} | {_m(cpp['events_per_s'] if cpp else None)} | "
            f"{out_nl:,} / {'–' if out_cpp is None else f'{out_cpp:,}'} |")
    lines += ["", "| Bench | neurolab build s | neurolab total s | cpp construct s | "
              "cpp compile s | cpp binary s | cpp total s | numpy total s | nl/cpp total |",
              "|---|---|---|---|---|---|---|---|---|"]
    for e in report["benchmarks"]:
        nlr, cpp, npy = e["neurolab"], e["brian2_cpp"], e["brian2_numpy"]
        npy_total = "–"
        if npy:
            npy_total = _f(npy["total_full_s"]) + ("*" if npy["scale"] != 1 else "")
        lines.append(
            f"| {e['key']} | {_f(nlr['build_s'])} | {_f(nlr['total_s'])} | "
            f"{_f(cpp['construct_s']) if cpp else '–'} | {_f(cpp['compile_s'], 1) if cpp else '–'} | "
            f"{_f(cpp['binary_s']) if cpp else '–'} | {_f(cpp['total_s'], 1) if cpp else '–'} | "
            f"{npy_total} | {_f(e['ratio_total_cpp'], 3)} |")
    lines.append("")
    if report["jit"]:
        j = report["jit"]
        lines.append(f"neurolab JIT (fresh process, first result of a tiny run minus import): "
                     f"cold {j['cold_s']:.2f} s, warm {j['warm_s']:.2f} s "
                     f"(import neurolab {j['warm_import_s']:.2f} s).")
    lines += ["",
              "neurolab loop = `net.run` with a warm kernel (Poisson draw and table building "
              "included; \"tables\" is that part alone, kernel = loop - tables); "
              "cpp loop = `device._last_run_time` (loop inside the binary; input spikes "
              "precomputed); neurolab total = build + loop + "
              + ("cold JIT" if report["jit"] else "in-process kernel load (--no-jit)")
              + "; cpp total = model construction + code generation and compilation + binary."]
    for note in notes:
        lines.append(f"\\* {note}.")
    if report.get("targets"):
        lines += ["", "| Target | measured | limit | met |", "|---|---|---|---|"]
        for t in report["targets"]:
            v = t["value"]
            val = "–" if v is None else (f"{v / 1e6:.1f} M" if v > 1e5 else f"{v:.3f}")
            lim = f"{t['limit'] / 1e6:.0f} M" if t["limit"] > 1e5 else f"{t['limit']:g}"
            met = {True: "yes", False: "**no**", None: "–"}[t["met"]]
            lines.append(f"| {t['target']} | {val} | {t['op']} {lim} | {met} |")
    return "\n".join(lines)


def _la(x):
    return "–" if not x else "/".join(f"{v:.2f}" for v in x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short durations (smoke run)")
    ap.add_argument("--only", default=None,
                    help="comma-separated benchmark groups or keys, e.g. B1,B3 or B3-50k")
    ap.add_argument("--no-brian2", action="store_true", help="neurolab only")
    ap.add_argument("--no-jit", action="store_true", help="skip the cold/warm JIT measurement")
    ap.add_argument("--json", default=None, help="write the results as JSON to this path")
    args = ap.parse_args(argv)
    cases = make_cases(quick=args.quick)
    if args.only:
        want = {w.strip() for w in args.only.split(",") if w.strip()}
        cases = [c for c in cases if c["group"] in want or c["key"] in want]
        if not cases:
            ap.error(f"--only {args.only!r} selects no benchmark; groups: B1, B2, B3")
    report = run_benchmarks(cases, brian2=not args.no_brian2, jit=not args.no_jit)
    report["options"] = {"quick": args.quick, "only": args.only,
                         "brian2": not args.no_brian2, "jit": not args.no_jit,
                         "command": " ".join([Path(sys.executable).name] + sys.argv)}
    table = markdown_table(report)
    print()
    print(table)
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        print(f"\nresults written to {path}")
    return report


if __name__ == "__main__":
    main()
