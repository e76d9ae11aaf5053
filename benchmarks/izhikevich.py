"""Izhikevich (2003) network: neurolab, Brian2 cpp_standalone and NEST side by side (issue 23).

The network of Izhikevich, "Simple model of spiking neurons", IEEE Trans. Neural Netw. 14:1569
(2003), Fig. 3 and its MATLAB code: ``Ne`` = 800 excitatory neurons (regular spiking, with
``r`` ~ U(0, 1) per neuron: a = 0.02, b = 0.2, c = -65 + 15 r^2, d = 8 - 6 r^2) and ``Ni`` = 200
inhibitory ones (a = 0.02 + 0.08 r, b = 0.25 - 0.05 r, c = -65, d = 2), all-to-all (autapses
included, as the paper's matrix ``S``), weights 0.5 U(0, 1) from excitatory and -U(0, 1) from
inhibitory neurons, a thalamic input drawn every 1 ms step, 5 N(0, 1) for excitatory and
2 N(0, 1) for inhibitory neurons, dt = 1 ms with ``v`` in two 0.5 ms half steps and ``u``
updated with the new ``v`` (the paper's code), ``v`` starts at -65 and ``u`` at ``b v``.

Everything random is drawn once by numpy (:func:`make_network`) and given to all three
simulators: the per-neuron parameters, the weight matrix and the thalamic current of every
neuron in every step (neurolab: ``Network.add_current`` with one value per step and neuron;
Brian2: a 2-d ``TimedArray``; NEST: one ``step_current_generator`` per neuron).

How each simulator writes the model:

- **neurolab**: one ``add_izhikevich`` population with per-neuron ``a, b, c, d`` arrays and
  ``IzhikevichParams(method="half_steps")`` (the paper's numerics), delta synapses (``v``
  jumps by ``w``), two ``explicit`` projections (E -> all excitatory, I -> all with
  ``receptor="inh"``, since neurolab's weights are magnitudes), delay 0.
- **Brian2** (written by hand, as a user would): one ``NeuronGroup`` with ``v, u, a, b, c,
  d`` as variables and no differential equation; the two half steps and the ``u`` update are
  a ``run_regularly`` operation in the ``groups`` slot (Brian2's closest equivalent: its
  state updaters integrate all variables together from the values at the start of the step,
  which is forward Euler, not the paper's scheme); threshold ``v >= 30``, reset ``v = c;
  u += d``; one ``Synapses`` with ``on_pre="v_post += w"``, delay 0; the input is
  ``I_thal(t, i)``, a ``TimedArray``.
- **NEST**: ``izhikevich`` with ``consistent_integration=False`` (its implementation of the
  paper's two half steps), ``all_to_all`` ``static_synapse`` with the weight matrix and the
  minimal delay (1 ms = the resolution), one ``step_current_generator`` per neuron.

Departures from the paper, the same in all three simulators:

- the paper adds the weights of the spikes of a step to ``I`` for the next step
  (``I = I + sum(S(:, fired), 2)``), which enters the two half steps; here a spike makes
  ``v`` jump by ``w`` (a delta synapse, NEST's and neurolab's ``izhikevich`` and Brian2's
  ``on_pre="v_post += w"``). The total change of ``v`` is the same to first order; the
  quadratic term sees the jumped ``v``.
- the thalamic current is 0 in the first two steps (0 and 1 ms): a NEST current generator's
  value stamped at t enters the neuron's update of the step that starts at t + dt, and
  NEST accepts stamps t > 0 only, so steps 0 and 1 cannot carry it there (checked: with
  this, one neuron under the same current has bitwise the same ``v`` in NEST and
  neurolab).

What is compared (in every run), with two numpy references written from the equations
(:func:`reference`): ``"jump"``, the benchmark's model, and ``"current"``, the paper's
MATLAB scheme (weights added to ``I`` for the next step). neurolab and Brian2 implement the
jump model with the same arithmetic where Brian2's code generator allows it, so their
spikes are identical step by step until rounding differences (the order of operations: Brian2's
code generator rewrites expressions through sympy, and simultaneous inputs are summed in
another order) are amplified by the chaos of the network: the report gives how long they agree (first differing step) and the
spike-count difference over the run; they must agree for at least ``MIN_AGREE_MS``.
neurolab must give the jump reference's spikes for as long. NEST's ``izhikevich`` with
``consistent_integration=False`` turns out to be the paper's scheme itself: a spike
reaches its targets after the minimal delay (1 ms) as a current inside the two half steps;
its spikes must be the ``"current"`` reference's for at least ``MIN_AGREE_MS`` (measured:
identical over the whole 1 s at 1000 neurons). Its trains therefore differ from neurolab's
from the first recurrent effects on (the models differ, not the integration); its total
spike count must lie within ``NEST_TOLERANCE`` of neurolab's (measured -1.1 % at 1 s and
-3.4 % at 10 s: the jump model fires slightly more). neurolab cannot express the paper's
one-step synaptic current exactly (its current synapses decay with ``exp(-dt/tau)``,
``tau >= dt``), hence the jump model for the three-way comparison.

What is timed (median of ``--repeat`` runs): neurolab ``net.run(duration)`` on one thread
with a compiled (warm) kernel, on a freshly built network (building the input tables of the
current included); Brian2 ``device._last_run_time`` of the cpp_standalone binary (the loop
inside the binary; the build, the compilation and the loading of the ``TimedArray`` are
not in it); NEST the wall time of ``nest.Simulate(duration)`` on one thread (creating and
connecting the network and setting the generators are not in it). neurolab's time inside
the kernel's ``run_steps`` calls is given beside its loop: the rest is preparing the run
(the per-step current table: one change per neuron and step) and assembling the result
and its provenance.

    python benchmarks/izhikevich.py --out /tmp/izhikevich.json      # 1 s and 10 s, repeat 3
    python benchmarks/izhikevich.py --quick                          # 200 neurons, 0.2/0.5 s
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DT = 1.0                    # ms, the paper's step
NEST_TOLERANCE = 0.05       # |count NEST - count neurolab| / count neurolab (see the README)
INPUT_START_STEPS = 2       # the thalamic input is 0 in steps 0 and 1 (NEST, see above)
MIN_AGREE_MS = 100.0        # neurolab and Brian2 must give the same spikes at least this long


# ============================================================================ network
def make_network(n=1000, n_steps=1000, seed=2003, frac_exc=0.8):
    """The paper's network, all random draws made here once: ``dict`` with ``ne``, ``ni``,
    per-neuron ``a, b, c, d`` (n,), ``S`` (n, n) with ``S[post, pre]`` (the paper's
    matrix), the thalamic current ``I`` (n_steps, n) and ``v0``, ``u0``."""
    rng = np.random.default_rng(seed)
    ne = round(frac_exc * n)
    ni = n - ne
    re, ri = rng.random(ne), rng.random(ni)
    a = np.concatenate([np.full(ne, 0.02), 0.02 + 0.08 * ri])
    b = np.concatenate([np.full(ne, 0.2), 0.25 - 0.05 * ri])
    c = np.concatenate([-65.0 + 15.0 * re ** 2, np.full(ni, -65.0)])
    d = np.concatenate([8.0 - 6.0 * re ** 2, np.full(ni, 2.0)])
    S = np.hstack([0.5 * rng.random((n, ne)), -rng.random((n, ni))])
    scale = np.concatenate([np.full(ne, 5.0), np.full(ni, 2.0)])
    I = rng.standard_normal((n_steps, n)) * scale
    I[:INPUT_START_STEPS] = 0.0
    v0 = np.full(n, -65.0)
    return {"n": n, "ne": ne, "ni": ni, "a": a, "b": b, "c": c, "d": d, "S": S, "I": I,
            "v0": v0, "u0": b * v0, "seed": seed}


def _pairs(net, pre_lo, pre_hi):
    """pre, post ids (pre-major, post ascending) and ``S[post, pre]`` of the block of
    presynaptic neurons ``[pre_lo, pre_hi)``."""
    n = net["n"]
    pre = np.repeat(np.arange(pre_lo, pre_hi), n)
    post = np.tile(np.arange(n), pre_hi - pre_lo)
    return pre, post, net["S"][post, pre]


# ============================================================================ neurolab
def build_neurolab(net, n_steps):
    import neurolab as nl
    nln = nl.Network(dt=DT, seed=0)
    params = nl.IzhikevichParams(a=net["a"], b=net["b"], c=net["c"], d=net["d"],
                                 method="half_steps")
    P = nln.add_izhikevich("P", net["n"], params=params, v_init=net["v0"],
                           u_init=net["u0"])
    ne, n = net["ne"], net["n"]
    pre, post, w = _pairs(net, 0, ne)
    nln.connect(P[:ne], P, rule="explicit", pre_ids=pre, post_ids=post, weight=w,
                delay=0.0)
    pre, post, w = _pairs(net, ne, n)
    nln.connect(P[ne:], P, rule="explicit", pre_ids=pre - ne, post_ids=post, weight=-w,
                delay=0.0, receptor="inh")
    nln.add_current("thal", P, amplitude=net["I"][:n_steps], times=np.arange(n_steps) * DT)
    return nln


def _kernel_timer():
    """``bench._KernelTimer`` (benchmarks/bench.py): the time inside the kernel's
    ``run_steps*`` calls during a run."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("neurolab_bench_for_izh",
                                                  Path(__file__).with_name("bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod._KernelTimer


def run_neurolab(net, n_steps, repeat=1, kernel_times=None):
    """(spike steps, ids, loop times): ``net.run`` timed on freshly built networks;
    ``kernel_times``: a list that receives the time inside ``run_steps`` of each run."""
    loops, out = [], None
    timer = _kernel_timer() if kernel_times is not None else None
    for _ in range(max(1, repeat)):
        nln = build_neurolab(net, n_steps)
        if timer is not None:
            with timer() as kt:
                t0 = time.perf_counter()
                res = nln.run(n_steps * DT, progress=False)
                loops.append(time.perf_counter() - t0)
            kernel_times.append(kt.seconds)
        else:
            t0 = time.perf_counter()
            res = nln.run(n_steps * DT, progress=False)
            loops.append(time.perf_counter() - t0)
        rec = res.spikes["P"]
        spikes = (np.rint(np.asarray(rec.t) / DT).astype(np.int64),
                  np.asarray(rec.i, dtype=np.int64))
        if out is not None and not _same(out, spikes):
            raise AssertionError("neurolab: two runs of the same network differ")
        out = spikes
    return out, loops


def warm_neurolab():
    """Compile (or load) the kernel this network uses, outside the timed runs."""
    small = make_network(n=10, n_steps=5, seed=1)
    run_neurolab(small, 5)


# ============================================================================ Brian2
BRIAN2_EQS = """
v : 1
u : 1
a : 1 (constant)
b : 1 (constant)
c : 1 (constant)
d : 1 (constant)
"""

# the paper's numerics: v in two half steps with u fixed, then u with the new v
BRIAN2_UPDATE = """
v += 0.5 * (dt / ms) * (0.04 * v * v + 5 * v + 140 - u + I_thal(t, i))
v += 0.5 * (dt / ms) * (0.04 * v * v + 5 * v + 140 - u + I_thal(t, i))
u += (dt / ms) * a * (b * v - u)
"""


def build_brian2(b2, net, n_steps):
    """The hand-written Brian2 model: (objects, SpikeMonitor)."""
    I_thal = b2.TimedArray(net["I"][:n_steps], dt=DT * b2.ms, name="I_thal")
    G = b2.NeuronGroup(net["n"], BRIAN2_EQS, threshold="v >= 30", reset="v = c; u += d",
                       namespace={"I_thal": I_thal}, name="izh")
    G.a, G.b, G.c, G.d = net["a"], net["b"], net["c"], net["d"]
    G.v, G.u = net["v0"], net["u0"]
    G.run_regularly(BRIAN2_UPDATE, when="groups")
    syn = b2.Synapses(G, G, "w : 1", on_pre="v_post += w", name="S")
    pre, post, w = _pairs(net, 0, net["n"])
    syn.connect(i=pre, j=post)
    syn.w = w
    mon = b2.SpikeMonitor(G)
    return [G, syn, mon], mon


def _b2_spikes(b2, mon):
    return (np.rint(np.asarray(mon.t[:] / b2.ms) / DT).astype(np.int64),
            np.asarray(mon.i[:], dtype=np.int64))


def run_brian2(net, n_steps, target="cpp_standalone", repeat=1, workdir=None):
    """Brian2 ``target`` ("cpp_standalone" or "numpy"): (spikes, loop times, extra)."""
    import brian2 as b2
    b2.defaultclock.dt = DT * b2.ms
    extra = {"target": target}
    if target == "numpy":
        b2.set_device("runtime")
        old = b2.prefs.codegen.target
        b2.prefs.codegen.target = "numpy"
        try:
            objs, mon = build_brian2(b2, net, n_steps)
            bnet = b2.Network(*objs)
            bnet.run(n_steps * DT * b2.ms)
            # the runtime device's loop (code generation excluded), as bench.py's numpy
            return _b2_spikes(b2, mon), [float(b2.device._last_run_time)], extra
        finally:
            b2.prefs.codegen.target = old
    from brian2 import device
    b2.set_device("cpp_standalone", build_on_run=False)
    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="izh_b2_")
    directory = os.path.join(workdir, f"izh_{net['n']}_{n_steps}")
    try:
        t0 = time.perf_counter()
        objs, mon = build_brian2(b2, net, n_steps)
        bnet = b2.Network(*objs)
        bnet.run(n_steps * DT * b2.ms)
        device.build(directory=directory, compile=True, run=False, with_output=False)
        extra["build_s"] = time.perf_counter() - t0
        loops, out = [], None
        for _ in range(max(1, repeat)):
            device.run(directory=directory, with_output=False)
            loops.append(float(device._last_run_time))
            spikes = _b2_spikes(b2, mon)
            if out is not None and not _same(out, spikes):
                raise AssertionError("Brian2: two runs of the same binary differ")
            out = spikes
        return out, loops, extra
    finally:
        device.reinit()
        device.activate(build_on_run=False)
        b2.set_device("runtime")
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


