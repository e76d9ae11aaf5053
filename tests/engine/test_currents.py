"""Injected currents (``Network.add_current``) against a naive reference written here: the
current of every neuron in every step is the sum of its sources' scheduled values, and a
LIF neuron far below threshold integrates it with the exact propagator,
``v(t + dt) = v_rest + (v(t) - v_rest) e^(-dt/tau_m) + I(t) (1 - e^(-dt/tau_m))``."""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl

DT, TAU = 0.1, 10.0


def schedule_value(times, values, t_steps, n):
    """The naive reading of one schedule: (steps, n) values, 0 before the first time."""
    out = np.zeros((t_steps.size, n))
    if times is None:
        out[:] = values
        return out
    steps = np.rint(np.asarray(times) / DT).astype(int)
    for k, s in enumerate(steps):
        out[t_steps >= s] = values[k]
    return out


def reference_v(currents, n, n_steps, v0):
    """``currents``: [(ids, [(from step, times or None, values), ...]), ...]"""
    t = np.arange(n_steps)
    I = np.zeros((n_steps, n))
    for ids, parts in currents:
        mine = np.zeros((n_steps, ids.size))
        for k, (start, times, values) in enumerate(parts):
            stop = parts[k + 1][0] if k + 1 < len(parts) else n_steps
            rows = (t >= start) & (t < stop)
            mine[rows] = schedule_value(times, values, t, ids.size)[rows]
        I[:, ids] += mine
    e = np.exp(-DT / TAU)
    v = np.empty((n_steps, n))
    x = np.full(n, v0)
    for s in range(n_steps):
        v[s] = x
        x = -70.0 + (x + 70.0) * e + I[s] * (1 - e)
    return v


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("chunk_steps", [None, 37])
def test_overlapping_sources_with_schedules_and_changes_between_runs(seed, chunk_steps):
    rng = np.random.default_rng(seed)
    n, n_steps = 12, 600
    net = nl.Network(dt=DT, seed=seed)
    pop = net.add_lif("E", n, nl.LIFParams(tau_m=TAU, v_rest=-70.0, v_th=1e6, v_reset=-80.0))
    # a constant source on all, a per-step noise current on a subgroup, a sparse schedule
    a_ids, b_ids, c_ids = np.arange(n), np.arange(2, 9), np.array([0, 4, 5, 11])
    a0 = rng.normal(5.0, 1.0, n)
    b_times = np.arange(0, 300) * DT
    b_vals = rng.normal(0.0, 3.0, (b_times.size, b_ids.size))
    c_times = np.array([3.0, 7.5, 7.6, 20.0])
    c_vals = rng.normal(0.0, 10.0, (c_times.size, c_ids.size))
    A = net.add_current("A", pop, a0)
    net.add_current("B", pop[2:9], b_vals, times=b_times)
    C = net.add_current("C", pop[[0, 4, 5, 11]], c_vals, times=c_times)
    res1 = net.run(25.0, record_state={"E": "all"}, chunk_steps=chunk_steps)
    # between runs: A becomes a schedule, C a constant (from step 250 on)
    a_times = 25.0 + np.array([0.0, 1.0, 2.5])
    a_vals = rng.normal(0.0, 5.0, (3, n))
    A.set(a_vals, times=a_times)
    c1 = rng.normal(0.0, 4.0, c_ids.size)
    C.amplitude = c1
    res2 = net.run(35.0, record_state={"E": "all"}, chunk_steps=chunk_steps)
    got = np.concatenate([res1.state["E"].v, res2.state["E"].v])
    assert got.shape == (n_steps, n)
    want = reference_v([(a_ids, [(0, None, a0), (250, a_times, a_vals)]),
                        (b_ids, [(0, b_times, b_vals)]),
                        (c_ids, [(0, c_times, c_vals), (250, None, c1)])],
                       n, n_steps, -70.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    assert np.abs(np.diff(got[:, 3])).max() > 0.05      # the noise moved it


def test_a_current_table_of_every_step_and_neuron_is_read_exactly():
    """One value per step and neuron (the Izhikevich benchmark's thalamic input, here on
    LIF): the same as the reference at every step."""
    rng = np.random.default_rng(5)
    n, n_steps = 50, 400
    vals = rng.normal(0.0, 20.0, (n_steps, n))
    net = nl.Network(dt=DT)
    pop = net.add_lif("E", n, nl.LIFParams(tau_m=TAU, v_rest=-70.0, v_th=1e6, v_reset=-80.0))
    net.add_current("I", pop, vals, times=np.arange(n_steps) * DT)
    got = net.run(n_steps * DT, record_state={"E": "all"}).state["E"].v
    want = reference_v([(np.arange(n), [(0, np.arange(n_steps) * DT, vals)])], n, n_steps,
                       -70.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
