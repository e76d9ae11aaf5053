"""`neurolab sweep` on one machine: 1 worker against 2, and the cost of the sweep machinery.

Run from the repository root, on an idle machine (it prints the load average before and
after)::

    python benchmarks/sweep.py                      # 16 points of 03_song_abbott (seeds)
    python benchmarks/sweep.py --quick              # 4 points of 1 s each: a smoke run
    python benchmarks/sweep.py --points 16 --duration-s 20 --workers 1,2 --json out.json
    python benchmarks/sweep.py --bookkeeping        # 100, 1000, 10000 stubbed points
    python benchmarks/sweep.py --bookkeeping --sizes 100,1000 --workers 2

``--bookkeeping`` measures what the sweep machinery costs per point when the points
themselves cost nothing (issue 24 item 5: under 10 ms, flat from 100 to 10 000 points).
The notebook run (``execute``) is replaced, in the worker processes of a ``LocalCluster``,
by a stub that writes one small file into the point's staging folder; everything else is
the real sweep: the plan, the Dask tasks, the per-point lock, staging and install,
``point.json`` with the artifact's sha256, the journal line, the progress bookkeeping, the
summary and the manifest at the start and the end. Printed per size: the plan, the sweep's
wall time and wall time per point, the same without the manifest and summary written at
the start and end (once per sweep), the CPU time per point (this process, which also runs
the scheduler, and the worker processes: less sensitive to other jobs' load than wall
time), and a rerun of the finished sweep (every point found
done and verified: the cost of resuming). "old" is what the sweep before the journal added
per point on top: one rewrite of the whole manifest per point, measured here as the
rewrite with half of the points finished (the average over a sweep).

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


# ----------------------------------------------------------------------------- bookkeeping
def _stub_execute(notebook, params, stage, **kw):
    """Stands in for the notebook run: one small file, as a notebook's data would be."""
    out = Path(stage) / "data" / "raw" / "toy"
    out.mkdir(parents=True)
    (out / "values.txt").write_text(repr(params))


def _install_stub():
    from neurolab.lab import sweep

    sweep.execute = _stub_execute


