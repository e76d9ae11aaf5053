"""`neurolab simulate` configs with AdEx and Izhikevich populations: parameter objects and
published presets from JSON, validated with messages naming the key, the value and what is
allowed, and the network built from the config runs exactly as the same network built in
Python (and a saved run.json reruns it)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neurolab as nl
from neurolab import cli
from neurolab.base import io

CONFIG = {
    "dt": 0.1, "seed": 3, "duration": 200.0,
    "populations": [
        {"name": "stim", "kind": "poisson", "n": 20, "rates": 40.0},
        {"name": "izh", "kind": "izhikevich", "n": 3,
         "params": {"preset": "RS", "method": "half_steps"}, "v_init": -70.0},
        {"name": "ch", "kind": "izhikevich", "n": 2,
         "params": {"preset": "CH", "c": ["uniform", -55.0, -45.0]}},
        {"name": "ad", "kind": "adex", "n": 2, "params": {"preset": "adapting"}},
        {"name": "cl", "kind": "adex", "n": 1,        # Clopath's after-spike current, threshold
         "params": {"preset": "tonic", "I_sp": 400.0, "V_th_max": -30.4, "t_clamp": 2.0}},
        {"name": "I_izh", "kind": "current", "target": "izh", "amplitude": 10.0},
        {"name": "I_ch", "kind": "current", "target": "ch", "amplitude": 10.0},
        {"name": "I_ad", "kind": "current", "target": "ad", "amplitude": 500.0},
        {"name": "I_cl", "kind": "current", "target": "cl", "amplitude": 800.0},
    ],
    "projections": [{"pre": "stim", "post": "izh", "weight": 2.0}],
    "run": {"record_state": {"izh": "all", "ad": "all"}, "state_vars": {"izh": ["v", "u"], "ad": ["v", "w"]}},
}


def python_network():
    """The network of CONFIG written with the Python API."""
    net = nl.Network(dt=0.1, seed=3)
    net.add_poisson("stim", n=20, rates=40.0)
    izh = net.add_izhikevich("izh", 3, params=nl.IzhikevichParams.preset(
        "RS", method="half_steps"), v_init=-70.0)
    ch = net.add_izhikevich("ch", 2, params=nl.IzhikevichParams.preset(
        "CH", c=("uniform", -55.0, -45.0)))
    ad = net.add_adex("ad", 2, params=nl.AdExParams.preset("adapting"))
    cl = net.add_adex("cl", 1, params=nl.AdExParams.preset(
        "tonic", I_sp=400.0, V_th_max=-30.4, t_clamp=2.0))
    net.add_current("I_izh", izh, amplitude=10.0)
    net.add_current("I_ch", ch, amplitude=10.0)
    net.add_current("I_ad", ad, amplitude=500.0)
    net.add_current("I_cl", cl, amplitude=800.0)
    net.connect("stim", "izh", weight=2.0)
    return net


def _spikes(res):
    return {k: (np.asarray(r.t), np.asarray(r.i)) for k, r in res.spikes.items()}


def test_config_with_adex_and_izhikevich_matches_python():
    net, run = cli.build_network(json.loads(json.dumps(CONFIG)))
    assert type(net.populations["izh"].params) is nl.IzhikevichParams
    assert net.populations["izh"].params.method == "half_steps"
    assert type(net.populations["ad"].params) is nl.AdExParams
    assert net.populations["cl"].params.V_th_max == -30.4
    assert net.populations["cl"].params.I_sp == 400.0
    res = net.run(**run, progress=False)
    ref = python_network().run(200.0, record_state={"izh": "all", "ad": "all"},
                               state_vars={"izh": ("v", "u"), "ad": ("v", "w")},
                               progress=False)
    got, want = _spikes(res), _spikes(ref)
    assert set(got) == set(want) == {"izh", "ch", "ad", "cl"}
    for pop in want:
        np.testing.assert_array_equal(got[pop][0], want[pop][0])
        np.testing.assert_array_equal(got[pop][1], want[pop][1])
        assert want[pop][0].size > 0, pop                # every population fires
    np.testing.assert_array_equal(res.state["izh"].v, ref.state["izh"].v)
    np.testing.assert_array_equal(res.state["ad"].w, ref.state["ad"].w)
    c = net.populations["ch"].neuron_params["c"]
    assert np.all((c >= -55.0) & (c <= -45.0)) and c[0] != c[1]   # drawn per neuron


def test_presets_give_the_published_values():
    for kind, cls in (("izhikevich", nl.IzhikevichParams), ("adex", nl.AdExParams)):
        for name in cls.PRESETS:
            got = cli._neuron_params("p", kind, {"preset": name})
            want = cls.preset(name)
            assert got.to_dict() == want.to_dict(), (kind, name)
    fs = cli._neuron_params("p", "izhikevich", {"preset": "FS", "d": 3.0})
    assert (fs.a, fs.b, fs.c, fs.d) == (0.1, 0.2, -65.0, 3.0)


@pytest.mark.parametrize("kind, params, error, match", [
    ("izhikevich", {"preset": "regular"}, ValueError,
     (r"config populations\[0\]\.params: preset='regular'; allowed: \['CH', 'FS', 'IB', "
      r"'LTS', 'RS', 'RZ', 'TC'\]")),
    ("adex", {"preset": "tonik"}, ValueError,
     (r"preset='tonik'; allowed: \['adapting', 'bursting', 'delayed', .*'tonic', "
      r"'transient'\]")),
    ("izhikevich", {"preset": 1}, ValueError, r"preset=1; allowed: \['CH'"),
    ("lif", {"preset": "RS"}, ValueError,
     r"config populations\[0\]\.params: unknown keys \['preset'\]; allowed: \['E_e', "),
    ("izhikevich", {"tau_m": 10.0}, ValueError,
     (r"unknown keys \['tau_m'\]; allowed: \['E_e', 'E_i', 'I_bias', 'a', 'b', 'c', 'd', "
      r"'method', 'model', 'preset', 'synapse', 'tau_e', 'tau_i', 'v_peak'\]")),
    ("adex", {"V_th": -50.0}, ValueError, r"unknown keys \['V_th'\]; allowed: \[.*'V_T'"),
    ("izhikevich", {"model": "adex"}, ValueError,
     (r"model='adex' does not match the population's kind 'izhikevich'; allowed: "
      r"'izhikevich'")),
    ("izhikevich", {"preset": "RS", "method": "rk4"}, ValueError,
     r"method must be one of \['euler', 'half_steps'\], got 'rk4'"),
    ("izhikevich", {"a": "0.02"}, TypeError, r"a must be"),
    ("adex", {"preset": "tonic", "C": -1.0}, ValueError, r"C must be"),
])
def test_model_params_are_validated(kind, params, error, match):
    config = {"dt": 0.1, "populations": [{"name": "p", "kind": kind, "n": 2,
                                          "params": params}]}
    with pytest.raises(error, match=match):
        cli.build_network(config)


def test_simulate_command_and_saved_run_rerun(tmp_path, capsys):
    """`neurolab simulate --config` with both models writes a verified run folder whose
    spikes are the Python network's; its run.json (uniform parameters) runs again to
    the same bytes."""
    config = json.loads(json.dumps(CONFIG))
    config["populations"][2]["params"] = {"preset": "CH"}     # uniform: rebuildable
    path = tmp_path / "net.json"
    path.write_text(json.dumps(config))
    assert cli.main(["simulate", "--config", str(path), "--out", str(tmp_path / "a")]) == 0
    spikes = io.load_npz(tmp_path / "a" / "spikes.npz")
    net, run = cli.build_network(config)
    res = net.run(**run, progress=False)
    for pop in ("izh", "ch", "ad"):
        np.testing.assert_array_equal(spikes[f"{pop}/i"], res.spikes[pop].i)
    assert cli.main(["simulate", "--config", str(tmp_path / "a" / "run.json"),
                     "--out", str(tmp_path / "b")]) == 0
    for name in ("spikes.npz", "state.npz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    capsys.readouterr()


def test_saved_run_with_drawn_model_params_is_refused(tmp_path):
    """A per-neuron drawn parameter is only summarised in run.json: rebuilding says so."""
    net, run = cli.build_network(json.loads(json.dumps(CONFIG)))
    res = net.run(**run, progress=False)
    res.save(tmp_path / "r")
    record = json.loads((tmp_path / "r" / "run.json").read_text())
    with pytest.raises(ValueError, match=r"the c of population 'ch' differ"):
        cli.config_from_run(record)
