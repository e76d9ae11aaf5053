"""Cold start: how long a first simulation waits for numba, against 0.5.0, side by side.

Run from the repository root::

    python benchmarks/compile.py [--repeat R] [--baseline REV] [--no-baseline]
                                 [--kernels] [--notebooks NAME,NAME]

Every measurement runs in a fresh Python process (``NEUROLAB_BACKGROUND_COMPILE=0``):

- **quickstart**: the README's quickstart network (1000 Poisson inputs onto 10 delta LIF
  neurons with all-to-all STDP, 1 s), timed from ``import neurolab`` to the result, with an
  EMPTY numba cache (a fresh install) and again with the cache that run filled (warm);
  for this tree and for the baseline (0.5.0 by default; ``--baseline main`` compares with the
  main branch before a kernel change: the tree of ``REV`` exported with
  ``git archive`` into a temporary folder and put first on ``PYTHONPATH``); median of R.
  Each tree's modules are byte-compiled first (``compileall``, into their ``__pycache__``),
  as an installed package has them: with ``PYTHONDONTWRITEBYTECODE=1`` in the environment
  and no ``.pyc``, every process would compile neurolab's sources again (~0.07 s of a warm
  start measured on the development machine, a cost no installation pays);
  ``--no-compileall`` measures the sources as they are.
- **kernels** (``--kernels``, this tree): ``neurolab warmup --kernel NAME`` per kernel
  from an empty cache; the whole warm-up from an empty cache; and its second call.
- **notebooks** (``--notebooks``): ``neurolab reproduce NAME`` on a temporary clone, with
  an empty cache, after ``neurolab warmup``, and warm.

The machine's load average is printed before and after: compile times are CPU-bound, so
compare only numbers taken in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "46c39ce"        # neurolab 0.5.0 as released (before the 0.6 work)

QUICKSTART = """
import time
t0 = time.perf_counter()
import neurolab as nl
p = nl.LIFParams(tau_m=10.0, v_rest=-70.0, v_th=-54.0, v_reset=-60.0, refractory=0.0,
                 synapse="delta", tau_e=5.0, tau_i=10.0, E_e=0.0, E_i=-80.0)
s = nl.STDPParams(A_plus=0.01, A_minus=0.0105, tau_plus=20.0, tau_minus=20.0,
                  w_min=0.0, w_max=1.0, pairing="all_to_all", mu=0.0)
