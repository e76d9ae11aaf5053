"""Concurrent `neurolab reproduce` runs: locks, refusals, waiting, a killed lock holder.

The scenario of issue 6 with real processes: a run of a notebook is going on when a second
run that would write the same files (the same parameters: since issue 12 a run with other
values than the defaults has a folder of its own) starts. The second is refused at once
(naming the first's process) or waits with --wait; the first run's artifacts are installed
whole, nothing is lost, and verify counts the same artifacts as before. A run with other
parameters goes on beside it. A holder killed with SIGKILL does not block the next run.
The notebook is a small one written here, with a `sleep_s` parameter that keeps the first
run busy for a few seconds (or until the file `gate` exists).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neurolab.lab import locks as _locks
from neurolab.base import io
from neurolab.base import paths
from neurolab.lab.errors import PipelineBusy
from neurolab.lab.manifest import STAGING, load_manifest, lock_path, notebook_locks
from neurolab.lab.notebooks import run_target
from neurolab.lab.runner import reproduce, run_notebook
from neurolab.lab.verify import stray_files, verify
from neurolab.cli import EXIT_BUSY

from test_pipeline import make_toy_repo

PARAMS = """\
seed = 0          # random seed
sleep_s = 0.0     # seconds to sleep before writing anything
gate = ""         # a file: stop sleeping as soon as it exists
"""
BODY = ("""\
import os
import time
import numpy as np
import matplotlib.pyplot as plt
from neurolab import plotting
from neurolab.base import io, paths
t_end = time.monotonic() + sleep_s
while time.monotonic() < t_end and not (gate and os.path.exists(gate)):
    time.sleep(0.02)
x = np.random.default_rng(seed).random(8)
io.save_npz(paths.raw_dir("01_toy") / "values.npz", {"x": x})
io.save_npz(paths.raw_dir("01_toy") / "more.npz", {"y": 2 * x})
fig, ax = plt.subplots(figsize=(2, 1.5))
ax.plot(x)
plotting.save_figure(fig, paths.results_dir() / "toy.png")
""",)


@pytest.fixture
def repo(tmp_path):
    return make_toy_repo(tmp_path, PARAMS, BODY)


def cli_args(repo, *args):
    return [sys.executable, "-m", "neurolab.cli", "reproduce", "01_toy", "--root", str(repo),
            *args]


def env():
    out = dict(os.environ)
    for key in (paths.ROOT_ENV, paths.DATA_ENV, paths.RESULTS_ENV):
        out.pop(key, None)
    return out


def start(repo, *args) -> subprocess.Popen:
    """A `neurolab reproduce 01_toy` in its own session (so that the test can end the
    kernel it starts, should the run be killed)."""
    return subprocess.Popen(cli_args(repo, *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env(),
                            start_new_session=True)


def key(repo, params) -> str:
    """The lock name of a run of 01_toy with ``params`` (``01_toy`` for the default run)."""
    return run_target(repo / "notebooks/01_toy.ipynb", params).key


def wait_for_holder(repo, proc, params, timeout=60.0) -> dict:
    """Block until ``proc`` holds the lock of its run of 01_toy (its holder record names
    it)."""
    lock = lock_path(repo, key(repo, params))
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        holder = _locks.read_holder(lock)
        if holder and holder.get("pid") == proc.pid:
            return holder
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the first run never took the lock")


def values(repo, params=None):
    target = run_target(repo / "notebooks/01_toy.ipynb", params)
    base = repo / target.folder if target.folder else repo
    return io.load_npz(base / "data/raw/01_toy/values.npz")["x"]


def end_session(proc):
    """End what is left of a session this test started (the kernel of a killed run)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def baseline(repo) -> int:
    """A first complete run of every notebook; returns the number of artifacts."""
    assert reproduce(root=repo, log=lambda s: None) == []
    return len(load_manifest(repo)["artifacts"])


