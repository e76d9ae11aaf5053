"""neurolab against Brian2 (C++ standalone and runtime/numpy) on four benchmark networks.

Run from the repository root::

    python benchmarks/bench.py [--quick] [--only B1,B3r] [--no-brian2] [--no-jit]
                               [--threads 1,2] [--repeat R] [--json PATH]
                               [--models translated,hand] [--no-plain]

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
- **B3** (feed-forward) N Poisson sources at 20 Hz -> N delta LIF (tau_m 10 ms, v_rest -70,
  v_th -54, v_reset -60 mV, refractory 2 ms), fixed in-degree 100, w = 0.8 mV, static
  synapses; N = 1k, 10k, 50k; 1 s.
- **B3r** (recurrent, issue 11) the same CUBA model as B2 with N = 1k, 10k, 50k neurons
  (80 % E, 20 % I), fixed in-degree 100 (80 from E, 20 from I, no autapses), homogeneous
  axonal delay 1.5 ms, additive all-to-all STDP on E->E; 1 s (:func:`build_b3r`).

Poisson sources (B1, B3) are given to Brian2 in two ways, each reported on its own row:

- ``(Brian2 PoissonGroup)``: what a Brian2 user writes for "N Poisson inputs at r Hz",
  ``PoissonGroup(N, rates=r*Hz)``; Brian2 draws the input inside its loop, as neurolab does
  inside ``net.run``. Other random numbers, so the spikes differ: the output rates (and the
  final mean weight on B1) are compared statistically instead.
- ``(same input spikes)``: neurolab's Poisson trains (``Network.input_spike_steps``) handed
  to Brian2 as a ``SpikeGeneratorGroup`` (precomputed, outside Brian2's loop), so both run on
  exactly the same spikes: the spike-for-spike check.

B2 and B3r have no Poisson input (one Brian2 variant).

Brian2 is run with two models of each network (``--models``, both by default):

- ``translated``: ``tests/oracles/brian2_model.py``'s mechanical translation of neurolab's
  network (the oracle tests' model): one ``NeuronGroup`` per population, a weight
  variable on every synapse, per-synapse delays on every pathway whose delay is not one
  scalar (the STDP's on_post pathway);
- ``hand`` (B1, B2, B3r; ``benchmarks/brian2_hand.py``, issue 20): the network written as
  Brian2 users write it, after Brian2's ``CUBA.py`` and STDP examples: one ``NeuronGroup``
  with units (E and I its subgroups), one ``Synapses`` per projection, static weights as
  scalar constants (``ge += we``), a scalar delay on every pathway, event-driven STDP
  traces. Same connectivity, initial state and (rows "same input spikes" /
  "hand-written") input spikes as neurolab's network: its spikes must equal neurolab's
  over the whole timed run and its final plastic weights agree to ~1e-12, which the run
  checks (the "checked" column; ``first_difference_ms`` in the JSON where they do not).
  B1's hand-written model also runs with a ``PoissonGroup`` (compared statistically). Run
  on cpp_standalone only (no numpy target).

On B3r the plain numba loop of ``benchmarks/plain_b3r.py`` (this one network, its constants
folded in) is timed beside neurolab's time inside ``run_steps`` (neither includes tables,
input or results), its spike count and final E->E weights checked bitwise against
neurolab's (``--no-plain`` skips it).

Brian2 gets each population's shared parameters (time constants, potentials, refractory
period) as scalars, as a Brian2 user writes a homogeneous population
(``build_brian2(..., scalar_params=True)``): with per-neuron constants, the form the oracle
tests use so that heterogeneous populations translate, Brian2 computes the integration
factors for every neuron in every step, and its cpp_standalone loop on B3r-1k is ~10x
longer (0.47 s against 0.048 s, same spikes).

Times reported (seconds, wall clock, ``time.perf_counter``):

- neurolab ``loop``: ``net.run(duration)`` on one thread with the kernel already compiled
  (warm), as a user calls it: it includes drawing the Poisson input, building the kernel's
  tables, the kernel and assembling the result; ``tables``: that preparation alone
  (``simulate.RunState`` and the input draw), timed separately after the run; ``kernel`` =
  loop - tables (the kernel plus assembling the result); ``run_steps``: the time spent
  inside the kernel's calls alone (measured by wrapping ``neurolab.engine.kernels.run_steps*``;
  absent when the run calls no such function); ``build``: constructing the ``Network``
  (populations, connectivity, initial weights); ``total`` = build + loop + the cold JIT
  time measured in a fresh process (or the in-process warm-up when ``--no-jit``). With
  ``--repeat R`` each loop is run R times (thread counts interleaved, the network rebuilt
  each time) and the median is reported.
- threads (``--threads 1,2``, when ``net.run`` takes ``threads=``): the loop of each case
  for each thread count, the speed-up over one thread, and whether the spikes of every
  population and the final weights of every projection are bitwise those of one thread.
- Brian2 ``cpp_standalone``: ``loop`` = ``device._last_run_time`` (the simulation loop as
  timed inside the compiled binary; the median over R runs of the binary with
  ``--repeat R``); ``compile`` = code generation + ``make``; ``binary`` = the whole binary
  (loading arrays, creating synapses, loop, writing results); ``total`` = Python model
  construction + compile + binary.
- Brian2 runtime (numpy target): ``loop`` = ``device._last_run_time`` (the Python step loop,
  code generation excluded); ``total`` = construction + ``Network.run``. For long biological
  durations (and large networks) it runs a shorter span and the loop is scaled to the full
  duration (per biological second): such numbers are marked ``*`` and say so.
- synaptic events = sum over delivered presynaptic spikes of their fan-out in each
  projection, counted from the recorded spikes and the connectivity; events/s = events / loop.
- memory per synapse (bytes): neurolab's kernel tables (:func:`bytes_per_synapse`): the
  per-synapse arrays of every synapse (static), plus those of plastic synapses only (plastic);
  per-neuron arrays (row pointers, traces, the spike ring) are reported apart. Brian2
  cpp_standalone's from its ``Synapses`` objects (:func:`brian2_bytes_per_synapse`).
- JIT: time to the first result of a 100-input network in a fresh process (import neurolab,
  build, run 100 ms), the issue's measure; also without the import. cold = empty
  ``NUMBA_CACHE_DIR``, warm = the same cache directory, populated. The cold run also reports
  numba's compile timers for ``run_steps`` (``compiler_lock`` = the whole compilation,
  ``llvm_lock`` = LLVM's part) and its slowest compiler passes; a separate fresh process
  times numba's first compilation of a trivial function (numba's own start-up).
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
# tests use, in tests/oracles/, and the reference rules it reads, in tests/reference/;
# tests/ is no package: its helpers are imported by name, as tests/conftest.py sets up)
for _p in (REPO / "tests" / "oracles", REPO / "tests" / "reference", REPO):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))
# benchmarks/ (brian2_hand: the hand-written Brian2 models; plain_b3r: the plain loop), last
if str(REPO / "benchmarks") not in sys.path:
    sys.path.append(str(REPO / "benchmarks"))

from brian2_hand import HAND_BUILDERS, build_hand
from brian2_model import build_brian2, monitor_steps

import neurolab as nl

_sim = importlib.import_module("neurolab.engine.tables")

DT = 0.1  # ms

# targets on the 2-core machine (issue 11; DESIGN.md "Performance yardsticks"). The issue's
# B1 limit is "no regression beyond 0.19"; 0.10 stays the project's own goal, reported apart.
TARGETS = {
    "B1_loop_ratio_cpp": 0.19,
    "B1_loop_ratio_cpp_goal": 0.10,
    "B2_loop_ratio_cpp": 0.25,
    "B3r_50k_events_per_s": 55e6,      # recurrent B3 at 50k, one core
    "B3_50k_events_per_s": 55e6,       # the feed-forward B3's earlier target (kept beside)
    "threads_speedup_2": 1.7,          # B3r-50k, threads=2 against threads=1
    "bytes_per_static_synapse": 16,
    "bytes_per_plastic_synapse": 24,
    "jit_cold_s": 3.1,                 # issue 11: today's cold start must not get worse
    "jit_cold_goal_s": 1.5,
    "jit_warm_s": 0.63,
    # issue 20, against Brian2 written by hand (benchmarks/brian2_hand.py), one thread
    "B1_loop_ratio_hand": 0.18,
    "B2_loop_ratio_hand": 0.5,
    "B3r_50k_events_per_s_issue20": 25e6,
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


def _cuba(seed, n):
    """The CUBA populations shared by B2 and B3r (Brette et al. 2007; Brian2's ``CUBA.py``):
    a network with 80 % E / 20 % I current-based LIF (E_L -49 mV above v_th -50 mV,
    v_reset -60 mV, refractory 5 ms, tau_e 5 ms, tau_i 10 ms), v uniform in [-60, -50] mV;
    returns (net, exc, inh, stdp, w_e, w_i) with the additive all-to-all rule for E->E
    (w_max = 2 w_e, A_plus = 0.01 w_max, A_minus = 1.05 A_plus, tau 20/20 ms)."""
    n_e = round(0.8 * n)
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
    return net, exc, inh, stdp, we, wi


def build_b2(seed=2, n=4000, p=0.02):
    """CUBA balanced network (Brette et al. 2007), 80 % E / 20 % I, STDP on E->E."""
    net, exc, inh, stdp, we, wi = _cuba(seed, n)
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
    k_e = round(0.8 * k)
    k_i = k - k_e
    net, exc, inh, stdp, we, wi = _cuba(seed, n)
    net.connect(exc, exc, rule="fixed_indegree", k=k_e, weight=we, delay=delay, stdp=stdp,
                autapses=False, name="exc->exc")
    net.connect(exc, inh, rule="fixed_indegree", k=k_e, weight=we, delay=delay,
                name="exc->inh")
    net.connect(inh, exc, rule="fixed_indegree", k=k_i, weight=wi, delay=delay,
                receptor="inh", name="inh->exc")
    net.connect(inh, inh, rule="fixed_indegree", k=k_i, weight=wi, delay=delay,
                receptor="inh", autapses=False, name="inh->inh")
    return net


def size_label(n):
    """``1000 -> "1k"``, ``50000 -> "50k"``, ``300 -> "300"``."""
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def make_cases(quick=False, b3_sizes=None, durations=None, b2_n=4000, b3r_sizes=None):
    """The benchmark cases: dicts with key, group, title, build (callable), duration (ms),
    ``n`` (B3, B3r) and the span the Brian2 runtime target runs (``runtime_span``, ms).

    ``b3_sizes``, ``b3r_sizes``: network sizes N of the feed-forward and recurrent B3
    (default 1k, 10k, 50k; 1k, 10k with ``quick``); ``durations``: ``{group: ms}`` overrides
    (defaults: B1 100 s, B2 10 s, B3 and B3r 1 s; quick: 1 s, 0.2 s, 0.1 s, 0.1 s)."""
    b3_sizes = b3_sizes or ((1000, 10000) if quick else (1000, 10000, 50000))
    b3r_sizes = b3r_sizes or ((1000, 10000) if quick else (1000, 10000, 50000))
    dur = {"B1": 1000.0 if quick else 100_000.0, "B2": 200.0 if quick else 10_000.0,
           "B3": 100.0 if quick else 1000.0, "B3r": 100.0 if quick else 1000.0}
    dur.update(durations or {})
    # the numpy runtime target is ~1e2-1e3x slower than the kernel: shorter spans, scaled
    span = {"B1": 2000.0, "B2": 1000.0, "B3": 1000.0, "B3r": 1000.0}
    cases = [
        {"key": "B1", "group": "B1", "build": build_b1, "duration": dur["B1"],
         "title": "Song et al. 2000: 1000 Poisson -> 1 cond. LIF, STDP"},
        {"key": "B2", "group": "B2", "build": lambda: build_b2(n=b2_n), "duration": dur["B2"],
         "title": f"CUBA {b2_n} LIF (80/20), p=0.02, STDP E->E"},
    ]
    for n in b3_sizes:
        label = size_label(n)
        cases.append({"key": f"B3-{label}", "group": "B3", "build": (lambda n=n: build_b3(n)),
                      "duration": dur["B3"], "n": n,
                      "title": f"{label} Poisson -> {label} delta LIF, in-degree 100"})
    for n in b3r_sizes:
        label = size_label(n)
        cases.append({"key": f"B3r-{label}", "group": "B3r",
                      "build": (lambda n=n: build_b3r(n)), "duration": dur["B3r"], "n": n,
                      "title": f"recurrent CUBA {label} LIF (80/20), in-degree 100, "
                               "delay 1.5 ms, STDP E->E"})
    for c in cases:
        n = c.get("n", 0)
        full = span[c["group"]]
        if c["group"] == "B3r" and n > 1000:
            full = 200.0 if n <= 10_000 else 100.0
        elif n > 10_000:
            full = 200.0
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
def warm_kernel(threads=None):
    """Compile (or load from the numba cache) the kernel in this process; return seconds.
    ``threads``: passed to ``net.run`` (when it takes it), so that a kernel variant for
    several threads is compiled here and not inside a timed loop."""
    t0 = time.perf_counter()
    _jit_probe_run(threads)
    return time.perf_counter() - t0


# the issue's cold-start network: 100 Poisson inputs -> 1 conductance LIF, default STDP
# rule, 100 ms; one source for the fresh-process script and the in-process warm-up
_PROBE_SRC = """
net = nl.Network(dt=0.1, seed=0)
inp = net.add_poisson("inp", n=100, rates=20.0)
out = net.add_lif("out", n=1, params=nl.LIFParams(synapse="conductance"))
net.connect(inp, out, weight=0.01, stdp=nl.STDPParams(w_max=0.02))
res = net.run(100.0, progress=False, **run_kw)
"""


def _jit_probe_run(threads=None):
    scope = {"nl": nl, "run_kw": thread_kw(threads)}
    exec(_PROBE_SRC, scope)  # noqa: S102 - our own source text, shared with _JIT_SCRIPT
    return scope["res"]


# time to the first result in a fresh process: import neurolab, build, run (nothing else
# imported before the result; the compile statistics are read afterwards)
_JIT_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
import neurolab as nl
t1 = time.perf_counter()
run_kw = {{}}
{probe}
t2 = time.perf_counter()
sys.path.insert(0, {bench_dir!r})
import bench
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
    from neurolab.engine import kernels as K

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
    """Cold and warm time to the first result of the probe network (``_PROBE_SRC``) in
    fresh processes: ``*_total_s`` from before ``import neurolab`` (the issue's measure),
    ``cold_s``/``warm_s`` without the import; warm values are the median of ``n_warm``
    processes. Also numba's own start-up (first compilation of a trivial function) in
    another fresh process."""
    cache = tempfile.mkdtemp(prefix="neurolab_jit_cache_")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    script = _JIT_SCRIPT.format(repo=str(REPO), bench_dir=str(Path(__file__).parent),
                                probe=_PROBE_SRC)

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
    warm_total = sorted(w["import_s"] + w["first_result_s"] for w in warm)
    return {"cold_s": cold["first_result_s"], "cold_import_s": cold["import_s"],
            "cold_total_s": cold["import_s"] + cold["first_result_s"],
            "cold_kernel": cold["kernel"], "numba_start": numba_start,
            "warm_s": warm_s[len(warm_s) // 2], "warm_runs_s": warm_s,
            "warm_total_s": warm_total[len(warm_total) // 2], "warm_total_runs_s": warm_total,
            "warm_kernel_compiled": any(w["kernel"] for w in warm),
            "warm_import_s": float(np.median([w["import_s"] for w in warm]))}


def _n_kernel_signatures():
    from neurolab.engine import kernels as K

    return len(K.run_steps.signatures)


def _weight_summary(proj_name, w, w_max):
    w = np.asarray(w, dtype=float)
    return {"projection": proj_name, "mean": float(w.mean()),
            "frac_below_10pct": float(np.mean(w < 0.1 * w_max)),
            "frac_above_90pct": float(np.mean(w > 0.9 * w_max))}


def threads_supported():
    """Whether ``net.run`` takes ``threads=`` (the threaded kernel of issue 11)."""
    import inspect

    return "threads" in inspect.signature(nl.simulate).parameters


def thread_kw(threads):
    """``{"threads": T}`` for ``net.run`` when a count is asked for and supported, else
    ``{}`` (the default: one thread)."""
    return {"threads": int(threads)} if threads is not None and threads_supported() else {}


class _KernelTimer:
    """Context manager: the wall time spent inside the kernel's calls during a run, by
    wrapping every ``run_steps*`` function of ``neurolab.engine.kernels`` and
    ``neurolab.engine.parallel`` (threads) for its duration. ``seconds``
    is None when the run called none of them (a kernel entry under another name)."""

    def __enter__(self):
        self._saved, self.seconds, self.calls = {}, 0.0, 0
        self._mods = []
        for mod in ("neurolab.engine.kernels", "neurolab.engine.parallel"):   # one thread, threads
            try:
                self._mods.append(importlib.import_module(mod))
            except ImportError:     # the kernel lives elsewhere: nothing is timed
                pass
        for K in self._mods:
            for name in dir(K):
                fn = getattr(K, name)
                if name.startswith("run_steps") and callable(fn):
                    self._saved[(K, name)] = fn
                    setattr(K, name, self._wrap(fn))
        return self

    def _wrap(self, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1
        return timed

    def __exit__(self, *exc):
        for (K, name), fn in self._saved.items():
            setattr(K, name, fn)
        if not self.calls:
            self.seconds = None
        return False


# stand-in until neurolab reports its tables' memory itself: which arrays of the kernel's
# tables hold one entry per synapse (``RunState.syn``, a ``Pathways``), per plastic synapse
# (the postsynaptic index of plastic pathways), and per-synapse rule state
_PLASTIC_FIELDS = ("col_syn", "col_pre")


def bytes_per_synapse(net, state=None):
    """Memory of the kernel's tables per synapse, from ``simulate.RunState(net)`` (or
    ``state``, one already built for ``net``).

    Returns a dict (bytes; ``None`` where the network has no synapse of that kind):
    ``static``: the arrays every synapse has (``Pathways`` fields with one entry per synapse:
    target id and weight today) per synapse; ``plastic``: ``static`` plus the arrays only
    plastic synapses have (``col_syn``, ``col_pre``: their postsynaptic order; per-synapse
    rule state such as ``pair_variants.xsyn`` or the reward rule's eligibility) per plastic
    synapse; ``per_synapse_fields``/``plastic_fields``: ``{name: bytes per entry}``;
    ``other_bytes``: every other array of the tables (row and column pointers, STDP traces,
    neuron state and parameters, the spike ring: per neuron, not per synapse), in total;
    ``host``: per synapse, what ``RunState`` keeps besides the kernel's tables (``perm``:
    each synapse's kernel index, to read and write weights in the projection's order);
    ``network``: per synapse, the ``Network``'s own connectivity arrays (``pre_ids``,
    ``post_ids``, weights, delays), held whatever the kernel does; ``n_syn``, ``n_plastic``.
    """
    st = _sim.RunState(net) if state is None else state
    n_syn = sum(int(pr.n_syn) for pr in net.projections.values())
    n_plastic = sum(int(pr.n_syn) for pr in net.projections.values() if pr.stdp is not None)
    per_syn, plastic, other = {}, {}, 0
    for name in st.syn._fields:
        arr = getattr(st.syn, name)
        if not isinstance(arr, np.ndarray):
            continue
        if name in _PLASTIC_FIELDS or (arr.ndim == 1 and n_plastic and arr.shape[0] ==
                                       n_plastic and n_plastic != n_syn):
            plastic[name] = arr.nbytes
        elif arr.ndim == 1 and n_syn and arr.shape[0] == n_syn:
            per_syn[name] = arr.nbytes
        else:
            other += arr.nbytes
    # per-synapse rule state (the pair rule's presynaptic-centred trace, reward eligibility)
    rule_state = [("xsyn", getattr(getattr(st, "pair_variants", None), "xsyn", None))]
    families = getattr(st, "families", ())
    reward = families[2] if len(families) > 2 else None
    if reward is not None:
        rule_state += [("reward.c", reward.c), ("reward.c_t", reward.c_t)]
    for name, arr in rule_state:
        if isinstance(arr, np.ndarray) and arr.nbytes:
            plastic[name] = arr.nbytes
    for tup in (getattr(st, "nrn", None), getattr(st, "tr", None)):
        for arr in (tup or ()):
            if isinstance(arr, np.ndarray):
                other += arr.nbytes
    static = sum(per_syn.values()) / n_syn if n_syn else None
    host = sum(np.asarray(v).nbytes for v in getattr(st, "perm", {}).values())
    network = sum(np.asarray(a).nbytes for pr in net.projections.values()
                  for a in (pr.pre_ids, pr.post_ids, pr._weight, pr.delay))
    return {"host": host / n_syn if n_syn else None,
            "network": network / n_syn if n_syn else None,
            "static": static,
            "plastic": (static + sum(plastic.values()) / n_plastic) if n_plastic else None,
            "per_synapse_fields": {k: v / n_syn for k, v in per_syn.items()},
            "plastic_fields": ({k: v / n_plastic for k, v in plastic.items()}
                               if n_plastic else {}),
            "other_bytes": int(other), "n_syn": n_syn, "n_plastic": n_plastic}


def _run_once(case, threads, supported):
    """Build the case's network and time ``net.run`` (all spikes recorded) with ``threads``
    (passed only when ``supported``); return (net, res, build_s, loop_s, run_steps_s)."""
    t0 = time.perf_counter()
    net = case["build"]()
    build_s = time.perf_counter() - t0
    kw = {"threads": threads} if supported else {}
    with _KernelTimer() as kt:
        t0 = time.perf_counter()
        res = net.run(case["duration"], progress=False, record_spikes="all", **kw)
        loop_s = time.perf_counter() - t0
    return net, res, build_s, loop_s, kt.seconds


def _outputs(net, res):
    """(spikes ``{pop: (steps, ids)}``, final weights ``{projection: w}``) of a run."""
    spikes = {name: (np.rint(rec.t / net.dt).astype(np.int64), np.asarray(rec.i))
              for name, rec in res.spikes.items()}
    return spikes, {k: np.asarray(w) for k, w in res.final_weights.items()}


def same_outputs(a, b):
    """Bitwise equality of two runs' outputs (:func:`_outputs`): the spike steps and ids of
    every population, in the recorded order, and the final weights of every projection."""
    (sa, wa), (sb, wb) = a, b
    if sa.keys() != sb.keys() or wa.keys() != wb.keys():
        return False
    return (all(np.array_equal(sa[k][0], sb[k][0]) and np.array_equal(sa[k][1], sb[k][1])
                for k in sa)
            and all(np.array_equal(wa[k], wb[k]) for k in wa))


def _median(xs):
    xs = [x for x in xs if x is not None]
    return float(np.median(xs)) if xs else None


def run_neurolab(case, threads=(1,), repeat=1, log=None):
    """Build and run one case with neurolab (kernel assumed warm).

    ``loop`` is ``net.run`` as a user calls it on one thread (Poisson draw, tables, kernel,
    results), the median of ``repeat`` runs, each on a freshly built network; ``tables``
    (the preparation alone) is timed afterwards on a fresh build of the network, and
    ``kernel`` = loop - tables. ``threads``: thread counts to time besides one thread
    (when ``net.run`` takes ``threads=``; otherwise only the default is run and a note is
    logged); each is compared bitwise with one thread's spikes and final weights. Returns
    ``(net, res, spikes, out)``: a fresh network (same seed, not run), one thread's result
    and spikes ``{pop: (steps, ids)}``, and the measurements (times in s; see the module
    docstring; ``memory``: :func:`bytes_per_synapse`; ``threads``: ``{"T": {loop_s,
    kernel_s, run_steps_s, speedup, kernel_speedup, identical}}``)."""
    supported = threads_supported()
    counts = sorted({1, *(int(t) for t in threads)})
    if not supported:
        if len(counts) > 1 and log is not None:
            log("  threads: net.run takes no threads= yet; one (default) thread only")
        counts = [1]
    n_sig = _n_kernel_signatures()
    runs = {t: {"loop": [], "run_steps": [], "identical": True} for t in counts}
    ref = res1 = build_s = None
    for _ in range(max(1, int(repeat))):
        for t in counts:
            net, res, b_s, loop_s, k_s = _run_once(case, t, supported)
            build_s = b_s if build_s is None else build_s
            runs[t]["loop"].append(loop_s)
            runs[t]["run_steps"].append(k_s)
            outs = _outputs(net, res)
            if ref is None:          # the first run on one thread: the reference
                ref, res1 = outs, res
            else:
                runs[t]["identical"] &= same_outputs(ref, outs)
            del net, res, outs
    duration = case["duration"]
    # the Brian2 runs and the tables timing below start from a fresh build, identical for
    # the same seed (a network keeps its state after a run)
    net = case["build"]()
    compiled_in_loop = _n_kernel_signatures() != n_sig
    n_steps = net.n_steps(duration)
    tables, memory = [], None
    for _ in range(max(1, int(repeat))):
        # the tables net.run builds and the input it draws (chunk by chunk during the run)
        t0 = time.perf_counter()
        state = _sim.RunState(net)
        state.chunk_inputs(0, n_steps)
        tables.append(time.perf_counter() - t0)
        memory = memory or bytes_per_synapse(net, state)
        del state
    tables_s = _median(tables)
    spikes = ref[0]
    events = synaptic_events(net, spikes, n_steps)
    loop_s = _median(runs[1]["loop"])
    kernel_s = max(loop_s - tables_s, 0.0)
    run_steps_s = _median(runs[1]["run_steps"])
    n_lif = net_size(net)["n_lif"]
    out = {"build_s": build_s, "tables_s": tables_s, "tables_runs_s": tables, "loop_s": loop_s,
           "loop_runs_s": runs[1]["loop"], "kernel_s": kernel_s, "run_steps_s": run_steps_s,
           "events": events, "events_per_s": events / loop_s,
           "kernel_events_per_s": events / kernel_s if kernel_s > 0 else None,
           "ns_per_event": 1e9 * loop_s / events if events else None,
           "ns_per_neuron_step": 1e9 * loop_s / (n_lif * n_steps) if n_lif else None,
           "spikes": _spike_summary(net, spikes, duration),
           "neuron_steps_per_s": n_lif * n_steps / loop_s,
           "compiled_in_loop": compiled_in_loop, "memory": memory,
           "threads": {}, "repeat": max(1, int(repeat))}
    for t in counts:
        lt = _median(runs[t]["loop"])
        kt = max(lt - tables_s, 0.0)
        out["threads"][str(t)] = {
            "loop_s": lt, "loop_runs_s": runs[t]["loop"], "kernel_s": kt,
            "run_steps_s": _median(runs[t]["run_steps"]),
            "speedup": loop_s / lt, "kernel_speedup": kernel_s / kt if kt > 0 else None,
            "identical": bool(runs[t]["identical"])}
    plastic = [k for k, pr in net.projections.items() if pr.stdp is not None]
    if plastic:
        out["final_weights"] = _weight_summary(plastic[0], res1.final_weights[plastic[0]],
                                               net.projections[plastic[0]].stdp.w_max)
    return net, res1, spikes, out


# ============================================================================ Brian2
VARIANTS = {"same": "same input spikes", "poisson": "Brian2 PoissonGroup",
            "hand_poisson": "hand-written, Brian2 PoissonGroup",
            "hand": "hand-written, same input spikes"}
VARIANT_ORDER = ("poisson", "same", "hand_poisson", "hand")
MODELS = ("translated", "hand")


def is_hand(variant):
    """Whether a Brian2 variant is the hand-written model (``benchmarks/brian2_hand.py``)
    rather than the oracle's translation."""
    return variant.startswith("hand")


