"""Stop means stop (issue 19): an interrupted run raises ``nl.SimulationInterrupted`` (a
``KeyboardInterrupt``) carrying the partial result, the network stays consistent at the
interrupted time and continues bitwise, and an interrupt during the first compilation
breaks nothing (numba's typing of the kernel's tables did break when Ctrl-C landed inside
its compiler)."""

from __future__ import annotations

import _thread
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import neurolab as nl
from neurolab.engine import run as R


def test_simulation_interrupted_is_a_keyboard_interrupt_carrying_the_result():
    err = nl.SimulationInterrupted("stopped", result="partial", t=20.0, t_stop=400.0)
    assert isinstance(err, KeyboardInterrupt) and not isinstance(err, Exception)
    assert (err.result, err.t, err.t_stop, str(err)) == ("partial", 20.0, 400.0, "stopped")
    assert "SimulationInterrupted" in nl.__all__


def test_ctrl_c_inside_a_shielded_call_is_raised_when_it_returns():
    done = []

    def work():
        _thread.interrupt_main()             # as SIGINT arriving now
        time.sleep(0.2)                      # the main thread has received it by now
        done.append("the call finished")
        return 42

    with pytest.raises(KeyboardInterrupt):
        R._shielded(work)
    assert done == ["the call finished"]


def test_a_shielded_call_returns_its_value_and_raises_its_errors():
    import signal

    before = signal.getsignal(signal.SIGINT)
    assert R._shielded(lambda: 7) == 7
    with pytest.raises(ZeroDivisionError):
        R._shielded(lambda: 1 / 0)
    assert signal.getsignal(signal.SIGINT) is before       # no handler was touched
    with pytest.raises(KeyboardInterrupt):                  # inactive: nothing held back
        R._shielded(lambda: (_thread.interrupt_main(), time.sleep(0.2)), False)


SCRIPT = textwrap.dedent("""
    import _thread, threading, time
    import numpy as np
    import neurolab as nl

    def build():
        net = nl.Network(dt=0.1, seed=3)
        inp = net.add_poisson("inp", n=100, rates=20.0)
        out = net.add_lif("out", n=1, params=nl.LIFParams(synapse="conductance"))
        net.connect(inp, out, weight=0.02, stdp=nl.STDPParams(w_max=0.03))
        return net

    net = build()
    # Ctrl-C half a second in: with an empty cache numba is still compiling the kernel
    threading.Timer(0.5, _thread.interrupt_main).start()
    t0 = time.perf_counter()
    try:
        net.run(200.0, progress=False)
        print("NOT INTERRUPTED")
    except nl.SimulationInterrupted as err:
        part = err.result
        print("interrupted at", err.t, "ms", part.interrupted, round(time.perf_counter() - t0, 1))
    rest = net.run(200.0 - net.t, progress=False)          # the next run works
    whole = build().run(200.0, progress=False)
    a = np.concatenate([part.spikes["out"].t, rest.spikes["out"].t])
    assert np.array_equal(a, whole.spikes["out"].t), (a, whole.spikes["out"].t)
    assert np.array_equal(rest.final_weights["inp->out"], whole.final_weights["inp->out"])
    print("continued bitwise")
""")


def test_ctrl_c_during_the_first_compilation_breaks_nothing(tmp_path):
    """A fresh process with an EMPTY numba cache, Ctrl-C 0.5 s into the first run (inside
    the compilation): the run raises SimulationInterrupted once the first chunk is done,
    the next run works and, with the interrupted part, equals an uninterrupted run."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    lines = out.stdout.split("\n")
    assert any(ln.startswith("interrupted at ") and " True " in ln for ln in lines), out.stdout
    assert "continued bitwise" in out.stdout


def test_an_interrupted_result_says_so():
    net = nl.Network(dt=0.1, seed=0)
    src = net.add_spikes("s", n=1, times=[1.0], indices=[0])
    out = net.add_lif("o", n=1, params=nl.LIFParams(synapse="delta"))
    net.connect(src, out, weight=30.0)
    res = net.run(5.0, progress=False)
    assert "interrupted=False" in repr(res)
    partial = nl.SimResult(dt=0.1, duration=5.0, t_end=2.0, interrupted=True, seed=0,
                           params={}, t_start=0.0)
    text = repr(partial)
    assert "interrupted=True" in text and "2.0 ms of 5.0 ms" in text