def _toy_repo(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    cell = new_code_cell("b = 0  # the swept value")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    (folder / "notebooks").mkdir(parents=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'toy'\n")
    nbformat.write(nb, str(folder / "notebooks" / "01_toy.ipynb"))
    return folder


def bookkeeping(sizes, workers: int, rewrites: int = 5) -> list[dict]:
    """Stubbed sweeps of each size on one ``LocalCluster`` of ``workers`` processes."""
    import logging

    from distributed import Client, LocalCluster

    from neurolab.lab import sweep

    rows = []
    with tempfile.TemporaryDirectory(prefix="neurolab-bench-sweep-") as tmp, \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         host="127.0.0.1", dashboard_address=None,
                         silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.run(_install_stub)
        warm = _toy_repo(Path(tmp) / "warm-up")          # the workers' first tasks load
        sweep.run_sweep(sweep.plan("01_toy", [("b", "0:20")], root=warm),   # code: not
                        client=client, progress=False, log=lambda s: None)  # measured
        for n in sizes:
            root = _toy_repo(Path(tmp) / f"n{n}")
            t0 = time.perf_counter()
            grid = sweep.plan("01_toy", [("b", f"0:{n}")], root=root)
            planned = time.perf_counter() - t0
            once = {"manifest": 0.0, "summary": 0.0}
            real_manifest, real_summary = sweep._write_manifest, sweep.write_summary

            def timed(name, func, once=once):
                def wrapper(*a, **kw):
                    t = time.perf_counter()
                    try:
                        return func(*a, **kw)
                    finally:
                        once[name] += time.perf_counter() - t
                return wrapper

            sweep._write_manifest = timed("manifest", real_manifest)
            sweep.write_summary = timed("summary", real_summary)
            try:
                cpu0 = _cpu(client)
                t1 = time.perf_counter()
                out = sweep.run_sweep(grid, client=client, progress=False,
                                      log=lambda s: None)
                wall = time.perf_counter() - t1
                cpu = _cpu(client) - cpu0
            finally:
                sweep._write_manifest, sweep.write_summary = real_manifest, real_summary
            if out.ok != n:
                raise SystemExit(f"{out.failed} of {n} points failed: "
                                 f"{[f['error'] for f in out.failures[:3]]}")
            t2 = time.perf_counter()
            again = sweep.run_sweep(grid, client=client, progress=False, log=lambda s: None)
            resume = time.perf_counter() - t2
            assert (again.skipped, again.ran) == (n, 0)
            # the sweep before the journal rewrote the whole manifest after every point
            half = set(grid.ids[: n // 2])
            records = {pid: rec for pid, rec in _records(grid).items() if pid in half}
            t3 = time.perf_counter()
            for _ in range(rewrites):
                real_manifest(grid, records)
            rewrite = (time.perf_counter() - t3) / rewrites
            row = {"points": n, "workers": workers, "plan_s": planned, "wall_s": wall,
                   "per_point_ms": 1e3 * wall / n, "cpu_per_point_ms": 1e3 * cpu / n,
                   "per_point_running_ms": 1e3 * (wall - once["manifest"]
                                                  - once["summary"]) / n,
                   "start_end_s": once["manifest"] + once["summary"],
                   "resume_per_point_ms": 1e3 * resume / n,
                   "old_rewrite_per_point_ms": 1e3 * rewrite}
            rows.append(row)
            print(f"{n:>6} points: plan {planned:.2f} s, sweep {wall:.2f} s = "
                  f"{row['per_point_ms']:.2f} ms/point ({row['per_point_running_ms']:.2f} "
                  f"without the manifest and summary at start and end, "
                  f"{row['start_end_s']:.2f} s), CPU {row['cpu_per_point_ms']:.2f} "
                  f"ms/point; rerun when all done "
                  f"{row['resume_per_point_ms']:.2f} ms/point; old: + "
                  f"{row['old_rewrite_per_point_ms']:.2f} ms/point (manifest rewrite)",
                  flush=True)
    return rows


def _process_cpu() -> float:
    return time.process_time()


def _cpu(client) -> float:
    """CPU seconds used so far by this process (the command, the scheduler) and by the
    cluster's worker processes: unlike wall time, little changed by other jobs' load."""
    return time.process_time() + sum(client.run(_process_cpu).values())


def _records(grid) -> dict:
    from neurolab.lab.sweep_records import load_sweep_manifest

    return {p["id"]: p for p in load_sweep_manifest(grid.manifest_path)["points"]}


def main_bookkeeping(args) -> int:
    sizes = [int(x) for x in args.sizes.split(",")]
    workers = int(args.workers.split(",")[-1])
    before = load()
    print(f"load average before: {before}  (cores: {os.cpu_count()})")
    print(f"bookkeeping per point (stubbed points, LocalCluster of {workers} processes)")
    rows = bookkeeping(sizes, workers)
    print()
    print("| points | sweep wall (s) | ms / point | ms / point without start/end | "
          "CPU ms / point | rerun, all done (ms / point) | "
          "old: + manifest rewrite (ms / point) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['points']} | {r['wall_s']:.2f} | {r['per_point_ms']:.2f} | "
              f"{r['per_point_running_ms']:.2f} | {r['cpu_per_point_ms']:.2f} | "
              f"{r['resume_per_point_ms']:.2f} | {r['old_rewrite_per_point_ms']:.2f} |")
    after = load()
    print(f"load average after: {after}")
    if args.json:
        Path(args.json).write_text(json.dumps({"bookkeeping": rows, "load_before": before,
                                               "load_after": after}, indent=2) + "\n")
    return 0


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
    parser.add_argument("--bookkeeping", action="store_true",
                        help="the sweep machinery's cost per point, stubbed points")
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="with --bookkeeping: numbers of points")
    args = parser.parse_args(argv)
    if args.bookkeeping:
        return main_bookkeeping(args)
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
