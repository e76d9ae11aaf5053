"""Exports of a run (issue 22): NWB (pynwb reads it back, nwbinspector finds nothing
CRITICAL nor any best-practice violation), Neo (with one Elephant measure against a closed
form), SONATA spikes, and ``neurolab export`` on a saved run folder.

The main network is small and driven by explicit spike sources through delta synapses, so
that its spike times are known by hand (written out below, not computed by the code under
test). Rounding, stated: spike times and sample times go from ms to s by one float64
division (exported == run's value / 1000 exactly; equal to the hand value / 1000 to 1e-12
relative); sampled state and weights are stored as the run holds them (bit for bit) with the
SI factor in ``conversion``, so ``data * conversion`` is the SI value to one float64
rounding of the multiplication.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime, timezone

import numpy as np
import pytest

import neurolab as nl
from neurolab.cli import main

pynwb = pytest.importorskip("pynwb")
h5py = pytest.importorskip("h5py")
nwbinspector = pytest.importorskip("nwbinspector")

SRC0_MS = [1.0, 2.0, 4.0, 8.0]        # explicit spikes of src[0]
SRC1_MS = [3.0]                      # ... and of src[1]
# out[0] gets 20 mV from src[0] with no delay: the jump lands at the end of the source's
# step, and out[0] crosses threshold (-54 mV from about -60..-70 mV) one step (0.1 ms) later
OUT0_MS = [1.1, 2.1, 4.1, 8.1]
PRE, POST = [0, 1, 1], [0, 1, 0]
W0 = [20.0, 5.0, 0.5]                # mV (delta synapses)
DELAY_MS = [0.0, 0.0, 0.3]
BAD = ("CRITICAL", "BEST_PRACTICE_VIOLATION", "ERROR", "PYNWB_VALIDATION")


def hand_net():
    net = nl.Network(dt=0.1, seed=3)
    net.add_spikes("src", 2, times=SRC0_MS + SRC1_MS, indices=[0, 0, 0, 0, 1])
    net.add_lif("out", 2, nl.LIFParams(synapse="delta"))
    net.connect("src", "out", rule="explicit", pre_ids=PRE, post_ids=POST,
                weight=np.array(W0), delay=np.array(DELAY_MS), name="p",
                stdp=nl.STDPParams(w_max=30.0, A_plus=0.5, A_minus=0.6))
    return net


@pytest.fixture(scope="module")
def hand_run():
    res = hand_net().run(10.0, progress=False, record_spikes="all",
                         record_state={"out": "all"}, state_vars=("v", "ge"),
                         record_weights={"p": "all"}, weight_dt=1.0)
    # the hand values hold (else the rest of this file tests nothing known)
    np.testing.assert_allclose(res.spikes["src"].t, [1.0, 2.0, 3.0, 4.0, 8.0], rtol=1e-12)
    np.testing.assert_array_equal(res.spikes["src"].i, [0, 0, 1, 0, 0])
    np.testing.assert_allclose(res.spikes["out"].t, OUT0_MS, rtol=1e-12)
    np.testing.assert_array_equal(res.spikes["out"].i, [0, 0, 0, 0])
    assert not np.array_equal(res.final_weights["p"], W0)        # STDP moved them
    return res


def findings(path, levels=BAD) -> list:
    """nwbinspector's findings (its Python API: its CLI exits 0 even on CRITICAL) at the
    given importance levels, as readable lines."""
    return [f"{m.importance.name} {m.check_function_name} {m.object_name}: {m.message}"
            for m in nwbinspector.inspect_nwbfile(nwbfile_path=str(path))
            if m.importance.name in levels]


def weight_samples(nwb, proj, n_syn) -> dict:
    """{synapse: samples} read back through the documented layout: the synapse table's
    ``part``/``column`` point into ``<proj>_weights`` (or ``<proj>_weights_part<k>``)."""
    mod = nwb.processing["synapses"]
    table = mod[f"{proj}_synapses"]
    parts, cols = table["part"].data[:], table["column"].data[:]
    names = [k for k in mod.data_interfaces if k.startswith(f"{proj}_weights")]
    one = names == [f"{proj}_weights"]
    out = {}
    for s in range(n_syn):
        if parts[s] < 0:
            continue
        series = mod[f"{proj}_weights" if one else f"{proj}_weights_part{parts[s]}"]
        out[s] = (series.data[:, cols[s]], series)
    return out


# --------------------------------------------------------------------------- NWB
def test_nwb_round_trip_of_the_hand_network(hand_run, tmp_path):
    res = hand_run
    path = res.to_nwb(tmp_path / "run.nwb")
    assert path == tmp_path / "run.nwb"
    assert findings(path) == []
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        # time reference: documented epoch, tz-aware
        assert nwb.session_start_time == datetime(1970, 1, 1, tzinfo=timezone.utc)
        assert nwb.timestamps_reference_time == nwb.session_start_time
        # Units: one row per recorded neuron, population by population, ids ascending
        units = nwb.units
        assert units.resolution == pytest.approx(1e-4, rel=1e-15)
        assert list(units["population"].data[:]) == ["src", "src", "out", "out"]
        assert list(units["local_id"].data[:]) == [0, 1, 0, 1]
        trains = [np.asarray(units["spike_times"][k]) for k in range(4)]
        np.testing.assert_allclose(trains[0], np.array(SRC0_MS) / 1000, rtol=1e-12)
        np.testing.assert_allclose(trains[1], np.array(SRC1_MS) / 1000, rtol=1e-12)
        np.testing.assert_allclose(trains[2], np.array(OUT0_MS) / 1000, rtol=1e-12)
        assert trains[3].size == 0                                # out[1] never fired
        np.testing.assert_array_equal(trains[2], res.spikes["out"].t / 1000.0)
        for k in range(4):
            np.testing.assert_allclose(units["obs_intervals"][k], [[0.0, 0.010]],
                                       rtol=1e-15)
        # state: stored as the run holds it (mV), conversion to volts beside it
        v = nwb.processing["state"]["out_v"]
        assert v.unit == "volts" and v.conversion == 1e-3
        np.testing.assert_array_equal(v.data[:], res.state["out"].v)
        np.testing.assert_allclose(v.data[:] * v.conversion, res.state["out"].v / 1000,
                                   rtol=2.3e-16)
        assert v.timestamps is None and v.rate == pytest.approx(10000.0, rel=1e-12)
        assert v.starting_time == 0.0
        np.testing.assert_allclose(v.starting_time + np.arange(100) / v.rate,
                                   np.arange(100) * 0.1 / 1000, rtol=1e-12, atol=1e-15)
        ge = nwb.processing["state"]["out_ge"]
        assert ge.unit == "volts"                       # delta synapses: ge in mV
        neurons = nwb.processing["state"]["out_state_neurons"]
        assert list(neurons["local_id"].data[:]) == [0, 1]
        # synapses: the hand connectivity, delays in s, final weights as the run's
        syn = nwb.processing["synapses"]["p_synapses"]
        assert list(syn["pre"].data[:]) == PRE and list(syn["post"].data[:]) == POST
        np.testing.assert_allclose(syn["delay"].data[:], [0.0, 0.0, 0.0003], rtol=1e-12)
        np.testing.assert_array_equal(syn["final_weight"].data[:], res.final_weights["p"])
        got = weight_samples(nwb, "p", 3)
        assert sorted(got) == [0, 1, 2]
        for s, (samples, series) in got.items():
            np.testing.assert_array_equal(samples, res.weights["p"].w[:, s])
            assert series.unit == "volts" and series.conversion == 1e-3
        assert got[0][1].rate == pytest.approx(1000.0, rel=1e-12)   # weight_dt = 1 ms
        # provenance and subject
        notes = json.loads(nwb.notes)
        assert notes["seed"] == 3 and notes["dt_ms"] == 0.1 and notes["t_end_ms"] == 10.0
        assert notes["params"]["git_commit"] == res.params["git_commit"]
        assert notes["params"]["network"]["projections"][0]["name"] == "p"
        generated = {str(a): str(b) for a, b in nwb.was_generated_by[:]}
        assert generated["neurolab"] == res.params["versions"]["neurolab"]
        assert generated["pynwb (writer)"] == pynwb.__version__
        assert nl.__version__ in nwb.source_script
        assert nwb.subject.species == "http://purl.obolibrary.org/obo/NCBITaxon_32630"
        assert "simulated" in nwb.subject.description


def test_a_continued_run_keeps_network_time(tmp_path):
    """The second half of a run: times and obs_intervals in network time (5 to 10 ms)."""
    net = hand_net()
    net.run(5.0, progress=False)
    res = net.run(5.0, progress=False, record_spikes="all")
    path = res.to_nwb(tmp_path / "second.nwb")
    assert findings(path) == []
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        units = io.read().units
        rows = list(zip(units["population"].data[:], units["local_id"].data[:]))
        out0 = np.asarray(units["spike_times"][rows.index(("out", 0))])
        np.testing.assert_allclose(out0, [0.0081], rtol=1e-12)        # 8.1 ms
        np.testing.assert_allclose(units["obs_intervals"][0], [[0.005, 0.010]], rtol=1e-12)


def test_nwb_refuses_to_overwrite_and_wants_a_timezone(hand_run, tmp_path):
    path = hand_run.to_nwb(tmp_path / "a.nwb")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        hand_run.to_nwb(path)
    hand_run.to_nwb(path, overwrite=True)
    with pytest.raises(ValueError, match="timezone-aware"):
        hand_run.to_nwb(tmp_path / "b.nwb", session_start_time=datetime(2026, 1, 1))
    start = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    hand_run.to_nwb(tmp_path / "c.nwb", session_start_time=start, identifier="abc")
    with pynwb.NWBHDF5IO(str(tmp_path / "c.nwb"), "r") as io:
        nwb = io.read()
        assert nwb.session_start_time == start and nwb.identifier == "abc"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]    # no temp left


def test_silent_network_writes_no_units_rows(tmp_path):
    net = nl.Network(dt=0.1, seed=0)
    net.add_lif("quiet", 3, nl.LIFParams(synapse="conductance"))
    res = net.run(5.0, progress=False, record_state={"quiet": [0, 2]},
                  state_vars=("v", "ge"))
    assert len(res.spikes["quiet"]) == 0
    path = res.to_nwb(tmp_path / "silent.nwb")
    assert findings(path) == []
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        assert nwb.units is None
        assert json.loads(nwb.notes)["spikes_recorded"] == {"quiet": 0}
        ge = nwb.processing["state"]["quiet_ge"]
        assert ge.unit == "dimensionless" and ge.conversion == 1.0
        assert list(nwb.processing["state"]["quiet_state_neurons"]["local_id"].data[:]) \
            == [0, 2]


def test_a_wide_record_is_cut_into_parts_that_keep_every_sample(hand_run, tmp_path):
    """3 weight samples of 3 synapses is not wide; make 2 samples of 3 synapses: parts of
    at most 2 columns, and every synapse's samples still found through the table."""
    rec = hand_run.weights["p"]
    wide = dataclasses.replace(rec, t=rec.t[:2], w=rec.w[:2])
    res = dataclasses.replace(hand_run, weights={"p": wide})
    path = res.to_nwb(tmp_path / "wide.nwb")
    assert findings(path) == []
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        names = sorted(k for k in nwb.processing["synapses"].data_interfaces
                       if "weights" in k)
        assert names == ["p_weights_part0", "p_weights_part1"]
        got = weight_samples(nwb, "p", 3)
        for s in range(3):
            np.testing.assert_array_equal(got[s][0], rec.w[:2, s])