def input_of(variant):
    """The input a Brian2 variant gets: ``"poisson"`` (PoissonGroup) or ``"same"``
    (neurolab's own input spikes)."""
    return "poisson" if variant in ("poisson", "hand_poisson") else "same"


def has_poisson(net):
    return any(p.kind == "poisson" for p in net.populations.values())


def _b2_objects(b2, net, duration, prefix, variant="same"):
    """Brian2 network for neurolab network ``net`` (tests/oracles/brian2_model.py: same model,
    connectivity and initial state; a parameter a whole population shares is a scalar, as
    a Brian2 user writes it, ``scalar_params=True``). ``variant="same"``: every source is a
    ``SpikeGeneratorGroup`` replaying the spikes neurolab draws; ``"poisson"``: Poisson
    sources are ``PoissonGroup``s (Brian2 draws its own input). Returns the network, the
    spike monitors and the synapses."""
    if variant == "poisson":
        b2.seed(net.seed)  # Brian2's own random numbers, reproducible from run to run
    model = build_brian2(net, duration, prefix=prefix, poisson_inputs=variant == "poisson",
                         b2=b2, scalar_params=True)
    return b2.Network(model.objects), model.monitors, model.synapses


def _b2_spikes(b2, net, monitors):
    return {name: monitor_steps(mon, net.dt, b2) for name, mon in monitors.items()}


