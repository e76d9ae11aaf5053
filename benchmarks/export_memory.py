"""Peak memory of ``SimResult.to_nwb`` on a Song-Abbott-sized weight record (issue 22).

Run from the repository root::

    python benchmarks/export_memory.py                    # 20 s of weights at 1 ms (160 MB)
    python benchmarks/export_memory.py --duration-s 100   # the issue's case (800 MB)
    python benchmarks/export_memory.py --simulate --duration-s 100   # from a real run

What is measured: the resident set size (RSS, ``psutil``, sampled every 2 ms by a thread)
while ``to_nwb`` writes the run, minus the RSS just before; printed as a multiple of the
weight array's size (pynwb and hdmf are imported before, so that their import, ~100 MiB
once per process, is not counted). "Holding at most one copy of the weight array" means the extra is well
under 1.0 (hdmf writes the array chunk by chunk from the run's own buffer). By default the
result is built directly (1000 synapses, weights drawn bimodal near 0 and w_max as STDP
leaves them, one sample per ms), which isolates the export; ``--simulate`` runs the
network instead (1000 Poisson inputs at 15 Hz onto one conductance LIF, additive STDP, all
weights sampled at 1 ms), which takes minutes at 100 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

import neurolab as nl


def synthetic(duration_s: float, n_syn: int = 1000) -> nl.SimResult:
    n = int(round(duration_s * 1000)) + 1
    rng = np.random.default_rng(0)
    w = np.empty((n, n_syn))
    w[:] = np.where(rng.random(n_syn) < 0.5, 0.0, 0.01)        # a bimodal end state
    w += rng.normal(0.0, 1e-4, size=(n, n_syn)).cumsum(axis=0) * 1e-2
    res = nl.SimResult(dt=0.1, duration=duration_s * 1000, t_end=duration_s * 1000,
                       interrupted=False, seed=0, params={})
    res.populations.update(inp=n_syn, out=1)
    res.projections["inp->out"] = ("inp", "out")
    res.connectivity["inp->out"] = (np.arange(n_syn), np.zeros(n_syn, dtype=np.int64))
    res.final_weights["inp->out"] = w[-1].copy()
    res.weights["inp->out"] = nl.WeightRecord(np.arange(n) * 1.0, np.arange(n_syn),
                                              np.arange(n_syn), np.zeros(n_syn, int), w)
    res.spikes["out"] = nl.SpikeRecord(np.arange(1.0, duration_s * 1000, 97.3),
                                       np.zeros(int(np.ceil((duration_s * 1000 - 1) / 97.3)),
                                                dtype=np.int64), 1)
    return res


def simulated(duration_s: float) -> nl.SimResult:
    net = nl.Network(dt=0.1, seed=0)
    inp = net.add_poisson("inp", n=1000, rates=15.0)
    out = net.add_lif("out", n=1, params=nl.LIFParams(synapse="conductance", v_rest=-74.0,
                                                      v_th=-54.0, v_reset=-60.0, tau_e=5.0))
    proj = net.connect(inp, out, weight=("uniform", 0.0, 0.01),
                       stdp=nl.STDPParams(w_max=0.01, A_plus=1e-4, A_minus=1.05e-4))
    return net.run(duration_s * 1000, record_weights={proj.name: "all"}, weight_dt=1.0,
                   progress=False)


def peak_during(fn) -> tuple:
    proc = psutil.Process(os.getpid())
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.002)

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    t0 = time.perf_counter()
    try:
        fn()
    finally:
        done.set()
        th.join()
    return base, peak[0], time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration-s", type=float, default=20.0)
    ap.add_argument("--simulate", action="store_true")
    args = ap.parse_args()
    res = simulated(args.duration_s) if args.simulate else synthetic(args.duration_s)
    w = res.weights["inp->out"].w
    print(f"weight record {w.shape} float64: {w.nbytes / 2**20:.0f} MiB")
    import hdmf.common  # noqa: F401  (imports are not the export: pynwb, hdmf, pandas
    import pynwb  # noqa: F401             take ~100 MiB of their own, once per process)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.nwb"
        base, peak, secs = peak_during(lambda: res.to_nwb(path))
        size = path.stat().st_size
    extra = peak - base
    print(f"to_nwb: {secs:.1f} s, file {size / 2**20:.0f} MiB; RSS before {base / 2**20:.0f} "
          f"MiB, peak {peak / 2**20:.0f} MiB: +{extra / 2**20:.0f} MiB = "
          f"{extra / w.nbytes:.2f} x the weight array")


if __name__ == "__main__":
    main()