# ============================================================================ NEST
def run_nest(net, n_steps, repeat=1):
    """NEST ``izhikevich`` (one thread): (spikes as steps, loop times). NEST stamps a spike
    at the end of its step: step = t / dt - 1."""
    import nest
    try:
        nest.verbosity = nest.VerbosityLevel.ERROR
    except AttributeError:  # pragma: no cover - older NEST
        nest.set_verbosity("M_ERROR")
    loops, out = [], None
    n = net["n"]
    for _ in range(max(1, repeat)):
        nest.ResetKernel()
        nest.SetKernelStatus({"resolution": DT, "local_num_threads": 1, "print_time": False})
        pop = nest.Create("izhikevich", n, params={
            "a": net["a"], "b": net["b"], "c": net["c"], "d": net["d"],
            "V_m": net["v0"], "U_m": net["u0"], "consistent_integration": False})
        nest.Connect(pop, pop, {"rule": "all_to_all", "allow_autapses": True},
                     {"synapse_model": "static_synapse", "weight": net["S"], "delay": DT})
        gens = nest.Create("step_current_generator", n)
        # a current stamped at t reaches the neuron's update in the step starting at t + dt
        times = np.arange(n_steps) * DT - DT
        keep = times > 0
        I = net["I"][:n_steps]
        gens.set([{"amplitude_times": times[keep], "amplitude_values": I[keep, j]}
                  for j in range(n)])
        nest.Connect(gens, pop, "one_to_one")
        rec = nest.Create("spike_recorder")
        nest.Connect(pop, rec)
        t0 = time.perf_counter()
        nest.Simulate(n_steps * DT)
        loops.append(time.perf_counter() - t0)
        ev = rec.get("events")
        steps = np.rint(np.asarray(ev["times"]) / DT).astype(np.int64) - 1
        ids = np.asarray(ev["senders"], dtype=np.int64) - pop[0].global_id
        o = np.lexsort((ids, steps))
        spikes = (steps[o], ids[o])
        if out is not None and not _same(out, spikes):
            raise AssertionError("NEST: two runs of the same network differ")
        out = spikes
    return out, loops


