"""neurolab against Brian2 (C++ standalone and runtime/numpy) on three benchmark networks.

Run from the repository root::

    python benchmarks/bench.py [--quick] [--only B1,B3] [--no-brian2] [--no-jit] [--json PATH]

Benchmarks (dt = 0.1 ms everywhere; each network is built once with neurolab and translated
to Brian2 from its documented attributes, so both simulators run the same model, the same
connectivity and the same initial state):

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

Poisson sources (B1, B3) are given to Brian2 in two ways, each reported on its own row:

- ``(Brian2 PoissonGroup)``: what a Brian2 user writes for "N Poisson inputs at r Hz",
  ``PoissonGroup(N, rates=r*Hz)``; Brian2 draws the input inside its loop, as neurolab does
  inside ``net.run``. Other random numbers, so the spikes differ: the output rates (and the
  final mean weight on B1) are compared statistically instead.
- ``(same input spikes)``: neurolab's Poisson trains (``Network.input_spike_steps``) handed
  to Brian2 as a ``SpikeGeneratorGroup`` (precomputed, outside Brian2's loop), so both run on
  exactly the same spikes: the spike-for-spike check.

B2 has no Poisson input (one Brian2 variant).

Times reported (seconds, wall clock, ``time.perf_counter``):

- neurolab ``loop``: ``net.run(duration)`` with the kernel already compiled (warm), which
  includes drawing the Poisson input and building the kernel's tables; ``tables``: that
  preparation alone (``simulate._Compiled``), timed separately after the run; ``build``:
  constructing the ``Network`` (populations, connectivity, initial weights); ``total`` =
  build + loop + the cold JIT time measured in a fresh process (or the in-process warm-up
  when ``--no-jit``).
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
  cold = empty ``NUMBA_CACHE_DIR``, warm = the same cache directory, populated. The cold run
  also reports numba's compile timers for ``run_steps`` (``compiler_lock`` = the whole
  compilation, ``llvm_lock`` = LLVM's part) and its slowest compiler passes; a separate fresh
  process times numba's first compilation of a trivial function (numba's own start-up).
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
# the repository (neurolab) and tests/ (brian2_model: the Brian2 translation the oracle
# tests use; tests/ is no package, imported as pytest does)
for _p in (REPO / "tests", REPO):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import neurolab as nl  # noqa: E402
from brian2_model import build_brian2, monitor_steps  # noqa: E402

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
    # mV, as in Brian2's CUBA example; weights are magnitudes, receptor="inh" inhibits
    we, wi = 60 * 0.27 / 10, 20 * 4.5 / 10
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


def build_b3r(n, seed=4, k=100, delay=1.5):
    """Recurrent B3: the Vogels & Abbott (2005) CUBA network (Brette et al. 2007), N LIF
    (80 % E, 20 % I; current-based, E_L -49 mV above v_th -50 mV, refractory 5 ms), fixed
    in-degree k (0.8 k from E, 0.2 k from I, no autapses), homogeneous delay 1.5 ms, w_e
    1.62 mV, w_i 9 mV (inhibitory); additive all-to-all STDP on E->E (w_max = 2 w_e,
    A_plus = 0.01 w_max, A_minus = 1.05 A_plus, tau 20/20 ms)."""
    n_e = int(round(0.8 * n))
    n_i = n - n_e
    k_e = int(round(0.8 * k))
    k_i = k - k_e
    prm = nl.LIFParams(tau_m=20.0, v_rest=-49.0, v_th=-50.0, v_reset=-60.0, refractory=5.0,
                       synapse="current", tau_e=5.0, tau_i=10.0)
    rng = np.random.default_rng([seed, 99])
    we, wi = 60 * 0.27 / 10, 20 * 4.5 / 10
    w_max = 2.0 * we
    a_plus = 0.01 * w_max
    net = nl.Network(dt=DT, seed=seed)
    exc = net.add_lif("exc", n=n_e, params=prm, v_init=rng.uniform(-60.0, -50.0, n_e))
    inh = net.add_lif("inh", n=n_i, params=prm, v_init=rng.uniform(-60.0, -50.0, n_i))
    stdp = nl.STDPParams(A_plus=a_plus, A_minus=1.05 * a_plus, tau_plus=20.0, tau_minus=20.0,
                         w_min=0.0, w_max=w_max, pairing="all_to_all", mu=0.0)
    net.connect(exc, exc, rule="fixed_indegree", k=k_e, weight=we, delay=delay, stdp=stdp,
                autapses=False, name="exc->exc")
    net.connect(exc, inh, rule="fixed_indegree", k=k_e, weight=we, delay=delay,
                name="exc->inh")
    net.connect(inh, exc, rule="fixed_indegree", k=k_i, weight=wi, delay=delay,
                receptor="inh", name="inh->exc")
    net.connect(inh, inh, rule="fixed_indegree", k=k_i, weight=wi, delay=delay,
                receptor="inh", autapses=False, name="inh->inh")
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
print(json.dumps({{"import_s": t1 - t0, "first_result_s": t2 - t1,
                  "kernel": bench._kernel_compile_stats()}}))
"""

