"""A notebook whose kernel dies (``os._exit``, a segfault, the out-of-memory killer) is
reported within seconds, naming the notebook and the cell, and a sweep records such a point
as failed and runs the others (issue 24 item 6).

The commands run in a child process with a time limit, so that a regression (the pipeline
waiting for ever on the dead kernel) fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_pipeline import write_notebook

REPO = Path(__file__).resolve().parents[2]
LIMIT_S = 180          # generous: a dead kernel is reported in a few seconds

PARAMS = "die = True   # end the kernel's process in cell 4\n"
BODY = ("x = 1",
        "import os\nif die:\n    os._exit(1)",
        "import numpy as np\nfrom neurolab.base import io, paths\n"
        "io.save_npz(paths.raw_dir('01_die') / 'x.npz', {'x': np.arange(3)})")


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    write_notebook(tmp_path / "notebooks" / "01_die.ipynb", PARAMS, *BODY)
    return tmp_path


def neurolab(*args, cwd):
    """``python -m neurolab.cli ARGS`` in a child process: (exit code, stdout, stderr,
    seconds); the test fails if it runs past ``LIMIT_S``."""
    env = dict(os.environ)
    for key in ("NEUROLAB_ROOT", "NEUROLAB_DATA_DIR", "NEUROLAB_RESULTS_DIR"):
        env.pop(key, None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "neurolab.cli", *map(str, args)],
                             cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = child.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)      # the command and its kernels, workers
        out, err = child.communicate()
        pytest.fail(f"`neurolab {' '.join(map(str, args))}` still running after "
                    f"{LIMIT_S} s (a dead kernel hangs the pipeline): {err[-2000:]}")
    return child.returncode, out, err, time.perf_counter() - t0


def test_a_dead_kernel_is_reported_naming_the_notebook_and_cell(repo):
    code, out, err, took = neurolab("reproduce", "01_die", "--root", repo, cwd=repo)
    assert code == 1, out + err
    assert "neurolab: error: notebook 01_die did not complete in cell 4" in err
    assert "DeadKernelError: Kernel died; the kernel process ended" in err
    assert "cell starts: import os" in err
    assert "executed copy in results/notebooks/01_die.failed.ipynb" in err
    assert (repo / "results" / "notebooks" / "01_die.failed.ipynb").is_file()
    assert not (repo / "data" / "raw" / "01_die").exists()         # nothing installed
    assert took < 60


def test_a_dead_kernel_point_of_a_sweep_fails_and_the_others_run(repo):
    code, out, err, _ = neurolab("sweep", "01_die", "--root", repo, "-p", "die", "true,false",
                                 "--workers", "1", "--no-progress", cwd=repo)
    assert code == 1, out + err
    assert "1 ok, 1 failed, 0 not run" in out
    [mpath] = (repo / "data" / "raw" / "sweeps").glob("*/manifest.json")
    points = {p["parameters"]["die"]: p for p in json.loads(mpath.read_text())["points"]}
    dead, alive = points[True], points[False]
    assert dead["status"] == "failed" and dead["cell"] == 4
    assert "DeadKernelError: Kernel died" in dead["error"]
    assert alive["status"] == "ok"
