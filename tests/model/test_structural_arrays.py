"""Structural arrays the kernel reads once (explicit spikes, delays) cannot change behind
its back (issue 24 item 8): after the first run an edit is refused instead of being recorded
in the provenance while the kernel keeps the old values; ``add_spikes`` owns copies of the
caller's arrays; before the first run a change goes through the same checks."""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl


def spikes_net(times=(5.0,), indices=(0,), delay=1.0):
    net = nl.Network(dt=0.1, seed=0)
    src = net.add_spikes("s", 2, list(times), list(indices))
    out = net.add_lif("o", 2, params=nl.LIFParams(synapse="delta"))
    proj = net.connect(src, out, rule="one_to_one", weight=30.0, delay=delay)
    return net, src, out, proj


def test_explicit_spikes_cannot_change_after_the_first_run():
    net, src, _, _ = spikes_net()
    net.run(2.0, progress=False)
    with pytest.raises(RuntimeError, match=r"cannot change times of population 's': "
                                           r"explicit spikes are fixed once the network "
                                           r"has run or been stored \(t = 2 ms\)"):
        src.times = [3.0, 4.0, 5.0]
    with pytest.raises(RuntimeError, match="cannot change indices of population 's'"):
        src.indices = [1]
    with pytest.raises(ValueError, match="read-only"):
        src.times[0] = 3.0
    with pytest.raises(ValueError, match="read-only"):
        src.indices[0] = 1
    res = net.run(10.0, progress=False)
    assert list(src.times) == [5.0] and list(src.indices) == [0]
    assert res.params["network"]["populations"][0]["n_spikes"] == 1
    assert list(res.spikes["o"].i) == [0]            # the spike the kernel emitted


def test_explicit_spikes_cannot_change_after_store():
    net, src, _, _ = spikes_net()
    net.store()
    with pytest.raises(RuntimeError, match=r"cannot change times .* \(t = 0 ms\)"):
        src.times = [7.0]


def test_delays_cannot_be_written_in_place():
    net, _, _, proj = spikes_net()
    with pytest.raises(ValueError, match="read-only"):
        proj.delay[:] = 0.5                              # before the first run too
    res = net.run(20.0, progress=False)
    with pytest.raises(ValueError, match="read-only"):
        proj.delay[:] = 0.5
    with pytest.raises(RuntimeError, match="delays of 's->o' cannot change"):
        proj.delay = 0.5
    assert list(proj.delay) == [1.0, 1.0]
    assert res.params["network"]["projections"][0]["delay_ms"] == \
        net.run(1.0, progress=False).params["network"]["projections"][0]["delay_ms"]


def test_add_spikes_copies_the_callers_arrays():
    times = np.array([5.0, 8.0])
    indices = np.array([0, 1], dtype=np.int64)
    net = nl.Network(dt=0.1, seed=0)
    src = net.add_spikes("s", 2, times, indices)
    times[:] = [-1.0, 5.0]              # invalid now, and would move the spikes
    indices[:] = 0                      # two spikes of source 0 ... if they were shared
    assert list(src.times) == [5.0, 8.0] and list(src.indices) == [0, 1]
    out = net.add_lif("o", 2, params=nl.LIFParams(synapse="delta"))
    net.connect(src, out, rule="one_to_one", weight=30.0)
    res = net.run(10.0, progress=False)
    assert list(res.spikes["o"].i) == [0, 1]


def test_before_the_first_run_a_change_of_spikes_is_checked():
    net, src, _, _ = spikes_net(times=(5.0, 6.0), indices=(0, 1))
    src.times = [1.0, 2.0]
    assert list(src.times) == [1.0, 2.0] and not src.times.flags.writeable
    with pytest.raises(ValueError, match=r"times must be >= 0 ms, got -1\.0 at index 0"):
        src.times = [-1.0, 2.0]
    with pytest.raises(ValueError, match=r"len\(times\)=3 and len\(indices\)=2"):
        src.times = [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match=r"indices"):
        src.indices = [0, 2]                            # only 2 sources
    with pytest.raises(ValueError, match="two spikes in the step"):
        src.indices = [0, 0]
        src.times = [1.0, 1.0]
    assert list(src.times) == [1.0, 2.0] and list(src.indices) == [0, 0]
    with pytest.raises(AttributeError, match="times exists for populations of kind 'spikes'"):
        net.populations["o"].times = [1.0]