def test_the_parts_are_needed_nwbinspector_flags_a_wide_series(tmp_path):
    """Control: the same data as one (2, 3) TimeSeries is a CRITICAL finding, so the test
    above can fail."""
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.file import Subject

    f = NWBFile(session_description="x", identifier="x",
                session_start_time=datetime(2020, 1, 1, tzinfo=timezone.utc),
                subject=Subject(subject_id="s", species="Mus musculus", sex="U", age="P1D"))
    f.add_acquisition(TimeSeries(name="w", data=np.zeros((2, 3)), unit="n.a.", rate=1.0))
    with NWBHDF5IO(str(tmp_path / "x.nwb"), "w") as io:
        io.write(f)
    assert any("check_data_orientation" in line for line in findings(tmp_path / "x.nwb"))


def test_runs_without_per_synapse_delays(hand_run, tmp_path):
    """A run saved by neurolab 0.5 has no delays: equal delays come from its record's
    summary, unequal ones leave the column out (and the table says so)."""
    old = dataclasses.replace(hand_run, delays={})
    with pynwb.NWBHDF5IO(str(old.to_nwb(tmp_path / "old.nwb")), "r") as io:
        table = io.read().processing["synapses"]["p_synapses"]
        assert "delay" not in table.colnames
        assert "does not record delay" in table.description
    net = nl.Network(dt=0.1, seed=0)
    net.add_spikes("s", 1, times=[1.0], indices=[0])
    net.add_lif("o", 1, nl.LIFParams(synapse="delta"))
    net.connect("s", "o", weight=1.0, delay=0.5, name="q")
    res = dataclasses.replace(net.run(3.0, progress=False), delays={})
    with pynwb.NWBHDF5IO(str(res.to_nwb(tmp_path / "eq.nwb")), "r") as io:
        table = io.read().processing["synapses"]["q_synapses"]
        np.testing.assert_allclose(table["delay"].data[:], [0.0005], rtol=1e-12)


