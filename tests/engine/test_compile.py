"""Compiling the kernels (neurolab.engine.compile): one line before a run that must compile,
none when the kernel is cached; processes compiling different kernels at once leave a cache
that a third process loads, and loads right (the same spikes and weights as a process that
compiled everything itself)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

NOTICE = "neurolab: compiling the simulator"

# one network per optional family: prints its spikes and final weights as JSON, and
# whether this process compiled anything (numba's dispatcher statistics)
SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import neurolab as nl
    from neurolab.engine import kernels

    def build(kind):
        net = nl.Network(dt=0.1, seed=3)
        inp = net.add_poisson("inp", 20, rates=80.0)
        th = nl.AdaptiveThreshold(theta_plus=0.5, tau_theta=50.0) if kind == "homeo" else None
        out = net.add_lif("out", 3, nl.LIFParams(synapse="delta", refractory=2.0),
                          threshold=th)
        rule = {"pair": nl.STDPParams(A_plus=0.02, w_max=5.0),
                "triplet": nl.TripletSTDP(w_max=5.0),
                "vogels": nl.VogelsSTDP(w_max=5.0),
                "homeo": nl.STDPParams(A_plus=0.02, w_max=5.0)}[kind]
        net.connect(inp, out, weight=2.0, stdp=rule, name="syn")
        return net

    out = {}
    for kind in sys.argv[1].split(","):
        net = build(kind)
        res = net.run(200.0, progress=False)
        out[kind] = {"t": res.spikes["out"].t.tolist(), "i": res.spikes["out"].i.tolist(),
                     "w": res.final_weights["syn"].tolist()}
    print("RESULT " + json.dumps(out))
""")


def _run(kinds, cache, check=True):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NEUROLAB_BACKGROUND_COMPILE="0")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, ",".join(kinds)], env=env,
                          capture_output=True, text=True, timeout=900)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _result(proc):
    line = [s for s in proc.stdout.splitlines() if s.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def _cache_files(cache):
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*.nb[ci]"))


def test_a_run_that_compiles_says_so_once_and_a_cached_one_says_nothing(tmp_path):
    cache = tmp_path / "cache"
    first = _run(["pair"], cache)
    assert first.stdout.count(NOTICE) == 1, first.stdout
    assert "first use on this machine only" in first.stdout
    files = _cache_files(cache)
    assert any("run_steps" in f for f in files)
    again = _run(["pair"], cache)
    assert NOTICE not in again.stdout
    assert _cache_files(cache) == files          # nothing new was compiled
    assert _result(again) == _result(first)


@pytest.mark.slow
def test_two_processes_compiling_different_kernels_at_once_leave_a_sound_cache(tmp_path):
    """Four specialisations, two processes each compiling two of them at the same time
    into one empty cache (numba's index would lose or cross entries without the lock);
    a third process then loads all four without compiling, with results equal, to the
    last bit, to those of the processes that compiled them."""
    shared = tmp_path / "shared"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(shared), NEUROLAB_BACKGROUND_COMPILE="0")
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, kinds], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for kinds in ("pair,triplet", "homeo,vogels")]
    outs = [p.communicate(timeout=900) for p in procs]
    compiled = {}
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
        assert out.count(NOTICE) == 2, out      # each compiled its two kernels
        compiled.update(_result(subprocess.CompletedProcess([], 0, stdout=out)))
    files = _cache_files(shared)
    third = _run(["pair", "triplet", "homeo", "vogels"], shared)
    assert NOTICE not in third.stdout           # every kernel came from the cache
    assert _cache_files(shared) == files
    assert _result(third) == compiled
    for kind, rec in compiled.items():          # each network did something
        assert len(rec["t"]) > 0, kind
    assert compiled["pair"] != compiled["homeo"]   # the families change the result


def test_ensure_compiled_compiles_the_specialisation_the_call_then_uses():
    """The signature computed before the call is the one numba dispatches to: the call
    after ensure_compiled adds no specialisation."""
    import numpy as np
    from numba import njit

    from neurolab.engine import compile as C

    @njit
    def f(a, b, c):
        return a.sum() + b + (0.0 if c is None else c)

    args = (np.arange(3.0), 2, None)
    assert not C.loaded(f, C.signature(args))
    C.ensure_compiled(f, args)
    assert C.loaded(f, C.signature(args))
    n = len(f.overloads)
    assert f(*args) == 5.0
    assert len(f.overloads) == n
    assert C.ensure_compiled(f, args) == 0.0


def test_the_compile_lock_excludes_another_process(tmp_path):
    """While this process holds the compile lock, another process cannot take it."""
    from numba import njit

    from neurolab.engine import compile as C

    @njit(cache=True)
    def g(x):
        return x + 1

    folder = C.cache_folder(g)
    assert folder is not None
    code = textwrap.dedent(f"""
        from filelock import FileLock, Timeout
        try:
            FileLock({os.path.join(folder, "neurolab-compile.lock")!r}, timeout=0.5).acquire()
            print("acquired")
        except Timeout:
            print("busy")
    """)
    with C.compile_lock(g):
        held = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60).stdout.strip()
    free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60).stdout.strip()
    assert (held, free) == ("busy", "acquired")
