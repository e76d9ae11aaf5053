"""Sweeps at scale: the journal, resume after ``kill -9`` at any moment, Ctrl-C.

Most tests here stub the notebook run (``sweep.execute``) with a function that writes one
small file and appends the point to a counter file, and run the points on a Dask cluster of
threads in the same process, so that what is tested is the sweep's bookkeeping. Kills are
real: the sweep runs in a child process that is sent ``SIGKILL`` (or ``SIGINT`` to its
process group, as a terminal's Ctrl-C does).
"""

from __future__ import annotations

import inspect
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from neurolab.lab import sweep, sweep_records
from neurolab.lab.manifest import LOCKS, STAGING
from neurolab.lab.sweep_records import Journal, read_journal

from test_sweep import BODY, PARAMS, env, make_repo, runs, write_notebook

REPO = Path(__file__).resolve().parents[2]


def stub(notebook, params, stage, **kw):
    """Stands in for the notebook run: counts the run, writes one small file."""
    with open(os.path.join(os.path.dirname(os.path.dirname(str(notebook))), "stubbed.txt"),
              "a") as fh:
        fh.write(f"{params['b']}\n")
    out = Path(stage) / "data" / "raw" / "01_toy"
    out.mkdir(parents=True)
    (out / "values.txt").write_text(repr(params["b"]))


def counted(repo) -> list[int]:
    path = repo / "stubbed.txt"
    return [int(x) for x in path.read_text().split()] if path.is_file() else []


@pytest.fixture(scope="module")
def threads():
    """A Dask cluster of 2 threads in this process (the stub is seen by its workers)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


# ----------------------------------------------------------------------------- the journal
def test_a_torn_last_line_is_skipped_and_cut_off_by_the_next_writer(tmp_path):
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:
        for k in range(3):
            journal.append({"id": f"p{k}", "status": "ok", "n": k})
    whole = path.read_bytes()
    with open(path, "ab") as fh:                   # a writer killed inside its line
        fh.write(b'{"id":"p3","status":"o')
    records, end = read_journal(path)
    assert [r["id"] for r in records] == ["p0", "p1", "p2"] and end == len(whole)
    with Journal(path) as journal:
        assert [r["id"] for r in journal.records] == ["p0", "p1", "p2"]
        journal.append({"id": "p3", "status": "failed"})
    assert path.read_bytes() == whole + b'{"id":"p3","status":"failed"}\n'
    assert [r["id"] for r in read_journal(path)[0]] == ["p0", "p1", "p2", "p3"]
    assert read_journal(tmp_path / "none.jsonl") == ([], 0)


def test_the_manifest_is_read_with_the_journal_laid_over_it(tmp_path):
    mpath = tmp_path / "manifest.json"
    points = [{"id": f"p{k}", "status": "pending"} for k in range(3)]
    mpath.write_text(json.dumps({"format": sweep_records.SWEEP_FORMAT, "points": points,
                                 "counts": {"ok": 0, "failed": 0, "pending": 3}}))
    with Journal(sweep_records.journal_path(mpath)) as journal:
        journal.append({"id": "p1", "status": "failed"})
        journal.append({"id": "p1", "status": "ok", "artifacts": []})     # a later line wins
        journal.append({"id": "other", "status": "ok"})                   # not of this grid
    data = sweep_records.load_sweep_manifest(mpath)
    assert [p["status"] for p in data["points"]] == ["pending", "ok", "pending"]
    assert data["counts"] == {"ok": 1, "failed": 0, "pending": 2}
    assert sweep_records.load_sweep_manifest(mpath, journal=False)["counts"]["ok"] == 0


def test_a_writer_killed_at_any_moment_leaves_a_readable_journal(tmp_path):
    """A child appends large lines as fast as it can and is killed with SIGKILL; every
    line it finished reads back whole, and appending goes on after it."""
    path = tmp_path / "journal.jsonl"
    child = tmp_path / "writer.py"
    child.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from neurolab.lab.sweep_records import Journal
        journal = Journal({str(path)!r})
        k = 0
        while True:
            journal.append({{"id": f"p{{k}}", "pad": "x" * (50_000 + 7919 * (k % 13))}})
            k += 1
    """))
    rng = random.Random(5)
    total = 0
    for _ in range(3):
        start = path.stat().st_size if path.is_file() else 0
        proc = subprocess.Popen([sys.executable, str(child)], env=env())
        try:
            end = time.monotonic() + 60
            while not path.is_file() or path.stat().st_size < start + 2_000_000:
                assert proc.poll() is None and time.monotonic() < end
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.05))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        records, _ = read_journal(path)
        assert len(records) > total
        ids = [r["id"] for r in records]
        # each round starts again at p0, after what the earlier rounds left
        for r in records:
            k = int(r["id"][1:])
            assert r["pad"] == "x" * (50_000 + 7919 * (k % 13)), r["id"]
        assert len(ids) == len(records)
        total = len(records)
    with Journal(path) as journal:
        journal.append({"id": "last"})
    records, end = read_journal(path)
    assert len(records) == total + 1 and records[-1] == {"id": "last"}
    assert end == path.stat().st_size