# numba's own start-up: its first compilation in a process (of a trivial function)
_NUMBA_START_SCRIPT = """
import json, time
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
f = numba.njit(lambda x: x + 1)
f(1)
t2 = time.perf_counter()
g = numba.njit(lambda x: x * 2)
g(1)
t3 = time.perf_counter()
print(json.dumps({"import_numba_s": t1 - t0, "first_compile_s": t2 - t1,
                  "second_compile_s": t3 - t2}))
"""


def _kernel_compile_stats():
    """numba's compile timers of ``run_steps`` in this process (None when it was loaded from
    the cache): the whole compilation (``compiler_lock``), LLVM's part (``llvm_lock``) and
    the slowest passes of the nopython pipeline (native lowering includes LLVM)."""
    from neurolab import _kernels as K

    stats = []
    for sig in K.run_steps.signatures:
        md = K.run_steps.overloads[sig].metadata
        if not md or "timers" not in md:
            continue
        passes = {}
        for pipe in (md.get("pipeline_times") or {}).values():
            for name, t in pipe.items():
                key = name.split("_", 1)[1] if name[:1].isdigit() else name
                passes[key] = passes.get(key, 0.0) + t.init + t.run + t.finalize
        top = dict(sorted(passes.items(), key=lambda kv: -kv[1])[:6])
        stats.append({"compile_s": md["timers"].get("compiler_lock"),
                      "llvm_s": md["timers"].get("llvm_lock"), "passes_s": top})
    return stats or None