# --------------------------------------------------------------------------- shapes
def song_abbott_shape():
    """03/05: Poisson inputs onto conductance LIF, additive STDP, every weight sampled,
    fewer samples than synapses (cut into parts); inputs' spikes recorded."""
    net = nl.Network(dt=0.1, seed=0)
    net.add_poisson("inp", n=120, rates=15.0)
    net.add_lif("out", n=1, params=nl.LIFParams(synapse="conductance", v_rest=-74.0,
                                                v_th=-54.0, v_reset=-60.0, tau_e=5.0))
    net.connect("inp", "out", weight=("uniform", 0.0, 0.02),
                stdp=nl.STDPParams(w_max=0.02, A_plus=2e-4, A_minus=2.1e-4))
    return net.run(1000.0, progress=False, record_spikes="all",
                   record_weights={"inp->out": "all"}, weight_dt=10.0)


def ei_shape():
    """01/07/09: several populations, E/I projections, adaptive thresholds, state v, ge,
    gi and theta sampled, dt 0.5 ms, long weight record (compressed)."""
    net = nl.Network(dt=0.5, seed=1)
    net.add_poisson("inp", n=40, rates=30.0)
    exc = net.add_lif("exc", 6, nl.LIFParams(synapse="conductance"),
                      threshold=nl.AdaptiveThreshold(theta_plus=0.5, tau_theta=1e4))
    net.add_lif("inh", 3, nl.LIFParams(synapse="conductance"))
    net.connect("inp", exc, rule="probability", p=0.5, weight=("uniform", 0.0, 0.3),
                stdp=nl.STDPParams(w_max=0.3), name="inp->exc")
    net.connect(exc, "inh", weight=0.5, name="exc->inh")
    net.connect("inh", exc, weight=0.5, receptor="inh", name="inh->exc")
    return net.run(2000.0, progress=False, record_spikes="all",
                   record_weights={"inp->exc": "all"}, weight_dt=0.5,
                   record_state={"exc": "all"}, state_vars=("v", "ge", "gi", "theta"))