# ============================================================================ numpy references
def reference(net, n_steps, synapse="current"):
    """The network in plain numpy, as the paper's MATLAB code writes it: each step, the
    spikes of the previous step reset ``v = c`` and ``u += d`` and then

    - ``synapse="current"`` (the paper): their weights are added to ``I`` for this step,
      ``I = I_thal + sum(S[:, fired], 1)``, which enters both half steps;
    - ``synapse="jump"`` (the benchmark's delta synapses): ``v`` of every neuron that did
      not fire jumps by ``sum(S[:, fired], 1)`` before the half steps.

    Returns the spikes as (steps, ids): a spike detected after the update of step n is at
    step n."""
    a, b, c, d, S, I = (net[k] for k in ("a", "b", "c", "d", "S", "I"))
    v, u = net["v0"].copy(), net["u0"].copy()
    fired = np.zeros(0, np.int64)
    steps, ids = [], []
    for t in range(n_steps):
        i_syn = S[:, fired].sum(axis=1) if fired.size else np.zeros(v.size)
        if synapse == "current":
            cur = I[t] + i_syn
        else:
            if fired.size:
                i_syn[fired] = 0.0
                v = v + i_syn
            cur = I[t]
        v = v + 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + cur)
        v = v + 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + cur)
        u = u + a * (b * v - u)
        fired = np.flatnonzero(v >= 30.0)
        v[fired] = c[fired]
        u[fired] += d[fired]
        steps.append(np.full(fired.size, t, np.int64))
        ids.append(fired)
    return np.concatenate(steps), np.concatenate(ids).astype(np.int64)