net = nl.Network(dt=0.1, seed=0)
inp = net.add_poisson("inp", n=1000, rates=15.0)
stim = net.add_spikes("stim", n=3, times=[1.0, 2.5], indices=[0, 2])
exc = net.add_lif("exc", n=10, params=p)
proj = net.connect(inp, exc, rule="all_to_all", weight=0.5, delay=0.0, stdp=s)
res = net.run(1000.0, record_weights={proj.name: "all"}, weight_dt=1.0)
t1 = time.perf_counter()
print("SECONDS", t1 - t0, "SPIKES", res.spikes["exc"].t.size)
"""


def _env(cache, pythonpath=None):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NEUROLAB_BACKGROUND_COMPILE="0",
               MPLBACKEND="Agg")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def _quickstart(cache, pythonpath=None):
    out = subprocess.run([sys.executable, "-c", QUICKSTART], env=_env(cache, pythonpath),
                         capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    words = out.stdout.split()
    return float(words[words.index("SECONDS") + 1]), int(words[words.index("SPIKES") + 1])


def _timed(cmd, env, cwd=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=cwd)
    return time.perf_counter() - t0


def _load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _export(rev, dest):
    """The tree of ``rev`` (a commit of this repository) in ``dest``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def _byte_compile(tree):
    """Write the ``.pyc`` of ``tree``'s package, as installing it does."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "neurolab")],
                   check=True, capture_output=True)


def quickstart(repeat, baseline, compileall=True):
    trees = {"this tree": ROOT}
    tmp = Path(tempfile.mkdtemp(prefix="nl-compile-"))
    try:
        if baseline:
            base = tmp / "baseline"
            base.mkdir()
            _export(baseline, base)
            label = "0.5.0" if baseline == BASELINE else "baseline"
            trees[f"{label} ({baseline})"] = base
        if compileall:
            for tree in trees.values():
                _byte_compile(tree)
        rows = {name: {"cold": [], "warm": []} for name in trees}
        spikes = {}
        for r in range(repeat):           # interleaved, so that load drifts hit both
            for name, tree in trees.items():
                cache = tmp / f"cache-{r}-{len(spikes)}-{abs(hash(name))}"
                cold, n = _quickstart(cache, tree)
                warm, n2 = _quickstart(cache, tree)
                assert n == n2
                spikes[name] = n
                rows[name]["cold"].append(cold)
                rows[name]["warm"].append(warm)
        print(f"\nquickstart, import -> result (median of {repeat}, s; "
              f"{'byte-compiled' if compileall else 'sources as they are'}):")
        print(f"{'tree':24s} {'empty cache':>12s} {'warm cache':>11s} {'spikes':>7s}")
        for name in trees:
            print(f"{name:24s} {statistics.median(rows[name]['cold']):12.2f} "
                  f"{statistics.median(rows[name]['warm']):11.2f} {spikes[name]:7d}")
        if baseline:
            names = list(trees)
            for kind in ("cold", "warm"):
                ratio = (statistics.median(rows[names[0]][kind])
                         / statistics.median(rows[names[1]][kind]))
                print(f"ratio this tree / {names[1]}, {kind}: {ratio:.2f}x")
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def kernels():
    from neurolab.lab.warmup import KERNELS

    tmp = Path(tempfile.mkdtemp(prefix="nl-kernels-"))
    cli = [sys.executable, "-m", "neurolab.cli", "warmup", "--quiet"]
    try:
        print("\nneurolab warmup, empty cache, one kernel per process (s):")
        out = {}
        for name in KERNELS:
            out[name] = _timed(cli + ["--kernel", name], _env(tmp / f"k-{name}"))
            print(f"  {name:14s} {out[name]:6.1f}")
        out["all, empty cache"] = _timed(cli, _env(tmp / "all"))
        out["all, second call"] = _timed(cli, _env(tmp / "all"))
        for key in ("all, empty cache", "all, second call"):
            print(f"  {key:14s} {out[key]:6.1f}  (process start included)")
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def notebooks(names):
    tmp = Path(tempfile.mkdtemp(prefix="nl-notebooks-"))
    try:
        clone = tmp / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        out = {}
        print("\nneurolab reproduce NAME on a fresh clone (s): empty cache / after warmup / "
              "warm")
        for name in names:
            cmd = [sys.executable, "-m", "neurolab.cli", "reproduce", name, "--root",
                   str(clone), "--no-verify"]
            cold = _timed(cmd + ["--no-warmup"], _env(tmp / f"cold-{name}"))
            env = _env(tmp / f"warmed-{name}")
            subprocess.run([sys.executable, "-m", "neurolab.cli", "warmup", "--quiet"],
                           env=env, check=True, capture_output=True)
            warmed = _timed(cmd, env)
            warm = _timed(cmd, env)
            out[name] = {"empty cache": cold, "after warmup": warmed, "warm": warm}
            print(f"  {name:24s} {cold:7.1f} {warmed:7.1f} {warm:7.1f}   "
                  f"(empty - warm: {cold - warm:+.1f} s)")
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="quickstart runs per tree")
    ap.add_argument("--baseline", default=BASELINE, help="the commit compared with")
    ap.add_argument("--no-baseline", action="store_true", help="this tree only")
    ap.add_argument("--no-compileall", action="store_true",
                    help="do not byte-compile the trees first (measure the sources as they are)")
    ap.add_argument("--kernels", action="store_true", help="per-kernel warm-up times")
    ap.add_argument("--notebooks", default="",
                    help="comma-separated notebooks to reproduce cold, warmed and warm")
    ap.add_argument("--json", default=None, help="write the numbers as JSON here")
    args = ap.parse_args(argv)
    print(f"load average before: {_load()} ({os.cpu_count()} cores)")
    result = {"quickstart": quickstart(args.repeat,
                                       None if args.no_baseline else args.baseline,
                                       compileall=not args.no_compileall)}
    if args.kernels:
        result["kernels"] = kernels()
    if args.notebooks:
        result["notebooks"] = notebooks([n for n in args.notebooks.split(",") if n])
    print(f"load average after: {_load()}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
