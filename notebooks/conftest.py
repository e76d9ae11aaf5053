"""pytest set-up for the notebooks that nbval runs (`python -m pytest`).

A notebook writes its data and figures under the repository's ``data/`` and ``results/``
(see ``neurolab.base.paths``). Under the test suite they go to a temporary folder instead, so
that testing never changes the artifacts ``neurolab reproduce`` made. The kernels nbval
starts inherit this process's environment.
"""

import os
import shutil
import tempfile

import pytest

from neurolab.base import paths

_saved = {}
_tmp = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the first notebook's kernel starts: point data/ and results/ elsewhere, and
    fill numba's cache (``neurolab warmup``, as a classroom image does), so that no checked
    cell output depends on whether a kernel had to compile (the "compiling the simulator"
    line)."""
    global _tmp
    if _tmp is None and item.path.suffix == ".ipynb":
        import subprocess
        import sys

        subprocess.run([sys.executable, "-m", "neurolab.cli", "warmup", "--quiet"],
                       check=True)
        _tmp = tempfile.mkdtemp(prefix="neurolab-nbval-")
        for env, sub in ((paths.DATA_ENV, "data"), (paths.RESULTS_ENV, "results")):
            _saved[env] = os.environ.get(env)
            os.environ[env] = os.path.join(_tmp, sub)


def pytest_sessionfinish(session):
    for env, value in _saved.items():
        if value is None:
            os.environ.pop(env, None)
        else:
            os.environ[env] = value
    if _tmp is not None:
        shutil.rmtree(_tmp, ignore_errors=True)