# ============================================================================ comparison
def _sorted(sp):
    o = np.lexsort((sp[1], sp[0]))
    return sp[0][o], sp[1][o]


def _same(a, b):
    a, b = _sorted(a), _sorted(b)
    return bool(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]))


def first_difference(a, b, n_steps):
    """The first step whose spikes (the set of neuron ids) differ between ``a`` and ``b``;
    ``None`` when every step agrees."""
    a, b = _sorted(a), _sorted(b)
    m = min(a[0].size, b[0].size)
    diff = np.flatnonzero((a[0][:m] != b[0][:m]) | (a[1][:m] != b[1][:m]))
    if diff.size:
        k = int(diff[0])
        return int(min(a[0][k], b[0][k]))
    if a[0].size != b[0].size:
        longer = a if a[0].size > b[0].size else b
        return int(longer[0][m])
    return None


def agreement(ref, other, n_steps):
    """How ``other`` agrees with ``ref`` (neurolab): first differing step (ms), spikes
    identical up to it, spike counts."""
    fd = first_difference(ref, other, n_steps)
    n_ref, n_other = int(ref[0].size), int(other[0].size)
    return {"identical": fd is None,
            "agree_until_ms": n_steps * DT if fd is None else fd * DT,
            "first_difference_ms": None if fd is None else fd * DT,
            "spikes_ref": n_ref, "spikes": n_other, "count_diff": n_other - n_ref,
            "count_rel_diff": (n_other - n_ref) / n_ref if n_ref else float("nan")}