def _b2_build(b2, net, duration, prefix, variant="same", group=None):
    """The Brian2 network of one variant: the oracle's translation (``"poisson"``,
    ``"same"``: :func:`_b2_objects`) or the hand-written model of benchmark ``group``
    (``"hand_poisson"``, ``"hand"``: ``benchmarks/brian2_hand.py``). Returns
    ``(network, spikes, synapses, final_w)``: ``spikes()`` gives ``{pop: (steps, ids)}``
    after the run, ``synapses`` is ``{projection: Synapses}``, ``final_w(name)`` the
    weights of a plastic projection in neurolab's unit and synapse order."""
    if is_hand(variant):
        if input_of(variant) == "poisson":
            b2.seed(net.seed)
        m = build_hand(group, b2, net, duration, prefix=prefix, variant=input_of(variant))
        return b2.Network(m.objects), (lambda: m.spike_steps(net.dt, b2)), m.synapses, \
            m.final_weights
    bnet, monitors, syn = _b2_objects(b2, net, duration, prefix, variant=variant)
    return bnet, (lambda: _b2_spikes(b2, net, monitors)), syn, \
        (lambda k: np.asarray(syn[k].w[:], dtype=float))


def _b2_result(net, spikes, span, loop_s, total_s, extra, synapses=None, final_w=None):
    """A Brian2 run's measurements; the final weights of the first plastic projection
    from ``final_w(name)`` (neurolab's unit), or else read from ``synapses[name].w``."""
    n_steps = net.n_steps(span)
    events = synaptic_events(net, spikes, n_steps)
    out = {"span_ms": span, "loop_s": loop_s, "total_s": total_s, "events": events,
           "events_per_s": events / loop_s if loop_s > 0 else math.nan,
           "spikes": _spike_summary(net, spikes, span)}
    plastic = [k for k, pr in net.projections.items() if pr.stdp is not None]
    if plastic and (synapses is not None or final_w is not None):
        w = (final_w(plastic[0]) if final_w is not None
             else np.asarray(synapses[plastic[0]].w[:], dtype=float))
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


