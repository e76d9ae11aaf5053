"""Issue 24 item 4: a network too big for the machine is refused when it is described
(``add_*``, ``connect``), before anything is built: the tables a run needs are estimated
from the neuron and synapse counts (a lesson with 10^8 inputs failed only at the run,
after ~20 s of building)."""

from __future__ import annotations

import os
import time

import pytest

import neurolab as nl
from neurolab.base import resources


@pytest.fixture
def one_gib(monkeypatch):
    monkeypatch.setattr(resources, "available_memory", lambda: 2 ** 30)


def test_a_population_too_big_is_refused_before_it_is_built(one_gib):
    net = nl.Network(dt=0.1, seed=0)
    t0 = time.perf_counter()
    n = 10 ** 7                       # 10^7 x NEURON_BYTES = 1.5 GiB of tables
    assert n * resources.NEURON_BYTES > 0.9 * 2 ** 30
    with pytest.raises(MemoryError, match=r"population 'inp' of 10000000 neurons: the "
                                          r"network \(1e\+07 neurons, 0 synapses\) would need"):
        net.add_poisson("inp", n=n, rates=15.0)
    assert time.perf_counter() - t0 < 5.0 and "inp" not in net.populations


def test_synapses_that_would_not_fit_with_the_rest_are_refused_at_connect(one_gib):
    net = nl.Network(dt=0.1, seed=0)
    a = net.add_poisson("a", n=3000, rates=5.0)
    b = net.add_lif("b", n=3000)
    # 5.4e6 synapses x 96 bytes = 0.48 GiB: alone under the limit (90 % of 1 GiB)...
    net.connect(a, b, rule="probability", p=0.6)
    # ...a second one is not, counted with the first
    with pytest.raises(MemoryError, match=r"more synapses .*the network \(6e\+03 neurons, "
                                          r"1.08e\+07 synapses\) would need"):
        net.connect(a, b, rule="probability", p=0.6, name="again")
    assert len(net.projections) == 1


@pytest.mark.skipif(not os.path.exists("/proc/meminfo"), reason="Linux's /proc/meminfo")
def test_available_memory_is_what_psutil_says():
    """On Linux the available memory is read from /proc/meminfo without importing psutil
    (psutil's ``available`` is the same ``MemAvailable`` line); the two reads are apart in
    time, so they agree to what other processes allocate meanwhile."""
    psutil = pytest.importorskip("psutil")
    for _ in range(3):
        ours, theirs = resources.available_memory(), psutil.virtual_memory().available
        if ours == theirs:
            return
    assert abs(ours - theirs) < 0.02 * psutil.virtual_memory().total, (ours, theirs)


def test_available_memory_falls_back_to_psutil_without_a_meminfo_line(monkeypatch):
    """Where /proc/meminfo cannot be read or has no ``MemAvailable`` line, psutil answers."""
    import builtins
    import io
    import sys
    import types

    fake = types.ModuleType("psutil")
    fake.virtual_memory = lambda: types.SimpleNamespace(available=12345)
    monkeypatch.setitem(sys.modules, "psutil", fake)
    real_open = builtins.open
    for text in (None, b"MemTotal:       1000 kB\nMemFree:         500 kB\n",
                 b"MemTotal:       1000 kB\nMemAvailable:       0 kB\n"):
        def fake_open(path, *args, _text=text, **kw):
            if path != "/proc/meminfo":
                return real_open(path, *args, **kw)
            if _text is None:
                raise FileNotFoundError(path)
            return io.BytesIO(_text)

        monkeypatch.setattr(builtins, "open", fake_open)
        assert resources.available_memory() == 12345
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: io.BytesIO(
        b"MemTotal:       1000 kB\nMemAvailable:     400 kB\n"))
    assert resources.available_memory() == 400 * 1024
