"""Steady-state loop of two neurolab trees side by side: B1, B2, B3r-50k (``bench.py``'s
networks), each tree in its own fresh processes, the trees alternating row by row.

Run from the repository root::

    python benchmarks/loop_ab.py /path/to/other/tree [--rows B1,B2,B3r-50k] [--repeat 2]

Per tree and row, one process builds the network, runs it once for 0.1 ms (compiling the
kernel or loading it from that tree's own numba cache, a temporary folder), then times
``net.run`` (all spikes recorded) three times and prints the minimum, every time, and a
SHA-256 prefix of the spikes: the two trees must print the same digests. The load average
is printed with every line; compare only lines of one run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import hashlib, sys, time
import numpy as np
import neurolab                     # the tree on PYTHONPATH, before bench puts ROOT first
sys.path.insert(0, sys.argv[2])
import bench

key = sys.argv[1]
cases = {c["key"]: c for c in bench.make_cases(b3r_sizes=(1000, 50000), b3_sizes=(1000,))}
case = cases[key]
case["build"]().run(0.1, progress=False, record_spikes="all")
times = []
for _ in range(3):
    net = case["build"]()
    t0 = time.perf_counter()
    res = net.run(case["duration"], progress=False, record_spikes="all")
    times.append(time.perf_counter() - t0)
h = hashlib.sha256()
for name in sorted(res.spikes):
    h.update(np.asarray(res.spikes[name].t).tobytes())
    h.update(np.asarray(res.spikes[name].i).tobytes())
print(f"{min(times):.3f} [{' '.join(f'{t:.3f}' for t in times)}] {h.hexdigest()[:16]}")
"""


def _load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("other", help="the other tree (a folder holding neurolab/)")
    ap.add_argument("--rows", default="B1,B2,B3r-50k", help="bench.py keys, comma-separated")
    ap.add_argument("--repeat", type=int, default=2, help="rounds (each: every row, both trees)")
    args = ap.parse_args(argv)
    trees = {"this tree": ROOT, "other": Path(args.other).resolve()}
    with tempfile.TemporaryDirectory(prefix="nl-loop-ab-") as tmp:
        print(f"load average before: {_load()} ({os.cpu_count()} cores)")
        for r in range(args.repeat):
            for key in args.rows.split(","):
                for i, (name, tree) in enumerate(trees.items()):
                    env = dict(os.environ, PYTHONPATH=str(tree), MPLBACKEND="Agg",
                               NEUROLAB_BACKGROUND_COMPILE="0",
                               NUMBA_CACHE_DIR=str(Path(tmp) / f"cache-{i}"))
                    out = subprocess.run([sys.executable, "-c", CHILD, key,
                                          str(ROOT / "benchmarks")], env=env, check=True,
                                         capture_output=True, text=True, cwd=tmp)
                    print(f"{r + 1} {key:8s} {name:10s} {out.stdout.strip().splitlines()[-1]}"
                          f"   load {_load()}", flush=True)
        print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