def coarse_dt_shape():
    """08/10: dt = 1 ms, delta synapses in mV, one chosen synapse's weight recorded."""
    net = nl.Network(dt=1.0, seed=2)
    net.add_poisson("pre", n=20, rates=20.0)
    net.add_lif("post", 5, nl.LIFParams(synapse="delta", tau_m=20.0))
    net.connect("pre", "post", rule="fixed_indegree", k=10, weight=4.0, delay=1.0,
                stdp=nl.STDPParams(w_max=8.0, A_plus=0.1, A_minus=0.12), name="plastic")
    return net.run(3000.0, progress=False, record_spikes="all",
                   record_weights={"plastic": [7]}, weight_dt=100.0)


@pytest.mark.parametrize("make", [song_abbott_shape, ei_shape, coarse_dt_shape])
def test_runs_of_the_notebooks_shapes_export_cleanly(make, tmp_path):
    res = make()
    assert sum(len(r) for r in res.spikes.values()) > 0
    path = res.to_nwb(tmp_path / "run.nwb")
    assert findings(path) == []
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        n_rec = sum(r.n if r.recorded is None else len(r.recorded)
                    for r in res.spikes.values())
        assert len(nwb.units) == n_rec
        for k, pop in enumerate(nwb.units["population"].data[:]):
            i = int(nwb.units["local_id"].data[k])
            rec = res.spikes[pop]
            np.testing.assert_array_equal(np.asarray(nwb.units["spike_times"][k]),
                                          rec.t[rec.i == i] / 1000.0)
        for proj, rec in res.weights.items():
            got = weight_samples(nwb, proj, res.final_weights[proj].size)
            assert sorted(got) == sorted(int(s) for s in rec.syn)
            for col, s in enumerate(rec.syn):
                np.testing.assert_array_equal(got[int(s)][0], rec.w[:, col])
        for proj, w in res.final_weights.items():
            table = nwb.processing["synapses"][f"{proj}_synapses"]
            np.testing.assert_array_equal(table["final_weight"].data[:], w)
            np.testing.assert_array_equal(table["pre"].data[:], res.connectivity[proj][0])
        for pop, rec in res.state.items():
            for var in ("v", "ge", "gi", "theta"):
                if getattr(rec, var) is not None:
                    np.testing.assert_array_equal(
                        nwb.processing["state"][f"{pop}_{var}"].data[:], getattr(rec, var))
    # large arrays are chunked and gzip-compressed
    with h5py.File(path, "r") as f:
        big = []
        f.visititems(lambda name, obj: big.append(obj) if isinstance(obj, h5py.Dataset)
                     and obj.size >= 4096 else None)
        for ds in big:
            assert ds.compression == "gzip" and ds.chunks is not None, ds.name
        weight_series = [k for k in f["processing/synapses"] if "_weights" in k]
    if make is song_abbott_shape:       # 100 samples of 120 synapses: cut in two parts
        assert sorted(weight_series) == ["inp->out_weights_part0", "inp->out_weights_part1"]
    if make is ei_shape:                # 4000 samples of ~120 synapses; state 4000 x 6
        assert len(big) >= 5


