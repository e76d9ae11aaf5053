"""How fast the live explorers answer a slider: in the kernel and in a real browser.

Run from the repository root (on an idle machine; it prints the load average)::

    python benchmarks/explorer.py [--repeat N] [--browser [--drags N]]

In the kernel (always): the default ``stdp_explorer`` and ``neuron_explorer`` of
``neurolab.course.explorer`` are opened (the numba kernel is compiled or loaded from numba's
cache then, timed apart as ``open``), then a slider is moved by program ``--repeat`` times
(``A_plus`` of the STDP explorer, ``I`` of the neuron explorer, back and forth over a small
range, so that the axis ranges stay and each update blits, as most updates of a drag do)
and once over a range that changes an axis (a full redraw). Each update is timed from the
slider change to the PNG of the changed pixels handed to the widget's comm: simulate +
update the artists + render + encode, i.e. the kernel's share of one frame. The canvas is
put in the state it has once a browser has connected (no data-URL copy per frame).
Printed: the median and the 90th percentile of the wall time, the median CPU time of the
process (what an update costs whatever else the machine runs: on a loaded machine the wall
time is larger), and the simulation alone (``stdp_run``).

With ``--browser``: JupyterLab on 127.0.0.1 (a free port) and headless Chromium through
``tests/course/browser_harness.py``: ``notebooks/course/lesson4_explorer.ipynb`` is opened, all
its cells run, then its STDP explorer's ``A_plus`` slider is dragged with the mouse
``--drags`` times; printed: the time from mouse-up to the last change of the figure's
pixels (median and each drag), and how often the figure changed during each drag. Needs
the system's ``chromium`` and the dev extra (playwright).

This is a benchmark, not a test: it asserts nothing; the issue's targets (100 ms in the
kernel, 250 ms in the browser, on the 2-core machine) are printed beside the numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for p in (REPO, REPO / "tests" / "course"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

os.environ.setdefault("MPLBACKEND", "Agg")


def load() -> str:
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "load average unknown"


def pct(xs, q):
    return float(np.percentile(np.asarray(xs), q))


def kernel(repeat: int) -> dict:
    from neurolab.course import explorer as E

    out = {}
    cases = (("stdp_explorer", E.stdp_explorer, "A_plus", (0.050, 0.056), 0.15),
             ("neuron_explorer", E.neuron_explorer, "I", (20.0, 24.0), None))
    for name, make, slider, (lo, hi), far in cases:
        t0 = time.perf_counter()
        ex = make(backend="ipympl")
        opened = time.perf_counter() - t0
        ex.canvas.syncing_data_url = False      # as once a browser has connected
        values = np.linspace(lo, hi, 6)
        values = np.concatenate([values, values[::-1]])
        start = ex.n_updates
        full0 = ex.n_full_draws
        k = 0
        while ex.n_updates - start < repeat:
            ex.set(**{slider: float(values[k % values.size])})
            k += 1
        blit = ex.update_times[start:]
        cpu = ex.update_cpu_times[start:]
        n_full = ex.n_full_draws - full0
        full = None
        if far is not None:
            ex.set(**{slider: far})
            full = ex.update_times[-1]
            ex.set(**{slider: float(values[0])})
        out[name] = dict(open=opened, median=statistics.median(blit), p90=pct(blit, 90),
                         cpu=statistics.median(cpu), n=len(blit), full_draws=n_full,
                         full=full)
        ex.close()
    sim = []
    E.stdp_run()
    for _ in range(max(3, repeat // 3)):
        t0 = time.perf_counter()
        E.stdp_run()
        sim.append(time.perf_counter() - t0)
    out["stdp_run"] = statistics.median(sim)
    return out


def browser(drags: int) -> list:
    from browser_harness import measure_slider_latency

    return measure_slider_latency(REPO / "notebooks/course/lesson4_explorer.ipynb",
                                  repeats=drags, explorer=0, slider=0, fraction=0.1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=30, help="programmatic moves per explorer")
    ap.add_argument("--browser", action="store_true", help="also drag in JupyterLab + Chromium")
    ap.add_argument("--drags", type=int, default=5, help="mouse drags (--browser)")
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.drags < 1:
        ap.error("--repeat and --drags must be >= 1")
    print(f"{os.cpu_count()} cores; before: {load()}")
    k = kernel(args.repeat)
    print("\nin the kernel: slider change -> new pixels handed to the comm "
          "(target <= 100 ms for the STDP explorer)")
    print(f"{'explorer':16s} {'open (s)':>9s} {'median (ms)':>12s} {'p90 (ms)':>9s} "
          f"{'CPU median (ms)':>16s} {'n':>4s} {'full redraw (ms)':>17s}")
    for name in ("stdp_explorer", "neuron_explorer"):
        r = k[name]
        full = f"{1000 * r['full']:.0f}" if r["full"] is not None else "-"
        print(f"{name:16s} {r['open']:9.2f} {1000 * r['median']:12.1f} {1000 * r['p90']:9.1f} "
              f"{1000 * r['cpu']:16.1f} {r['n']:4d} {full:>17s}")
    print(f"stdp_run alone (simulation of the default STDP explorer): "
          f"{1000 * k['stdp_run']:.1f} ms")
    if args.browser:
        res = browser(args.drags)
        lat = [r.latency_s for r in res]
        print("\nin the browser (lesson 4, STDP explorer, slider "
              f"{res[0].slider!r}): mouse-up -> last change of the figure's pixels "
              "(target <= 250 ms)")
        print(f"median {1000 * statistics.median(lat):.0f} ms; each: "
              + ", ".join(f"{1000 * x:.0f}" for x in lat) + " ms")
        print("figure changes during each drag: "
              + ", ".join(str(r.changes_during_drag) for r in res)
              + "; after release: " + ", ".join(str(r.changes_after_release) for r in res)
              + "; pixels changed: " + ", ".join(str(r.pixels_changed) for r in res))
    print(f"\nafter: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
