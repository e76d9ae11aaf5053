"""``neurolab.papers.firing_patterns``: each preset under its published step current (the
figure of course lesson 1, section 6). The patterns themselves are tested in
tests/model/test_neuron_models.py; here: the runs are those of a hand-built network, the
currents are the published ones (typed from the papers / Brian2's Naud example), and the
arguments are checked."""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl
from neurolab.papers import firing_patterns as fp

#: the step currents as published: Izhikevich 2003 Fig. 2 (I = 10), Naud et al. 2008 Fig. 4
#: as in Brian2's example frompapers/Naud_et_al_2008_adex_firing_patterns.py (pA)
PUBLISHED = {"izhikevich": {"RS": 10.0, "IB": 10.0, "CH": 10.0, "FS": 10.0, "LTS": 10.0},
             "adex": {"tonic": 500.0, "adapting": 500.0, "initial_burst": 400.0,
                      "bursting": 210.0, "delayed": 300.0, "delayed_bursting": 110.0,
                      "transient": 180.0, "irregular": 160.0}}


def by_hand(model, name, duration, onset):
    net = nl.Network(dt=0.1)
    if model == "adex":
        pop = net.add_adex("n", 1, nl.AdExParams.preset(name))
    else:
        pop = net.add_izhikevich("n", 1, nl.IzhikevichParams.preset(name))
    net.add_current("I", pop, [PUBLISHED[model][name]], times=[onset])
    return net.run(duration, record_state={"n": "all"})


@pytest.mark.parametrize("model", ["adex", "izhikevich"])
def test_each_preset_runs_as_one_hand_built_neuron_under_its_published_step(model):
    duration, onset = 300.0, 25.0
    out = fp.run_presets(model, duration=duration, onset=onset)
    assert list(out) == list(PUBLISHED[model])            # the papers' order
    for name, r in out.items():
        assert r.current == PUBLISHED[model][name] and r.onset == onset
        assert r.unit == {"adex": "pA", "izhikevich": "mV/ms"}[model]
        assert r.t.shape == r.v.shape == (3000,)
        ref = by_hand(model, name, duration, onset)
        np.testing.assert_array_equal(r.v, ref.state["n"].v[:, 0])
        np.testing.assert_array_equal(r.spikes, ref.spikes["n"].t)
        assert r.spikes.size >= 1 and r.spikes.min() >= onset
        if model == "adex":
            # near rest until the step: from V = E_L, w = 0 only the exponential term
            # g_L Delta_T exp((E_L - V_T)/Delta_T) <= 18*2*exp(-4) = 0.66 pA pushes V up,
            # by about 0.66 pA / 130 pF * 25 ms = 0.13 mV (initial_burst; the term grows by
            # exp(0.13/2) = 7 % on the way: < 0.15 mV)
            E_L = nl.AdExParams.PRESETS[name]["E_L"]
            before = r.v[r.t <= onset]
            assert np.all(before >= E_L) and np.all(before - E_L < 0.15)
            assert r.v_peak == 0.0
        else:
            assert r.v_peak == 30.0
    if model == "adex":                                   # transient: silent after its onset
        assert out["transient"].spikes.max() < onset + 100.0


def test_names_and_arguments_are_checked():
    out = fp.run_presets("izhikevich", ["FS", "RS"], duration=50.0, onset=0.0)
    assert list(out) == ["FS", "RS"]
    with pytest.raises(ValueError, match=r"model must be one of \['adex', 'izhikevich'\], "
                                         r"got 'lif'"):
        fp.run_presets("lif")
    with pytest.raises(ValueError, match=r"names must be one of .*'tonic'.*got 'RS'"):
        fp.run_presets("adex", ["RS"])
    with pytest.raises(ValueError, match=r"names must name each preset once"):
        fp.run_presets("adex", ["tonic", "tonic"])
    with pytest.raises(ValueError, match=r"names must be a non-empty list"):
        fp.run_presets("adex", "tonic")
    with pytest.raises(ValueError, match=r"onset must be below duration=50.0 ms, got "
                                         r"onset=50.0 ms"):
        fp.run_presets("adex", ["tonic"], duration=50.0, onset=50.0)