# --------------------------------------------------------------------------- CLI
def test_cli_exports_a_saved_run_folder(hand_run, tmp_path, capsys):
    folder = hand_run.save(tmp_path / "run")
    out = tmp_path / "exported.nwb"
    assert main(["export", str(folder), "--nwb", "--out", str(out)]) == 0
    assert findings(out) == []
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        rows = {(p, int(i)): k for k, (p, i) in
                enumerate(zip(nwb.units["population"].data[:], nwb.units["local_id"].data[:]))}
        assert sorted(rows) == [("out", 0), ("out", 1), ("src", 0), ("src", 1)]
        np.testing.assert_array_equal(np.asarray(nwb.units["spike_times"][rows["out", 0]]),
                                      hand_run.spikes["out"].t / 1000.0)
        syn = nwb.processing["synapses"]["p_synapses"]
        np.testing.assert_allclose(syn["delay"].data[:], [0.0, 0.0, 0.0003], rtol=1e-12)
    assert main(["export", str(folder), "--nwb", "--out", str(out)]) == 2   # exists
    assert "overwrite" in capsys.readouterr().err
    assert main(["export", str(folder), "--nwb", "--out", str(out), "--overwrite"]) == 0
    assert main(["export", str(folder)]) == 2                               # no format
    assert main(["export", str(tmp_path), "--nwb"]) == 2                    # not a run
    assert main(["export", str(folder), "--nwb", "--out", str(tmp_path / "z.nwb"),
                 "--session-start", "2026-01-31T09:00:00"]) == 2             # no zone
    assert main(["export", str(folder), "--sonata", "--out",
                 str(tmp_path / "s.h5")]) == 0
    # the same object from load_run: its to_nwb is SimResult.to_nwb
    assert type(nl.load_run(folder)).to_nwb is nl.SimResult.to_nwb


def test_cli_default_file_names(hand_run, tmp_path, monkeypatch):
    folder = hand_run.save(tmp_path / "myrun")
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(folder), "--nwb", "--sonata"]) == 0
    assert (tmp_path / "myrun.nwb").is_file() and (tmp_path / "myrun.spikes.h5").is_file()


# --------------------------------------------------------------------------- Neo
@pytest.mark.filterwarnings("ignore:The 'copy' argument in Quantity is deprecated")
def test_to_neo_round_trip_and_an_elephant_measure(hand_run):
    pytest.importorskip("neo")
    pytest.importorskip("elephant")
    import quantities as pq
    from elephant.statistics import cv, isi, mean_firing_rate

    block = hand_run.to_neo()
    seg = block.segments[0]
    trains = {(st.annotations["population"], st.annotations["id"]): st
              for st in seg.spiketrains}
    assert sorted(trains) == [("out", 0), ("out", 1), ("src", 0), ("src", 1)]
    counts = {k: len(st) for k, st in trains.items()}
    assert counts == {("src", 0): 4, ("src", 1): 1, ("out", 0): 4, ("out", 1): 0}
    src0 = trains[("src", 0)]
    np.testing.assert_allclose(src0.rescale(pq.ms).magnitude, SRC0_MS, rtol=1e-12)
    np.testing.assert_allclose(trains[("out", 0)].magnitude, OUT0_MS, rtol=1e-12)
    assert src0.t_start == 0.0 * pq.ms and src0.t_stop == 10.0 * pq.ms
    assert src0.name == "src[0]"
    # 4 spikes in 10 ms: 400 Hz
    assert float(mean_firing_rate(src0).rescale(pq.Hz)) == pytest.approx(400.0, rel=1e-12)
    # inter-spike intervals 1, 2, 4 ms: mean 7/3, population SD sqrt(14)/3, CV sqrt(14)/7
    assert float(cv(isi(src0))) == pytest.approx(math.sqrt(14) / 7, rel=1e-12)
    signals = {s.name: s for s in seg.analogsignals}
    v = signals["out.v"]
    assert v.units == pq.mV and v.shape == (100, 2)
    np.testing.assert_array_equal(v.magnitude, hand_run.state["out"].v)
    assert v.sampling_period.rescale(pq.ms).magnitude == pytest.approx(0.1, rel=1e-12)
    np.testing.assert_array_equal(v.array_annotations["id"], [0, 1])
    assert v.annotations == {"population": "out", "variable": "v"}
    w = signals["p.w"]
    np.testing.assert_array_equal(w.magnitude, hand_run.weights["p"].w)
    np.testing.assert_array_equal(w.array_annotations["pre"], PRE)
    assert [g.name for g in block.groups] == ["src", "out"]
    assert len(block.groups[1].spiketrains) == 2 and len(block.groups[1].analogsignals) == 2


