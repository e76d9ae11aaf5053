"""The threaded kernel's tests (tests/threads_cases.py), run in a process of their own.

numba's OpenMP threading layer and the OpenMP runtime bundled with NEST (the oracle of
tests/test_nest_*.py) crash a process that uses both (a segmentation fault in
``nest.ResetKernel``, whichever comes first), so the runs with ``threads > 1`` stay out of
the main test process. The child's report is printed; every one of its tests must pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_threaded_kernel_cases_in_their_own_process():
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-W", "ignore::DeprecationWarning", str(HERE / "threads_cases.py")],
                         cwd=str(HERE.parents[1]), capture_output=True, text=True, timeout=1800)
    report = out.stdout + out.stderr
    print(report)
    assert out.returncode == 0, report[-4000:]
    summary = report.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert "failed" not in summary and "error" not in summary, summary
    assert passed >= 30, summary            # the cases ran (skips only without 2 threads)


def test_nest_in_the_process_means_one_thread():
    """With NEST imported, a threads=2 run warns and runs on one thread (same result)
    instead of crashing the process later."""
    pytest.importorskip("nest")
    code = textwrap.dedent("""
        import os, warnings, numpy as np
        os.environ["PYNEST_QUIET"] = "1"
        import nest
        import neurolab as nl
        def net():
            n = nl.Network(dt=0.1, seed=1)
            src = n.add_poisson("src", 50, rates=20.0)
            out = n.add_lif("out", 20, nl.LIFParams(synapse="delta", refractory=2.0))
            n.connect(src, out, "probability", p=0.3, weight=("uniform", 0.0, 2.0),
                      stdp=nl.STDPParams(w_max=2.0))
            return n
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            a = net().run(100.0, threads=2, progress=False)
        b = net().run(100.0, progress=False)
        assert np.array_equal(a.final_weights["src->out"], b.final_weights["src->out"])
        msgs = [str(w.message) for w in rec if issubclass(w.category, RuntimeWarning)]
        assert any("NEST" in m and "one thread" in m for m in msgs), msgs
        nest.ResetKernel()
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, cwd=str(HERE.parent),
                         env=dict(os.environ, NUMBA_NUM_THREADS="2"))
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), \
        out.stdout[-2000:] + out.stderr[-3000:]
