"""`neurolab sweep`: grids of parameter points on Dask, resumable, with a summary.

A temporary repository with one small notebook (``01_toy``): it appends a line to a
counter file each time it runs (so a test can count runs), can sleep, fails when
``a == fail_at``, saves ``values.npz`` and a figure, and marks two results. The points run
on a ``LocalCluster`` of 2 worker processes shared by the module's tests (its address is
also given to the command as ``--scheduler``). Expected values are computed here with
numpy's generator directly, never with the code under test.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neurolab import cli
from neurolab.base import io
from neurolab.lab import marks
from neurolab.lab import sweep, sweep_records
from neurolab.lab.errors import NotebookFailed, PipelineBusy, PipelineError
from neurolab.lab.manifest import LOCKS, STAGING
from neurolab.lab.notebooks import run_target
from neurolab.lab.runner import execute, reproduce
from neurolab.lab.sweep import SweepError

from test_pipeline import write_notebook

PARAMS = """\
seed = 0          # random seed
a = 1.0           # scale
b = 1             # an integer
fail_at = 3.0     # the notebook raises when a equals this
sleep_s = 0.0     # seconds to sleep before writing anything
counter = "{counter}"  # one line per run
"""
BODY = ("""\
import time
import numpy as np
import matplotlib.pyplot as plt
from neurolab import mark_result, plotting
from neurolab.base import io, paths
with open(counter, "a") as fh:
    fh.write(f"{a!r} {b!r}\\n")
time.sleep(sleep_s)
""", """\
if a == fail_at:
    raise ValueError(f"asked to fail at a = {a}")
