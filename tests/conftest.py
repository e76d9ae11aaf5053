"""pytest set-up for the test suite: the folders mirror the package's rooms (``base/``,
``model/``, ``plasticity/``, ``engine/``, ``results/``, ``datasets/``, ``lab/``, ``course/``,
``papers/``), plus ``oracles/`` (the Brian2 and NEST harnesses) and ``reference/`` (the
slow, obviously-correct simulators the kernel is compared with).

Test modules import those helpers, and a few shared network builders of other test
modules, by their plain names (``from reference import reference_simulate``,
``from nest_oracle import run_synapse``, ``from test_kernel_vs_reference import
random_network``): every test folder is put on ``sys.path`` here, once, before any test
module is imported. Test module names are unique across the folders.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in sorted(HERE.iterdir()):
    if folder.is_dir() and not folder.name.startswith(("_", ".")) \
            and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def pytest_sessionstart(session):
    """Fill numba's cache first (``neurolab warmup``, in a child process, as a classroom
    image or ``neurolab reproduce`` does), so that no test's output depends on whether
    some earlier test happened to compile a kernel (a run that compiles prints one
    "compiling the simulator" line). Tests of compiling itself use caches of their own
    (``tests/engine/test_compile.py``, ``tests/lab/test_warmup.py``)."""
    import subprocess

    subprocess.run([sys.executable, "-m", "neurolab.cli", "warmup", "--quiet"], check=True)
