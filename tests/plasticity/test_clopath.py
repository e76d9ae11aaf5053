"""Clopath's voltage rule (neurolab.plasticity.clopath): hand-computed cases.

The postsynaptic voltage is clamped by construction: a conductance-based LIF neuron at rest
at ``V`` (``v_rest = V``, ``v_init = V``) whose excitatory reversal potential is ``V`` too,
so the plastic synapse's input changes nothing (``g (E_e - v) = 0``) and ``v`` stays ``V``
to rounding. Between runs ``v`` and ``v_rest`` may be moved to another value: a step in
``v``. Expected values come from the equations of the module docstring, written out here
(closed forms and geometric sums), never from the code under test.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import neurolab as nl
from neurolab.engine import kernels as K

DT = 0.1


def clamped(V, *, pre_steps=(50,), rule=None, w0=0.5):
    net = nl.Network(dt=DT, seed=0)
    pre = net.add_spikes("pre", 1, times=np.array(pre_steps) * DT,
                         indices=np.zeros(len(pre_steps), int))
    post = net.add_lif("post", 1, nl.LIFParams(tau_m=10.0, v_rest=V, v_th=100.0,
                                               v_reset=-60.0, synapse="conductance",
                                               E_e=V), v_init=V)
    net.connect(pre, post, weight=w0, stdp=rule, name="cl")
    return net, post


def test_ltd_and_ltp_on_a_clamped_voltage():
    """One presynaptic spike at step m onto v = V: LTD A_LTD (V - theta_minus) at m, then
    LTP A_LTP dt x_bar(t_{n+1}) (V - theta_plus)(V - theta_minus) every step n >= m, with
    x_bar(t_{n+1}) = exp(-(n + 1 - m) dt / tau_x) / tau_x: a geometric sum."""
    V, m, N = -40.0, 50, 300
    rule = nl.ClopathSTDP(A_LTD=2e-4, A_LTP=1e-4, theta_minus=-65.0, theta_plus=-45.0,
                          tau_x=12.0, delay_u=3.0, w_max=10.0)
    net, _ = clamped(V, rule=rule)
    res = net.run(N * DT, progress=False)
    q = math.exp(-DT / 12.0)
    ltd = 2e-4 * (V + 65.0)
    ltp = 1e-4 * DT * (V + 45.0) * (V + 65.0) / 12.0 * q * (1 - q ** (N - m)) / (1 - q)
    assert res.final_weights["cl"][0] - 0.5 == pytest.approx(ltp - ltd, abs=1e-13)
    # the same below theta_plus: LTD only; below theta_minus: nothing at all
    for V2, want in ((-50.0, -2e-4 * 15.0), (-70.0, 0.0)):
        net, _ = clamped(V2, rule=rule)
        res = net.run(N * DT, progress=False)
        assert res.final_weights["cl"][0] - 0.5 == pytest.approx(want, abs=1e-13)


def test_homeostatic_ltd_factor():
    """``u_ref`` given: LTD times u_bar_bar^2 / u_ref^2 (u_bar_bar = V on a clamped trace)."""
    V = -50.0
    rule = nl.ClopathSTDP(A_LTD=2e-4, theta_minus=-65.0, theta_plus=0.0, u_ref=7.0,
                          w_max=10.0)
    net, _ = clamped(V, rule=rule, pre_steps=(50, 90))
    res = net.run(20.0, progress=False)
    want = -2 * 2e-4 * V * V / 49.0 * (V + 65.0)
    assert res.final_weights["cl"][0] - 0.5 == pytest.approx(want, rel=1e-12)


def test_filters_and_their_delay_after_a_step_in_v():
    """v = V0 for N0 steps, then V1 (moved between runs). The filter (exact for v linear
    over a step) gives u(t_{N0+1+k}) = V1 + (V0 - V1) g e^k with e = exp(-dt/tau),
    g = tau/dt (1 - e), and u = V0 before; delayed by D steps. One presynaptic spike at
    step m0 < N0 (x_bar known), one at m1 > N0 (LTD from the delayed u_minus)."""
    V0, V1, N0, m0, m1, N = -60.0, -40.0, 100, 60, 160, 260
    tm, tp, tx, du = 10.0, 7.0, 15.0, 2.0
    D = round(du / DT)
    rule = nl.ClopathSTDP(A_LTD=2e-4, A_LTP=1e-4, theta_minus=-65.0, theta_plus=-45.0,
                          tau_minus=tm, tau_plus=tp, tau_x=tx, delay_u=du, w_max=10.0)
    net, post = clamped(V0, rule=rule, pre_steps=(m0, m1))
    net.run(N0 * DT, progress=False)
    post.set_params(v_rest=V1, E_e=V1)
    post.v = np.array([V1])
    res = net.run((N - N0) * DT, progress=False)

    def u(step, tau):        # filtered v at t_step (step counted from 0)
        if step <= N0:
            return V0
        e = math.exp(-DT / tau)
        g = tau / DT * (1 - e)
        return V1 + (V0 - V1) * g * e ** (step - N0 - 1)

    def xbar(n):             # x_bar at t_{n+1} (arrivals up to step n)
        return sum(math.exp(-(n + 1 - s) * DT / tx) / tx for s in (m0, m1) if s <= n)

    ltd = sum(2e-4 * max(u(s - D, tm) + 65.0, 0.0) for s in (m0, m1))
    ltp = 0.0
    for n in range(N0, N):   # v_{n+1} = V1 > theta_plus from step N0 on
        ltp += 1e-4 * DT * xbar(n) * (V1 + 45.0) * max(u(n + 1 - D, tp) + 65.0, 0.0)
    assert res.final_weights["cl"][0] - 0.5 == pytest.approx(ltp - ltd, rel=1e-9)


def test_bounds_and_frozen_learning():
    rule = nl.ClopathSTDP(A_LTD=0.1, theta_minus=-65.0, theta_plus=0.0, w_min=0.2)
    net, _ = clamped(-40.0, rule=rule)
    assert net.run(20.0, progress=False).final_weights["cl"][0] == 0.2
    rule = nl.ClopathSTDP(A_LTP=1.0, theta_minus=-65.0, theta_plus=-45.0, w_max=0.7)
    net, _ = clamped(-40.0, rule=rule)
    assert net.run(20.0, progress=False).final_weights["cl"][0] == 0.7
    net, _ = clamped(-40.0, rule=rule)
    net.projections["cl"].learning = False
    assert net.run(20.0, progress=False).final_weights["cl"][0] == 0.5


def test_continued_runs_equal_one_run_and_threads_refused():
    """run(a) + run(b) equals run(a + b) bitwise on a spiking AdEx network; threads > 1 is
    refused by name (one thread, same result)."""
    def build():
        net = nl.Network(dt=DT, seed=4)
        inp = net.add_poisson("inp", 20, rates=40.0)
        A = net.add_adex("A", 3, nl.AdExParams(V_peak=0.0, V_reset=-60.0))
        net.connect(inp, A, weight=("uniform", 1.0, 4.0), delay=("uniform", 0.0, 2.0),
                    stdp=nl.ClopathSTDP(theta_plus=-55.0, w_max=10.0), name="p")
        return net
    a = build()
    r1 = a.run(60.0, progress=False)
    a.run(90.0, progress=False)
    b = build()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rb = b.run(150.0, progress=False, threads=2)
    assert any("Clopath's voltage rule" in str(w.message) for w in caught)
    np.testing.assert_array_equal(a.projections["p"].weight, b.projections["p"].weight)
    assert r1.spikes["A"].t.size > 0 and rb.spikes["A"].t.size > r1.spikes["A"].t.size
    assert not np.array_equal(b.projections["p"].weight, build().projections["p"].weight)


def test_the_kernel_argument_is_none_without_the_rule():
    """Networks without the rule pass ``cl=None`` (numba drops its code)."""
    net = nl.Network(dt=DT, seed=0)
    a = net.add_poisson("a", 5, rates=50.0)
    b = net.add_lif("b", 2)
    net.connect(a, b, weight=5.0, stdp=nl.STDPParams(w_max=10.0))
    net.run(5.0, progress=False)
    assert net._state.clopath is None
    assert any(str(sig[14]) == "none" for sig in K.run_steps.signatures)


@pytest.mark.parametrize("bad", [{"A_LTD": -1.0}, {"tau_x": 0.0}, {"delay_u": -1.0},
                                 {"u_ref": 0.0}, {"w_min": 1.0, "w_max": 0.5},
                                 {"theta_plus": "a"}])
def test_invalid_parameters_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        nl.ClopathSTDP(**bad)


def test_store_and_restore_keep_the_filters():
    """restore() brings back the filters and delay lines: a restored run repeats itself."""
    net = nl.Network(dt=DT, seed=4)
    inp = net.add_poisson("inp", 10, rates=40.0)
    A = net.add_adex("A", 2, nl.AdExParams(V_peak=0.0, V_reset=-60.0))
    net.connect(inp, A, weight=("uniform", 1.0, 4.0), delay=("uniform", 0.0, 2.0),
                stdp=nl.ClopathSTDP(theta_plus=-55.0, w_max=10.0), name="p")
    net.run(40.0, progress=False)
    net.store()
    net.run(60.0, progress=False)
    w1 = net.projections["p"].weight.copy()
    net.restore()
    net.run(60.0, progress=False)
    np.testing.assert_array_equal(net.projections["p"].weight, w1)


def test_set_stdp_changes_parameters_not_the_delay_line():
    """Between runs set_stdp may change amplitudes and thresholds (the next run uses them);
    another delay_u (the delay line's length) or another family is refused."""
    V, m = -40.0, 50
    rule = nl.ClopathSTDP(A_LTD=2e-4, A_LTP=0.0, theta_minus=-65.0, theta_plus=-45.0,
                          w_max=10.0)
    net, _ = clamped(V, rule=rule, pre_steps=(m, 150))
    net.run(10.0, progress=False)
    proj = net.projections["cl"]
    proj.set_stdp(rule.replace(A_LTD=1e-4))
    res = net.run(10.0, progress=False)
    assert res.final_weights["cl"][0] - 0.5 == pytest.approx(-(2e-4 + 1e-4) * 25.0, abs=1e-13)
    with pytest.raises(ValueError):
        proj.set_stdp(rule.replace(delay_u=1.0))
    with pytest.raises(ValueError):
        proj.set_stdp(nl.STDPParams(w_max=10.0))
