"""Diehl & Cook (2015) on MNIST: presentations per second, and what each one costs beside
the simulation (issue 21).

Run from the repository root (it prints the load average; the machine is shared)::

    python benchmarks/diehl_cook.py [--sizes 100,400] [--digits 300] [--engine-digits 20]
                                    [--json FILE] [--quick]

For each number of excitatory neurons ``n_e`` (784 inputs, the authors' constants):

- ``neurolab.papers.diehl_cook.DiehlCook``, the dedicated loop: learning
  (:meth:`train`) and frozen (:meth:`respond`) presentations per second, wall and CPU
  time, on the shipped MNIST subset (a warm kernel: a first call compiles it); repeats
  (attempts at a raised intensity) are part of the time, as in a real run. Overhead per
  presentation: the same digits again with one kernel call per digit (``chunk=1``) minus
  one call for all; and the input drawing alone (``draw_input``), timed on its own.
- the general engine, the same network through ``Network.run`` per presentation
  (``neurolab.papers.protocols.present_images``: 350 ms at the digit's rates, 150 ms rest;
  Poisson input drawn by ``net.run``; input delays, normalisation, triplet rule, adaptive
  threshold): seconds per presentation, and the same network time in one ``net.run``
  (the first digit's rates throughout); their difference estimates the per-presentation
  overhead of ``net.run`` (tables, provenance, result assembly, the interruptible worker
  thread). Wall and CPU time both: under load, waiting for the worker thread shows in wall
  time only.

- with ``--brian2 DIGITS``: the same network in Brian2 cpp_standalone
  (:func:`brian2_standalone`, written from the equations; one run without the retry), its
  build, compile and loop times. Brian2's own example file
  (``examples/frompapers/Diehl_Cook_2015.py``) is not in its wheel and was not run.

Threads: the dedicated loop runs on one thread (no threaded variant).
Synaptic events: every input spike's ``n_e`` synapses (delivery, depression) and every
excitatory spike's 784 (potentiation).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import neurolab as nl
from neurolab.papers import diehl_cook as DC


def _timed(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def fast_loop(n_e, images, repeat_chunk=True):
    """Presentations per second of the dedicated loop (learning and frozen)."""
    net = DC.DiehlCook(n_e, seed=0)
    _, compile_s, _ = _timed(lambda: net.train(images[:2]))
    rows = {"compile_and_2_digits_s": compile_s}
    tr, wall, cpu = _timed(lambda: net.train(images))
    attempts = len(images) + int(tr.repeats.sum())
    n_in_spikes = attempts * float(images.reshape(len(images), -1).sum(1).mean()) / 8 * 2 \
        * 0.35
    events = n_in_spikes * n_e + tr.counts.sum() * 784
    rows["train"] = {"digits": len(images), "attempts": attempts, "wall_s": wall,
                     "cpu_s": cpu, "per_s": len(images) / wall, "per_s_cpu": len(images) / cpu,
                     "ms_per_digit_cpu": 1e3 * cpu / len(images),
                     "syn_events_per_s_cpu": events / cpu}
    _te, wall, cpu = _timed(lambda: net.respond(images))
    rows["respond"] = {"digits": len(images), "wall_s": wall, "cpu_s": cpu,
                       "per_s": len(images) / wall, "per_s_cpu": len(images) / cpu,
                       "ms_per_digit_cpu": 1e3 * cpu / len(images)}
    if repeat_chunk:
        sub = images[:min(len(images), 100)]
        _, _w1, c1 = _timed(lambda: net.respond(sub, chunk=1))
        _, _w2, c2 = _timed(lambda: net.respond(sub))
        rows["call_overhead_ms_per_digit_cpu"] = 1e3 * (c1 - c2) / len(sub)
    # the input alone
    img = images.reshape(len(images), -1).astype(np.float64)
    u = np.random.default_rng(0).random(1 << 22)
    in_ptr = np.zeros(701, np.int64)
    in_ids = np.zeros(784 * 700 + 1, np.int64)
    cnt = np.zeros(700, np.int64)
    DC.draw_input(img[0], 0.25, 5e-4, 700, u, 0, in_ptr, in_ids, cnt)
    c0 = time.process_time()
    for k in range(len(img)):
        DC.draw_input(img[k], 0.25, 5e-4, 700, u, 0, in_ptr, in_ids, cnt)
    rows["draw_input_ms_per_digit_cpu"] = 1e3 * (time.process_time() - c0) / len(img)
    return rows


def engine(n_e, images):
    """The same network through the general engine, one net.run per presentation."""
    from neurolab.papers.protocols import present_images

    P = DC.DiehlCookParams()
    net = nl.Network(dt=P.dt, seed=0)
    inp = net.add_poisson("X", 784, rates=np.zeros(784))
    cond = {"synapse": "conductance", "tau_e": P.tau_ge, "tau_i": P.tau_gi, "E_e": P.E_exc}
    E = net.add_lif("E", n_e, nl.LIFParams(tau_m=P.tau_e, v_rest=P.v_rest_e, v_th=P.v_thresh_e,
                                           v_reset=P.v_reset_e, refractory=P.refrac_e,
                                           E_i=P.E_inh_e, **cond),
                    threshold=nl.AdaptiveThreshold(P.theta_plus, P.tau_theta),
                    v_init=P.v_init_e)
    inh = net.add_lif("I", n_e, nl.LIFParams(tau_m=P.tau_i, v_rest=P.v_rest_i,
                                             v_th=P.v_thresh_i, v_reset=P.v_reset_i,
                                             refractory=P.refrac_i, E_i=P.E_inh_i, **cond),
                      v_init=P.v_init_i)
    rule = nl.TripletSTDP(A2_plus=0.0, A3_plus=P.nu_post, A2_minus=P.nu_pre, A3_minus=0.0,
                          tau_plus=P.tau_pre, tau_x=P.tau_pre, tau_minus=P.tau_post1,
                          tau_y=P.tau_post2, w_min=0.0, w_max=P.w_max,
                          interaction="nearest_spike")
    net.connect(inp, E, "all_to_all", weight=("uniform", 0.003, 0.303), stdp=rule,
                normalize=nl.Normalization(P.norm_target, every=500.0),
                delay=("uniform", 0.0, P.delay_max))
    net.connect(E, inh, "one_to_one", weight=P.w_ei)
    pre, post = np.nonzero(~np.eye(n_e, dtype=bool))
    net.connect(inh, E, "explicit", pre_ids=pre, post_ids=post, weight=P.w_ie, receptor="inh")
    img = images.reshape(len(images), -1).astype(np.float64)
    show = {"intensity_max": 255.0, "max_rate": 63.75, "rate_step": 31.875}
    present_images(net, inp, E, img[:2], **show)             # compile
    res, wall, cpu = _timed(lambda: present_images(net, inp, E, img, **show))
    attempts = len(img) + int(res.repeats.sum())
    inp.rates = img[0] / 255.0 * 63.75
    _, wall1, cpu1 = _timed(lambda: net.run(attempts * 500.0, progress=False,
                                           record_spikes=[]))
    inp.rates = np.zeros(784)
    return {"digits": len(img), "attempts": attempts, "wall_s": wall, "cpu_s": cpu,
            "per_s": len(img) / wall, "ms_per_digit_cpu": 1e3 * cpu / len(img),
            "ms_per_digit_wall": 1e3 * wall / len(img),
            "one_run_same_time_wall_s": wall1, "one_run_same_time_cpu_s": cpu1,
            "overhead_ms_per_attempt_wall": 1e3 * (wall - wall1) / attempts,
            "overhead_ms_per_attempt_cpu": 1e3 * (cpu - cpu1) / attempts}


def brian2_standalone(n_e, images, workdir, normalize=True):
    """The same network in Brian2 2.9, cpp_standalone, written here from the model's
    equations (not Brian2's example file): ``len(images)`` digits in one run at intensity
    2, 350 ms each then 150 ms rest (rates from a ``TimedArray``), without the retry (a
    standalone binary cannot branch on its own spike counts between runs); normalisation
    every 500 ms through a summed variable (updated every step: what standalone offers),
    event-driven traces, per-synapse delays, the adaptive threshold. Returns the build,
    compile and loop times (``device._last_run_time``) and the excitatory spike count.
    ``normalize=False`` leaves the normalisation (and its summed variable) out: what the
    summed variable costs Brian2's loop."""
    import brian2 as b2
    from brian2 import Hz, ms, mV

    P = DC.DiehlCookParams()
    b2.set_device("cpp_standalone", build_on_run=False, directory=workdir)
    t0 = time.perf_counter()
    b2.defaultclock.dt = P.dt * ms
    img = images.reshape(len(images), -1).astype(np.float64)
    slots = np.zeros((len(img) * 10, 784))          # 50 ms slots: 7 on, 3 rest
    for k in range(len(img)):
        slots[10 * k:10 * k + 7] = img[k] / P.pixel_divisor * P.intensity
    stim = b2.TimedArray(slots * Hz, dt=50 * ms)
    inp = b2.PoissonGroup(784, rates="stim(t, i)", namespace={"stim": stim})
    eqs_e = """dv/dt = ((v_rest_e - v) + ge * (E_exc - v) + gi * (E_inh_e - v)) / tau_e
               : volt (unless refractory)
               dge/dt = -ge / tau_ge : 1
               dgi/dt = -gi / tau_gi : 1
               dtheta/dt = -theta / tau_theta : volt
               wsum : 1"""
    ns = {"v_rest_e": P.v_rest_e * mV, "E_exc": P.E_exc * mV, "E_inh_e": P.E_inh_e * mV,
          "tau_e": P.tau_e * ms, "tau_ge": P.tau_ge * ms, "tau_gi": P.tau_gi * ms,
          "tau_theta": P.tau_theta * ms, "v_th_e": (P.v_thresh_e - P.theta_offset) * mV,
          "v_reset_e": P.v_reset_e * mV, "theta_plus": P.theta_plus * mV,
          "v_rest_i": P.v_rest_i * mV, "E_inh_i": P.E_inh_i * mV, "tau_i": P.tau_i * ms,
          "v_th_i": P.v_thresh_i * mV, "v_reset_i": P.v_reset_i * mV,
          "nu_pre": P.nu_pre, "nu_post": P.nu_post, "tau_pre": P.tau_pre * ms,
          "tau_post1": P.tau_post1 * ms, "tau_post2": P.tau_post2 * ms, "wmax": P.w_max,
          "target": P.norm_target}
    E = b2.NeuronGroup(n_e, eqs_e, threshold="v > v_th_e + theta",
                       reset="v = v_reset_e; theta += theta_plus",
                       refractory=P.refrac_e * ms, method="exponential_euler", namespace=ns)
    E.v = P.v_init_e * mV
    E.theta = P.theta_init * mV
    eqs_i = """dv/dt = ((v_rest_i - v) + ge * (0*mV - v) + gi * (E_inh_i - v)) / tau_i
               : volt (unless refractory)
               dge/dt = -ge / tau_ge : 1
               dgi/dt = -gi / tau_gi : 1"""
    inh = b2.NeuronGroup(n_e, eqs_i, threshold="v > v_th_i", reset="v = v_reset_i",
                         refractory=P.refrac_i * ms, method="exponential_euler",
                         namespace=ns)
    inh.v = P.v_init_i * mV
    summed = "wsum_post = w : 1 (summed)" if normalize else ""
    syn = b2.Synapses(inp, E, f"""w : 1
                                 {summed}
                                 dpre/dt = -pre / tau_pre : 1 (event-driven)
                                 dpost1/dt = -post1 / tau_post1 : 1 (event-driven)
                                 dpost2/dt = -post2 / tau_post2 : 1 (event-driven)""",
                      on_pre="""ge_post += w
                                pre = 1.
                                w = clip(w - nu_pre * post1, 0, wmax)""",
                      on_post="""w = clip(w + nu_post * pre * post2, 0, wmax)
                                 post1 = 1.
                                 post2 = 1.""", namespace=ns)
    syn.connect()
    rng = np.random.default_rng(0)
    syn.w = (rng.random(784 * n_e) + P.w_init_low) * P.w_init_scale
    syn.delay = np.floor(rng.random(784 * n_e) * P.delay_max / P.dt + 0.5) * P.dt * ms
    if normalize:
        syn.run_regularly("w = clip(w * target / wsum_post, 0, wmax)", dt=500 * ms)
    ei = b2.Synapses(E, inh, on_pre="ge_post += 10.4")
    ei.connect(j="i")
    ie = b2.Synapses(inh, E, on_pre="gi_post += 17.0")
    ie.connect(condition="i != j")
    mon = b2.SpikeMonitor(E)
    net = b2.Network(inp, E, inh, syn, ei, ie, mon)
    net.run(len(img) * 500 * ms)
    construct_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2.device.build(directory=workdir, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2.device.run(directory=workdir, with_output=False)
    binary_s = time.perf_counter() - t0
    loop_s = float(b2.device._last_run_time)
    n_spk = int(mon.num_spikes)
    b2.device.reinit()
    b2.device.activate()
    b2.set_device("runtime")
    return {"digits": len(img), "normalize": normalize, "construct_s": construct_s, "compile_s": compile_s,
            "binary_s": binary_s, "loop_s": loop_s, "per_s_loop": len(img) / loop_s,
            "e_spikes_per_digit": n_spk / len(img)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,400")
    ap.add_argument("--digits", type=int, default=300)
    ap.add_argument("--engine-digits", type=int, default=20)
    ap.add_argument("--json", default=None)
    ap.add_argument("--brian2", type=int, default=0, metavar="DIGITS",
                    help="also Brian2 cpp_standalone on this many digits (0: not run)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, seconds")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    digits, eng_digits = args.digits, args.engine_digits
    if args.quick:
        sizes, digits, eng_digits = [10], 10, 2
    X, _ = nl.datasets.mnist("train", subset=True)
    out = {"load_average_before": os.getloadavg(), "threads": 1, "sizes": {}}
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores, shared)")
    for n_e in sizes:
        fast = fast_loop(n_e, X[:digits], repeat_chunk=not args.quick)
        eng = engine(n_e, X[:eng_digits]) if eng_digits else None
        out["sizes"][n_e] = {"fast": fast, "engine": eng}
        tr, te = fast["train"], fast["respond"]
        print(f"n_e {n_e}: dedicated loop, learning {tr['per_s']:.0f}/s wall, "
              f"{tr['per_s_cpu']:.0f}/s CPU ({tr['ms_per_digit_cpu']:.2f} ms CPU per digit, "
              f"{tr['syn_events_per_s_cpu'] / 1e6:.0f} M synaptic events/s); frozen "
              f"{te['per_s']:.0f}/s wall, {te['per_s_cpu']:.0f}/s CPU; input drawing "
              f"{fast['draw_input_ms_per_digit_cpu'] * 1e3:.0f} us per digit"
              + (f"; kernel call {fast['call_overhead_ms_per_digit_cpu'] * 1e3:.0f} us"
                 if "call_overhead_ms_per_digit_cpu" in fast else ""))
        if eng:
            print(f"        general engine (net.run per presentation): {eng['per_s']:.1f}/s "
                  f"wall ({eng['ms_per_digit_wall']:.0f} ms per digit), "
                  f"{eng['ms_per_digit_cpu']:.1f} ms CPU per digit; beyond the same network "
                  f"time in one net.run: {eng['overhead_ms_per_attempt_wall']:.1f} ms wall, "
                  f"{eng['overhead_ms_per_attempt_cpu']:.1f} ms CPU per presentation; the "
                  f"dedicated loop is {eng['ms_per_digit_cpu'] / tr['ms_per_digit_cpu']:.0f}x "
                  f"faster in CPU time, {tr['per_s'] / eng['per_s']:.0f}x in wall time")
    if args.brian2:
        import shutil
        import tempfile

        workdir = tempfile.mkdtemp(prefix="neurolab_dc_b2_")
        try:
            for n_e in sizes:
                b2 = brian2_standalone(n_e, X[:args.brian2], workdir)
                out["sizes"][n_e]["brian2_cpp_standalone"] = b2
                fast = out["sizes"][n_e]["fast"]["train"]
                bare = brian2_standalone(n_e, X[:args.brian2], workdir, normalize=False)
                out["sizes"][n_e]["brian2_cpp_standalone_no_normalisation"] = bare
                print(f"        Brian2 cpp_standalone, {b2['digits']} digits in one run (no "
                      f"retry; without normalisation: loop {bare['loop_s']:.1f} s): loop {b2['loop_s']:.1f} s ({b2['per_s_loop']:.1f} digits/s), "
                      f"compile {b2['compile_s']:.0f} s, build {b2['construct_s']:.0f} s; "
                      f"the dedicated loop learns {fast['per_s'] / b2['per_s_loop']:.0f}x "
                      f"as many digits per wall second")
                shutil.rmtree(workdir, ignore_errors=True)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    out["load_average_after"] = os.getloadavg()
    print(f"load average {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
