"""A run as an NWB file (Neurodata Without Borders 2.x, written with pynwb 4 / hdmf 6).

The npz files and ``run.json`` of a run folder stay the verified artifacts; an NWB file is a
derived export (hdmf gives every object a random id, so two exports of one run differ in
bytes: compare them by content). What goes where:

- ``units`` (the Units table): one row per recorded neuron of every population whose spikes
  were recorded, population by population in ``SimResult.spikes`` order, local ids
  ascending; columns ``spike_times`` (s of network time), ``population`` (text),
  ``local_id`` (the neuron's index in its population), ``obs_intervals`` (the run,
  ``[[t_start, t_end]]`` in s); ``resolution`` = ``dt`` in s. A run in which no recorded
  neuron spiked writes no Units table at all (an empty one is a best-practice violation
  and crashes some nwbinspector checks); ``notes`` still says which spikes were recorded.
- processing module ``state``: per population and sampled variable a TimeSeries
  ``<pop>_<var>`` (time first, ``starting_time`` and ``rate``, no timestamps), data as the
  run holds it (mV for ``v`` and ``theta`` and for ``ge``/``gi`` of current and delta
  synapses, stored with ``unit="volts"`` and ``conversion=1e-3``, so data x conversion is
  in SI without rounding the stored values; ``ge``/``gi`` of conductance synapses are
  relative to the leak conductance, ``unit="dimensionless"``); beside them a table
  ``<pop>_state_neurons`` with one row per column of those series (``local_id``,
  ``part``, ``column``).
- processing module ``synapses``: per projection a table ``<proj>_synapses`` with one row
  per synapse in synapse order (``pre``, ``post`` local ids, ``delay`` in s, ``final_weight``
  in the projection's units, ``part`` and ``column`` of its sampled weights, -1 when not
  sampled), and, when its weights were sampled, the TimeSeries ``<proj>_weights``
  (samples x recorded synapses; dimensionless for conductance synapses, mV stored with
  ``unit="volts"``, ``conversion=1e-3`` for delta and current synapses).
- Series wider than long (fewer samples than columns, e.g. 200 weight samples of 1000
  synapses) are cut into parts of at most as many columns as samples, ``<name>_part<k>``,
  because nwbinspector reads a wide TimeSeries as transposed data (a CRITICAL finding);
  the tables' ``part`` and ``column`` say where each neuron's or synapse's samples are.
- Provenance: ``notes`` holds, as JSON, ``dt``, ``duration``, ``t_start``, ``t_end``,
  ``interrupted``, ``seed``, ``params`` (the network, the run options, the package
  versions and the git commit: ``run.json``'s record), the spike counts and what was
  recorded; ``source_script`` names neurolab's version and git commit;
  ``was_generated_by`` lists (name, version) of neurolab, Python, numpy, numba and the
  writer (pynwb, hdmf).
- ``subject``: the network, not an animal: ``subject_id`` ``"neurolab-network"``, species
  NCBI Taxonomy's *synthetic construct* (``http://purl.obolibrary.org/obo/NCBITaxon_32630``),
  sex ``"O"`` (does not apply), age ``"P0D"`` (built when the simulation starts), and a
  description saying so.
- ``session_start_time``: ``run.json`` holds no wall-clock time on purpose (same inputs,
  same bytes), so the session starts by default at the Unix epoch,
  1970-01-01T00:00:00+00:00, which stands for network time 0; pass a tz-aware
  ``session_start_time`` for another. Every time in the file counts from it.
- Arrays of ``_COMPRESS_FROM`` elements or more are written chunked and gzip-compressed.

Room: ``neurolab.results``. May import: numpy and ``neurolab.base``; pynwb and hdmf (the
``export`` extra) inside functions only.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

__all__ = ["write_nwb", "DEFAULT_SESSION_START", "SPECIES"]

#: the default ``session_start_time``: network time 0 (``run.json`` keeps no wall clock)
DEFAULT_SESSION_START = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: NCBI Taxonomy's "synthetic construct", the subject's species (a simulated network)
SPECIES = "http://purl.obolibrary.org/obo/NCBITaxon_32630"
#: arrays with at least this many elements are chunked and gzip-compressed
_COMPRESS_FROM = 4096
#: a chunk holds at most this many elements (1 MiB of float64)
_CHUNK_ELEMENTS = 131072
_MV = 1e-3                       # mV -> V
_STORED = " (stored as the run holds it; data x conversion: V)"


def _need(module: str):
    """Import ``module`` of the ``export`` extra, or raise an ImportError saying how to
    install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"exporting to NWB needs {module.split('.')[0]}, which is not "
                          f"installed: pip install 'neurolab[export]' (or pip install pynwb)"
                          ) from err