# ----------------------------------------------------------------------------- bookkeeping
def test_a_sweep_leaves_no_lock_staging_or_journal_per_point(tmp_path, threads,
                                                             monkeypatch):
    repo = make_repo(tmp_path)
    monkeypatch.setattr(sweep, "execute", stub)
    writes = []
    real = sweep._write_manifest
    monkeypatch.setattr(sweep, "_write_manifest",
                        lambda *a, **kw: (writes.append(1), real(*a, **kw))[1])
    grid = sweep.plan("01_toy", [("b", "0:40")], root=repo)
    out = sweep.run_sweep(grid, client=threads, progress=False, log=lambda s: None)
    assert (out.ok, out.ran) == (40, 40) and sorted(counted(repo)) == list(range(40))
    assert len(writes) == 2                          # at the start and at the end
    manifest = json.loads(grid.manifest_path.read_text())
    assert manifest["counts"] == {"ok": 40, "failed": 0, "pending": 0}
    assert not sweep_records.journal_path(grid.manifest_path).exists()
    assert not (repo / LOCKS / "sweeps" / grid.sweep_id).exists()
    assert not (repo / STAGING / "sweeps" / grid.sweep_id).exists()
    assert sweep.verify_sweep(grid.manifest_path) == []


DRIVER = '''
import os, sys
from pathlib import Path
sys.path.insert(0, @REPO@)
from neurolab.lab import sweep
''' + inspect.getsource(stub) + '''
sweep.execute = stub
if __name__ == "__main__":
    from distributed import Client, LocalCluster
    root, n = Path(sys.argv[1]), int(sys.argv[2])
    grid = sweep.plan("01_toy", [("b", f"0:{n}")], root=root)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        out = sweep.run_sweep(grid, client=client, progress=False, log=lambda s: None)
    print(out.ok, out.skipped, out.ran)
'''