def measure_jit(n_warm=3):
    """Cold and warm time to the first result of a tiny run, in fresh processes, and
    numba's own start-up (first compilation of a trivial function) in another one."""
    cache = tempfile.mkdtemp(prefix="neurolab_jit_cache_")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    script = _JIT_SCRIPT.format(repo=str(REPO), bench_dir=str(Path(__file__).parent))

    def one(code):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=str(REPO))
        return json.loads(out.stdout.strip().splitlines()[-1])

    try:
        cold = one(script)
        warm = [one(script) for _ in range(n_warm)]
        numba_start = one(_NUMBA_START_SCRIPT)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    warm_s = sorted(w["first_result_s"] for w in warm)
    return {"cold_s": cold["first_result_s"], "cold_import_s": cold["import_s"],
            "cold_kernel": cold["kernel"], "numba_start": numba_start,
            "warm_s": warm_s[len(warm_s) // 2], "warm_runs_s": warm_s,
            "warm_kernel_compiled": any(w["kernel"] for w in warm),
            "warm_import_s": float(np.median([w["import_s"] for w in warm]))}


def _n_kernel_signatures():
    from neurolab import _kernels as K

    return len(K.run_steps.signatures)


def _weight_summary(proj_name, w, w_max):
    w = np.asarray(w, dtype=float)
    return {"projection": proj_name, "mean": float(w.mean()),
            "frac_below_10pct": float(np.mean(w < 0.1 * w_max)),
            "frac_above_90pct": float(np.mean(w > 0.9 * w_max))}


def run_neurolab(case):
    """Build and run one case with neurolab (kernel assumed warm).

    ``loop`` is ``net.run`` as a user calls it (Poisson draw, tables, kernel, results);
    ``tables`` (the preparation alone) is timed afterwards on a fresh build of the network."""
    t0 = time.perf_counter()
    net = case["build"]()
    build_s = time.perf_counter() - t0
    duration = case["duration"]
    n_sig = _n_kernel_signatures()
    t0 = time.perf_counter()
    res = net.run(duration, progress=False, record_spikes="all")
    loop_s = time.perf_counter() - t0
    # the network has moved on (networks keep their state): the Brian2 runs and the
    # tables timing below start from a fresh build, identical for the same seed
    net = case["build"]()
    compiled_in_loop = _n_kernel_signatures() != n_sig
    t0 = time.perf_counter()
    n_steps = net.n_steps(duration)
    # the tables net.run builds and the input it draws (chunk by chunk during the run)
    _sim.RunState(net).chunk_inputs(0, n_steps)
    tables_s = time.perf_counter() - t0
    spikes = {name: (np.rint(rec.t / net.dt).astype(np.int64), rec.i)
              for name, rec in res.spikes.items()}
    events = synaptic_events(net, spikes, n_steps)
    out = {"build_s": build_s, "tables_s": tables_s, "loop_s": loop_s,
           "kernel_s": max(loop_s - tables_s, 0.0), "events": events,
           "events_per_s": events / loop_s, "spikes": _spike_summary(net, spikes, duration),
           "neuron_steps_per_s": net_size(net)["n_lif"] * n_steps / loop_s,
           "compiled_in_loop": compiled_in_loop}
    plastic = [k for k, pr in net.projections.items() if pr.stdp is not None]
    if plastic:
        out["final_weights"] = _weight_summary(plastic[0], res.final_weights[plastic[0]],
                                               net.projections[plastic[0]].stdp.w_max)
    return net, res, spikes, out


# ============================================================================ Brian2
VARIANTS = {"same": "same input spikes", "poisson": "Brian2 PoissonGroup"}


def has_poisson(net):
    return any(p.kind == "poisson" for p in net.populations.values())


def _b2_objects(b2, net, duration, prefix, variant="same"):
    """Brian2 network for neurolab network ``net`` (tests/brian2_model.py: same model,
    connectivity and initial state). ``variant="same"``: every source is a
    ``SpikeGeneratorGroup`` replaying the spikes neurolab draws; ``"poisson"``: Poisson
    sources are ``PoissonGroup``s (Brian2 draws its own input). Returns the network, the
    spike monitors and the synapses."""
    if variant == "poisson":
        b2.seed(net.seed)  # Brian2's own random numbers, reproducible from run to run
    model = build_brian2(net, duration, prefix=prefix, poisson_inputs=variant == "poisson",
                         b2=b2)
    return b2.Network(model.objects), model.monitors, model.synapses


def _b2_spikes(b2, net, monitors):
    return {name: monitor_steps(mon, net.dt, b2) for name, mon in monitors.items()}


def _b2_result(net, spikes, span, loop_s, total_s, extra, synapses=None):
    n_steps = net.n_steps(span)
    events = synaptic_events(net, spikes, n_steps)
    out = {"span_ms": span, "loop_s": loop_s, "total_s": total_s, "events": events,
           "events_per_s": events / loop_s if loop_s > 0 else math.nan,
           "spikes": _spike_summary(net, spikes, span)}
    plastic = [k for k, pr in net.projections.items() if pr.stdp is not None]
    if plastic and synapses is not None:
        w = np.asarray(synapses[plastic[0]].w[:], dtype=float)
        out["final_weights"] = _weight_summary(plastic[0], w,
                                               net.projections[plastic[0]].stdp.w_max)
        out["_w"] = w  # dropped from the report after the comparison with neurolab
    out.update(extra)
    return out


def run_brian2_runtime(case, net, variant="same"):
    """Brian2 runtime device, numpy target; runs ``case['runtime_span']`` ms."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = net.dt * b2.ms
    span = case["runtime_span"]
    t0 = time.perf_counter()
    bnet, monitors, syn = _b2_objects(b2, net, span, variant=variant,
                                      prefix=f"rt_{variant}_{case['key'].replace('-', '_')}_")
    construct_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    bnet.run(net.n_steps(span) * net.dt * b2.ms, namespace={})
    run_s = time.perf_counter() - t0
    loop_s = float(b2.get_device()._last_run_time)
    spikes = _b2_spikes(b2, net, monitors)
    scale = case["duration"] / span
    res = _b2_result(net, spikes, span, loop_s, construct_s + run_s,
                     {"variant": variant, "construct_s": construct_s,
                      "codegen_s": run_s - loop_s, "scale": scale,
                      "loop_full_s": loop_s * scale,
                      "total_full_s": construct_s + (run_s - loop_s) + loop_s * scale}, syn)
    res.pop("_w", None)  # a shorter span: not comparable with neurolab's final weights
    del bnet, monitors, syn
    return res


def run_brian2_standalone(case, net, workdir, variant="same"):
    """Brian2 cpp_standalone: build and compile, then run the binary separately."""
    import brian2 as b2
    from brian2 import device

    duration = case["duration"]
    t0 = time.perf_counter()
    b2.defaultclock.dt = net.dt * b2.ms
    bnet, monitors, syn = _b2_objects(b2, net, duration, prefix="", variant=variant)
    bnet.run(net.n_steps(duration) * net.dt * b2.ms, namespace={})
    construct_s = time.perf_counter() - t0
    directory = os.path.join(workdir, f"{case['key']}_{variant}")
    t0 = time.perf_counter()
    device.build(directory=directory, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    device.run(directory=directory, with_output=False)
    binary_s = time.perf_counter() - t0
    loop_s = float(device._last_run_time)
    spikes = _b2_spikes(b2, net, monitors)
    res = _b2_result(net, spikes, duration, loop_s, construct_s + compile_s + binary_s,
                     {"variant": variant, "construct_s": construct_s, "compile_s": compile_s,
                      "binary_s": binary_s,
                      "make_s": device.timers["compile"]["make"]}, syn)
    res["_spikes"] = spikes  # for the spike-for-spike comparison, dropped afterwards
    del bnet, monitors, syn
    device.reinit()
    device.activate(build_on_run=False)
    shutil.rmtree(directory, ignore_errors=True)
    return res


def _rel(a, b):
    return (b - a) / a if a else math.nan


def compare(net, nl_spikes, nl_weights, cpp):
    """neurolab against one Brian2 cpp_standalone result: spike-for-spike and weight by
    weight for identical input spikes; output rates and final weights for PoissonGroup."""
    lif = [k for k, p in net.populations.items() if p.kind == "lif"]
    src = [k for k, p in net.populations.items() if p.kind == "poisson"]
    dur_s = cpp["span_ms"] / 1000.0
    n_lif = sum(net.populations[k].n for k in lif)
    out = {"variant": cpp["variant"]}
    nl_n = sum(int(nl_spikes[k][0].size) for k in lif)
    b2_n = sum(int(cpp["_spikes"][k][0].size) for k in lif)
    out["lif_rate_hz"] = {"neurolab": nl_n / n_lif / dur_s, "brian2_cpp": b2_n / n_lif / dur_s}
    out["lif_rate_rel_diff"] = _rel(*out["lif_rate_hz"].values())
    if src:
        n_src = sum(net.populations[k].n for k in src)
        out["input_rate_hz"] = {
            "neurolab": sum(int(nl_spikes[k][0].size) for k in src) / n_src / dur_s,
            "brian2_cpp": sum(int(cpp["_spikes"][k][0].size) for k in src) / n_src / dur_s}
    if cpp["variant"] == "same":
        out["identical_spikes"] = all(_same_spikes(nl_spikes[k], cpp["_spikes"][k])
                                      for k in lif)
    if nl_weights is not None and "_w" in cpp:
        w_nl, w_b2 = nl_weights
        out["mean_w"] = {"neurolab": float(np.mean(w_nl)), "brian2_cpp": float(np.mean(w_b2))}
        out["mean_w_rel_diff"] = _rel(*out["mean_w"].values())
        if cpp["variant"] == "same":
            out["max_abs_w_diff"] = float(np.max(np.abs(w_nl - w_b2)))
    return out


def _same_spikes(a, b):
    """Same (step, id) pairs, whatever the order within a step."""
    if a[0].size != b[0].size:
        return False
    oa, ob = np.lexsort((a[1], a[0])), np.lexsort((b[1], b[0]))
    return bool(np.array_equal(a[0][oa], b[0][ob]) and np.array_equal(a[1][oa], b[1][ob]))


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
    try:  # which neurolab was measured: commit, and whether neurolab/ had local changes
        git = ["git", "-C", str(REPO)]
        info["git_commit"] = subprocess.run(git + ["rev-parse", "--short", "HEAD"],
                                            capture_output=True, text=True).stdout.strip()
        info["neurolab_modified"] = bool(subprocess.run(
            git + ["status", "--porcelain", "--", "neurolab"],
            capture_output=True, text=True).stdout.strip())
    except OSError:  # pragma: no cover - no git
        pass
    try:
        info["brian2"] = importlib.metadata.version("brian2")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a dev dependency
        info["brian2"] = None
    return info


def variants_of(net):
    """The Brian2 variants a network is run in: PoissonGroup first where it has Poisson
    sources, then the identical-input one (the only one without Poisson sources)."""
    return ["poisson", "same"] if has_poisson(net) else ["same"]


def row_label(entry, variant):
    if variant is None or not entry["has_poisson"]:
        return entry["key"]
    return f"{entry['key']} ({VARIANTS[variant]})"


def run_benchmarks(cases, brian2=True, jit=True, log=print):
    """Run every case with neurolab (and Brian2 unless ``brian2=False``); return a dict.

    Each benchmark entry has ``neurolab`` and ``variants``: ``{"poisson" | "same": {"cpp",
    "numpy", "ratio_loop_cpp", "ratio_total_cpp", "ratio_loop_numpy", "check"}}`` (empty
    without Brian2)."""
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
    nets, kept = {}, {}
    for case in cases:
        log(f"[{case['key']}] neurolab, {case['duration'] / 1000:g} s ...")
        net, res, spk, r = run_neurolab(case)
        r["total_s"] = r["build_s"] + r["loop_s"] + jit_cost
        nets[case["key"]] = net
        plastic = [k for k, pr in net.projections.items() if pr.stdp is not None]
        kept[case["key"]] = (spk, res.final_weights[plastic[0]] if plastic else None)
        entry = {"key": case["key"], "group": case["group"], "title": case["title"],
                 "duration_ms": case["duration"], **net_size(net),
                 "has_poisson": has_poisson(net),
                 "lif_pops": [k for k, p in net.populations.items() if p.kind == "lif"],
                 "neurolab": r, "variants": {}}
        report["benchmarks"].append(entry)
        log(f"  loop {r['loop_s']:.3f} s (tables {r['tables_s']:.3f} s), build "
            f"{r['build_s']:.3f} s, {r['events']:,} events, {r['events_per_s'] / 1e6:.1f} M/s"
            + ("  [kernel compiled during the loop!]" if r["compiled_in_loop"] else ""))
        del res
    if brian2:
        import brian2 as b2

        b2.prefs.logging.console_log_level = "WARNING"
        for case, entry in zip(cases, report["benchmarks"]):
            for v in variants_of(nets[case["key"]]):
                log(f"[{row_label(entry, v)}] Brian2 runtime (numpy), "
                    f"{case['runtime_span'] / 1000:g} s ...")
                r = run_brian2_runtime(case, nets[case["key"]], v)
                entry["variants"].setdefault(v, {})["numpy"] = r
                log(f"  loop {r['loop_s']:.2f} s for {r['span_ms'] / 1000:g} s"
                    + (f" (x{r['scale']:g} -> {r['loop_full_s']:.1f} s)"
                       if r["scale"] != 1 else ""))
        workdir = tempfile.mkdtemp(prefix="neurolab_bench_b2_")
        b2.set_device("cpp_standalone", build_on_run=False)
        try:
            for case, entry in zip(cases, report["benchmarks"]):
                net = nets[case["key"]]
                for v in variants_of(net):
                    log(f"[{row_label(entry, v)}] Brian2 cpp_standalone, "
                        f"{case['duration'] / 1000:g} s ...")
                    r = run_brian2_standalone(case, net, workdir, v)
                    spk, w_nl = kept[case["key"]]
                    chk = compare(net, spk, None if w_nl is None else (w_nl, r.get("_w")), r)
                    r.pop("_spikes", None)
                    r.pop("_w", None)
                    entry["variants"].setdefault(v, {}).update({"cpp": r, "check": chk})
                    log(f"  loop {r['loop_s']:.2f} s, compile {r['compile_s']:.1f} s, binary "
                        f"{r['binary_s']:.2f} s, "
                        f"{r['events'] / max(r['loop_s'], 1e-9) / 1e6:.1f} M/s; "
                        + _check_text(chk))
        finally:
            b2.set_device("runtime")
            shutil.rmtree(workdir, ignore_errors=True)
    kept.clear()
    for entry in report["benchmarks"]:
        nlr = entry["neurolab"]
        for v, d in entry["variants"].items():
            cpp, npy = d.get("cpp"), d.get("numpy")
            d["ratio_loop_cpp"] = nlr["loop_s"] / cpp["loop_s"] if cpp else None
            d["ratio_total_cpp"] = nlr["total_s"] / cpp["total_s"] if cpp else None
            d["ratio_loop_numpy"] = nlr["loop_s"] / npy["loop_full_s"] if npy else None
    report["load_avg_end"] = _loadavg()
    report["targets"] = check_targets(report)
    return report


def _check_text(chk):
    rates = chk["lif_rate_hz"]
    txt = (f"LIF rate nl {rates['neurolab']:.3f} Hz, cpp {rates['brian2_cpp']:.3f} Hz "
           f"({100 * chk['lif_rate_rel_diff']:+.1f} %)")
    if "mean_w" in chk:
        txt += (f", mean final w nl {chk['mean_w']['neurolab']:.5g}, "
                f"cpp {chk['mean_w']['brian2_cpp']:.5g} ({100 * chk['mean_w_rel_diff']:+.1f} %)")
    if chk["variant"] == "same":
        txt += f", identical spikes: {chk['identical_spikes']}"
        if "max_abs_w_diff" in chk:
            txt += f", max |dw| {chk['max_abs_w_diff']:.2g}"
    return txt


def _loadavg():
    try:
        return list(os.getloadavg())
    except OSError:  # pragma: no cover
        return None


def check_targets(report):
    """Each target: measured value, limit, met (None when not measured), the Brian2 variant
    the value uses and, beside it, the other variant's value (nothing hidden)."""
    out = []
    by_key = {e["key"]: e for e in report["benchmarks"]}

    def add(name, value, limit, le=True, variant="–", beside="–"):
        met = None if value is None else (value <= limit if le else value >= limit)
        out.append({"target": name, "value": value, "limit": limit, "variant": variant,
                    "beside": beside, "op": "<=" if le else ">=", "met": met})

    def ratio(e, v):
        return (e["variants"].get(v) or {}).get("ratio_loop_cpp")

    if "B1" in by_key:
        e = by_key["B1"]
        same = ratio(e, "same")
        add("B1 loop neurolab / Brian2 cpp_standalone", ratio(e, "poisson"),
            TARGETS["B1_loop_ratio_cpp"], variant=VARIANTS["poisson"],
            beside="–" if same is None else f"{VARIANTS['same']}: {same:.3f}")
    if "B2" in by_key:
        add("B2 loop neurolab / Brian2 cpp_standalone", ratio(by_key["B2"], "same"),
            TARGETS["B2_loop_ratio_cpp"], variant="one (no Poisson input)")
    if "B3-50k" in by_key:
        e = by_key["B3-50k"]
        cpp = [f"{VARIANTS[v]} {d['cpp']['events_per_s'] / 1e6:.1f} M"
               for v, d in e["variants"].items() if d.get("cpp")]
        add("B3-50k synaptic events/s (neurolab, 1 core)", e["neurolab"]["events_per_s"],
            TARGETS["B3_50k_events_per_s"], le=False, variant="neurolab alone",
            beside=("Brian2 cpp: " + ", ".join(cpp)) if cpp else "–")
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


def _pct(x):
    return "–" if x is None or not math.isfinite(x) else f"{100 * x:+.1f} %"


def _rows(e):
    """(label, variant dict or None) for each table row of entry ``e``."""
    if not e["variants"]:
        return [(row_label(e, None), None)]
    return [(row_label(e, v), e["variants"][v]) for v in ("poisson", "same")
            if v in e["variants"]]


def _npy_loop_cell(npy):
    if not npy:
        return "–"
    return f"{_f(npy['loop_full_s'])}*" if npy["scale"] != 1 else _f(npy["loop_s"])


def jit_sentence(report):
    j = report.get("jit")
    if not j:
        return ""
    txt = (f"neurolab JIT (fresh process, first result of a tiny run minus import): "
           f"cold {j['cold_s']:.2f} s, warm {j['warm_s']:.2f} s "
           f"(import neurolab {j['warm_import_s']:.2f} s).")
    k = (j.get("cold_kernel") or [None])[0]
    ns = j.get("numba_start")
    if k:
        p = k["passes_s"]
        lower = p.get("native_lowering")
        parts = [f"LLVM {k['llvm_s']:.2f} s"]
        if lower is not None:
            parts.append(f"lowering to LLVM IR {max(lower - k['llvm_s'], 0):.2f} s")
        for key, label in (("inline_inlinables", "inlining the helpers"),
                           ("nopython_type_inference", "type inference")):
            if key in p:
                parts.append(f"{label} {p[key]:.2f} s")
        txt += (f" Cold, numba compiles `run_steps` in {k['compile_s']:.2f} s ("
                + ", ".join(parts) + ")")
        if ns:
            txt += (f"; numba's own start-up (its first compilation of a trivial function "
                    f"in a fresh process) takes {ns['first_compile_s']:.2f} s, a second "
                    f"trivial one {ns['second_compile_s']:.2f} s")
        txt += "."
    return txt


def markdown_table(report):
    """The results as Markdown (ready to paste into benchmarks/README.md): a loop table, a
    totals table (compile included), the output agreement, the JIT times and the targets."""
    m = report["machine"]
    lines = [f"Machine: {m.get('cpu')}, {m.get('cores')} cores; Python {m.get('python')}, "
             f"numpy {m.get('numpy')}, numba {m.get('numba')}, Brian2 {m.get('brian2')}; "
             f"neurolab at {m.get('git_commit') or '?'}"
             f"{' with local changes in neurolab/' if m.get('neurolab_modified') else ''}. "
             f"Load average at start {_la(report.get('load_avg_start'))}, "
             f"end {_la(report.get('load_avg_end'))}.", ""]
    lines += ["| Bench (Brian2 input) | LIF / sources / synapses | bio s | neurolab loop s "
              "| of which tables s | cpp loop s | numpy loop s | nl/cpp loop "
              "| nl kernel/cpp loop | nl/numpy loop | Mevents/s nl | Mevents/s cpp "
              "| LIF spikes nl / cpp |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for e in report["benchmarks"]:
        nlr = e["neurolab"]
        out_nl = sum(v["n_spikes"] for k, v in nlr["spikes"].items() if k in e["lif_pops"])
        for label, d in _rows(e):
            cpp = (d or {}).get("cpp")
            npy = (d or {}).get("numpy")
            if npy and npy["scale"] != 1:
                notes.append(f"{label}: numpy ran {npy['span_ms'] / 1000:g} s of the "
                             f"{e['duration_ms'] / 1000:g} s ({_f(npy['loop_s'])} s loop), "
                             f"scaled x{npy['scale']:g} per biological second")
            out_cpp = (sum(v["n_spikes"] for k, v in cpp["spikes"].items()
                           if k in e["lif_pops"]) if cpp else None)
            kern_ratio = nlr["kernel_s"] / cpp["loop_s"] if cpp else None
            lines.append(
                f"| {label} | {e['n_lif']:,} / {e['n_sources']:,} / {e['n_syn']:,} | "
                f"{e['duration_ms'] / 1000:g} | {_f(nlr['loop_s'], 3)} | "
                f"{_f(nlr['tables_s'], 3)} | {_f(cpp['loop_s'], 3) if cpp else '–'} | "
                f"{_npy_loop_cell(npy)} | {_f((d or {}).get('ratio_loop_cpp'), 3)} | "
                f"{_f(kern_ratio, 3)} | {_f((d or {}).get('ratio_loop_numpy'), 4)} | "
                f"{_m(nlr['events_per_s'])} | {_m(cpp['events_per_s'] if cpp else None)} | "
                f"{out_nl:,} / {'–' if out_cpp is None else f'{out_cpp:,}'} |")
    lines += ["", "| Bench (Brian2 input) | neurolab build s | neurolab total s "
              "| cpp construct s | cpp compile s | cpp binary s | cpp total s | numpy total s "
              "| nl/cpp total |",
              "|---|---|---|---|---|---|---|---|---|"]
    for e in report["benchmarks"]:
        nlr = e["neurolab"]
        for label, d in _rows(e):
            cpp = (d or {}).get("cpp")
            npy = (d or {}).get("numpy")
            npy_total = "–"
            if npy:
                npy_total = _f(npy["total_full_s"]) + ("*" if npy["scale"] != 1 else "")
            lines.append(
                f"| {label} | {_f(nlr['build_s'])} | {_f(nlr['total_s'])} | "
                f"{_f(cpp['construct_s']) if cpp else '–'} | "
                f"{_f(cpp['compile_s'], 1) if cpp else '–'} | "
                f"{_f(cpp['binary_s']) if cpp else '–'} | "
                f"{_f(cpp['total_s'], 1) if cpp else '–'} | "
                f"{npy_total} | {_f((d or {}).get('ratio_total_cpp'), 3)} |")
    checks = [(e, label, d["check"]) for e in report["benchmarks"] for label, d in _rows(e)
              if d and d.get("check")]
    if checks:
        lines += ["", "Output agreement, neurolab against Brian2 cpp_standalone over the "
                  "whole run (same input spikes: must match spike for spike; PoissonGroup: "
                  "other random numbers, so statistically):", "",
                  "| Bench (Brian2 input) | input rate Hz nl / cpp | LIF rate Hz nl / cpp "
                  "| LIF rate diff | mean final w nl / cpp | mean w diff "
                  "| identical spikes | max abs w diff |",
                  "|---|---|---|---|---|---|---|---|"]
        for e, label, c in checks:
            ir = c.get("input_rate_hz")
            mw = c.get("mean_w")
            lines.append(
                f"| {label} | "
                + (f"{ir['neurolab']:.3f} / {ir['brian2_cpp']:.3f}" if ir else "–") + " | "
                f"{c['lif_rate_hz']['neurolab']:.3f} / {c['lif_rate_hz']['brian2_cpp']:.3f} | "
                f"{_pct(c['lif_rate_rel_diff'])} | "
                + (f"{mw['neurolab']:.5g} / {mw['brian2_cpp']:.5g}" if mw else "–") + " | "
                f"{_pct(c.get('mean_w_rel_diff'))} | "
                + {True: "yes", False: "**no**", None: "– (other input)"}[
                    c.get("identical_spikes")] + " | "
                + (f"{c['max_abs_w_diff']:.2g}" if "max_abs_w_diff" in c else "–") + " |")
    lines.append("")
    if report["jit"]:
        lines.append(jit_sentence(report))
    lines += ["",
              "neurolab loop = `net.run` with a warm kernel (Poisson draw and table building "
              "included; \"tables\" is that part alone, kernel = loop - tables); "
              "cpp loop = `device._last_run_time` (loop inside the binary: with PoissonGroup "
              "Brian2 draws its input in it, with the same input spikes they are precomputed "
              "and replayed by a SpikeGeneratorGroup); neurolab total = build + loop + "
              + ("cold JIT" if report["jit"] else "in-process kernel load (--no-jit)")
              + "; cpp total = model construction + code generation and compilation + binary."]
    for note in notes:
        lines.append(f"\\* {note}.")
    if report.get("targets"):
        lines += ["", "| Target | Brian2 variant used | measured | beside it | limit | met |",
                  "|---|---|---|---|---|---|"]
        for t in report["targets"]:
            v = t["value"]
            val = "–" if v is None else (f"{v / 1e6:.1f} M" if v > 1e5 else f"{v:.3f}")
            lim = f"{t['limit'] / 1e6:.0f} M" if t["limit"] > 1e5 else f"{t['limit']:g}"
            met = {True: "yes", False: "**no**", None: "–"}[t["met"]]
            lines.append(f"| {t['target']} | {t['variant']} | {val} | {t['beside']} | "
                         f"{t['op']} {lim} | {met} |")
    return "\n".join(lines)


def readme_table(report):
    """One row per benchmark, for the main README: the Brian2 cpp columns use PoissonGroup
    where the network has Poisson input, the identical-input value in brackets."""
    lines = ["| Benchmark | neurolab loop s | Brian2 cpp loop s | neurolab / cpp "
             "| Brian2 numpy loop s | neurolab Mevents/s |",
             "|---|---|---|---|---|---|"]
    for e in report["benchmarks"]:
        nlr, var = e["neurolab"], e["variants"]
        main = var.get("poisson") or var.get("same") or {}
        alt = var.get("same") if "poisson" in var else None

        def cell(d, fn):
            return fn(d) if d and d.get("cpp") is not None else "–"

        cpp_loop = cell(main, lambda d: _f(d["cpp"]["loop_s"], 3))
        ratio = cell(main, lambda d: _f(d["ratio_loop_cpp"], 3))
        npy = _npy_loop_cell(main.get("numpy"))
        if alt:
            cpp_loop += cell(alt, lambda d: f" ({_f(d['cpp']['loop_s'], 3)})")
            ratio += cell(alt, lambda d: f" ({_f(d['ratio_loop_cpp'], 3)})")
            npy += f" ({_npy_loop_cell(alt.get('numpy'))})"
        lines.append(f"| {e['key']}: {e['title']}, {e['duration_ms'] / 1000:g} s | "
                     f"{_f(nlr['loop_s'], 3)} | {cpp_loop} | {ratio} | {npy} | "
                     f"{_m(nlr['events_per_s'])} |")
    j = report.get("jit")
    if j:
        lines.append(f"| JIT, first result in a fresh process: cold / warm numba cache | "
                     f"{j['cold_s']:.2f} / {j['warm_s']:.2f} | | | | |")
    return "\n".join(lines)


def _la(x):
    return "–" if not x else "/".join(f"{v:.2f}" for v in x)


_RSS_SCRIPT = """
import resource, sys
import neurolab as nl
net = nl.Network(dt=0.1, seed=0)
inp = net.add_poisson("inp", 1000, 15.0)
out = net.add_lif("out", 1, nl.LIFParams(synapse="conductance", v_rest=-74.0))
net.connect(inp, out, weight=("uniform", 0.0, 0.01),
            stdp=nl.STDPParams(A_plus=5e-5, A_minus=5.25e-5, w_max=0.01))
net.run(float(sys.argv[1]), progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def rss_vs_duration(durations_s=(50, 200, 800, 1600), log=print):
    """Peak RSS (MiB) of the README's one-neuron network (1000 Poisson inputs at 15 Hz ->
    1 conductance LIF, STDP, only output spikes recorded), each duration in a fresh
    process: it should not grow with the duration (input is drawn chunk by chunk)."""
    out = {}
    # a first short run fills numba's cache, so that no line includes the compiler's memory
    subprocess.run([sys.executable, "-c", _RSS_SCRIPT, "10.0"], capture_output=True,
                   check=True, cwd=str(REPO))
    for d in durations_s:
        r = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(d * 1000.0)],
                           capture_output=True, text=True, check=True, cwd=str(REPO))
        out[d] = int(r.stdout.split()[-1]) / 1024.0
        log(f"peak RSS, {d:>5} s simulated: {out[d]:.0f} MiB")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short durations (smoke run)")
    ap.add_argument("--only", default=None,
                    help="comma-separated benchmark groups or keys, e.g. B1,B3 or B3-50k")
    ap.add_argument("--no-brian2", action="store_true", help="neurolab only")
    ap.add_argument("--no-jit", action="store_true", help="skip the cold/warm JIT measurement")
    ap.add_argument("--json", default=None, help="write the results as JSON to this path")
    ap.add_argument("--rss", action="store_true",
                    help="only measure peak RSS against simulated duration (50-1600 s)")
    args = ap.parse_args(argv)
    if args.rss:
        return {"rss_mib": rss_vs_duration()}
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
    print()
    print(readme_table(report))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        print(f"\nresults written to {path}")
    return report


if __name__ == "__main__":
    main()