def brian2_bytes_per_synapse(S):
    """Bytes per synapse that Brian2 (2.9) keeps for ``Synapses`` ``S`` in cpp_standalone,
    read from the object, not assumed: every array registered to grow with the number of
    synapses (``S._registered_variables``: ``_synaptic_pre``, ``_synaptic_post`` (int32),
    the model's per-synapse variables such as ``w`` and, for STDP, the event-driven traces
    and their ``lastupdate`` (float64), and the per-synapse ``delay`` of every pathway whose
    delay is not one scalar: an STDP's ``on_post`` pathway here), each at its dtype's size;
    plus, per pathway, the spike queue's list of synapse indices by source neuron (one
    ``int`` per synapse, ``CSpikeQueue::synapses`` in ``brian2/synapses/cspikequeue.cpp``,
    which cpp_standalone compiles) and, for a pathway with per-synapse delays, its ``int``
    delay per synapse (``CSpikeQueue::delays``). A lower bound: ``std::vector`` capacity
    beyond the size and per-neuron arrays (``N_incoming``, ``N_outgoing``, each queue's
    per-source vectors) are left out."""
    arrays = sum(np.dtype(v.dtype).itemsize for v in S._registered_variables)
    queue = 0
    for pw in S._pathways:
        queue += np.dtype(np.int32).itemsize
        if not pw.variables["delay"].scalar:
            queue += np.dtype(np.int32).itemsize
    return arrays + queue


def brian2_memory(net, synapses):
    """Brian2 cpp_standalone's bytes per static and per plastic synapse of ``net``
    (synapse-weighted means over its projections; None where it has no such synapse)."""
    out = {}
    for kind, want in (("static", False), ("plastic", True)):
        pairs = [(brian2_bytes_per_synapse(synapses[k]), pr.n_syn)
                 for k, pr in net.projections.items() if (pr.stdp is not None) == want
                 and pr.n_syn]
        n = sum(m for _, m in pairs)
        out[kind] = sum(b * m for b, m in pairs) / n if n else None
    return out


