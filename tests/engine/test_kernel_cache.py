"""numba keys a function's disk cache on its own file; the kernel inlines the rule modules'
functions, so neurolab drops its cached kernels when any kernel source changes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def test_a_changed_rule_module_recompiles_the_kernel(tmp_path):
    """Copy the package, fill the cache, then change only a rule module's kernel function
    (the sign of depression): the next process must run the changed code, not the cached
    kernel."""
    import shutil

    import neurolab

    src = os.path.dirname(neurolab.__file__)
    pkg = tmp_path / "pkgcopy"
    shutil.copytree(src, pkg / "neurolab", ignore=shutil.ignore_patterns("__pycache__"))
    script = textwrap.dedent("""
        import numpy as np, neurolab as nl
        net = nl.Network(dt=0.1, seed=0)
        pre = net.add_spikes("pre", 1, times=[10.0], indices=[0])
        drive = net.add_spikes("drive", 1, times=[4.9], indices=[0])
        post = net.add_lif("post", 1, nl.LIFParams(synapse="delta"))
        net.connect(drive, post, "one_to_one", weight=30.0)
        proj = net.connect(pre, post, "one_to_one", weight=0.5,
                           stdp=nl.STDPParams(A_plus=0.01, A_minus=0.01, tau_minus=10.0))
        net.run(30.0, progress=False)
        print(repr(float(proj.weight[0])))
    """)
    env = dict(os.environ, PYTHONPATH=str(pkg), NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def run():
        out = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                             capture_output=True,
                             text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])

    # post at 5.0 ms, pre at 10.0 ms: one depression pair, 0.01 * exp(-5/10)
    want = 0.5 - 0.01 * 0.6065306597126334
    assert abs(run() - want) < 1e-12
    pair = pkg / "neurolab" / "plasticity" / "pair.py"
    text = pair.read_text()
    changed = text.replace("return _clip(w - x, w_min, w_max)", "return _clip(w + x, w_min, w_max)")
    assert changed != text
    pair.write_text(changed)
    assert abs(run() - (0.5 + 0.01 * 0.6065306597126334)) < 1e-12