def test_second_run_is_refused_at_once_and_the_first_installs_whole(repo):
    count = baseline(repo)
    # the first run sleeps long enough for the three others (two refusals and a whole run
    # with other parameters, which starts a kernel: ~5 s idle, 10+ s on a loaded machine)
    params = {"seed": 11, "sleep_s": 25.0}
    same = ["-p", "seed", "11", "-p", "sleep_s", "25"]
    first = start(repo, *same)
    try:
        holder = wait_for_holder(repo, first, params)
        second = subprocess.run(cli_args(repo, *same), capture_output=True,
                                text=True, env=env(), timeout=120)
        assert first.poll() is None, "the first run ended before the second was refused"
        assert second.returncode == EXIT_BUSY, second
        err = second.stderr
        assert f"notebook {key(repo, params)} is in use by process {first.pid} on host " \
               f"{socket.gethostname()}, since " in err
        assert "nothing was run or changed" in err and "--wait" in err
        assert "previous artifacts were left in place" not in err
        # a limited wait that runs out is refused too, saying how long it waited
        third = subprocess.run(cli_args(repo, *same, "--wait-timeout", "0.5"),
                               capture_output=True, text=True, env=env(), timeout=120)
        assert third.returncode == EXIT_BUSY and "after waiting 0." in third.stderr
        # other parameters write another folder: not refused, done while the first runs
        other = subprocess.run(cli_args(repo, "-p", "seed", "22"), capture_output=True,
                               text=True, env=env(), timeout=120)
        assert other.returncode == 0, (other.stdout, other.stderr)
        assert first.poll() is None, "the first run ended before the others were done"
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, (out, err)
        assert "verify: all 14 artifacts OK" in out
    finally:
        end_session(first)
    assert holder["host"] == socket.gethostname()
    np.testing.assert_array_equal(values(repo, params), np.random.default_rng(11).random(8))
    np.testing.assert_array_equal(values(repo, {"seed": 22}),
                                  np.random.default_rng(22).random(8))
    np.testing.assert_array_equal(values(repo), np.random.default_rng(0).random(8))
    assert verify(root=repo) == []
    manifest = load_manifest(repo)
    assert count == 6 and len(manifest["artifacts"]) == 6 + 4 + 4
    assert manifest["notebooks"][key(repo, params)]["overrides"] == params
    assert not (repo / STAGING).exists()
    assert stray_files(repo) == []


def test_second_run_waits_with_wait_and_then_replaces_the_first(repo):
    count = baseline(repo)
    params = {"seed": 11, "sleep_s": 3.0}
    same = ["-p", "seed", "11", "-p", "sleep_s", "3"]
    first = start(repo, *same)
    try:
        wait_for_holder(repo, first, params)
        second = start(repo, *same, "--wait", "--wait-timeout", "120")
        out2, err2 = second.communicate(timeout=180)
        out1, err1 = first.communicate(timeout=60)
    finally:
        end_session(first)
    assert first.returncode == 0, (out1, err1)
    assert second.returncode == 0, (out2, err2)
    np.testing.assert_array_equal(values(repo, params), np.random.default_rng(11).random(8))
    assert verify(root=repo) == []
    assert len(load_manifest(repo)["artifacts"]) == count + 4


def test_a_lock_holder_killed_with_sigkill_does_not_block_the_next_run(repo, tmp_path):
    gate = tmp_path / "gate"                  # the second run does not sleep: it exists
    params = {"seed": 11, "sleep_s": 60.0, "gate": str(gate)}
    same = ["-p", "seed", "11", "-p", "sleep_s", "60", "-p", "gate", str(gate)]
    count = baseline(repo)
    first = start(repo, *same)
    try:
        wait_for_holder(repo, first, params)
        stages = repo / STAGING / key(repo, params)
        assert len(list(stages.iterdir())) == 1          # the first run's own folder
        time.sleep(1.0)                                  # let its kernel start
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        gate.touch()
        # its kernel may still be alive for a moment: it must not keep the lock
        t0 = time.monotonic()
        second = subprocess.run(cli_args(repo, *same), capture_output=True,
                                text=True, env=env(), timeout=120)
    finally:
        end_session(first)
    assert second.returncode == 0, (second.stdout, second.stderr)
    assert time.monotonic() - t0 < 60
    assert "verify: all 10 artifacts OK" in second.stdout
    np.testing.assert_array_equal(values(repo, params), np.random.default_rng(11).random(8))
    assert not (repo / STAGING).exists()       # the killed run's folder is gone
    assert len(load_manifest(repo)["artifacts"]) == count + 4
    assert stray_files(repo) == []