def run_brian2_standalone(case, net, workdir, variant="same", repeat=1):
    """Brian2 cpp_standalone: build and compile, then run the binary separately
    (``repeat`` times: the loop is the median of the binary's ``_last_run_time``s).
    ``variant``: see :data:`VARIANTS` (the translated model or the hand-written one)."""
    import brian2 as b2
    from brian2 import device

    duration = case["duration"]
    t0 = time.perf_counter()
    b2.defaultclock.dt = net.dt * b2.ms
    bnet, spikes_of, syn, final_w = _b2_build(b2, net, duration, "", variant,
                                              group=case.get("group"))
    bnet.run(net.n_steps(duration) * net.dt * b2.ms, namespace={})
    construct_s = time.perf_counter() - t0
    directory = os.path.join(workdir, f"{case['key']}_{variant}")
    t0 = time.perf_counter()
    device.build(directory=directory, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0
    loops, binaries = [], []
    for _ in range(max(1, int(repeat))):
        t0 = time.perf_counter()
        device.run(directory=directory, with_output=False)
        binaries.append(time.perf_counter() - t0)
        loops.append(float(device._last_run_time))
    loop_s, binary_s = _median(loops), _median(binaries)
    spikes = spikes_of()
    res = _b2_result(net, spikes, duration, loop_s, construct_s + compile_s + binary_s,
                     {"variant": variant, "construct_s": construct_s, "compile_s": compile_s,
                      "binary_s": binary_s, "loop_runs_s": loops,
                      "make_s": device.timers["compile"]["make"],
                      "memory": brian2_memory(net, syn)}, syn, final_w)
    res["_spikes"] = spikes  # for the spike-for-spike comparison, dropped afterwards
    del bnet, spikes_of, syn, final_w
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
    if input_of(cpp["variant"]) == "same":
        out["identical_spikes"] = all(_same_spikes(nl_spikes[k], cpp["_spikes"][k])
                                      for k in lif)
        if not out["identical_spikes"]:
            first = [_first_difference(nl_spikes[k], cpp["_spikes"][k]) for k in lif]
            first = [f for f in first if f is not None]
            out["first_difference_ms"] = min(first) * net.dt if first else None
    if nl_weights is not None and "_w" in cpp:
        w_nl, w_b2 = nl_weights
        out["mean_w"] = {"neurolab": float(np.mean(w_nl)), "brian2_cpp": float(np.mean(w_b2))}
        out["mean_w_rel_diff"] = _rel(*out["mean_w"].values())
        if input_of(cpp["variant"]) == "same":
            out["max_abs_w_diff"] = float(np.max(np.abs(w_nl - w_b2)))
    return out


def _first_difference(a, b):
    """The first step at which two spike lists ``(steps, ids)`` differ (None if they do
    not), whatever the order within a step."""
    oa, ob = np.lexsort((a[1], a[0])), np.lexsort((b[1], b[0]))
    sa, ia, sb, ib = a[0][oa], a[1][oa], b[0][ob], b[1][ob]
    n = min(sa.size, sb.size)
    diff = np.flatnonzero((sa[:n] != sb[:n]) | (ia[:n] != ib[:n]))
    if diff.size:
        return int(min(sa[diff[0]], sb[diff[0]]))
    if sa.size != sb.size:
        return int((sa if sa.size > n else sb)[n])
    return None


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
                                            check=False, capture_output=True,
                                            text=True).stdout.strip()
        info["neurolab_modified"] = bool(subprocess.run(
            git + ["status", "--porcelain", "--", "neurolab"],
            check=False, capture_output=True, text=True).stdout.strip())
    except OSError:  # pragma: no cover - no git
        pass
    try:
        info["brian2"] = importlib.metadata.version("brian2")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a dev dependency
        info["brian2"] = None
    return info


def variants_of(net, group=None, models=MODELS):
    """The Brian2 variants a network is run in: for each model (``"translated"``: the
    oracle's translation; ``"hand"``: the hand-written model, where benchmark ``group`` has
    one), PoissonGroup first where it has Poisson sources, then the identical-input one
    (the only one without Poisson sources)."""
    out = []
    if "translated" in models:
        out += ["poisson", "same"] if has_poisson(net) else ["same"]
    if "hand" in models and group in HAND_BUILDERS:
        out += ["hand_poisson", "hand"] if has_poisson(net) else ["hand"]
    return out


def row_label(entry, variant):
    if variant is None or (not entry["has_poisson"] and variant == "same"):
        return entry["key"]
    if not entry["has_poisson"]:
        return f"{entry['key']} (hand-written)"
    return f"{entry['key']} ({VARIANTS[variant]})"


def run_plain_loop(case, repeat=1, nl_spikes=None, nl_weights=None):
    """The plain numba loop of ``benchmarks/plain_b3r.py`` on a B3r case (a fresh build of
    its network): the loop's time (median of ``repeat`` calls, each on fresh tables; the
    loop compiles, or loads from numba's cache, in a first tiny call outside the timing),
    and whether its spike count and its final E->E weights (bitwise) are neurolab's
    (``nl_spikes``: the number of LIF spikes; ``nl_weights``: the final E->E weights).
    Compare the loop with neurolab's time inside ``run_steps``: neither includes tables,
    input or results."""
    import plain_b3r

    plain_b3r.run_plain(300, 1.0)         # compile or load outside the timing
    times = []
    for _ in range(max(1, int(repeat))):
        net = case["build"]()
        args, plastic = plain_b3r.tables(net)
        n_steps = net.n_steps(case["duration"])
        t0 = time.perf_counter()
        n_spikes = plain_b3r.plain_loop(n_steps, **args)
        times.append(time.perf_counter() - t0)
        w = args["w"][plastic]
    out = {"loop_s": _median(times), "loop_runs_s": times, "n_spikes": int(n_spikes)}
    if nl_spikes is not None:
        out["same_spike_count"] = int(n_spikes) == int(nl_spikes)
    if nl_weights is not None:
        out["same_weights"] = bool(np.array_equal(w, np.asarray(nl_weights)))
    return out


def default_threads():
    """Thread counts timed by default: 1 and 2 where the machine has at least 2 cores."""
    return (1, 2) if (os.cpu_count() or 1) >= 2 else (1,)


def run_benchmarks(cases, brian2=True, jit=True, log=print, threads=(1,), repeat=1,
                   models=MODELS, plain=True):
    """Run every case with neurolab (and Brian2 unless ``brian2=False``); return a dict.

    Each benchmark entry has ``neurolab`` (see :func:`run_neurolab`; ``threads`` holds one
    entry per thread count) and ``variants``: ``{"poisson" | "same" | "hand_poisson" |
    "hand": {"cpp", "numpy", "ratio_loop_cpp", "ratio_total_cpp", "ratio_loop_numpy",
    "check"}}`` (empty without Brian2; the hand-written variants, B1, B2 and B3r only, run
    on cpp_standalone alone, no numpy). ``threads``: thread counts timed besides one
    thread; ``repeat``: runs of each neurolab loop and of each Brian2 binary (median
    reported); ``models``: the Brian2 models run, ``"translated"`` and/or ``"hand"``;
    ``plain``: time the plain numba loop (``plain_b3r.py``) on B3r cases (``plain`` in the
    entry: :func:`run_plain_loop`)."""
    from neurolab.base import io as nlio

    threads = sorted({1, *(int(t) for t in threads)})
    supported = threads_supported()
    report = {"machine": dict(machine_info(), **nlio.versions()),
              "load_avg_start": _loadavg(), "benchmarks": [], "jit": None,
              "threads": {"requested": threads, "supported": supported,
                          "note": None if supported or threads == [1] else
                          "net.run takes no threads= in this neurolab: one thread only"},
              "repeat": max(1, int(repeat))}
    if report["threads"]["note"]:
        log(f"threads {threads} asked for: {report['threads']['note']}")
    if jit:
        log("measuring neurolab JIT time (fresh processes, cold and warm numba cache) ...")
        report["jit"] = measure_jit()
        j = report["jit"]
        log(f"  first result: cold {j['cold_total_s']:.2f} s, warm {j['warm_total_s']:.2f} s "
            f"(without the import: cold {j['cold_s']:.2f} s, warm {j['warm_s']:.2f} s)")
    warm_s = warm_kernel()
    for t in threads if supported else ():
        warm_kernel(t)      # a kernel variant for t threads compiles here, not in a loop
    report["warm_in_process_s"] = warm_s
    jit_cost = report["jit"]["cold_s"] if report["jit"] else warm_s
    nets, kept = {}, {}
    for case in cases:
        log(f"[{case['key']}] neurolab, {case['duration'] / 1000:g} s ...")
        net, res, spk, r = run_neurolab(case, threads=threads, repeat=repeat, log=log)
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
        for t, d in r["threads"].items():
            if t != "1":
                log(f"  threads={t}: loop {d['loop_s']:.3f} s, x{d['speedup']:.2f} over one "
                    f"thread, bitwise identical: {d['identical']}")
        if plain and case["group"] == "B3r":
            n_lif = sum(int(spk[k][0].size) for k in entry["lif_pops"])
            try:
                p = run_plain_loop(case, repeat=repeat, nl_spikes=n_lif,
                                   nl_weights=res.final_weights.get("exc->exc"))
            except Exception as err:  # noqa: BLE001 - it reads neurolab's table layout
                p = {"error": f"{type(err).__name__}: {err}"}
                log(f"  plain loop: not run ({p['error']})")
            else:
                log(f"  plain loop {p['loop_s']:.3f} s (neurolab in run_steps "
                    f"{_f(r.get('run_steps_s'), 3)} s); same spike count: "
                    f"{p['same_spike_count']}, E->E weights bitwise the same: "
                    f"{p['same_weights']}")
            entry["plain"] = p
        del res
    if brian2:
        import brian2 as b2

        b2.prefs.logging.console_log_level = "WARNING"
        for case, entry in zip(cases, report["benchmarks"]):
            for v in variants_of(nets[case["key"]], case["group"], models):
                if is_hand(v):
                    continue        # the hand-written models: cpp_standalone only
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
                for v in variants_of(net, case["group"], models):
                    log(f"[{row_label(entry, v)}] Brian2 cpp_standalone, "
                        f"{case['duration'] / 1000:g} s ...")
                    r = run_brian2_standalone(case, net, workdir, v, repeat=repeat)
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
    if input_of(chk["variant"]) == "same":
        txt += f", identical spikes: {chk['identical_spikes']}"
        if chk.get("first_difference_ms") is not None:
            txt += f" (first difference at {chk['first_difference_ms']:g} ms)"
        if "max_abs_w_diff" in chk:
            txt += f", max |dw| {chk['max_abs_w_diff']:.2g}"
    return txt