# --------------------------------------------------------------------------- SONATA
def test_sonata_spikes_read_back_with_h5py(hand_run, tmp_path):
    path = hand_run.to_sonata(tmp_path / "spikes.h5")
    with h5py.File(path, "r") as f:
        assert int(f.attrs["magic"]) == 0x0A7A
        assert sorted(f["spikes"]) == ["out", "src"]
        src = f["spikes/src"]
        assert src.attrs["sorting"] == "by_time"
        assert src["timestamps"].attrs["units"] == "ms"
        np.testing.assert_allclose(src["timestamps"][:], [1.0, 2.0, 3.0, 4.0, 8.0],
                                   rtol=1e-12)
        assert src["node_ids"].dtype == np.uint64
        np.testing.assert_array_equal(src["node_ids"][:], [0, 0, 1, 0, 0])
        np.testing.assert_array_equal(f["spikes/out/timestamps"][:],
                                      hand_run.spikes["out"].t)
    with pytest.raises(FileExistsError):
        hand_run.to_sonata(path)


def test_the_export_extra_is_part_of_dev():
    """CI installs the dev extra: it must carry the export extra's packages."""
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    from pathlib import Path

    data = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml")
                         .read_text())
    extras = data["project"]["optional-dependencies"]
    assert set(extras["export"]) <= set(extras["dev"])


def test_adex_and_izhikevich_runs_export_with_their_units(tmp_path):
    """AdEx state and weights in pA / nS (NEST's units), Izhikevich's in its own units
    (issue 23): NWB and Neo say so."""
    net = nl.Network(dt=0.1, seed=2)
    src = net.add_poisson("src", 10, rates=50.0)
    A = net.add_adex("A", 2, nl.AdExParams.preset("adapting", synapse="conductance"))
    Z = net.add_izhikevich("Z", 2, nl.IzhikevichParams.preset("RS", synapse="current"))
    net.add_current("I", A, 500.0)
    net.connect(src, A, weight=3.0, stdp=nl.STDPParams(A_plus=0.01, A_minus=0.01, w_max=6.0))
    net.connect(src, Z, weight=5.0)
    res = net.run(20.0, record_state={"A": "all"}, state_vars=("v", "ge", "w"),
                  record_weights={"src->A": "all"})
    path = res.to_nwb(tmp_path / "run.nwb")
    assert findings(path) == []
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        st = nwb.processing["state"]
        assert st["A_ge"].unit == "siemens" and st["A_ge"].conversion == 1e-9
        assert st["A_w"].unit == "amperes" and st["A_w"].conversion == 1e-12
        np.testing.assert_array_equal(st["A_w"].data[:], res.state["A"].w)
    block = res.to_neo()
    sigs = {s.name: s for s in block.segments[0].analogsignals}
    assert str(sigs["A.w"].units.dimensionality) == "pA"
    assert str(sigs["A.ge"].units.dimensionality) == "nS"
    assert str(sigs["src->A.w"].units.dimensionality) == "nS"
    res_z = nl.Network(dt=0.1)
    Zn = res_z.add_izhikevich("Z", 1)
    rz = res_z.run(5.0, record_state={"Z": "all"}, state_vars=("v", "u"))
    sig = {s.name: s for s in rz.to_neo().segments[0].analogsignals}["Z.u"]
    assert str(sig.units.dimensionality) == "dimensionless" and Zn.n == 1
