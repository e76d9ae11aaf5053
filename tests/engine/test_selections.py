"""Issue 24, item 10: a recording selection is a set of ids; a repeated id is refused,
naming the selection and the id (``{"o": [1, 1]}`` recorded as if it were 'all')."""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl


def _net():
    """``o``: two LIF neurons, neuron 0 driven hard by ``p`` (fires), neuron 1 not."""
    net = nl.Network(dt=0.1, seed=0)
    p = net.add_poisson("p", 2, rates=500.0)
    o = net.add_lif("o", 2, nl.LIFParams(refractory=2.0))
    net.connect(p, o, "explicit", pre_ids=[0, 1], post_ids=[0, 0], weight=20.0)
    return net


@pytest.mark.parametrize("ids, repeated", [([1, 1], 1), ([0, 1, 0], 0),
                                           (np.array([1, 0, 1]), 1)])
def test_record_spikes_refuses_a_repeated_id(ids, repeated):
    net = _net()
    with pytest.raises(ValueError) as info:
        net.run(20.0, record_spikes={"o": ids}, progress=False)
    msg = str(info.value)
    assert msg.startswith("record_spikes['o'] must not repeat an id (a selection is a "
                          "set)")
    assert f"got {repeated} twice" in msg
    assert net.t == 0.0                                     # nothing ran


def test_record_state_and_weights_refuse_repeated_ids():
    net = _net()
    with pytest.raises(ValueError, match=r"record_state\['o'\] must not repeat an id .* "
                                         r"got 0 twice"):
        net.run(5.0, record_state={"o": [0, 0]}, progress=False)
    with pytest.raises(ValueError, match=r"record_weights\['p->o'\] must not repeat an id "
                                         r".* got 1 twice"):
        net.run(5.0, record_weights={"p->o": [1, 1]}, progress=False)


def test_distinct_ids_record_what_they_say():
    net = _net()
    res = net.run(50.0, record_spikes={"o": [1]}, progress=False)
    assert res.params["run"]["record_spikes"] == {"o": [1]}
    rates = res.rates("o")
    assert np.isnan(rates[0]) and rates[1] == 0.0           # neuron 0 was not recorded
    res = net.run(50.0, record_spikes={"o": [1, 0]}, progress=False)
    assert res.params["run"]["record_spikes"] == {"o": "all"}
    assert res.rates("o")[0] > 50.0                         # neuron 0 fires, recorded
