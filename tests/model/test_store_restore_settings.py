"""``restore()`` brings back what the Python side reports as well as the kernel's state
(issue 24 item 7): the getters, the next run's provenance and later changes all start from
the restored settings (a no-op ``set_params`` re-applied an undone ``v_th``)."""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl

RUN = dict(progress=False, record_spikes="all")


def build():
    net = nl.Network(dt=0.1, seed=4)
    inp = net.add_poisson("inp", n=200, rates=20.0)
    out = net.add_lif("out", n=4, params=nl.LIFParams(synapse="conductance", v_rest=-74.0,
                                                      v_reset=-60.0, v_th=-54.0))
    proj = net.connect(inp, out, weight=0.02, stdp=nl.STDPParams(A_plus=0.002,
                                                                 A_minus=0.0021, w_max=0.05))
    drive = net.add_poisson_input("drive", out, n_sources=10, rate=5.0, weight=0.01)
    cur = net.add_current("cur", out, amplitude=0.5)
    return net, inp, out, proj, drive, cur


def undo_everything(net, inp, out, proj, drive, cur):
    """The issue's changes, and one more of every setting store covers."""
    proj.learning = False
    out.set_params(v_th=-40.0)
    inp.rates = 90.0
    drive.rate = 50.0
    cur.amplitude = 3.0
    proj.set_stdp(nl.STDPParams(A_plus=0.004, A_minus=0.0042, w_max=0.05))
    out.threshold = nl.AdaptiveThreshold(theta_plus=0.5, tau_theta=1e4)
    proj.normalize = nl.Normalization(target=1.0, every=10.0)


def settings(net, inp, out, proj, drive, cur) -> dict:
    return {"learning": proj.learning, "v_th": out.param("v_th").tolist(),
            "params": out.params.to_dict(), "rates": np.asarray(inp.rates).tolist(),
            "drive": drive.rate, "amplitude": cur.amplitude[1].tolist()
            if hasattr(cur.amplitude[1], "tolist") else cur.amplitude[1],
            "stdp": proj.stdp, "threshold": out.threshold, "normalize": proj.normalize}


@pytest.mark.parametrize("ran_first", [False, True])
def test_restore_brings_back_getters_provenance_and_later_changes(ran_first):
    objs = build()
    net, inp, out, proj, drive, cur = objs
    if ran_first:
        net.run(50.0, **RUN)
    net.store()
    before = settings(*objs)
    network_before = net.to_dict()
    undo_everything(*objs)
    assert settings(*objs) != before
    net.restore()
    assert settings(*objs) == before
    assert net.to_dict() == network_before
    out.set_params(tau_m=10.0)                   # a no-op: must not bring v_th = -40 back
    assert out.param("v_th").tolist() == [-54.0] * 4
    res = net.run(200.0, **RUN)
    recorded = res.params["network"]
    assert recorded["populations"][1]["params"]["v_th"] == -54.0
    assert recorded["populations"][0]["rates_hz"] == network_before["populations"][0]["rates_hz"]
    assert recorded["projections"][0]["stdp"] == network_before["projections"][0]["stdp"]

    # the same as a network that never saw the undone changes
    ref_objs = build()
    ref = ref_objs[0]
    if ran_first:
        ref.run(50.0, **RUN)
    ref.store()
    ref_objs[2].set_params(tau_m=10.0)
    expected = ref.run(200.0, **RUN)
    for pop in ("inp", "out"):
        assert np.array_equal(res.spikes[pop].t, expected.spikes[pop].t)
        assert np.array_equal(res.spikes[pop].i, expected.spikes[pop].i)
    assert len(res.spikes["out"]) > 0
    assert np.array_equal(proj.weight, ref_objs[3].weight)


def test_restore_of_a_name_brings_back_that_names_settings():
    objs = build()
    net, inp, out, proj, drive, cur = objs
    net.store("a")
    inp.rates = 40.0
    out.set_params(v_th=-50.0)
    net.store("b")
    inp.rates = 60.0
    net.restore("a")
    assert inp.rates.tolist() == [20.0] * 200 and out.params.v_th == -54.0
    net.restore("b")
    assert inp.rates.tolist() == [40.0] * 200 and out.params.v_th == -50.0
    net.restore("b")                   # restoring twice gives the same, unshared copies
    inp.rates = 70.0
    net.restore("b")
    assert inp.rates.tolist() == [40.0] * 200