def _loadavg():
    try:
        return list(os.getloadavg())
    except OSError:  # pragma: no cover
        return None


def check_targets(report):
    """Each target of issue 11: measured value, limit, met (None when not measured), the
    Brian2 variant the value uses and, beside it, what else bears on it (the other variant's
    value, the kernel alone, Brian2's value): nothing hidden."""
    out = []
    by_key = {e["key"]: e for e in report["benchmarks"]}

    def add(name, value, limit, le=True, variant="–", beside="–", also=True):
        met = None if value is None else (value <= limit if le else value >= limit) and also
        out.append({"target": name, "value": value, "limit": limit, "variant": variant,
                    "beside": beside, "op": "<=" if le else ">=", "met": met})

    def ratio(e, v):
        return (e["variants"].get(v) or {}).get("ratio_loop_cpp")

    def cpp_events(e):
        cpp = [f"{VARIANTS[v]} {d['cpp']['events_per_s'] / 1e6:.1f} M"
               for v, d in e["variants"].items() if d.get("cpp")]
        return ("Brian2 cpp: " + ", ".join(cpp)) if cpp else None

    if "B1" in by_key:
        e = by_key["B1"]
        same = ratio(e, "same")
        beside = "–" if same is None else f"{VARIANTS['same']}: {same:.3f}"
        add("B1 loop neurolab / Brian2 cpp_standalone (no regression)", ratio(e, "poisson"),
            TARGETS["B1_loop_ratio_cpp"], variant=VARIANTS["poisson"], beside=beside)
        add("B1 loop neurolab / Brian2 cpp_standalone (project goal)", ratio(e, "poisson"),
            TARGETS["B1_loop_ratio_cpp_goal"], variant=VARIANTS["poisson"], beside=beside)
    if "B2" in by_key:
        add("B2 loop neurolab / Brian2 cpp_standalone", ratio(by_key["B2"], "same"),
            TARGETS["B2_loop_ratio_cpp"], variant="one (no Poisson input)")
    def hand_check(e, v):
        chk = (e["variants"].get(v) or {}).get("check")
        return "hand-written model checked: " + _check_cell(chk)

    if "B1" in by_key and "hand_poisson" in by_key["B1"]["variants"]:
        e = by_key["B1"]
        same = ratio(e, "hand")
        beside = ("–" if same is None else f"{VARIANTS['same']}: {same:.3f}; ") \
            + hand_check(e, "hand")
        add("B1 loop neurolab / hand-written Brian2 cpp_standalone (issue 20)",
            ratio(e, "hand_poisson"), TARGETS["B1_loop_ratio_hand"],
            variant=VARIANTS["hand_poisson"], beside=beside)
    if "B2" in by_key and "hand" in by_key["B2"]["variants"]:
        e = by_key["B2"]
        add("B2 loop neurolab / hand-written Brian2 cpp_standalone (issue 20)",
            ratio(e, "hand"), TARGETS["B2_loop_ratio_hand"], variant=VARIANTS["hand"],
            beside=hand_check(e, "hand"))
    if "B3r-50k" in by_key:
        e = by_key["B3r-50k"]
        nlr = e["neurolab"]
        add("B3r-50k synaptic events/s, neurolab loop, 1 thread (issue 20)",
            nlr["events_per_s"], TARGETS["B3r_50k_events_per_s_issue20"], le=False,
            variant="neurolab alone", beside=cpp_events(e) or "–")
        kern = nlr.get("kernel_events_per_s")
        parts = [f"kernel alone {kern / 1e6:.1f} M" if kern else None, cpp_events(e)]
        add("B3r-50k (recurrent) synaptic events/s, neurolab loop, 1 thread",
            nlr["events_per_s"], TARGETS["B3r_50k_events_per_s"], le=False,
            variant="neurolab alone", beside="; ".join(p for p in parts if p) or "–")
        t2 = nlr.get("threads", {}).get("2")
        if t2 is not None:
            add("B3r-50k loop speed-up, threads=2 over 1 (and bitwise identical)",
                t2["speedup"], TARGETS["threads_speedup_2"], le=False,
                variant="neurolab alone", also=t2["identical"],
                beside=f"bitwise identical: {'yes' if t2['identical'] else 'NO'}; kernel "
                       f"speed-up {_f(t2['kernel_speedup'])}")
    if "B3-50k" in by_key:
        e = by_key["B3-50k"]
        add("B3-50k (feed-forward) synaptic events/s, neurolab loop, 1 thread",
            e["neurolab"]["events_per_s"], TARGETS["B3_50k_events_per_s"], le=False,
            variant="neurolab alone", beside=cpp_events(e) or "–")
    for kind in ("static", "plastic"):
        vals = [(e["neurolab"]["memory"][kind], e["key"]) for e in report["benchmarks"]
                if e["neurolab"].get("memory", {}).get(kind) is not None]
        if vals:
            worst, key = max(vals)
            def b2_bytes(hand, kind=kind):
                return [d["cpp"]["memory"][kind] for e in report["benchmarks"]
                        for v, d in e["variants"].items() if is_hand(v) == hand
                        and d.get("cpp") and d["cpp"].get("memory", {}).get(kind) is not None]

            b2v, b2h = b2_bytes(False), b2_bytes(True)
            beside = f"largest in {key}"
            if b2v:
                beside += f"; Brian2 cpp {_f(max(b2v), 0)}"
            if b2h:
                beside += f"; hand-written Brian2 cpp {_f(max(b2h), 0)}"
            add(f"bytes per {kind} synapse (neurolab kernel tables, every case)", worst,
                TARGETS[f"bytes_per_{kind}_synapse"], variant="neurolab alone", beside=beside)
    j = report["jit"]
    if j:
        beside = (f"without import: {j['cold_s']:.2f} s; import {j['cold_import_s']:.2f} s")
        add("cold start: first result, fresh process, empty numba cache (s)",
            j["cold_total_s"], TARGETS["jit_cold_s"], beside=beside)
        add("cold start, goal (s)", j["cold_total_s"], TARGETS["jit_cold_goal_s"])
        add("warm start: first result, fresh process, warm numba cache (s)",
            j["warm_total_s"], TARGETS["jit_warm_s"],
            beside=f"without import: {j['warm_s']:.2f} s")
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
    return [(row_label(e, v), e["variants"][v]) for v in VARIANT_ORDER
            if v in e["variants"]]


def _npy_loop_cell(npy):
    if not npy:
        return "–"
    return f"{_f(npy['loop_full_s'])}*" if npy["scale"] != 1 else _f(npy["loop_s"])


