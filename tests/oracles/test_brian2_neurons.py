"""AdEx and Izhikevich populations against Brian2 (tests/oracles/brian2_neurons.py): the same
equations with the same integration method (AdEx ``rk4``, Izhikevich ``euler``) give the
same spike steps and ``v``, ``w``/``u`` within 1e-9 (mV, pA)."""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl

pytest.importorskip("brian2")
from brian2_neurons import brian2_run

pytestmark = [pytest.mark.brian2, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

DURATION = 150.0
WEIGHTS = {("adex", "delta"): 3.0, ("adex", "current"): 250.0, ("adex", "conductance"): 6.0,
           ("izhikevich", "delta"): 5.0, ("izhikevich", "current"): 12.0,
           ("izhikevich", "conductance"): 0.25}


def network(kind, synapse, seed):
    rng = np.random.default_rng([seed, 7])
    net = nl.Network(dt=0.1, seed=seed)
    steps = np.unique(rng.integers(0, int(DURATION / 0.1), 120))
    inp = net.add_spikes("inp", 10, times=steps * 0.1, indices=rng.integers(0, 10, steps.size))
    n = 5
    if kind == "adex":
        p = nl.AdExParams.preset(["tonic", "adapting", "initial_burst", "bursting"][seed % 4],
                                 synapse=synapse, I_bias=rng.uniform(100.0, 400.0, n),
                                 refractory=[0.0, 0.5][seed % 2],
                                 V_T=("uniform", -52.0, -48.0))
        pop = net.add_adex("N", n, p, v_init=("uniform", -70.0, -55.0))
    else:
        p = nl.IzhikevichParams.preset(["RS", "IB", "CH", "FS", "LTS"][seed % 5],
                                       synapse=synapse, I_bias=rng.uniform(0.0, 10.0, n))
        pop = net.add_izhikevich("N", n, p)
    w = WEIGHTS[(kind, synapse)]
    net.connect(inp, pop, "probability", p=0.6, weight=("uniform", 0.3 * w, w),
                delay=("uniform", 0.0, 2.0))
    net.connect(inp, pop, "probability", p=0.3, weight=0.5 * w, receptor="inh",
                name="inh")
    return net


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("synapse", ["delta", "current", "conductance"])
@pytest.mark.parametrize("kind", ["adex", "izhikevich"])
def test_same_spikes_and_state_as_brian2(kind, synapse, seed):
    net = network(kind, synapse, seed)
    second = "w" if kind == "adex" else "u"
    spk, v, w = brian2_run(net, "N", "inp", DURATION)
    res = net.run(DURATION, record_state={"N": "all"}, state_vars=("v", second))
    got = np.stack([np.rint(res.spikes["N"].t / net.dt).astype(int), res.spikes["N"].i],
                   axis=1)
    assert got.shape[0] > 5
    np.testing.assert_array_equal(got, spk)
    np.testing.assert_allclose(res.state["N"].v, v, rtol=0, atol=1e-9)
    np.testing.assert_allclose(getattr(res.state["N"], second), w, rtol=0, atol=1e-9)