def check(row, nest_tolerance=NEST_TOLERANCE, min_agree_ms=MIN_AGREE_MS):
    """The assertions of every run: ``(ok, [reasons])``."""
    bad = []
    need = min(min_agree_ms, row["duration_ms"])
    for key, who in (("neurolab_vs_reference", "neurolab and the numpy reference (jump)"),
                     ("nest_vs_reference", "NEST and the numpy reference (the paper's code)")):
        ag = row.get(key)
        if ag is not None and ag["agree_until_ms"] < need:
            bad.append(f"{who} differ at {ag['agree_until_ms']:g} ms (< {need:g} ms)")
    b2 = row.get("brian2_agreement")
    if b2 is not None and b2["agree_until_ms"] < need:
        bad.append(f"neurolab and Brian2 spikes differ at {b2['agree_until_ms']:g} ms "
                   f"(< {need:g} ms)")
    ne = row.get("nest_agreement")
    if ne is not None and not abs(ne["count_rel_diff"]) <= nest_tolerance:
        bad.append(f"NEST spike count {ne['spikes']} vs neurolab {ne['spikes_ref']}: "
                   f"{100 * ne['count_rel_diff']:+.2f} % (tolerance "
                   f"{100 * nest_tolerance:g} %)")
    return not bad, bad


# ============================================================================ driver
def _fmt(x, p=4):
    return "–" if x is None else f"{x:.{p}f}"


def _median(x):
    return float(statistics.median(x)) if x else float("nan")