# ----------------------------------------------------------------------------- in-process
def test_a_held_lock_refuses_before_anything_runs(repo):
    with notebook_locks(["01_toy"], root=repo):
        with pytest.raises(PipelineBusy, match=rf"notebook 01_toy is in use by "
                           rf"process {os.getpid()} on host .*, since .* s ago\)"):
            reproduce(["01_toy"], root=repo, log=lambda s: None)
        # every notebook: refused as a whole, 02_other did not run either
        with pytest.raises(PipelineBusy) as err:
            reproduce(root=repo, log=lambda s: None)
        assert err.value.holder["pid"] == os.getpid()
        t0 = time.monotonic()
        with pytest.raises(PipelineBusy, match=r"refused after waiting 0\.[3-9]"):
            run_notebook("01_toy", root=repo, wait=0.3)
        assert time.monotonic() - t0 >= 0.3
        assert not any((repo / "data").rglob("*.npz"))
        # another notebook is not blocked by this one
        reproduce(["02_other"], root=repo, log=lambda s: None)
    assert (repo / "data/raw/02_other/k.npz").is_file()
    assert not (repo / "data/raw/01_toy").exists()
    lock = lock_path(repo, "01_toy")
    assert _locks.read_holder(lock) is None              # released and cleaned up
    assert reproduce(["01_toy"], root=repo, log=lambda s: None) == []


def test_the_holder_message_says_when_the_recorded_process_has_ended(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(done.stdout)                               # a process that has ended
    text = _locks.describe_holder({"pid": pid, "host": socket.gethostname(),
                                   "started": time.time() - 5, "command": "neurolab x"})
    assert text.startswith(f"process {pid} on host {socket.gethostname()}, since ")
    assert "(5 s ago), running: neurolab x (that process has ended" in text
    assert _locks.describe_holder(None).startswith("another process")
    # a stale record left by a killed holder is simply replaced by the next one
    lock = tmp_path / "x.lock"
    lock.with_suffix(".json").write_text(json.dumps({"pid": pid, "host": "h"}))
    with _locks.hold(lock, what="x"):
        assert _locks.read_holder(lock)["pid"] == os.getpid()


def test_manifest_updates_and_verify_wait_for_the_manifest_lock(repo, monkeypatch):
    """Two runs of different notebooks may overlap, but their manifest updates (and a
    verify) take turns; one that cannot get the manifest in time installs nothing."""
    baseline(repo)
    before = values(repo)
    manifest = (repo / "data/raw/manifest.json").read_bytes()
    monkeypatch.setattr("neurolab.lab.manifest.MANIFEST_WAIT_S", 0.2)
    with _locks.hold(lock_path(repo, "manifest"), what="the manifest"):
        with pytest.raises(PipelineBusy, match=r"the manifest is in use by process "
                           rf"{os.getpid()} .*; nothing was checked"):
            verify(root=repo)
        with pytest.raises(PipelineBusy, match=r"the files of this run of "
                           r"01_toy@[0-9a-f]{12} were not installed; the previous ones are "
                           r"in place"):
            reproduce(["01_toy"], {"seed": "5"}, root=repo, log=lambda s: None)
    np.testing.assert_array_equal(values(repo), before)
    assert (repo / "data/raw/manifest.json").read_bytes() == manifest
    assert not (repo / STAGING).exists()
    assert verify(root=repo) == []
