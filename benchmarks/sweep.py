"""`neurolab sweep` on one machine: 1 worker against 2, and the cost of the sweep machinery.

Run from the repository root, on an idle machine (it prints the load average before and
after)::

    python benchmarks/sweep.py                      # 16 points of 03_song_abbott (seeds)
    python benchmarks/sweep.py --quick              # 4 points of 1 s each: a smoke run
    python benchmarks/sweep.py --points 16 --duration-s 20 --workers 1,2 --json out.json

What runs: ``03_song_abbott`` (1000 Poisson inputs onto one conductance LIF neuron,
additive STDP) swept over ``seed`` = 0 ... POINTS - 1 with ``duration_s`` fixed (one
value given as a swept key, so every point runs it) and its extra runs left out
(``input_rates`` and ``depression_ratios`` empty), in a temporary copy of the repository
(the checkout's data/ and results/ are never touched). The numba cache is warmed first by
one run outside the timings, so that no measurement pays the kernel's compile.

Measured (wall-clock, ``time.perf_counter``):

- ``alone``: one point run ``--alone`` times through ``execute``, the papermill
  runner every point uses, without Dask, locks, staging-install or manifests: the cost of
  "running the notebook alone" (kernel start, imports, the simulation, saving, figures);
- for each worker count: the cluster start (``LocalCluster``, one thread per worker), and
  the sweep of every point (``sweep.run_sweep``: Dask tasks, per-point locks, install,
  point records, manifest rewrites, the summary table and figure);
- ``speed-up`` = sweep wall time with 1 worker / with N workers (near N on N idle cores:
  points are independent; less when the cores are shared);
- ``overhead per point`` = (sweep wall time with 1 worker) / points - ``alone`` (what the
  sweep machinery adds to each point when points run one after the other).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def make_repo(folder: Path, notebook: str) -> Path:
    """A repository with one notebook (a copy of the checkout's), nothing else."""
    (folder / "notebooks").mkdir(parents=True)
    shutil.copy(REPO / "pyproject.toml", folder / "pyproject.toml")
    shutil.copy(REPO / "notebooks" / f"{notebook}.ipynb", folder / "notebooks")
    return folder


def time_alone(root: Path, notebook: str, params: dict, repeat: int) -> list[float]:
    """Wall times of ``repeat`` runs of one point through the papermill runner alone."""
    from neurolab.lab.notebooks import check_parameters, find_notebook
    from neurolab.lab.runner import execute

    nb = find_notebook(notebook, root)
    times = []
    for _ in range(repeat):
        stage = Path(tempfile.mkdtemp(prefix="alone-", dir=root))
        t0 = time.perf_counter()
        execute(nb, check_parameters(nb, params), stage, root=root,
                         timeout=1800, progress_bar=False)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(stage)
    return times


def time_sweep(root: Path, notebook: str, specs, workers: int) -> dict:
    """Start a LocalCluster of ``workers`` processes and run the sweep on it."""
    import logging

    from distributed import Client, LocalCluster

    from neurolab.lab import sweep

    plan = sweep.plan(notebook, specs, root=root, sweep_id=f"bench-{workers}w")
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    started = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        out = sweep.run_sweep(plan, client=client, progress=False, log=lambda s: None)
        wall = time.perf_counter() - t1
    finally:
        client.close()
        cluster.close()
    if out.ok != len(plan.ids):
        raise SystemExit(f"{out.failed} points failed: {[f['error'] for f in out.failures]}")
    manifest = json.loads(plan.manifest_path.read_text())
    run_times = [p["run_time_s"] for p in manifest["points"]]
    return {"workers": workers, "points": len(plan.ids), "cluster_start_s": started,
            "wall_s": wall, "point_run_time_median_s": statistics.median(run_times),
            "point_workers": sorted({p["worker"] for p in manifest["points"]})}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--notebook", default="03_song_abbott")
    parser.add_argument("--points", type=int, default=16, help="seeds 0 ... POINTS-1")
    parser.add_argument("--duration-s", type=float, default=20.0,
                        help="biological time of every point (s; the notebook's default)")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare")
    parser.add_argument("--alone", type=int, default=3, help="runs of one point alone")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 4 points of 1 s, one run alone")
    parser.add_argument("--json", default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.duration_s, args.alone = 4, 1.0, 1
    workers = [int(w) for w in args.workers.split(",")]
    if args.points < 1 or args.alone < 1 or min(workers) < 1:
        parser.error("--points, --alone and every --workers count must be >= 1")
    specs = [("seed", f"0:{args.points}"), ("duration_s", repr(args.duration_s))]
    point = {"seed": 0, "duration_s": args.duration_s}
    # 03_song_abbott's extra runs (rate regulation at 4 input rates, 3 A_minus/A_plus
    # ratios) are left out: every point runs the one network the notebook is about
    from neurolab.lab.notebooks import find_notebook, notebook_parameters
    declared = notebook_parameters(find_notebook(args.notebook, REPO))
    for key in ("input_rates", "depression_ratios"):
        if key in declared:
            specs.append((key, "[]"))
            point[key] = []
    before = load()
    print(f"load average before: {before}  (cores: {os.cpu_count()})")
    print(f"{args.notebook}: {args.points} points (seed 0..{args.points - 1}), "
          f"duration_s {args.duration_s:g}")
    with tempfile.TemporaryDirectory(prefix="neurolab-bench-sweep-") as tmp:
        tmp = Path(tmp)
        alone_root = make_repo(tmp / "alone", args.notebook)
        time_alone(alone_root, args.notebook, point, 1)          # warms numba's cache
        alone = time_alone(alone_root, args.notebook, point, args.alone)
        t_alone = statistics.median(alone)
        print(f"alone (papermill runner, no Dask): median {t_alone:.2f} s of "
              f"{[round(t, 2) for t in alone]}")
        rows = []
        for n in workers:
            row = time_sweep(make_repo(tmp / f"w{n}", args.notebook), args.notebook,
                             specs, n)
            rows.append(row)
            print(f"{n} worker(s): cluster start {row['cluster_start_s']:.2f} s, sweep "
                  f"{row['wall_s']:.2f} s ({row['wall_s'] / row['points']:.2f} s/point), "
                  f"median point run {row['point_run_time_median_s']:.2f} s")
    base = next((r for r in rows if r["workers"] == 1), None)
    summary = {"notebook": args.notebook, "points": args.points,
               "duration_s": args.duration_s, "alone_s": alone, "alone_median_s": t_alone,
               "runs": rows, "load_before": before, "load_after": load()}
    print()
    print("| workers | sweep wall (s) | s / point | speed-up vs 1 worker |")
    print("|---:|---:|---:|---:|")
    for r in rows:
        speed = base["wall_s"] / r["wall_s"] if base else float("nan")
        r["speedup"] = speed
        print(f"| {r['workers']} | {r['wall_s']:.1f} | {r['wall_s'] / r['points']:.2f} | "
              f"{speed:.2f}x |")
    if base:
        overhead = base["wall_s"] / base["points"] - t_alone
        summary["overhead_per_point_s"] = overhead
        print(f"\nper-point overhead of the sweep machinery (1 worker): "
              f"{overhead:+.2f} s on {t_alone:.2f} s alone ({overhead / t_alone:+.0%})")
    print(f"load average after: {summary['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
