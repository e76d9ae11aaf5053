"""Clopath's voltage rule: the numba kernel against the slow pure-Python reference
(tests/reference/reference.py + reference_clopath.py, histories instead of delay lines and
event-driven traces).

Small random networks, seeded: Poisson and explicit inputs onto LIF (each synapse type) and
AdEx targets that spike, a plastic Clopath projection with axonal delays (per synapse),
the filter delay ``delay_u`` drawn, with and without the homeostatic LTD factor, beside a
static drive; a second Clopath projection onto the same targets with other parameters.
Same spike steps, ``v`` to rounding, final weights to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import reference_simulate

import neurolab as nl

DURATION = 150.0


def network(seed, kind, synapse):
    rng = np.random.default_rng([seed, 31])
    dt = float(rng.choice([0.1, 0.05]))
    net = nl.Network(dt=dt, seed=seed)
    inp = net.add_poisson("inp", 12, rates=rng.uniform(20.0, 60.0, 12))
    steps = np.unique(rng.integers(0, int(DURATION / dt), 30))
    stim = net.add_spikes("stim", 2, times=steps * dt, indices=rng.integers(0, 2, steps.size))
    if kind == "lif":
        N = net.add_lif("N", 4, nl.LIFParams(synapse=synapse, v_th=-50.0, v_reset=-65.0,
                                             refractory=float(rng.choice([0.0, 2.0])),
                                             I_bias=("uniform", 10.0, 18.0)),
                        v_init=("uniform", -70.0, -55.0))
        scale, theta_plus = {"delta": 2.0, "current": 4.0, "conductance": 0.1}[synapse], -56.0
    else:
        N = net.add_adex("N", 4, nl.AdExParams.preset("adapting", synapse=synapse,
                                                      I_bias=("uniform", 300.0, 500.0)))
        scale, theta_plus = {"delta": 2.0, "conductance": 4.0}[synapse], -52.0
    rule = nl.ClopathSTDP(A_LTD=2e-3 * scale, A_LTP=1e-3 * scale, theta_minus=-68.0,
                          theta_plus=theta_plus, tau_x=float(rng.uniform(8.0, 20.0)),
                          delay_u=float(rng.choice([0.0, 1.0, 4.0])),
                          u_ref=float(rng.choice([60.0, 70.0])) if seed % 2 else None,
                          w_max=3 * scale)
    net.connect(inp, N, "probability", p=0.6, weight=("uniform", 0.2 * scale, scale),
                delay=("uniform", 0.0, 2.0), stdp=rule, name="cl")
    net.connect(stim, N, "all_to_all", weight=scale, delay=dt,
                stdp=rule.replace(tau_minus=5.0, tau_plus=12.0, delay_u=0.5), name="cl2")
    net.connect(inp, N, "probability", p=0.3, weight=0.5 * scale, name="drive")
    return net


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("kind,synapse", [("lif", "delta"), ("lif", "current"),
                                          ("lif", "conductance"), ("adex", "delta"),
                                          ("adex", "conductance")])
def test_clopath_kernel_matches_reference(seed, kind, synapse):
    net = network(seed, kind, synapse)
    w0 = {name: p.weight.copy() for name, p in net.projections.items()}
    ref = reference_simulate(net, DURATION)
    res = net.run(DURATION, record_state={"N": "all"})
    got = sorted(zip(np.rint(res.spikes["N"].t / net.dt).astype(int).tolist(),
                     res.spikes["N"].i.tolist()))
    assert len(got) > 3
    assert got == ref["spikes"]["N"]
    np.testing.assert_allclose(res.state["N"].v, ref["v"]["N"], rtol=1e-9, atol=1e-9)
    for name in ("cl", "cl2"):
        w = res.final_weights[name]
        assert np.abs(w - w0[name]).max() > 1e-3 * w0[name].max()     # the rule acted
        np.testing.assert_allclose(w, ref["weights"][name], rtol=1e-10, atol=1e-12)