def versions():
    out = {"python": platform.python_version(), "cores": os.cpu_count(),
           "platform": platform.platform()}
    for pkg in ("numpy", "numba", "brian2", "nest-simulator"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    out["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import subprocess
    try:
        out["git_commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short",
                                            "HEAD"], capture_output=True, text=True,
                                           check=False).stdout.strip()
    except OSError:  # pragma: no cover
        pass
    return out


def _loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return None


def run_benchmark(n=1000, durations_ms=(1000.0, 10000.0), repeat=3, seed=2003,
                  brian2_target="cpp_standalone", nest=True, brian2=True,
                  references=True, log=print):
    """Every duration: neurolab, Brian2 and NEST on the same network; returns the report
    (``rows``: one per duration, with loops, ratios, agreement and ``ok``)."""
    report = {"what": "Izhikevich 2003 network", "n": n, "dt_ms": DT, "seed": seed,
              "repeat": repeat, "brian2_target": brian2_target if brian2 else None,
              "nest_tolerance": NEST_TOLERANCE, "min_agree_ms": MIN_AGREE_MS,
              "versions": versions(), "load_avg_start": _loadavg(), "rows": []}
    log(f"load average at start: {report['load_avg_start']}")
    warm_neurolab()
    max_steps = round(max(durations_ms) / DT)
    net = make_network(n=n, n_steps=max_steps, seed=seed)
    for dur in durations_ms:
        n_steps = round(dur / DT)
        row = {"duration_ms": dur, "n_steps": n_steps}
        kernel = []
        nl_sp, nl_loops = run_neurolab(net, n_steps, repeat, kernel_times=kernel)
        row["neurolab"] = {"loop_s": _median(nl_loops), "loops_s": nl_loops,
                           "run_steps_s": (_median(kernel) if None not in kernel
                                           else None),
                           "spikes": int(nl_sp[0].size),
                           "rate_hz": nl_sp[0].size / n / (dur / 1000.0)}
        log(f"[{dur:g} ms] neurolab loop {row['neurolab']['loop_s']:.4f} s (in run_steps "
            f"{_fmt(row['neurolab']['run_steps_s'])} s), "
            f"{nl_sp[0].size} spikes ({row['neurolab']['rate_hz']:.2f} Hz)")
        if references:
            row["neurolab_vs_reference"] = agreement(reference(net, n_steps, "jump"),
                                                     nl_sp, n_steps)
            log(f"[{dur:g} ms] neurolab = numpy reference (jump) until "
                f"{row['neurolab_vs_reference']['agree_until_ms']:g} ms")
        if brian2:
            reps = repeat if brian2_target == "cpp_standalone" else 1
            b2_sp, b2_loops, extra = run_brian2(net, n_steps, brian2_target, reps)
            row["brian2"] = {"loop_s": _median(b2_loops), "loops_s": b2_loops,
                             "spikes": int(b2_sp[0].size), **extra}
            row["brian2_agreement"] = agreement(nl_sp, b2_sp, n_steps)
            row["ratio_nl_brian2"] = row["neurolab"]["loop_s"] / row["brian2"]["loop_s"]
            a = row["brian2_agreement"]
            log(f"[{dur:g} ms] Brian2 {brian2_target} loop {row['brian2']['loop_s']:.4f} s, "
                f"{b2_sp[0].size} spikes; same spikes as neurolab until "
                f"{a['agree_until_ms']:g} ms, count difference {a['count_diff']:+d}")
        if nest:
            ne_sp, ne_loops = run_nest(net, n_steps, repeat)
            row["nest"] = {"loop_s": _median(ne_loops), "loops_s": ne_loops,
                           "spikes": int(ne_sp[0].size)}
            row["nest_agreement"] = agreement(nl_sp, ne_sp, n_steps)
            if references:
                row["nest_vs_reference"] = agreement(reference(net, n_steps, "current"),
                                                     ne_sp, n_steps)
                log(f"[{dur:g} ms] NEST = numpy reference (the paper's code) until "
                    f"{row['nest_vs_reference']['agree_until_ms']:g} ms")
            row["ratio_nl_nest"] = row["neurolab"]["loop_s"] / row["nest"]["loop_s"]
            a = row["nest_agreement"]
            log(f"[{dur:g} ms] NEST loop {row['nest']['loop_s']:.4f} s, {ne_sp[0].size} "
                f"spikes ({100 * a['count_rel_diff']:+.2f} % against neurolab; same spikes "
                f"until {a['agree_until_ms']:g} ms)")
        row["ok"], row["problems"] = check(row)
        report["rows"].append(row)
    report["load_avg_end"] = _loadavg()
    report["ok"] = all(r["ok"] for r in report["rows"])
    return report


def table(report):
    target = {"cpp_standalone": "cpp", "numpy": "numpy", None: "–"}[report["brian2_target"]]
    head = (f"| bio s | neurolab loop s | of which in run_steps s | Brian2 {target} loop s | "
            "NEST loop s | nl / Brian2 | nl / NEST | spikes nl / Brian2 / NEST | "
            "nl = Brian2 until (ms) | nl = numpy jump ref. until (ms) | NEST = numpy paper "
            "ref. until (ms) | NEST count diff | checked |")
    lines = [head, "|" + "---|" * 13]
    for r in report["rows"]:
        b2 = r.get("brian2", {})
        ne = r.get("nest", {})
        ba = r.get("brian2_agreement") or {}
        na = r.get("nest_agreement") or {}

        nd = "–" if not na else f"{100 * na['count_rel_diff']:+.2f} %"

        def f(x, p=4):
            return "–" if x is None else f"{x:.{p}f}"
        lines.append(
            f"| {r['duration_ms'] / 1000:g} | {f(r['neurolab']['loop_s'])} | "
            f"{f(r['neurolab'].get('run_steps_s'))} | "
            f"{f(b2.get('loop_s'))} | {f(ne.get('loop_s'))} | "
            f"{f(r.get('ratio_nl_brian2'), 3)} | {f(r.get('ratio_nl_nest'), 3)} | "
            f"{r['neurolab']['spikes']:,} / {b2.get('spikes', '–'):,} / "
            f"{ne.get('spikes', '–'):,} | {ba.get('agree_until_ms', '–')} | "
            f"{(r.get('neurolab_vs_reference') or {}).get('agree_until_ms', '–')} | "
            f"{(r.get('nest_vs_reference') or {}).get('agree_until_ms', '–')} | "
            f"{nd} | "
            f"{'yes' if r['ok'] else 'NO: ' + '; '.join(r['problems'])} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="200 neurons, 0.2 s and 0.5 s, one run each (correctness only)")
    p.add_argument("--n", type=int, default=None, help="neurons (default 1000)")
    p.add_argument("--durations", default=None,
                   help="comma-separated biological durations in s (default 1,10)")
    p.add_argument("--repeat", type=int, default=None, help="runs per loop (default 3)")
    p.add_argument("--seed", type=int, default=2003)
    p.add_argument("--brian2-target", default="cpp_standalone",
                   choices=("cpp_standalone", "numpy"))
    p.add_argument("--no-brian2", action="store_true")
    p.add_argument("--no-nest", action="store_true")
    p.add_argument("--no-references", action="store_true",
                   help="skip the numpy references of the equations")
    p.add_argument("--out", default=None, help="write the report as JSON here")
    args = p.parse_args(argv)
    n = args.n or (200 if args.quick else 1000)
    durs = args.durations or ("0.2,0.5" if args.quick else "1,10")
    durations = [float(x) * 1000.0 for x in durs.split(",")]
    repeat = args.repeat or (1 if args.quick else 3)
    report = run_benchmark(n=n, durations_ms=durations, repeat=repeat, seed=args.seed,
                           brian2_target=args.brian2_target, nest=not args.no_nest,
                           brian2=not args.no_brian2,
                           references=not args.no_references)
    report["quick"] = bool(args.quick)
    v = report["versions"]
    print()
    print(f"Izhikevich 2003 network, {n} neurons ({round(0.8 * n)} E / "
          f"{n - round(0.8 * n)} I), all-to-all, dt {DT:g} ms, repeat {repeat} "
          f"(median); {v.get('cpu')}, {v.get('cores')} cores; Python {v['python']}, numpy "
          f"{v['numpy']}, numba {v['numba']}, Brian2 {v['brian2']} "
          f"({args.brian2_target}), NEST {v['nest-simulator']}; neurolab at "
          f"{v.get('git_commit')}. Load average at start {report['load_avg_start']}, end "
          f"{report['load_avg_end']}.")
    print()
    print(table(report))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, default=float) + "\n")
        print(f"\nwritten to {args.out}")
    if not report["ok"]:
        print("\nCHECK FAILED:", [r["problems"] for r in report["rows"] if not r["ok"]])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