def test_kill_9_at_any_moment_loses_nothing_and_reruns_nothing_finished(tmp_path):
    """The sweep is killed with SIGKILL three times at random moments while its points
    finish; after each kill, the points installed so far are never run again, the journal
    reads whole, and the last run completes every point exactly as one run would."""
    (tmp_path / "repo").mkdir()
    repo = make_repo(tmp_path / "repo")
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.replace("@REPO@", repr(str(REPO))))
    n = 80
    grid = sweep.plan("01_toy", [("b", f"0:{n}")], root=repo)
    folder = repo / grid.folder
    rng = random.Random(11)
    installed: dict[str, int] = {}
    for threshold in (10, 30, 50):
        proc = subprocess.Popen([sys.executable, str(driver), str(repo), str(n)],
                                env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            end = time.monotonic() + 120
            while len(counted(repo)) < threshold:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < end, "the sweep did not get going"
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        now = {p.parent.name: p.stat().st_mtime_ns for p in folder.glob("*/point.json")}
        for pid, mtime in installed.items():          # nothing finished was run again
            assert now[pid] == mtime, pid
        installed = now
        seen = counted(repo)
        # the manifest with its journal: what it calls done is installed and verifies
        data = sweep_records.load_sweep_manifest(grid.manifest_path)
        ok = {p["id"] for p in data["points"] if p["status"] == "ok"}
        assert ok <= set(installed)
        assert sweep.verify_sweep(grid.manifest_path) == []
        assert len(seen) >= len(installed)
    before = counted(repo)
    done = subprocess.run([sys.executable, str(driver), str(repo), str(n)], env=env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    ok, skipped, ran = map(int, done.stdout.split())
    assert (ok, skipped, ran) == (n, len(installed), n - len(installed))
    after = counted(repo)[len(before):]
    b_of = {pid: p["b"] for pid, p in zip(grid.ids, grid.points)}
    assert sorted(after) == sorted(b for pid, b in b_of.items() if pid not in installed)
    for pid, mtime in installed.items():
        assert (folder / pid / "point.json").stat().st_mtime_ns == mtime
    manifest = json.loads(grid.manifest_path.read_text())
    assert manifest["counts"] == {"ok": n, "failed": 0, "pending": 0}
    assert sweep.verify_sweep(grid.manifest_path) == []
    for pid, b in b_of.items():
        assert (folder / pid / "data/raw/01_toy/values.txt").read_text() == repr(b)
    # every point ran once, except those that were running when a kill came
    assert set(counted(repo)) == set(range(n))
    assert len(counted(repo)) - n <= 3 * 2         # 2 threads, 3 kills
    assert not list((repo / STAGING).rglob("run-*"))


# ----------------------------------------------------------------------------- Ctrl-C
def test_ctrl_c_prints_one_message_naming_how_to_resume(tmp_path, threads):
    """SIGINT to the command's process group (what a terminal's Ctrl-C sends, workers
    included): exit 130, one line naming the command to run again, no traceback; the
    points done are kept and the same command resumes with the others."""
    repo = make_repo(tmp_path)
    write_notebook(repo / "notebooks" / "01_toy.ipynb",
                   PARAMS.format(counter=repo / "counter.txt").replace(
                       "sleep_s = 0.0", "sleep_s = 1.0"), *BODY)
    args = ["sweep", "01_toy", "--root", str(repo), "-p", "b", "0:5", "--workers", "2",
            "--no-progress"]
    proc = subprocess.Popen([sys.executable, "-m", "neurolab.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env(), start_new_session=True)
    grid = sweep.plan("01_toy", [("b", "0:5")], root=repo)
    try:
        end = time.monotonic() + 240
        while not list((repo / grid.folder).glob("*/point.json")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < end, "no point finished in time"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    message = [ln for ln in err.splitlines() if ln.strip()]
    assert len(message) == 1, err
    assert message[0].startswith("neurolab: sweep interrupted (")
    assert message[0].endswith("; to resume, run the same command again: neurolab "
                               + " ".join(args))
    done = len(list((repo / grid.folder).glob("*/point.json")))
    said = int(message[0].split("(", 1)[1].split(" of 5 points done and kept)")[0])
    assert 1 <= said <= done                 # a point may end while the cluster closes
    time.sleep(3.0)                          # orphaned kernels notice their parent died
    before = len(runs(repo))
    monkey = sweep.execute
    try:
        sweep.execute = stub                 # the resume: the remaining points, stubbed
        again = sweep.run_sweep(grid, client=threads, progress=False, log=lambda s: None)
    finally:
        sweep.execute = monkey
    assert (again.ok, again.skipped, again.ran) == (5, done, 5 - done)
    assert len(runs(repo)) == before and len(counted(repo)) == 5 - done


def test_a_task_that_raises_is_recorded_as_failed_and_journaled(tmp_path, threads,
                                                                 monkeypatch):
    """What Dask reports as an error (a lost worker, a task that cannot run) fails its
    point only; the others are installed."""
    repo = make_repo(tmp_path)
    monkeypatch.setattr(sweep, "execute", stub)
    real = sweep.run_point

    def sometimes(root, notebook, sweep_id, point_id, params, *args):
        if params["b"] == 2:
            raise MemoryError("worker out of memory")
        return real(root, notebook, sweep_id, point_id, params, *args)

    monkeypatch.setattr(sweep, "run_point", sometimes)
    grid = sweep.plan("01_toy", [("b", "0:4")], root=repo)
    out = sweep.run_sweep(grid, client=threads, progress=False, log=lambda s: None)
    assert (out.ok, out.failed) == (3, 1)
    [bad] = out.failures
    assert bad["parameters"] == {"b": 2} and bad["error"] == "MemoryError: worker out of memory"
    manifest = json.loads(grid.manifest_path.read_text())
    assert manifest["counts"] == {"ok": 3, "failed": 1, "pending": 0}