def _wrap(data):
    """``data`` as it is when small; chunked and gzip-compressed (no copy of a contiguous
    array) when it has ``_COMPRESS_FROM`` elements or more."""
    arr = np.asarray(data)
    if arr.size < _COMPRESS_FROM:
        return arr
    H5DataIO = _need("hdmf.backends.hdf5.h5_utils").H5DataIO
    if arr.ndim == 1:
        chunks = (min(arr.shape[0], _CHUNK_ELEMENTS),)
    else:
        cols = min(arr.shape[1], 256)
        chunks = (min(arr.shape[0], max(1, _CHUNK_ELEMENTS // cols)), cols)
    return H5DataIO(data=arr, compression="gzip", compression_opts=4, chunks=chunks)


def _parts(n_samples: int, n_cols: int) -> list:
    """Column ranges ``(a, b)`` of the parts a (n_samples, n_cols) series is cut into: one
    part when it is at least as long as wide, else parts of at most ``n_samples`` columns."""
    width = n_cols if n_cols <= n_samples else max(1, n_samples)
    return [(a, min(a + width, n_cols)) for a in range(0, n_cols, width)]


def _population_record(res, pop: str) -> dict:
    net = res.params.get("network", {}) if isinstance(res.params, dict) else {}
    for rec in net.get("populations", []) if isinstance(net, dict) else []:
        if isinstance(rec, dict) and rec.get("name") == pop:
            return rec
    return {}


def _synapse_kind(res, pop: str) -> str | None:
    """The synapse model of population ``pop`` (``"conductance"``, ``"current"``,
    ``"delta"``; ``"adex:<synapse>"``, ``"izhikevich:<synapse>"`` for those models) from the
    run's record, or None when the record does not say."""
    params = _population_record(res, pop).get("params")
    if not isinstance(params, dict):
        return None
    model = params.get("model")
    synapse = params.get("synapse")
    return synapse if model in (None, "lif") else f"{model}:{synapse}"


def _stored(unit: str) -> str:
    return (f" (stored as the run holds it; data x conversion: "
            f"{ {'volts': 'V', 'siemens': 'S', 'amperes': 'A'}[unit]})")


def _unit_of(kind: str | None, what: str) -> tuple:
    """(unit, conversion, words) of a weight or a conductance onto ``kind`` synapses."""
    if kind == "adex:conductance":
        return "siemens", 1e-9, f"{what} in nS"
    if kind == "adex:current":
        return "amperes", 1e-12, f"{what} in pA"
    if kind in ("adex:delta", "izhikevich:delta"):
        return "volts", _MV, f"{what} in mV"
    if kind is not None and kind.startswith("izhikevich:"):
        return ("n.a.", 1.0, (f"{what} in the Izhikevich model's units (currents in mV/ms, "
                              f"conductances in 1/ms)"))
    if kind == "conductance":
        return ("dimensionless", 1.0,
                f"{what}, relative to the leak conductance (dimensionless)")
    if kind in ("current", "delta"):
        return "volts", _MV, f"{what} in mV"
    return "n.a.", 1.0, f"{what} in the run's units (its synapse model is not recorded)"


def _timing(t_ms: np.ndarray, period_ms: float | None, dt: float) -> dict:
    """``starting_time`` (s) and ``rate`` (Hz) of samples at times ``t_ms`` (ms), or
    ``timestamps`` (s) when they are not evenly spaced."""
    t_ms = np.asarray(t_ms, dtype=np.float64)
    if t_ms.size >= 2:
        steps = np.diff(t_ms)
        period = float(steps[0])
        if period > 0 and np.allclose(steps, period, rtol=1e-9, atol=1e-9 * dt):
            return {"starting_time": float(t_ms[0]) / 1000.0, "rate": 1000.0 / period}
        return {"timestamps": _wrap(t_ms / 1000.0)}
    period = period_ms if period_ms and period_ms > 0 else dt
    return {"starting_time": float(t_ms[0]) / 1000.0, "rate": 1000.0 / period}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def _notes(res) -> str:
    record = {
        "producer": "neurolab",
        "dt_ms": res.dt, "duration_ms": res.duration, "t_start_ms": res.t_start,
        "t_end_ms": res.t_end, "interrupted": bool(res.interrupted), "seed": res.seed,
        "populations": {k: int(n) for k, n in res.populations.items()},
        "projections": {k: list(v) for k, v in res.projections.items()},
        "spikes_recorded": {k: int(len(v)) for k, v in res.spikes.items()},
        "params": res.params,
    }
    return json.dumps(_jsonable(record), sort_keys=True)


def _generated_by(res) -> list:
    import importlib.metadata as md

    versions = res.params.get("versions", {}) if isinstance(res.params, dict) else {}
    out = []
    for name in ("neurolab", "python", "numpy", "numba"):
        if isinstance(versions, dict) and versions.get(name):
            out.append([name, str(versions[name])])
    for name in ("pynwb", "hdmf"):
        try:
            out.append([f"{name} (writer)", md.version(name)])
        except md.PackageNotFoundError:
            pass
    return out


def _source_script(res) -> str:
    params = res.params if isinstance(res.params, dict) else {}
    version = (params.get("versions") or {}).get("neurolab")
    commit = params.get("git_commit")
    return (f"simulated by neurolab {version or '(version not recorded)'}, git commit "
            f"{commit or '(not recorded: not run from a git checkout)'}; exported by "
            f"neurolab.results.nwb.write_nwb (SimResult.to_nwb)")


# ----------------------------------------------------------------------------- parts
def _units_table(res):
    """The Units table, or None when no recorded neuron spiked."""
    from hdmf.common import ElementIdentifiers, VectorData, VectorIndex
    from pynwb.misc import Units

    if not any(len(rec) for rec in res.spikes.values()):
        return None
    times, ends, pops, ids = [], [], [], []
    count = 0
    for pop, rec in res.spikes.items():
        local = (np.arange(rec.n, dtype=np.int64) if rec.recorded is None
                 else np.sort(np.asarray(rec.recorded, dtype=np.int64)))
        i = np.asarray(rec.i, dtype=np.int64)
        t = np.asarray(rec.t, dtype=np.float64)
        keep = np.isin(i, local)
        order = np.lexsort((t[keep], i[keep]))              # by neuron, then time
        i, t = i[keep][order], t[keep][order]
        times.append(t / 1000.0)
        ends.append(count + np.searchsorted(i, local, side="right"))
        count += i.size
        pops += [pop] * local.size
        ids.append(local)
    n_units = len(pops)
    spike_times = VectorData(name="spike_times", data=_wrap(np.concatenate(times)),
                             description="spike times (s of network time)")
    spike_index = VectorIndex(name="spike_times_index", target=spike_times,
                              data=_wrap(np.concatenate(ends).astype(np.int64)))
    span = np.tile([res.t_start / 1000.0, res.t_end / 1000.0], (n_units, 1))
    obs = VectorData(name="obs_intervals", data=_wrap(span),
                     description="the simulated interval of the run (s), [t_start, t_end]")
    obs_index = VectorIndex(name="obs_intervals_index", target=obs,
                            data=_wrap(np.arange(1, n_units + 1, dtype=np.int64)))
    population = VectorData(name="population", data=pops,
                            description="the neuron's population (neurolab's name)")
    local_id = VectorData(name="local_id", data=_wrap(np.concatenate(ids)),
                          description="the neuron's index within its population")
    return Units(name="units", id=ElementIdentifiers(name="id", data=np.arange(n_units)),
                 columns=[spike_times, spike_index, obs, obs_index, population, local_id],
                 description=(f"recorded neurons of the simulated network, one row each "
                              f"(populations: {', '.join(res.spikes)}); spike times in s "
                              f"of network time, on the dt = {res.dt:g} ms grid"),
                 resolution=res.dt / 1000.0)


def _table(name: str, description: str, columns: dict):
    """A DynamicTable from ``{column name: (data, description)}``."""
    from hdmf.common import DynamicTable, ElementIdentifiers, VectorData

    n = len(next(iter(columns.values()))[0])
    cols = [VectorData(name=k, data=_wrap(v) if not isinstance(v, list) else v,
                       description=d) for k, (v, d) in columns.items()]
    return DynamicTable(name=name, description=description, columns=cols,
                        id=ElementIdentifiers(name="id", data=_wrap(np.arange(n))))


def _series(name, data, unit, conversion, description, timing, part, n_parts):
    from pynwb import TimeSeries

    return TimeSeries(name=name if n_parts == 1 else f"{name}_part{part}", data=_wrap(data),
                      unit=unit, conversion=conversion, description=description, **timing)


def _state_module(nwbfile, res):
    recs = {pop: rec for pop, rec in res.state.items() if np.asarray(rec.t).size}
    if not recs:
        return
    period = (res.params.get("run", {}) or {}).get("state_dt") if isinstance(res.params, dict) \
        else None
    mod = nwbfile.create_processing_module(
        name="state", description="sampled state of LIF neurons (neurolab's StateRecord)")
    for pop, rec in recs.items():
        ids = np.asarray(rec.ids, dtype=np.int64)
        t = np.asarray(rec.t, dtype=np.float64)
        parts = _parts(t.size, ids.size)
        timing = _timing(t, period, res.dt)
        kind = _synapse_kind(res, pop)
        for var in ("v", "ge", "gi", "theta", "w", "u"):
            data = getattr(rec, var)
            if data is None:
                continue
            if var in ("v", "theta"):
                what = "membrane potential" if var == "v" else "adaptive threshold offset"
                unit, conv = "volts", _MV
                words = f"{what} in mV{_STORED}"
            elif var == "w":
                unit, conv = "amperes", 1e-12
                words = f"AdEx adaptation current w in pA{_stored(unit)}"
            elif var == "u":
                unit, conv = "n.a.", 1.0
                words = "Izhikevich recovery variable u (the model's units, mV/ms)"
            else:
                side = "excitatory" if var == "ge" else "inhibitory"
                unit, conv, words = _unit_of(kind, f"{side} synaptic variable {var}")
                if conv != 1.0:
                    words += _stored(unit)
            for k, (a, b) in enumerate(parts):
                block = data if len(parts) == 1 else np.ascontiguousarray(data[:, a:b])
                mod.add(_series(f"{pop}_{var}", block, unit, conv,
                                f"{words}; population {pop!r}, one column per neuron: rows "
                                f"{a}..{b - 1} of table {pop}_state_neurons (local ids "
                                f"{_ids_text(ids[a:b])}); sampled at the start of a step",
                                timing, k, len(parts)))
        cols = np.arange(ids.size, dtype=np.int64)
        width = parts[0][1] - parts[0][0]
        mod.add(_table(f"{pop}_state_neurons",
                       f"the neurons whose state is sampled in the {pop}_* series of this "
                       f"module, one row per column, in column order",
                       {"local_id": (ids, "the neuron's index within population " + repr(pop)),
                        "part": (cols // width, "the part of a series cut into parts "
                                 "(<pop>_<var>_part<k>; 0 when not cut)"),
                        "column": (cols % width, "the neuron's column in that part")}))


def _ids_text(ids: np.ndarray) -> str:
    if ids.size and np.array_equal(ids, np.arange(ids[0], ids[0] + ids.size)):
        return f"{int(ids[0])}..{int(ids[-1])}"
    shown = ", ".join(str(int(i)) for i in ids[:8])
    return f"{shown}{', ...' if ids.size > 8 else ''}"


def _delays_s(res, proj: str, n_syn: int):
    """Delays (s) of ``proj`` in synapse order, or None when the run does not hold them
    (a run saved by neurolab 0.5 whose delays are not all equal)."""
    if proj in res.delays:
        return np.asarray(res.delays[proj], dtype=np.float64) / 1000.0
    net = res.params.get("network", {}) if isinstance(res.params, dict) else {}
    for rec in net.get("projections", []) if isinstance(net, dict) else []:
        if not (isinstance(rec, dict) and rec.get("name") == proj):
            continue
        summary = rec.get("delay_ms")         # a number when all are equal, else a summary
        if isinstance(summary, dict) and summary.get("min") == summary.get("max"):
            summary = summary.get("min")
        if isinstance(summary, (int, float)) and not isinstance(summary, bool):
            return np.full(n_syn, float(summary) / 1000.0)
    return None


def _synapse_module(nwbfile, res):
    projs = [p for p, w in res.final_weights.items() if np.asarray(w).size]
    if not projs:
        return
    mod = nwbfile.create_processing_module(
        name="synapses", description="the synapses of each projection and their sampled "
                                     "weights")
    period = (res.params.get("run", {}) or {}).get("weight_dt") \
        if isinstance(res.params, dict) else None
    for proj in projs:
        final = np.asarray(res.final_weights[proj], dtype=np.float64)
        n_syn = final.size
        ends = res.projections.get(proj, ("?", "?"))
        unit, conv, words = _unit_of(_synapse_kind(res, ends[1]), "weight")
        part = np.full(n_syn, -1, dtype=np.int64)
        column = np.full(n_syn, -1, dtype=np.int64)
        rec = res.weights.get(proj)
        if rec is not None and np.asarray(rec.t).size:
            t = np.asarray(rec.t, dtype=np.float64)
            syn = np.asarray(rec.syn, dtype=np.int64)
            parts = _parts(t.size, syn.size)
            width = parts[0][1] - parts[0][0]
            cols = np.arange(syn.size, dtype=np.int64)
            part[syn], column[syn] = cols // width, cols % width
            timing = _timing(t, period, res.dt)
            stored = _stored(unit) if conv != 1.0 else ""
            for k, (a, b) in enumerate(parts):
                block = rec.w if len(parts) == 1 else np.ascontiguousarray(rec.w[:, a:b])
                mod.add(_series(f"{proj}_weights", block, unit, conv,
                                f"{words}{stored}; projection {proj!r} ({ends[0]} -> "
                                f"{ends[1]}), one column per sampled synapse (the rows of "
                                f"{proj}_synapses whose part is {k}, in column order); "
                                f"sampled at the start of a step", timing, k, len(parts)))
        columns = {}
        if proj in res.connectivity:
            pre, post = res.connectivity[proj]
            columns["pre"] = (np.asarray(pre, dtype=np.int64),
                              f"presynaptic neuron, local index in population {ends[0]!r}")
            columns["post"] = (np.asarray(post, dtype=np.int64),
                               f"postsynaptic neuron, local index in population {ends[1]!r}")
        delay = _delays_s(res, proj, n_syn)
        if delay is not None:
            columns["delay"] = (delay, "axonal delay (s): the whole presynaptic pathway, "
                                       "STDP included, runs when the spike arrives")
        columns["final_weight"] = (final, f"{words}, at the end of the run (as the run "
                                          f"holds it, not converted)")
        columns["part"] = (part, "the part of <proj>_weights holding this synapse's samples "
                                 "(<proj>_weights_part<k> when cut; -1: not sampled)")
        columns["column"] = (column, "the synapse's column in that part (-1: not sampled)")
        missing = [c for c in ("pre", "post", "delay") if c not in columns]
        mod.add(_table(f"{proj}_synapses",
                       f"the synapses of projection {proj!r} ({ends[0]} -> {ends[1]}), one "
                       f"row per synapse in neurolab's synapse order"
                       + (f"; this run does not record {', '.join(missing)}" if missing
                          else ""), columns))


# ----------------------------------------------------------------------------- entry
def write_nwb(res, path, *, session_start_time: datetime | None = None,
              identifier: str | None = None, session_description: str | None = None,
              overwrite: bool = False) -> Path:
    """Write the run ``res`` (a :class:`~neurolab.SimResult`) to the NWB file ``path``.

    What goes where (Units table, state and synapse modules, provenance, subject, time
    reference) is described in :mod:`neurolab.results.nwb`. Times are in s of network time
    (the file's ``timestamps_reference_time`` is ``session_start_time``), spike times are
    ``t / 1000`` (one float64 rounding), sampled data are stored as the run holds them with
    the SI ``conversion`` beside them.

    Parameters
    ----------
    res : the run.
    path : the file to write (``.nwb``); written to a temporary name in the same folder,
        then renamed into place.
    session_start_time : a timezone-aware ``datetime`` for network time 0; default
        :data:`DEFAULT_SESSION_START` (the Unix epoch, UTC), since a run records no wall
        clock.
    identifier : the file's unique identifier; default a new random UUID.
    session_description : default a sentence naming the populations and the duration.
    overwrite : replace an existing file (default False).

    Returns the path written.

    Raises
    ------
    ImportError : pynwb is not installed (``pip install 'neurolab[export]'``).
    FileExistsError : ``path`` exists and ``overwrite`` is False.
    TypeError : ``session_start_time`` not a datetime, or ``overwrite`` not a bool.
    ValueError : ``session_start_time`` without a time zone.
    """
    if not isinstance(overwrite, (bool, np.bool_)):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    start = DEFAULT_SESSION_START if session_start_time is None else session_start_time
    if not isinstance(start, datetime):
        raise TypeError(f"session_start_time must be a datetime, got {start!r}")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"session_start_time must be timezone-aware (e.g. "
                         f"datetime(..., tzinfo=timezone.utc)), got {start!r}")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; to_nwb(..., overwrite=True) replaces it")
    pynwb = _need("pynwb")
    from pynwb.file import Subject

    desc = session_description or (
        f"neurolab simulation: {res.t_end - res.t_start:g} ms of network time "
        f"({res.t_start:g} to {res.t_end:g} ms{', interrupted' if res.interrupted else ''}) "
        f"of populations {', '.join(f'{k} ({n})' for k, n in res.populations.items())}")
    subject = Subject(
        subject_id="neurolab-network", species=SPECIES, sex="O", age="P0D",
        description=("not an animal: a simulated spiking network (neurolab). Species is "
                     "NCBI Taxonomy's 'synthetic construct'; sex 'O' because it does not "
                     "apply; age P0D: the network is built when its simulation starts."))
    nwbfile = pynwb.NWBFile(
        session_description=desc, identifier=identifier or str(uuid.uuid4()),
        session_start_time=start, timestamps_reference_time=start,
        experiment_description=(f"clock-driven simulation (dt = {res.dt:g} ms, seed "
                                f"{res.seed}); times count from network time 0 = "
                                f"session_start_time"),
        keywords=["simulation", "spiking neural network", "STDP", "neurolab"],
        notes=_notes(res), source_script=_source_script(res),
        source_script_file_name="neurolab", was_generated_by=_generated_by(res),
        subject=subject)
    units = _units_table(res)
    if units is not None:
        nwbfile.units = units
    _state_module(nwbfile, res)
    _synapse_module(nwbfile, res)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.nwb")     # pynwb wants .nwb
    try:
        with pynwb.NWBHDF5IO(str(tmp), mode="w") as io:
            io.write(nwbfile)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
