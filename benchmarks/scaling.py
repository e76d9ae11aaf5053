"""How neurolab's cost grows with the size of a recurrent plastic network (issue 11).

Run from the repository root, on an idle machine (it prints the load average)::

    python benchmarks/scaling.py [--sizes 1000,2000,...] [--duration MS] [--threads 1,2]
                                 [--repeat R] [--brian2] [--brian2-max N]
                                 [--json PATH] [--plot PATH]

Network: the recurrent B3 of ``bench.py`` (:func:`bench.build_b3r`: Vogels-Abbott CUBA, N
current-based LIF, 80 % E / 20 % I, fixed in-degree 100, homogeneous axonal delay 1.5 ms,
additive all-to-all STDP on E->E) at N = 1k, 2k, 5k, 10k, 20k, 50k, 100k, 200k (100 N
synapses: 20 M at 200k), 1 s of network time each.

For each N (one network in memory at a time), :func:`bench.run_neurolab` gives: ``loop`` =
``net.run`` as a user calls it (warm kernel, median of ``--repeat`` runs, each on a freshly
built network), ``tables`` = the preparation alone (``simulate.RunState``), ``kernel`` =
loop - tables, ``run_steps`` = the time inside the kernel's calls alone; synaptic events
(delivered presynaptic spikes x their fan-out), events/s, ns per event, ns per neuron-step,
bytes per synapse of the kernel tables; and, for every thread count of ``--threads`` (when
``net.run`` takes ``threads=``), the loop, the speed-up over one thread and whether the
spikes and final weights are bitwise those of one thread. ``--brian2`` adds Brian2
cpp_standalone (same network, same initial state; compile ~10-40 s per size) for
N <= ``--brian2-max`` (50k), with its spike-for-spike agreement.

The JSON (default ``benchmarks/scaling.json``) is rewritten after every size, so an
interrupted run keeps the sizes done; the figure (default ``benchmarks/scaling.png``, Agg):
loop time against N on log-log axes with a line proportional to N through the one-thread
point at the middle size, and events/s against N; one line per thread count (kernel =
loop - tables dashed), Brian2 cpp in black where measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (benchmarks/bench.py: networks, timing, Brian2 translation)

SIZES = (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000)
BRIAN2_MAX = 50_000


def case_for(n, duration):
    """A :func:`bench.run_neurolab` case: the recurrent B3 with ``n`` neurons."""
    label = bench.size_label(n)
    return {"key": f"B3r-{label}", "group": "B3r", "n": n, "duration": float(duration),
            "build": (lambda n=n: bench.build_b3r(n)), "title": f"recurrent B3, N = {label}"}


def measure_size(n, duration, threads=(1,), repeat=1, log=print):
    """neurolab on the recurrent B3 with ``n`` neurons for ``duration`` ms.

    Returns ``(entry, net, spikes, w)``: the measurements (dict, JSON-ready; times in s), a
    fresh network (not run) and one thread's spikes and plastic final weights (for a
    Brian2 comparison)."""
    case = case_for(n, duration)
    net, res, spikes, r = bench.run_neurolab(case, threads=threads, repeat=repeat, log=log)
    n_steps = net.n_steps(duration)
    plastic = [k for k, pr in net.projections.items() if pr.stdp is not None]
    w = np.asarray(res.final_weights[plastic[0]]) if plastic else None
    del res
    per_thread = {}
    for t, d in r["threads"].items():
        loop, kern = d["loop_s"], d["kernel_s"]
        per_thread[t] = dict(d, events_per_s=r["events"] / loop,
                             kernel_events_per_s=r["events"] / kern if kern > 0 else None,
                             ns_per_event=1e9 * loop / r["events"] if r["events"] else None,
                             ns_per_neuron_step=1e9 * loop / (n * n_steps))
    entry = {"n": n, "key": case["key"], "duration_ms": float(duration), "n_steps": n_steps,
             **bench.net_size(net), "build_s": r["build_s"], "tables_s": r["tables_s"],
             "events": r["events"], "spikes": r["spikes"], "memory": r["memory"],
             "compiled_in_loop": r["compiled_in_loop"], "threads": per_thread}
    one = per_thread["1"]
    log(f"  loop {one['loop_s']:.3f} s (tables {r['tables_s']:.3f} s, run_steps "
        f"{bench._f(one['run_steps_s'], 3)} s), {r['events']:,} events, "
        f"{one['events_per_s'] / 1e6:.1f} M/s, {one['ns_per_event']:.1f} ns/event, "
        f"{one['ns_per_neuron_step']:.2f} ns per neuron-step, "
        f"{r['memory']['static']:g} / {r['memory']['plastic']:g} B per static / plastic "
        "synapse" + ("  [kernel compiled during the loop!]" if r["compiled_in_loop"] else ""))
    for t, d in per_thread.items():
        if t != "1":
            log(f"  threads={t}: loop {d['loop_s']:.3f} s, x{d['speedup']:.2f}, "
                f"bitwise identical to one thread: {d['identical']}")
    return entry, net, spikes, w


def measure_brian2(n, duration, net, spikes, w, workdir, repeat=1):
    """Brian2 cpp_standalone on the same network (``net`` not run); the caller has set
    the cpp_standalone device. Returns a JSON-ready dict (loop, compile, events/s, memory
    per synapse, spike-for-spike agreement with neurolab)."""
    case = case_for(n, duration)
    r = bench.run_brian2_standalone(case, net, workdir, "same", repeat=repeat)
    chk = bench.compare(net, spikes, None if w is None else (w, r.get("_w")), r)
    r.pop("_spikes", None)
    r.pop("_w", None)
    r["check"] = chk
    return r


def _write_json(report, path):
    """Write ``report`` to ``path`` atomically (temporary name, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def plot_scaling(report, path):
    """Loop time and events/s against N (see the module docstring); writes ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["sizes"]
    counts = sorted({int(t) for e in rows for t in e["threads"]})
    fig, (ax_t, ax_e) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for c, t in zip(colors, counts):
        pts = [(e["n"], e["threads"][str(t)]) for e in rows if str(t) in e["threads"]]
        ns = [p[0] for p in pts]
        label = f"neurolab, {t} thread{'s' * (t > 1)}"
        ax_t.plot(ns, [d["loop_s"] for _, d in pts], "o-", color=c, label=label + ", loop")
        ax_t.plot(ns, [max(d["kernel_s"], 1e-6) for _, d in pts], "--", color=c, lw=1,
                  label=label + ", kernel (loop - tables)")
        ax_e.plot(ns, [d["events_per_s"] / 1e6 for _, d in pts], "o-", color=c, label=label)
    b2 = [(e["n"], e["brian2_cpp"]) for e in rows if e.get("brian2_cpp")]
    if b2:
        ax_t.plot([n for n, _ in b2], [d["loop_s"] for _, d in b2], "s-", color="k",
                  label="Brian2 cpp_standalone, loop")
        ax_e.plot([n for n, _ in b2], [d["events_per_s"] / 1e6 for _, d in b2], "s-",
                  color="k", label="Brian2 cpp_standalone")
    one = [(e["n"], e["threads"]["1"]["loop_s"]) for e in rows if "1" in e["threads"]]
    if one:
        n0, t0 = one[len(one) // 2]
        ns = np.array([min(n for n, _ in one), max(n for n, _ in one)], dtype=float)
        ax_t.plot(ns, t0 * ns / n0, ":", color="0.5", label=r"$\propto N$ (linear)")
    ax_t.set(xscale="log", yscale="log", xlabel="neurons N (in-degree 100)",
             ylabel="wall time for 1 s of network time (s)",
             title="recurrent B3: loop time against N")
    ax_e.axhline(bench.TARGETS["B3r_50k_events_per_s"] / 1e6, color="0.5", ls=":",
                 label="issue 11 target at 50k, one thread")
    ax_e.set(xscale="log", xlabel="neurons N (in-degree 100)",
             ylabel="million synaptic events per second",
             title="synaptic events per second (loop)")
    ax_e.set_ylim(bottom=0)
    for ax in (ax_t, ax_e):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    m = report.get("machine", {})
    la = report.get("load_avg_start")
    fig.suptitle(f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores; neurolab "
                 f"{m.get('git_commit', '?')}; load at start "
                 f"{'/'.join(f'{x:.2f}' for x in la) if la else '?'}", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def markdown_table(report):
    """One row per size (Markdown), ready for benchmarks/README.md."""
    rows = report["sizes"]
    counts = sorted({int(t) for e in rows for t in e["threads"]})
    more = [t for t in counts if t != 1]
    lines = ["| N | synapses | loop s | tables s | kernel s | in run_steps s | Mevents/s "
             "| ns/event | ns per neuron-step | B/static syn | B/plastic syn"
             + "".join(f" | {t} threads: loop s (x) | identical" for t in more)
             + " | Brian2 cpp loop s | Brian2 Mevents/s | same spikes |",
             "|---" * (14 + 2 * len(more)) + "|"]
    for e in rows:
        d = e["threads"]["1"]
        b2 = e.get("brian2_cpp")
        cells = [f"{e['n']:,}", f"{e['n_syn']:,}", bench._f(d["loop_s"], 3),
                 bench._f(e["tables_s"], 3), bench._f(d["kernel_s"], 3),
                 bench._f(d["run_steps_s"], 3), bench._m(d["events_per_s"]),
                 bench._f(d["ns_per_event"], 1), bench._f(d["ns_per_neuron_step"], 2),
                 bench._f(e["memory"]["static"], 1), bench._f(e["memory"]["plastic"], 1)]
        for t in more:
            dt_ = e["threads"].get(str(t))
            cells += ([f"{bench._f(dt_['loop_s'], 3)} (x{bench._f(dt_['speedup'])})",
                       "yes" if dt_["identical"] else "**no**"] if dt_ else ["–", "–"])
        cells += ([bench._f(b2["loop_s"], 3), bench._m(b2["events_per_s"]),
                   {True: "yes", False: "**no**"}.get(b2["check"].get("identical_spikes"),
                                                      "–")]
                  if b2 else ["–", "–", "–"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_scaling(sizes=SIZES, duration=1000.0, threads=(1,), repeat=1, brian2=False,
                brian2_max=BRIAN2_MAX, json_path=None, log=print):
    """Measure every size in ascending order; return the report (and write it to
    ``json_path`` after each size when given)."""
    from neurolab.base import io as nlio

    threads = sorted({1, *(int(t) for t in threads)})
    supported = bench.threads_supported()
    report = {"machine": dict(bench.machine_info(), **nlio.versions()),
              "load_avg_start": bench._loadavg(), "duration_ms": float(duration),
              "threads": {"requested": threads, "supported": supported},
              "repeat": int(repeat), "sizes": []}
    if not supported and threads != [1]:
        log(f"threads {threads} asked for: net.run takes no threads= in this neurolab; "
            "one (default) thread only")
    log(f"load average {bench._la(report['load_avg_start'])}; warming the kernel ...")
    bench.warm_kernel()
    for t in threads if supported else ():
        bench.warm_kernel(t)
    b2 = workdir = None
    if brian2 and any(n <= brian2_max for n in sizes):
        import brian2 as b2

        b2.prefs.logging.console_log_level = "WARNING"
        workdir = tempfile.mkdtemp(prefix="neurolab_scaling_b2_")
    try:
        for n in sorted(sizes):
            log(f"[N = {n:,}] neurolab, {duration / 1000:g} s of network time ...")
            entry, net, spikes, w = measure_size(n, duration, threads, repeat, log)
            entry["load_avg"] = bench._loadavg()
            if b2 is not None and n <= brian2_max:
                log(f"[N = {n:,}] Brian2 cpp_standalone ...")
                b2.set_device("cpp_standalone", build_on_run=False)
                try:
                    r = measure_brian2(n, duration, net, spikes, w, workdir, repeat)
                finally:
                    b2.set_device("runtime")
                entry["brian2_cpp"] = r
                log(f"  loop {r['loop_s']:.3f} s, compile {r['compile_s']:.1f} s, "
                    f"{r['events_per_s'] / 1e6:.1f} M/s, identical spikes: "
                    f"{r['check'].get('identical_spikes')}")
            del net, spikes, w
            report["sizes"].append(entry)
            report["load_avg_end"] = bench._loadavg()
            if json_path:
                _write_json(report, json_path)
    finally:
        if workdir:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)),
                    help="comma-separated network sizes N (default 1k ... 200k)")
    ap.add_argument("--duration", type=float, default=1000.0,
                    help="network time per run, ms (default 1000)")
    ap.add_argument("--threads", default=",".join(map(str, bench.default_threads())),
                    help="thread counts, e.g. 1,2 (default 1,2 on >= 2 cores)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per loop (median)")
    ap.add_argument("--brian2", action="store_true",
                    help="also Brian2 cpp_standalone for N <= --brian2-max")
    ap.add_argument("--brian2-max", type=int, default=BRIAN2_MAX,
                    help=f"largest N run with Brian2 (default {BRIAN2_MAX})")
    ap.add_argument("--json", default=str(HERE / "scaling.json"), help="results (JSON)")
    ap.add_argument("--plot", default=str(HERE / "scaling.png"), help="figure (PNG)")
    args = ap.parse_args(argv)
    try:
        sizes = bench.parse_int_list("--sizes", args.sizes)
        threads = bench.parse_int_list("--threads", args.threads)
    except ValueError as err:
        ap.error(str(err))
    if args.repeat < 1:
        ap.error(f"--repeat must be an integer >= 1, got {args.repeat}")
    if not (args.duration > 0 and math.isfinite(args.duration)):
        ap.error(f"--duration must be a positive number of ms, got {args.duration}")
    t0 = time.perf_counter()
    report = run_scaling(sizes, args.duration, threads, args.repeat, args.brian2,
                         args.brian2_max, json_path=args.json)
    report["options"] = {"sizes": list(sizes), "duration": args.duration,
                         "threads": list(threads), "repeat": args.repeat,
                         "brian2": args.brian2, "brian2_max": args.brian2_max,
                         "command": " ".join([Path(sys.executable).name] + sys.argv),
                         "wall_s": time.perf_counter() - t0}
    _write_json(report, args.json)
    plot_scaling(report, args.plot)
    print()
    print(markdown_table(report))
    print(f"\nresults written to {args.json}, figure to {args.plot} "
          f"({report['options']['wall_s']:.0f} s in all)")
    return report


if __name__ == "__main__":
    main()