""", """\
x = np.random.default_rng(seed + b).random(4) * a
raw = paths.raw_dir("01_toy")
io.save_npz(raw / "values.npz", {"x": x})
mark_result("total", float(x.sum()), folder=raw)
mark_result("b_twice", 2 * b, folder=raw)
fig, ax = plt.subplots(figsize=(2, 1.5))
ax.plot(x)
plotting.save_figure(fig, paths.results_dir() / "toy.png")
""")


def make_repo(root: Path, params: str = PARAMS) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'toy'\n")
    write_notebook(root / "notebooks" / "01_toy.ipynb",
                   params.format(counter=root / "counter.txt"), *BODY)
    return root


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes, one thread each, for the module."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


def runs(repo) -> list[tuple[float, int]]:
    """(a, b) of every run of the notebook so far, in order."""
    path = repo / "counter.txt"
    if not path.is_file():
        return []
    return [(float(x), int(y)) for x, y in (ln.split() for ln in path.read_text().split("\n")
                                           if ln.strip())]


def expected_x(a, b, seed=0):
    return np.random.default_rng(seed + b).random(4) * a


def by_params(manifest: dict) -> dict:
    return {(p["parameters"]["a"], p["parameters"].get("b", 1)): p
            for p in manifest["points"]}


def env():
    out = dict(os.environ)
    for key in ("NEUROLAB_ROOT", "NEUROLAB_DATA_DIR", "NEUROLAB_RESULTS_DIR"):
        out.pop(key, None)
    return out


# ----------------------------------------------------------------------------- grid syntax
@pytest.mark.parametrize("text, default, expected", [
    ("0.009,0.0105,0.012", 0.01, [0.009, 0.0105, 0.012]),
    ("0.008:0.013:6", 0.01, [0.008, 0.009, 0.01, 0.011, 0.012, 0.013]),
    ("0:4", 0, [0, 1, 2, 3]),
    ("0:10:3", 0, [0, 5, 10]),
    ("2", 0, [2]),
    ("7", 1.0, [7.0]),
    ("true,false", True, [True, False]),
    ("x,y", "a", ["x", "y"]),
    ("[1, 2],[3]", [0], [[1, 2], [3]]),
])
def test_values_are_lists_ranges_or_one_value(text, default, expected):
    got = sweep.parse_values("k", text, default)
    assert got == expected
    assert [type(v) for v in got] == [type(e) for e in expected]


@pytest.mark.parametrize("text, default, match", [
    ("1:2:x", 0.5, r"-p k '1:2:x': not a range of numbers; expected start:stop:count"),
    ("1:2", 0.5, r"-p k '1:2': expected start:stop:count"),
    ("0:1:0", 0.5, r"count must be a whole number >= 1"),
    ("5:5", 0, r"empty range"),
    ("0:1:3", 0, r"k is an integer parameter but this range gives \[0.0, 0.5, 1.0\]"),
    ("1,,2", 0.5, r"an empty value in the list"),
    ("1,abc", 0.5, r"parameter k='abc': expected float like the default 0.5"),
    ("1.5", 0, r"parameter k='1.5': expected int like the default 0"),
    ("", 0, r"no values"),
])
def test_bad_values_are_refused_naming_the_key(text, default, match):
    with pytest.raises(PipelineError, match=match):
        sweep.parse_values("k", text, default)


def test_bad_requests_are_refused_before_anything_runs(repo, capsys):
    def run(*args):
        code = cli.main(["sweep", "01_toy", "--root", str(repo), "--no-progress", *args])
        return code, capsys.readouterr().err

    code, err = run("-p", "nope", "1,2")
    assert code == cli.EXIT_USAGE
    assert "01_toy has no parameter 'nope'; valid parameters: seed=0, a=1.0, b=1" in err
    code, err = run("-p", "a", "1:x:3")
    assert code == cli.EXIT_USAGE and "-p a '1:x:3': not a range of numbers" in err
    code, err = run("-p", "b", "1,2", "-p", "b", "3")
    assert code == cli.EXIT_USAGE and "-p b given twice" in err
    code, err = run("-p", "a", "1,2,1")
    assert code == cli.EXIT_USAGE and "the value 1.0 is given twice" in err
    code, err = run("-p", "a", "1,2", "-p", "b", "0:3", "--zip")
    assert code == cli.EXIT_USAGE and "needs as many of each: got {'a': 2, 'b': 3}" in err
    code, err = run()
    assert code == cli.EXIT_USAGE and "nothing to sweep" in err
    code, err = run("-p", "a", "1", "--scheduler", "no-such-file")
    assert code == cli.EXIT_USAGE and "--scheduler 'no-such-file'" in err
    assert runs(repo) == []
    assert not (repo / "data" / "raw" / "sweeps").exists()


def test_grid_is_a_product_or_zipped_and_ids_name_the_parameters(repo):
    grid = sweep.plan("01_toy", [("a", "1,2"), ("b", "0:3")], root=repo)
    assert grid.points == ({"a": 1.0, "b": 0}, {"a": 1.0, "b": 1}, {"a": 1.0, "b": 2},
                           {"a": 2.0, "b": 0}, {"a": 2.0, "b": 1}, {"a": 2.0, "b": 2})
    assert len(set(grid.ids)) == 6 and all(len(i) == 12 for i in grid.ids)
    zipped = sweep.plan("01_toy", [("a", "1,2,3"), ("b", "0:3")], root=repo, zipped=True)
    assert zipped.points == ({"a": 1.0, "b": 0}, {"a": 2.0, "b": 1}, {"a": 3.0, "b": 2})
    # with --zip, a key given one value keeps it at every point (-p duration_s 2)
    one = sweep.plan("01_toy", [("a", "1,2"), ("b", "5")], root=repo, zipped=True)
    assert one.points == ({"a": 1.0, "b": 5}, {"a": 2.0, "b": 5})
    # the same points in another key order: the same sweep (it resumes); another grid or
    # another version of the notebook: another folder
    same = sweep.plan("01_toy", [("b", "0:3"), ("a", "1,2")], root=repo)
    assert same.sweep_id == grid.sweep_id and set(same.ids) == set(grid.ids)
    other = sweep.plan("01_toy", [("a", "1,2"), ("b", "0:2")], root=repo)
    assert other.sweep_id != grid.sweep_id
    write_notebook(repo / "notebooks" / "01_toy.ipynb",
                   PARAMS.format(counter=repo / "counter.txt"), *BODY, "y = 1")
    edited = sweep.plan("01_toy", [("a", "1,2"), ("b", "0:3")], root=repo)
    assert edited.sweep_id != grid.sweep_id and edited.ids == grid.ids


def test_a_key_with_one_value_gets_no_panel_of_the_summary_figure():
    rows = [{"point": str(k), "status": "ok", "a": a, "b": 5, "total": 2 * a}
            for k, a in enumerate((1.0, 2.0, 3.0))]
    fig = sweep.summary_figure(["a", "b"], ["total"], rows)
    assert [ax.get_xlabel() for ax in fig.axes] == ["a"]
    assert fig._suptitle.get_text() == "3 of 3 points (b=5)"
    line, = fig.axes[0].get_lines()
    assert list(line.get_xdata()) == [1.0, 2.0, 3.0]
    assert list(line.get_ydata()) == [2.0, 4.0, 6.0]


# ----------------------------------------------------------------------------- runs
def test_a_2x3_grid_runs_every_point_into_its_folder(repo, client, capsys):
    grid = sweep.plan("01_toy", [("a", "1,2"), ("b", "0:3")], root=repo)
    out = sweep.run_sweep(grid, client=client, progress=False, log=lambda s: None)
    assert (out.ok, out.failed, out.pending, out.ran) == (6, 0, 0, 6)
    assert sorted(runs(repo)) == sorted((a, b) for a in (1.0, 2.0) for b in (0, 1, 2))
    manifest = json.loads(grid.manifest_path.read_text())
    assert manifest["format"] == "neurolab-sweep/1" and manifest["keys"] == ["a", "b"]
    assert manifest["counts"] == {"ok": 6, "failed": 0, "pending": 0}
    workers = set()
    for (a, b), point in by_params(manifest).items():
        folder = repo / "data/raw/sweeps" / grid.sweep_id / point["id"]
        x = io.load_npz(folder / "data/raw/01_toy/values.npz")["x"]
        np.testing.assert_array_equal(x, expected_x(a, b))
        assert (folder / "results/toy.png").is_file()
        assert (folder / "results/notebooks/01_toy.ipynb").is_file()
        assert point["status"] == "ok" and point["run_time_s"] > 0
        paths_ = sorted(e["path"] for e in point["artifacts"])
        prefix = f"data/raw/sweeps/{grid.sweep_id}/{point['id']}/"
        assert paths_ == [prefix + "data/raw/01_toy/results.json",
                          prefix + "data/raw/01_toy/values.npz",
                          prefix + "results/notebooks/01_toy.ipynb",
                          prefix + "results/toy.png"]
        for e in point["artifacts"]:
            assert e["sha256"] == io.sha256_file(repo / e["path"])
        workers.add(point["worker"])
    assert len(workers) <= 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    # nothing at the canonical paths, nothing of another sweep
    assert not (repo / "data/raw/01_toy").exists() and not (repo / "results/toy.png").exists()
    assert [p.name for p in (repo / "data/raw/sweeps").iterdir()] == [grid.sweep_id]
    # the summary: one row per point, results as the notebook computed them
    with open(repo / "results/sweeps" / grid.sweep_id / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["point", "status", "a", "b", "b_twice", "total"]
    assert [(r["a"], r["b"]) for r in rows] == [("1.0", "0"), ("1.0", "1"), ("1.0", "2"),
                                               ("2.0", "0"), ("2.0", "1"), ("2.0", "2")]
    for r in rows:
        a, b = float(r["a"]), int(r["b"])
        assert r["status"] == "ok" and int(r["b_twice"]) == 2 * b
        assert float(r["total"]) == pytest.approx(expected_x(a, b).sum(), rel=1e-15)
    assert (repo / "results/sweeps" / grid.sweep_id / "summary.png").read_bytes()[:4] == \
        b"\x89PNG"
    # verify understands the sweep manifest, and the sweep's files are no strays
    assert cli.main(["verify", "--root", str(repo)]) == cli.EXIT_OK
    assert "verify: all 26 artifacts OK (26 of them in 1 sweep manifest(s))" in \
        capsys.readouterr().out
    assert sweep.verify_sweep(grid.manifest_path) == []
    # a changed byte in a point's data is reported by both verify commands ...
    values = repo / by_params(manifest)[(2.0, 1)]["artifacts"][1]["path"]
    assert values.name == "values.npz"
    data = bytearray(values.read_bytes())
    data[-1] ^= 1
    values.write_bytes(bytes(data))
    problems = sweep.verify_sweep(grid.manifest_path)
    assert [p.path for p in problems] == [values.relative_to(repo).as_posix()]
    assert "sha256" in problems[0].reason
    assert cli.main(["verify", "--manifest", str(grid.manifest_path)]) == cli.EXIT_FAILED
    # ... and running the sweep again reruns that point only
    again = sweep.run_sweep(grid, client=client, progress=False, log=lambda s: None)
    assert (again.ok, again.skipped, again.ran) == (6, 5, 1)
    assert runs(repo)[6:] == [(2.0, 1)]
    np.testing.assert_array_equal(io.load_npz(values)["x"], expected_x(2.0, 1))
    assert sweep.verify_sweep(grid.manifest_path) == []

    # the same parameters through `reproduce`: their own folder, the same bytes; its
    # verify knows the sweep's files (no stray warning)
    logged = []
    assert reproduce(["01_toy"], {"a": "2", "b": "1"}, root=repo,
                              log=logged.append) == []
    assert not any("warning" in line for line in logged), logged
    target = run_target(repo / "notebooks/01_toy.ipynb", {"a": 2.0, "b": 1})
    assert target.folder == f"data/raw/runs/01_toy/{target.folder.rsplit('/', 1)[-1]}"
    point = repo / "data/raw/sweeps" / grid.sweep_id / by_params(manifest)[(2.0, 1)]["id"]
    run = repo / target.folder
    for rel in ("data/raw/01_toy/values.npz", "data/raw/01_toy/results.json",
                "results/toy.png"):
        assert io.sha256_file(point / rel) == io.sha256_file(run / rel), rel
    assert not (repo / "data/raw/01_toy").exists() and not (repo / "results/toy.png").exists()
    assert cli.main(["verify", "--root", str(repo)]) == cli.EXIT_OK
    assert "warning" not in capsys.readouterr().out


def test_a_failing_point_is_recorded_and_the_others_go_on(repo, client, capsys):
    address = client.scheduler.address
    code = cli.main(["sweep", "01_toy", "--root", str(repo), "-p", "a", "1,3,5",
                     "--scheduler", address, "--no-progress"])
    captured = capsys.readouterr()
    assert code == cli.EXIT_FAILED
    assert "2 ok, 1 failed, 0 not run" in captured.out
    assert "ValueError: asked to fail at a = 3.0" in captured.err
    [mpath] = sweep_records.sweep_manifests(repo)
    manifest = json.loads(mpath.read_text())
    points = by_params(manifest)
    bad = points[(3.0, 1)]
    assert bad["status"] == "failed" and bad["cell"] == 4         # markdown counted
    assert "failed in cell 4" in bad["error"] and "asked to fail at a = 3.0" in bad["error"]
    assert "cell starts: if a == fail_at:" in bad["error"]
    assert (repo / bad["failed_notebook"]).is_file() and "artifacts" not in bad
    assert bad["worker"].startswith("tcp://127.0.0.1:")
    assert not (mpath.parent / bad["id"]).exists()
    for a in (1.0, 5.0):
        assert points[(a, 1)]["status"] == "ok"
        x = io.load_npz(repo / points[(a, 1)]["artifacts"][1]["path"])["x"]
        np.testing.assert_array_equal(x, expected_x(a, 1))
    with open(repo / "results/sweeps" / manifest["sweep"] / "summary.csv") as fh:
        rows = {r["a"]: r for r in csv.DictReader(fh)}
    assert rows["3.0"]["status"] == "failed" and rows["3.0"]["total"] == ""
    assert cli.main(["verify", "--root", str(repo)]) == cli.EXIT_OK   # failed: no files
    assert "warning" not in capsys.readouterr().out


def test_a_sweep_killed_half_way_resumes_with_the_unfinished_points(repo, client):
    """`kill -9` of the command while its points run; the same command again runs only
    the points that were not installed (counted by the notebook's counter file)."""
    write_notebook(repo / "notebooks" / "01_toy.ipynb",
                   PARAMS.format(counter=repo / "counter.txt").replace(
                       "sleep_s = 0.0", "sleep_s = 1.0"), *BODY)
    args = ["-p", "a", "1,2", "-p", "b", "0:3"]
    proc = subprocess.Popen([sys.executable, "-m", "neurolab.cli", "sweep", "01_toy",
                             "--root", str(repo), *args, "--workers", "2", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env(), start_new_session=True)
    grid = sweep.plan("01_toy", [("a", "1,2"), ("b", "0:3")], root=repo)
    folder = repo / grid.folder
    try:
        end = time.monotonic() + 240
        while len(list(folder.glob("*/point.json"))) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < end, "no two points finished in time"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        time.sleep(3.0)       # orphaned kernels notice their parent died (ipykernel polls)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)      # its workers and kernels, if any left
        except (ProcessLookupError, PermissionError):
            pass
    done = {p.parent.name: p.stat().st_mtime_ns for p in folder.glob("*/point.json")}
    assert 2 <= len(done) < 6
    before = runs(repo)
    manifest = json.loads(grid.manifest_path.read_text())
    assert manifest["counts"]["pending"] == 6                   # written at the start
    # the points that ended are in the journal beside it; readers see both
    merged = sweep_records.load_sweep_manifest(grid.manifest_path)
    journaled = {p["id"] for p in merged["points"] if p["status"] == "ok"}
    assert journaled <= set(done) and merged["counts"]["ok"] == len(journaled)
    assert sweep.verify_sweep(grid.manifest_path) == []
    out = sweep.run_sweep(grid, client=client, progress=False, log=lambda s: None)
    assert (out.ok, out.skipped, out.ran) == (6, len(done), 6 - len(done))
    after = runs(repo)[len(before):]
    by_id = dict(zip(grid.ids, grid.points))
    rerun = sorted((p["a"], p["b"]) for pid, p in by_id.items() if pid not in done)
    assert sorted(after) == rerun                     # exactly the unfinished points
    for pid, mtime in done.items():                   # the finished ones untouched
        assert (folder / pid / "point.json").stat().st_mtime_ns == mtime
    for pid, p in by_id.items():
        x = io.load_npz(folder / pid / "data/raw/01_toy/values.npz")["x"]
        np.testing.assert_array_equal(x, expected_x(p["a"], p["b"]))
    assert sweep.verify_sweep(grid.manifest_path) == []
    assert not list((repo / STAGING).rglob("run-*"))


def test_a_kernel_that_did_not_start_is_tried_again_a_cell_error_is_not(repo, monkeypatch):
    """A port taken by another process kills a kernel before it answers: the point runs
    again (attempts counted). A cell that raises is the notebook's answer: run once."""
    real = execute
    calls = []

    def flaky(notebook, params, stage, **kw):
        calls.append(dict(params))
        if len(calls) == 1:
            raise NotebookFailed("01_toy", "notebook 01_toy did not complete: "
                                          "RuntimeError: Kernel died before replying to "
                                          "kernel_info")
        return real(notebook, params, stage, **kw)

    monkeypatch.setattr("neurolab.lab.sweep.execute", flaky)
    nb = repo / "notebooks/01_toy.ipynb"
    record = sweep.run_point(str(repo), str(nb), "s1", "p1", {"a": 2.0})
    assert record["status"] == "ok" and record["attempts"] == 2 and len(calls) == 2
    assert runs(repo) == [(2.0, 1)]
    np.testing.assert_array_equal(
        io.load_npz(repo / "data/raw/sweeps/s1/p1/data/raw/01_toy/values.npz")["x"],
        expected_x(2.0, 1))
    record = sweep.run_point(str(repo), str(nb), "s1", "p2", {"a": 3.0})
    assert record["status"] == "failed" and record["attempts"] == 1 and record["cell"] == 4
    assert len(calls) == 3 and runs(repo) == [(2.0, 1), (3.0, 1)]


def test_two_commands_never_run_the_same_sweep_at_once(repo, client):
    grid = sweep.plan("01_toy", [("a", "1,2")], root=repo)
    lock = repo / LOCKS / "sweeps" / f"{grid.sweep_id}.lock"
    from neurolab.lab import locks as _locks

    with _locks.hold(lock, what="test"):
        with pytest.raises(PipelineBusy, match=rf"sweep {grid.sweep_id} is in use"):
            sweep.run_sweep(grid, client=client, progress=False, log=lambda s: None)
    assert runs(repo) == []
    # another grid under the same --id is refused, not mixed in
    sweep.run_sweep(sweep.plan("01_toy", [("a", "1")], root=repo, sweep_id="mine"),
                    client=client, progress=False, log=lambda s: None)
    with pytest.raises(SweepError, match="sweep mine .* holds another grid"):
        sweep.run_sweep(sweep.plan("01_toy", [("a", "2")], root=repo, sweep_id="mine"),
                        client=client, progress=False, log=lambda s: None)
    with pytest.raises(SweepError, match="--id '../x'"):
        sweep.plan("01_toy", [("a", "2")], root=repo, sweep_id="../x")


# ----------------------------------------------------------------------------- results
def test_mark_result_writes_canonical_json_atomically(tmp_path):
    assert marks.mark_result("rate", np.float64(3.5), folder=tmp_path, unit="Hz") == 3.5
    assert marks.mark_result("count", np.int64(7), folder=tmp_path) == 7
    marks.mark_result("silent", float("nan"), folder=tmp_path)
    marks.mark_result("rate", 4.0, folder=tmp_path, unit="Hz")          # replaced
    text = (tmp_path / "results.json").read_text()
    assert json.loads(text) == {"format": "neurolab-results/1", "results": {
        "count": {"unit": None, "value": 7}, "rate": {"unit": "Hz", "value": 4.0},
        "silent": {"unit": None, "value": "nan"}}}
    assert text.index('"count"') < text.index('"rate"') < text.index('"silent"')
    got = marks.read_results(tmp_path / "results.json")
    assert got["rate"] == 4.0 and got["count"] == 7 and np.isnan(got["silent"])
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]   # no temporary left
    with pytest.raises(ValueError, match=r"mark_result\(name='2x'\): expected an identifier"):
        marks.mark_result("2x", 1.0, folder=tmp_path)
    with pytest.raises(TypeError, match=r"mark_result\('x', value='1'\): expected a real"):
        marks.mark_result("x", "1", folder=tmp_path)
    with pytest.raises(TypeError, match="expected a real number"):
        marks.mark_result("x", np.arange(3), folder=tmp_path)