def jit_sentence(report):
    j = report.get("jit")
    if not j:
        return ""
    txt = (f"neurolab start-up (fresh process, first result of a 100-input network: import, "
           f"build, 100 ms run): cold {j['cold_total_s']:.2f} s, warm "
           f"{j['warm_total_s']:.2f} s; without the import: cold {j['cold_s']:.2f} s, warm "
           f"{j['warm_s']:.2f} s (import neurolab {j['warm_import_s']:.2f} s warm).")
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
    lines = [(f"Machine: {m.get('cpu')}, {m.get('cores')} cores; Python {m.get('python')}, "
             f"numpy {m.get('numpy')}, numba {m.get('numba')}, Brian2 {m.get('brian2')}; "
             f"neurolab at {m.get('git_commit') or '?'}"
             f"{' with local changes in neurolab/' if m.get('neurolab_modified') else ''}. "
             f"Load average at start {_la(report.get('load_avg_start'))}, "
             f"end {_la(report.get('load_avg_end'))}."), ""]
    lines += [("| Bench (Brian2 input) | LIF / sources / synapses | bio s | neurolab loop s "
              "| of which tables s | kernel s | cpp loop s | numpy loop s | nl/cpp loop "
              "| nl kernel/cpp loop | nl/numpy loop | Mevents/s nl | Mevents/s cpp "
              "| LIF spikes nl / cpp |"),
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
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
                f"{_f(nlr['tables_s'], 3)} | {_f(nlr['kernel_s'], 3)} | "
                f"{_f(cpp['loop_s'], 3) if cpp else '–'} | "
                f"{_npy_loop_cell(npy)} | {_f((d or {}).get('ratio_loop_cpp'), 3)} | "
                f"{_f(kern_ratio, 3)} | {_f((d or {}).get('ratio_loop_numpy'), 4)} | "
                f"{_m(nlr['events_per_s'])} | {_m(cpp['events_per_s'] if cpp else None)} | "
                f"{out_nl:,} / {'–' if out_cpp is None else f'{out_cpp:,}'} |")
    lines += ["", ("| Bench (Brian2 input) | neurolab build s | neurolab total s "
              "| cpp construct s | cpp compile s | cpp binary s | cpp total s | numpy total s "
              "| nl/cpp total |"),
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
    side = hand_table(report)
    if side:
        lines += [""] + side
    lines += [""] + loop_share_table(report) + [""] + memory_table(report)
    threads = threads_table(report)
    if threads:
        lines += [""] + threads
    checks = [(e, label, d["check"]) for e in report["benchmarks"] for label, d in _rows(e)
              if d and d.get("check")]
    if checks:
        lines += ["", ("Output agreement, neurolab against Brian2 cpp_standalone over the "
                  "whole run (same input spikes: must match spike for spike; PoissonGroup: "
                  "other random numbers, so statistically):"), "",
                  ("| Bench (Brian2 input) | input rate Hz nl / cpp | LIF rate Hz nl / cpp "
                  "| LIF rate diff | mean final w nl / cpp | mean w diff "
                  "| identical spikes | max abs w diff |"),
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
              "neurolab loop = `net.run` on one thread with a warm kernel (Poisson draw and "
              "table building included; \"tables\" is that part alone, kernel = loop - "
              "tables)" + (f", median of {report['repeat']} runs" if report.get("repeat", 1) > 1
                           else "") + "; "
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


def _check_cell(chk):
    """"yes, max |dw| 3e-15" / "**no** (from 12.3 ms)" / "– (other input)" for a check."""
    if not chk:
        return "–"
    if chk.get("identical_spikes") is None:
        return "– (other input)"
    if chk["identical_spikes"]:
        txt = "yes"
    else:
        first = chk.get("first_difference_ms")
        txt = "**no**" + (f" (from {first:g} ms)" if first is not None else "")
    if "max_abs_w_diff" in chk:
        txt += f", max \\|dw\\| {chk['max_abs_w_diff']:.2g}"
    return txt


def hand_table(report):
    """neurolab against both Brian2 cpp_standalone models side by side, the translated and
    the hand-written one, per benchmark and input (Markdown lines; [] when no hand-written
    model ran), with the hand-written model's spike check and the plain loop (B3r)."""
    if not any(v in e["variants"] for e in report["benchmarks"]
               for v in ("hand", "hand_poisson")):
        return []
    lines = [("neurolab against Brian2 cpp_standalone, the oracle's translation of "
             "neurolab's network and the model written by hand as Brian2's examples "
             "write it (`benchmarks/brian2_hand.py`), side by side (loop times; checked = "
             "the hand-written model's spikes identical to neurolab's over the whole run, "
             "and the largest difference of a final plastic weight); plain loop = "
             "`benchmarks/plain_b3r.py`, beside neurolab's time inside `run_steps`:"), "",
             ("| Bench (Brian2 input) | neurolab loop s | cpp translated loop s "
             "| cpp hand-written loop s | nl / translated | nl / hand-written "
             "| hand-written / translated | Mevents/s nl / hand-written "
             "| hand-written checked | nl in run_steps s | plain loop s "
             "| nl run_steps / plain |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in report["benchmarks"]:
        nlr, var = e["neurolab"], e["variants"]
        pairs = [("poisson", "hand_poisson"), ("same", "hand")]
        for tr, hd in pairs:
            if tr not in var and hd not in var:
                continue
            t_cpp = (var.get(tr) or {}).get("cpp")
            h = var.get(hd) or {}
            h_cpp = h.get("cpp")
            label = (e["key"] if not e["has_poisson"]
                     else f"{e['key']} ({VARIANTS[tr]})")
            plain = e.get("plain") or {}
            rs = nlr.get("run_steps_s")
            pl = plain.get("loop_s")
            pl_cell = _f(pl, 3)
            if pl is not None and not (plain.get("same_spike_count")
                                       and plain.get("same_weights")):
                pl_cell += " (**other result**)"
            elif "error" in plain:
                pl_cell = "– (failed)"
            lines.append(
                f"| {label} | {_f(nlr['loop_s'], 3)} | "
                f"{_f(t_cpp['loop_s'], 3) if t_cpp else '–'} | "
                f"{_f(h_cpp['loop_s'], 3) if h_cpp else '–'} | "
                f"{_f(nlr['loop_s'] / t_cpp['loop_s'], 3) if t_cpp else '–'} | "
                f"{_f(nlr['loop_s'] / h_cpp['loop_s'], 3) if h_cpp else '–'} | "
                f"{_f(h_cpp['loop_s'] / t_cpp['loop_s'], 3) if h_cpp and t_cpp else '–'} | "
                f"{_m(nlr['events_per_s'])} / {_m(h_cpp['events_per_s'] if h_cpp else None)}"
                f" | {_check_cell(h.get('check'))} | {_f(rs, 3)} | {pl_cell} | "
                f"{_f(rs / pl, 2) if rs and pl else '–'} |")
    return lines


def loop_share_table(report):
    """Where neurolab's one-thread loop goes, per case (Markdown lines)."""
    lines = [("Where the neurolab loop goes (one thread): tables = `RunState` and the input "
             "draw (preparation); kernel = loop - tables; in `run_steps` = inside the "
             "kernel's calls alone (the rest of the kernel column is assembling the result "
             "and provenance):"), "",
             ("| Bench | loop s | tables s | kernel s | in run_steps s | Mevents/s loop "
             "| Mevents/s kernel | Mevents/s run_steps | ns/event loop "
             "| ns per neuron-step loop |"),
             "|---|---|---|---|---|---|---|---|---|---|"]
    for e in report["benchmarks"]:
        r = e["neurolab"]
        rs = r.get("run_steps_s")
        lines.append(
            f"| {e['key']} | {_f(r['loop_s'], 3)} | {_f(r['tables_s'], 3)} | "
            f"{_f(r['kernel_s'], 3)} | {_f(rs, 3)} | {_m(r['events_per_s'])} | "
            f"{_m(r.get('kernel_events_per_s'))} | "
            f"{_m(r['events'] / rs if rs else None)} | {_f(r.get('ns_per_event'), 1)} | "
            f"{_f(r.get('ns_per_neuron_step'), 2)} |")
    return lines


def memory_table(report):
    """Bytes per synapse of the kernel tables, per case, beside Brian2 cpp's (Markdown)."""
    lines = [("Memory per synapse (bytes; neurolab: its kernel tables, `bytes_per_synapse`; "
             "Brian2 cpp_standalone: its per-synapse arrays and spike-queue entries, "
             "`brian2_bytes_per_synapse`, a lower bound):"), "",
             ("| Bench | synapses static / plastic | neurolab B/static syn "
             "| neurolab B/plastic syn | neurolab per-synapse arrays "
             "| neurolab other tables MiB | also held B/syn: RunState.perm / Network "
             "| Brian2 cpp B/static syn | Brian2 cpp B/plastic syn "
             "| hand-written B/static syn | hand-written B/plastic syn |"),
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in report["benchmarks"]:
        mem = e["neurolab"].get("memory") or {}
        b2 = next((d["cpp"]["memory"] for v, d in e["variants"].items()
                   if not is_hand(v) and d.get("cpp") and d["cpp"].get("memory")), {})
        b2h = next((d["cpp"]["memory"] for v, d in e["variants"].items()
                    if is_hand(v) and d.get("cpp") and d["cpp"].get("memory")), {})
        fields = ", ".join(f"{k} {v:g}" for k, v in mem.get("per_synapse_fields", {}).items())
        extra = ", ".join(f"{k} {v:g}" for k, v in mem.get("plastic_fields", {}).items())
        if extra:
            fields += f"; plastic: {extra}"
        n_pl = mem.get("n_plastic", 0)
        lines.append(
            f"| {e['key']} | {mem.get('n_syn', 0) - n_pl:,} / {n_pl:,} | "
            f"{_f(mem.get('static'), 1)} | {_f(mem.get('plastic'), 1)} | {fields or '–'} | "
            f"{_f(mem['other_bytes'] / 2 ** 20, 1) if mem else '–'} | "
            f"{_f(mem.get('host'), 1)} / {_f(mem.get('network'), 1)} | "
            f"{_f(b2.get('static'), 1)} | {_f(b2.get('plastic'), 1)} | "
            f"{_f(b2h.get('static'), 1)} | {_f(b2h.get('plastic'), 1)} |")
    return lines


def threads_table(report):
    """Loop time per thread count, speed-up over one thread and bitwise agreement with one
    thread (Markdown lines), or [] when only one thread was run."""
    counts = sorted({int(t) for e in report["benchmarks"]
                     for t in e["neurolab"].get("threads", {})})
    if len(counts) < 2:
        return []
    more = [t for t in counts if t != 1]
    lines = [("Threads (`net.run(..., threads=T)`; identical = the spikes of every population "
             "and the final weights of every projection bitwise equal to one thread's):"), "",
             "| Bench | " + " | ".join(f"loop s, {t} thread{'s' * (t > 1)}" for t in counts)
             + " | " + " | ".join(f"speed-up {t} threads: loop / kernel" for t in more)
             + " | identical |",
             "|---|" + "---|" * (len(counts) + len(more) + 1)]
    for e in report["benchmarks"]:
        th = e["neurolab"].get("threads", {})
        cells = [_f(th[str(t)]["loop_s"], 3) if str(t) in th else "–" for t in counts]
        cells += [f"{_f(th[str(t)]['speedup'])} / {_f(th[str(t)]['kernel_speedup'])}"
                  if str(t) in th else "–" for t in more]
        same = [th[k]["identical"] for k in th]
        cells.append("yes" if all(same) else "**no** (" + ", ".join(
            k for k in th if not th[k]["identical"]) + " threads)")
        lines.append(f"| {e['key']} | " + " | ".join(cells) + " |")
    return lines


def readme_table(report):
    """One row per benchmark, for the main README: the Brian2 cpp columns use PoissonGroup
    where the network has Poisson input, the identical-input value in brackets; the
    translated model's columns first, then the hand-written model's (B1, B2, B3r)."""
    lines = [("| Benchmark | neurolab loop s | Brian2 cpp loop s | neurolab / cpp "
             "| Brian2 numpy loop s | Brian2 cpp hand-written loop s "
             "| neurolab / hand-written | neurolab Mevents/s |"),
             "|---|---|---|---|---|---|---|---|"]
    for e in report["benchmarks"]:
        nlr, var = e["neurolab"], e["variants"]
        main = var.get("poisson") or var.get("same") or {}
        alt = var.get("same") if "poisson" in var else None
        h_main = var.get("hand_poisson") or var.get("hand") or {}
        h_alt = var.get("hand") if "hand_poisson" in var else None

        def cell(d, fn):
            return fn(d) if d and d.get("cpp") is not None else "–"

        cpp_loop = cell(main, lambda d: _f(d["cpp"]["loop_s"], 3))
        ratio = cell(main, lambda d: _f(d["ratio_loop_cpp"], 3))
        npy = _npy_loop_cell(main.get("numpy"))
        if alt:
            cpp_loop += cell(alt, lambda d: f" ({_f(d['cpp']['loop_s'], 3)})")
            ratio += cell(alt, lambda d: f" ({_f(d['ratio_loop_cpp'], 3)})")
            npy += f" ({_npy_loop_cell(alt.get('numpy'))})"
        h_loop = cell(h_main, lambda d: _f(d["cpp"]["loop_s"], 3))
        h_ratio = cell(h_main, lambda d: _f(d["ratio_loop_cpp"], 3))
        if h_alt:
            h_loop += cell(h_alt, lambda d: f" ({_f(d['cpp']['loop_s'], 3)})")
            h_ratio += cell(h_alt, lambda d: f" ({_f(d['ratio_loop_cpp'], 3)})")
        lines.append(f"| {e['key']}: {e['title']}, {e['duration_ms'] / 1000:g} s | "
                     f"{_f(nlr['loop_s'], 3)} | {cpp_loop} | {ratio} | {npy} | "
                     f"{h_loop} | {h_ratio} | {_m(nlr['events_per_s'])} |")
    j = report.get("jit")
    if j:
        lines.append(f"| Start-up, first result in a fresh process (import + build + run): "
                     f"cold / warm numba cache | "
                     f"{j['cold_total_s']:.2f} / {j['warm_total_s']:.2f} | | | | | | |")
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


def parse_int_list(name, text, minimum=1):
    """``"1,2"`` -> ``(1, 2)``: comma-separated integers >= ``minimum``; ``ValueError``
    naming the option, its value and what is allowed otherwise."""
    try:
        vals = tuple(int(x) for x in str(text).split(",") if x.strip())
    except ValueError:
        vals = ()
    if not vals or any(v < minimum for v in vals):
        raise ValueError(f"{name} must be comma-separated integers >= {minimum} "
                         f"(e.g. 1,2), got {text!r}")
    return vals


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short durations (smoke run)")
    ap.add_argument("--only", default=None,
                    help="comma-separated benchmark groups or keys, e.g. B1,B3 or B3-50k")
    ap.add_argument("--no-brian2", action="store_true", help="neurolab only")
    ap.add_argument("--no-jit", action="store_true", help="skip the cold/warm JIT measurement")
    ap.add_argument("--json", default=None, help="write the results as JSON to this path")
    ap.add_argument("--threads", default=",".join(map(str, default_threads())),
                    help="thread counts to time the neurolab loop with, e.g. 1,2 (default: "
                         "1,2 on a machine with >= 2 cores); needs net.run(threads=)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each neurolab loop and Brian2 binary (median; default 1)")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="Brian2 models to run: translated (the oracle's translation of "
                         "neurolab's network), hand (written by hand, benchmarks/"
                         "brian2_hand.py: B1, B2, B3r), or both (default translated,hand)")
    ap.add_argument("--no-plain", action="store_true",
                    help="do not time the plain numba loop (benchmarks/plain_b3r.py) on B3r")
    ap.add_argument("--rss", action="store_true",
                    help="only measure peak RSS against simulated duration (50-1600 s)")
    args = ap.parse_args(argv)
    try:
        threads = parse_int_list("--threads", args.threads)
    except ValueError as err:
        ap.error(str(err))
    if args.repeat < 1:
        ap.error(f"--repeat must be an integer >= 1, got {args.repeat}")
    models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    if not models or any(m not in MODELS for m in models):
        ap.error(f"--models must be translated, hand or translated,hand, got {args.models!r}")
    if args.rss:
        return {"rss_mib": rss_vs_duration()}
    cases = make_cases(quick=args.quick)
    if args.only:
        want = {w.strip() for w in args.only.split(",") if w.strip()}
        cases = [c for c in cases if c["group"] in want or c["key"] in want]
        if not cases:
            ap.error(f"--only {args.only!r} selects no benchmark; groups: B1, B2, B3, B3r; "
                     f"keys: {', '.join(c['key'] for c in make_cases(quick=args.quick))}")
    report = run_benchmarks(cases, brian2=not args.no_brian2, jit=not args.no_jit,
                            threads=threads, repeat=args.repeat, models=models,
                            plain=not args.no_plain)
    report["options"] = {"quick": args.quick, "only": args.only,
                         "brian2": not args.no_brian2, "jit": not args.no_jit,
                         "threads": list(threads), "repeat": args.repeat,
                         "models": list(models), "plain": not args.no_plain,
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
