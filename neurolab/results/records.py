"""Simulation results: recorded spikes, sampled weights and sampled state.

Vocabulary follows Brian2's monitors: ``t`` (ms), ``i`` (neuron index within its
population), ``spike_trains()``, ``rates()``. Times are in ms, rates in Hz, weights in the
units of their projection (dimensionless for conductance synapses, mV for delta and current
synapses).

Synapse order: synapse ``k`` of a projection is the ``k``-th synapse of the
:class:`~neurolab.model.projections.Projection` (``proj.pre_ids[k] -> proj.post_ids[k]``), the order
in which the connection rule made them. ``SimResult.final_weights[name][k]``,
``SimResult.connectivity[name]`` (``pre_ids[k]``, ``post_ids[k]``), ``SimResult.delays[name]``
and the synapse indices ``WeightRecord.syn`` all use that order, also in a saved and reloaded
run.

Comparing results: ``a == b`` is True when every field is equal, arrays bit for bit (same
dtype, shape and bytes, so NaN equals NaN at the same place and -0.0 differs from 0.0) and
``params`` included; ``a.equal(b)`` ignores ``params`` (provenance) by default and
``a.diff(b)`` lists what differs.

Room: ``neurolab.results``. May import: numpy and ``neurolab.base``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..base import io
from ..base import validate as V

__all__ = ["SpikeRecord", "WeightRecord", "StateRecord", "SimResult", "load_run",
           "weight_matrix", "assert_same", "RUN_FORMAT"]

#: format tag written to ``run.json``; :func:`load_run` reads these
RUN_FORMAT = "neurolab-run-2"
_READABLE_FORMATS = ("neurolab-run-1", "neurolab-run-2")
#: relative tolerance when a requested time is matched to a sample time
_T_RTOL = 1e-9


# --------------------------------------------------------------------------- comparison
def _array_diff(label, a, b) -> list:
    """Differences between two arrays, bit for bit: dtype, shape, then the elements whose
    bytes differ (count, first index, the two values)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype:
        return [f"{label}: dtype {a.dtype} vs {b.dtype}"]
    if a.shape != b.shape:
        return [f"{label}: shape {a.shape} vs {b.shape}"]
    size = a.dtype.itemsize
    if a.dtype.hasobject or size == 0:
        ne = np.asarray(a.reshape(-1) != b.reshape(-1), dtype=bool)
    else:
        ba = np.ascontiguousarray(a.reshape(-1)).view(np.uint8).reshape(a.size, size)
        bb = np.ascontiguousarray(b.reshape(-1)).view(np.uint8).reshape(b.size, size)
        ne = (ba != bb).any(axis=1)
    n = int(np.count_nonzero(ne))
    if not n:
        return []
    first = int(np.flatnonzero(ne)[0])
    idx = np.unravel_index(first, a.shape) if a.ndim else ()
    where = idx[0] if len(idx) == 1 else tuple(int(k) for k in idx)
    return [f"{label}: {n} of {a.size} elements differ, first at index {where}: "
            f"{np.asarray(a[idx]).item()!r} vs {np.asarray(b[idx]).item()!r}"]


def _value_diff(label, a, b) -> list:
    """Differences between two JSON-like values (dicts, lists/tuples, scalars, arrays)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _array_diff(label, a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in a:
            if key not in b:
                out.append(f"{label}[{key!r}]: only in self")
            else:
                out += _value_diff(f"{label}[{key!r}]", a[key], b[key])
        out += [f"{label}[{key!r}]: only in other" for key in b if key not in a]
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        out = []
        for k, (x, y) in enumerate(zip(a, b)):
            out += _value_diff(f"{label}[{k}]", x, y)
        return out
    return [] if a == b else [f"{label}: {a!r} vs {b!r}"]


def _record_diff(label, a, b) -> list:
    """Differences between two records (dataclasses of arrays and scalars)."""
    if type(a) is not type(b):
        return [f"{label}: {type(a).__name__} vs {type(b).__name__}"]
    out = []
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x is None or y is None:
            if not (x is None and y is None):
                out.append(f"{label}.{f.name}: {'None' if x is None else 'recorded'} vs "
                           f"{'None' if y is None else 'recorded'}")
        else:
            out += _value_diff(f"{label}.{f.name}", x, y)
    return out


class _BitwiseEq:
    """``==`` for records: True when every field is equal, arrays bit for bit."""

    __hash__ = None

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return not _record_diff("", self, other)


# --------------------------------------------------------------------------- records
@dataclass(eq=False)
class SpikeRecord(_BitwiseEq):
    """Spikes of one population: times ``t`` (n_spikes,) ms of network time and local
    indices ``i`` (n_spikes,), sorted by time then index; ``n`` is the population size;
    ``recorded`` the local ids whose spikes were recorded (``None``: all of them)."""

    t: np.ndarray
    i: np.ndarray
    n: int
    recorded: np.ndarray | None = None

    def __len__(self):
        return int(self.t.shape[0])


@dataclass(eq=False)
class WeightRecord(_BitwiseEq):
    """Weights of chosen synapses of one projection, sampled at the start of every
    ``weight_dt`` ms: ``t`` (n_samples,) ms, ``syn``/``pre``/``post`` (n_rec,) synapse
    index (in the projection's synapse order), presynaptic and postsynaptic local indices,
    ``w`` (n_samples, n_rec)."""

    t: np.ndarray
    syn: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    w: np.ndarray


@dataclass(eq=False)
class StateRecord(_BitwiseEq):
    """State of chosen neurons, sampled at the start of every ``state_dt`` ms: ``t`` (ms),
    ``ids`` (local indices), and the variables asked for, each (n_samples, n_ids):
    ``v`` (mV), ``ge``, ``gi`` (dimensionless conductances, or mV for current synapses),
    ``theta`` (adaptive threshold offset, mV), ``w`` (AdEx adaptation current, pA), ``u``
    (Izhikevich recovery variable); a variable that was not recorded is ``None``."""

    t: np.ndarray
    ids: np.ndarray
    v: np.ndarray | None = None
    ge: np.ndarray | None = None
    gi: np.ndarray | None = None
    theta: np.ndarray | None = None
    w: np.ndarray | None = None
    u: np.ndarray | None = None


class _Records(dict):
    """A dict of records (``SimResult.spikes``, ``.weights``, ``.state``,
    ``.final_weights``) whose missing key raises a ``KeyError`` that names what was
    recorded and how to record the rest. ``get`` and ``in`` behave as for a dict."""

    def __init__(self, data=(), *, kind: str | None = None, owner=None):
        super().__init__(data)
        self.kind = kind
        self.owner = owner

    def __missing__(self, key):
        raise KeyError(self._message(key))

    def _message(self, key) -> str:
        owner = self.owner
        pops = list(getattr(owner, "populations", None) or {})
        projs = list(getattr(owner, "projections", None) or {})
        recorded = sorted(self)
        if self.kind not in _RECORD_DICTS:           # a copy made by dataclasses.asdict
            return f"{key!r} not found; keys: {recorded}"
        if self.kind in ("weights", "final_weights"):
            if projs and key not in projs:
                return (f"unknown projection {key!r}; projections of this run: {projs}")
            if self.kind == "final_weights":
                return (f"no final weights for projection {key!r}; projections with final "
                        f"weights: {recorded}")
            return (f"projection {key!r} has no weight record; recorded: {recorded}. Record "
                    f"its weights with net.run(..., record_weights={{{key!r}: 'all'}}) "
                    f"(or an array of synapse indices instead of 'all'); "
                    f"final_weights[{key!r}] holds every weight at t_end")
        if pops and key not in pops:
            return f"unknown population {key!r}; populations of this run: {pops}"
        if self.kind == "spikes":
            return (f"spikes of population {key!r} were not recorded; recorded: {recorded}. "
                    f"Record them with net.run(..., record_spikes=[..., {key!r}]) "
                    f"(the default records the LIF populations; record_spikes='all' records "
                    f"every population)")
        return (f"state of population {key!r} was not recorded; recorded: {recorded}. "
                f"Record it with net.run(..., record_state={{{key!r}: 'all'}}) (LIF, AdEx or "
                f"Izhikevich populations; state_vars chooses the variables, per population "
                f"as a dict, e.g. state_vars={{{key!r}: ('v',)}})")


def _close(a: float, b: float) -> bool:
    """Two times (ms) equal up to rounding (relative tolerance 1e-9)."""
    return abs(a - b) <= _T_RTOL * max(1.0, abs(a), abs(b))


def _sample_index(times, t: float):
    """Index of the sample time equal to ``t`` (see ``_close``), or None."""
    if times.size == 0:
        return None
    k = int(np.argmin(np.abs(times - t)))
    return k if _close(float(times[k]), t) else None


def _matrix(name, pre, post, w, n_pre, n_post, *, sparse, fill, duplicates):
    """The (n_pre, n_post) matrix of weights ``w`` of synapses ``pre[k] -> post[k]``."""
    if duplicates not in ("raise", "sum"):
        raise ValueError(f"duplicates must be 'raise' or 'sum', got {V._show(duplicates)}")
    if not isinstance(sparse, (bool, np.bool_)):
        raise TypeError(f"sparse must be True or False, got {V._show(sparse)}")
    if isinstance(fill, (bool, np.bool_)) or not isinstance(fill, numbers.Real):
        raise TypeError(f"fill must be a real number (NaN allowed), got {V._show(fill)}")
    pre = np.asarray(pre, dtype=np.int64)
    post = np.asarray(post, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    key = pre * n_post + post
    uniq, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True,
                                             return_counts=True)
    if uniq.size < key.size:
        if duplicates == "raise":
            dup = np.flatnonzero(counts > 1)
            k = int(uniq[dup[0]])
            raise ValueError(
                f"projection {name!r} joins {dup.size} neuron pair(s) by more than one "
                f"synapse (first: pre {k // n_post} -> post {k % n_post}, "
                f"{int(counts[dup[0]])} synapses); pass duplicates='sum' for the summed "
                f"weight of each pair, or read final_weights/connectivity synapse by synapse")
        vals = np.bincount(inverse.reshape(-1), weights=w, minlength=uniq.size)
    else:
        vals = w[first]
    rows, cols = uniq // n_post, uniq % n_post
    if sparse:
        try:
            import scipy.sparse as sp
        except ImportError as err:
            raise ImportError("weight_matrix(..., sparse=True) needs scipy, which is not "
                              "installed: pip install scipy, or use sparse=False for a "
                              "dense numpy array") from err
        return sp.csr_array((vals, (rows, cols)), shape=(n_pre, n_post))
    out = np.full((n_pre, n_post), float(fill))
    out[rows, cols] = vals
    return out


# --------------------------------------------------------------------------- the result
_COMPARED = ("dt", "duration", "t_end", "interrupted", "seed", "params", "populations",
             "projections", "connectivity", "delays", "spikes", "weights", "final_weights",
             "state")
_RECORD_DICTS = ("spikes", "weights", "final_weights", "state")


@dataclass(eq=False)
class SimResult:
    """What a run produced.

    Attributes
    ----------
    dt : time step (ms).
    duration : requested duration of this run (ms).
    t_start : network time at which this run started (ms); 0 for a first run.
    t_end : network time reached (ms); smaller than ``t_start + duration`` when the run was
        interrupted.
    interrupted : True when the run stopped early (Ctrl-C / notebook stop button).
    seed : network seed.
    params : JSON-able record of the network, the run options and package versions.
    spikes : {population: SpikeRecord}.
    weights : {projection: WeightRecord}.
    final_weights : {projection: (n_syn,) weights at ``t_end``, in synapse order}.
    state : {population: StateRecord}.
    populations : {population: size}, every population of the network (recorded or not).
    projections : {projection: (pre population, post population)}.
    connectivity : {projection: (pre_ids, post_ids)}, each (n_syn,) int64 local indices in
        synapse order (the order of ``final_weights``, the Projection's own order).
    delays : {projection: (n_syn,) float64 axonal delays (ms) in synapse order}; empty for
        runs saved before neurolab kept them (0.5 and earlier).

    Looking up a population or projection that was not recorded in ``spikes``, ``weights``,
    ``state`` or ``final_weights`` raises a ``KeyError`` that names what was recorded and
    the ``net.run`` argument that records it.

    Equality: ``a == b`` is True when every field above is equal, arrays bit for bit (same
    dtype, shape and bytes) and ``params`` included, so two runs of one network with the same
    seed in one checkout compare equal; ``!=`` is its negation and results are unhashable.
    Use :meth:`equal` to leave out provenance (``params``) or other fields, :meth:`diff` to
    see what differs.
    """

    dt: float
    duration: float
    t_end: float
    interrupted: bool
    seed: int
    params: dict
    spikes: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    final_weights: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    t_start: float = 0.0
    populations: dict = field(default_factory=dict)
    projections: dict = field(default_factory=dict)
    connectivity: dict = field(default_factory=dict)
    delays: dict = field(default_factory=dict)

    def __post_init__(self):
        for kind in _RECORD_DICTS:
            setattr(self, kind, _Records(getattr(self, kind), kind=kind, owner=self))

    # ---------------------------------------------------------------- analysis
    def spike_trains(self, pop: str) -> dict:
        """``{i: spike times (ms)}`` for every neuron of population ``pop``.

        Raises ``KeyError`` when the spikes of ``pop`` were not recorded."""
        rec = self._spikes(pop)
        order = np.argsort(rec.i, kind="stable")
        ids, t = rec.i[order], rec.t[order]
        bounds = np.searchsorted(ids, np.arange(rec.n + 1))
        return {i: t[bounds[i]:bounds[i + 1]] for i in range(rec.n)}

    def rates(self, pop: str) -> np.ndarray:
        """Mean firing rate (Hz) of every neuron of ``pop`` over this run,
        ``[t_start, t_end)``: (n,); NaN for neurons whose spikes were not recorded.

        Raises ``KeyError`` when the spikes of ``pop`` were not recorded."""
        rec = self._spikes(pop)
        counts = np.bincount(rec.i, minlength=rec.n).astype(np.float64)
        span = self.t_end - self.t_start
        out = np.zeros(rec.n) if span <= 0 else counts / (span / 1000.0)
        if rec.recorded is not None:
            mask = np.ones(rec.n, dtype=bool)
            mask[rec.recorded] = False
            out[mask] = np.nan
        return out

    def population_rate(self, pop: str, bin_ms: float) -> tuple:
        """Population-averaged firing rate of ``pop`` in consecutive bins of ``bin_ms``.

        Bin ``k`` covers ``[t_start + k bin_ms, t_start + (k+1) bin_ms)`` intersected with
        this run, ``[t_start, t_end)``; its rate is (spikes in the bin) / (n neurons x bin
        width in s), n the number of neurons whose spikes were recorded (the population
        size unless a subset was recorded). When the run is not a multiple of ``bin_ms``
        long the last bin is partial and its rate is taken over its actual width
        (``t_end - start``), so every bin is an unbiased rate; no bin is dropped.

        Parameters
        ----------
        pop : name of a population whose spikes were recorded.
        bin_ms : bin width (ms), a positive multiple of ``dt``.

        Returns
        -------
        (t, rate) : ``t`` (n_bins,) bin starts (ms of network time), ``rate`` (n_bins,) Hz,
        with ``n_bins = ceil((t_end - t_start) / bin_ms)`` (0 bins for an empty run).

        Raises
        ------
        KeyError : the spikes of ``pop`` were not recorded.
        TypeError, ValueError : ``bin_ms`` not a positive multiple of ``dt``.
        """
        rec = self._spikes(pop)
        if isinstance(bin_ms, (bool, np.bool_)) or not isinstance(bin_ms, numbers.Real):
            raise TypeError(f"bin_ms must be a number of ms, got {V._show(bin_ms)}")
        ratio = float(bin_ms) / self.dt
        if not math.isfinite(ratio) or round(ratio) < 1 or abs(ratio - round(ratio)) > 1e-6:
            raise ValueError(f"bin_ms must be a positive multiple of dt={self.dt!r} ms, "
                             f"got {V._show(bin_ms)}")
        bin_steps = int(round(ratio))
        s0 = int(round(self.t_start / self.dt))
        n_steps = int(round(self.t_end / self.dt)) - s0
        n_bins = max(0, -(-n_steps // bin_steps))
        steps = np.rint(np.asarray(rec.t) / self.dt).astype(np.int64) - s0
        counts = np.bincount(steps // bin_steps, minlength=n_bins)[:n_bins]
        width_steps = np.full(n_bins, bin_steps, dtype=np.int64)
        if n_bins:
            width_steps[-1] = n_steps - (n_bins - 1) * bin_steps
        n_rec = rec.n if rec.recorded is None else int(np.asarray(rec.recorded).size)
        rate = counts / (n_rec * width_steps * self.dt / 1000.0)
        return self.t_start + np.arange(n_bins) * (bin_steps * self.dt), rate

    def weight_matrix(self, projection: str, *, t=None, sparse: bool = False,
                      fill: float = np.nan, duplicates: str = "raise"):
        """Weights of ``projection`` as a (n_pre, n_post) matrix, pre x post.

        Entry ``[i, j]`` is the weight of the synapse from presynaptic neuron ``i`` to
        postsynaptic neuron ``j`` (local indices), in the projection's weight units.

        Parameters
        ----------
        projection : projection name.
        t : ``None`` for the weights at ``t_end`` (``final_weights``, every synapse);
            otherwise a sample time (ms) of the projection's weight record (or ``t_end``),
            and only the recorded synapses are filled in.
        sparse : False for a dense ``numpy`` float64 array; True for a
            ``scipy.sparse.csr_array`` holding exactly the (recorded) synapses, including
            those whose weight is 0 (explicit zeros); scipy is imported only then.
        fill : dense entries with no synapse (or no recorded synapse); default NaN, so that
            an absent synapse is not mistaken for one whose weight went to 0.
        duplicates : ``"raise"`` (default) refuses a projection that joins one pair of
            neurons by several synapses; ``"sum"`` gives each pair the sum of their weights.

        Raises
        ------
        KeyError : unknown projection, or ``t`` given and the projection's weights were not
            recorded.
        ValueError : ``t`` not a sample time; duplicate pairs with ``duplicates="raise"``;
            a run without connectivity (saved before it was recorded with runs).
        ImportError : ``sparse=True`` without scipy installed.
        """
        w_final = self.final_weights[projection]          # KeyError names the projections
        ends = self.projections.get(projection)
        if ends is None or any(p not in self.populations for p in ends):
            raise ValueError(f"this result does not record which populations projection "
                             f"{projection!r} joins, or their sizes (projections: "
                             f"{dict(self.projections)}, sizes: {dict(self.populations)}); "
                             f"re-run to get a result that does")
        pre_pop, post_pop = ends
        n_pre, n_post = int(self.populations[pre_pop]), int(self.populations[post_pop])
        opts = dict(sparse=sparse, fill=fill, duplicates=duplicates)
        if t is not None:
            if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Real):
                raise TypeError(f"t must be None or a time in ms, got {V._show(t)}")
            t = float(t)
            rec = self.weights.get(projection)
            k = None if rec is None else _sample_index(rec.t, t)
            if k is not None:
                return _matrix(projection, rec.pre, rec.post, rec.w[k], n_pre, n_post,
                               **opts)
            if not _close(t, self.t_end):
                rec = self.weights[projection]   # not recorded: KeyError saying how to
                span = (f"{rec.t.size} samples from {float(rec.t[0])!r} to "
                        f"{float(rec.t[-1])!r} ms" if rec.t.size else "no samples")
                raise ValueError(f"t={t!r} ms is not a sample time of the weight record "
                                 f"of {projection!r} ({span}) nor t_end={self.t_end!r} ms")
        if projection not in self.connectivity:
            raise ValueError(f"this result holds no connectivity for projection "
                             f"{projection!r} (a run saved before neurolab recorded it); "
                             f"re-run it to map its weights to neurons")
        pre, post = self.connectivity[projection]
        return _matrix(projection, pre, post, w_final, n_pre, n_post, **opts)

    def _spikes(self, pop):
        return self.spikes[pop]

    # ---------------------------------------------------------------- comparison
    def diff(self, other: SimResult, *, ignore=("params",)) -> list:
        """What differs between this result and ``other``, one line per difference (empty
        when :meth:`equal`): scalars, then per population / projection the spike times and
        ids, weight records, final weights, state records and connectivity, arrays compared
        bit for bit (dtype, shape, bytes; the line gives the number of differing elements,
        the first index and both values).

        ``ignore`` : field names left out (default ``("params",)``: provenance such as the
        git commit, versions and run options), from ``dt, duration, t_end, interrupted,
        seed, params, populations, projections, connectivity, delays, spikes, weights,
        final_weights, state``. Raises ``TypeError`` when ``other`` is not a SimResult,
        ``ValueError`` for an unknown field name.
        """
        if not isinstance(other, SimResult):
            raise TypeError(f"other must be a SimResult, got {type(other).__name__}")
        if isinstance(ignore, str):
            ignore = (ignore,)
        for name in ignore:
            if name not in _COMPARED:
                raise ValueError(f"ignore names an unknown field {name!r}; fields: "
                                 f"{list(_COMPARED)}")
        out = []
        for name in _COMPARED:
            if name in ignore:
                continue
            a, b = getattr(self, name), getattr(other, name)
            if name in _RECORD_DICTS or name == "delays":
                for key in a:
                    if key not in b:
                        out.append(f"{name}[{key!r}]: only in self")
                    elif isinstance(a[key], np.ndarray):
                        out += _array_diff(f"{name}[{key!r}]", a[key], b[key])
                    else:
                        out += _record_diff(f"{name}[{key!r}]", a[key], b[key])
                out += [f"{name}[{key!r}]: only in other" for key in b if key not in a]
            elif name == "connectivity":
                for key in a:
                    if key not in b:
                        out.append(f"{name}[{key!r}]: only in self")
                        continue
                    for part, x, y in zip(("pre_ids", "post_ids"), a[key], b[key]):
                        out += _array_diff(f"{name}[{key!r}].{part}", x, y)
                out += [f"{name}[{key!r}]: only in other" for key in b if key not in a]
            else:
                out += _value_diff(name, a, b)
        return out

    def equal(self, other: SimResult, *, ignore=("params",)) -> bool:
        """True when :meth:`diff` finds nothing (arrays bit for bit; ``params`` ignored by
        default). Raises as :meth:`diff` does."""
        return not self.diff(other, ignore=ignore)

    def __eq__(self, other):
        if not isinstance(other, SimResult):
            return NotImplemented
        return not self.diff(other, ignore=())

    __hash__ = None

    def __repr__(self):
        n_spk = {k: len(v) for k, v in self.spikes.items()}
        return (f"SimResult(t_end={self.t_end} ms of {self.duration} ms, "
                f"interrupted={self.interrupted}, spikes={n_spk}, "
                f"weights={sorted(self.weights)}, state={sorted(self.state)})")

    # ---------------------------------------------------------------- save / load
    def arrays(self) -> dict:
        """The run's arrays as ``{file stem: {key: array}}`` (what :meth:`save` writes).

        ``spikes``: ``<pop>/t``, ``<pop>/i``. ``weights``: ``<proj>/final``, the
        connectivity ``<proj>/pre_ids`` and ``<proj>/post_ids`` and the delays
        ``<proj>/delay`` (ms) (synapse order), and for a
        weight record ``<proj>/t``, ``/syn``, ``/pre``, ``/post``, ``/w``. ``state``:
        ``<pop>/t``, ``<pop>/ids`` and the recorded variables."""
        spikes = {}
        for name, rec in self.spikes.items():
            spikes[f"{name}/t"] = rec.t
            spikes[f"{name}/i"] = rec.i
            if rec.recorded is not None:
                spikes[f"{name}/recorded"] = rec.recorded
        weights = {}
        for name, fw in self.final_weights.items():
            weights[f"{name}/final"] = fw
        for name, (pre, post) in self.connectivity.items():
            weights[f"{name}/pre_ids"] = np.asarray(pre, dtype=np.int64)
            weights[f"{name}/post_ids"] = np.asarray(post, dtype=np.int64)
        for name, delay in self.delays.items():
            weights[f"{name}/delay"] = np.asarray(delay, dtype=np.float64)
        for name, rec in self.weights.items():
            for key in ("t", "syn", "pre", "post", "w"):
                weights[f"{name}/{key}"] = getattr(rec, key)
        state = {}
        for name, rec in self.state.items():
            state[f"{name}/t"] = rec.t
            state[f"{name}/ids"] = rec.ids
            for key in ("v", "ge", "gi", "theta", "w", "u"):
                if getattr(rec, key) is not None:
                    state[f"{name}/{key}"] = getattr(rec, key)
        return {"spikes": spikes, "weights": weights, "state": state}

    def save(self, folder, *, overwrite: bool = False) -> Path:
        """Write the run to ``folder``: ``spikes.npz``, ``weights.npz`` (final weights,
        connectivity, delays, weight records), ``state.npz``, then ``run.json`` (every
        parameter, seed, dt, the size of every population, each projection's populations,
        package versions, git commit, and the sha256 of each array file). Each file is written
        atomically; ``run.json`` comes last and :func:`load_run` checks the checksums, so a
        save interrupted half-way (new arrays beside an old ``run.json``) is detected, not
        read as a whole run. The bytes depend only on the results and ``params``.

        A folder that already holds a run (any of ``run.json``, ``spikes.npz``,
        ``weights.npz``, ``state.npz``) is refused with ``FileExistsError`` naming it and
        those files, and left untouched, unless ``overwrite=True``, which replaces them
        (a notebook that may run again saves with ``overwrite=True``). Other files in the
        folder (``results.json``, a notebook's own arrays) never count. ``overwrite`` not
        a boolean: ``TypeError``. Returns the folder."""
        if not isinstance(overwrite, (bool, np.bool_)):
            raise TypeError(f"overwrite must be True or False, got {V._show(overwrite)}")
        folder = Path(folder)
        existing = [name for name in RUN_FILES if (folder / name).exists()]
        if existing and not overwrite:
            raise FileExistsError(f"{folder} already holds a run ({', '.join(existing)}); "
                                  f"save(..., overwrite=True) replaces it, or save into "
                                  f"another folder")
        folder.mkdir(parents=True, exist_ok=True)
        checksums = {}
        for stem, arrays in self.arrays().items():
            data = io.npz_bytes(arrays)
            io.atomic_write_bytes(folder / f"{stem}.npz", data)
            checksums[f"{stem}.npz"] = hashlib.sha256(data).hexdigest()
        meta = {"dt": self.dt, "duration": self.duration, "t_start": self.t_start,
                "t_end": self.t_end,
                "interrupted": self.interrupted, "seed": self.seed, "params": self.params,
                "populations": {k: v.n for k, v in self.spikes.items()},
                "sizes": {k: int(n) for k, n in self.populations.items()},
                "projections": {k: list(v) for k, v in self.projections.items()},
                "sha256": checksums, "format": RUN_FORMAT}
        io.atomic_write_json(folder / "run.json", meta)
        return folder


    # ---------------------------------------------------------------- export
    def to_nwb(self, path, *, session_start_time=None, identifier=None,
               session_description=None, overwrite: bool = False) -> Path:
        """Write this run to the NWB file ``path`` and return the path: spikes in the Units
        table (s, ``population`` and ``local_id`` columns, ``obs_intervals``, ``resolution``
        = dt), sampled state and weights as TimeSeries (SI through ``conversion``), a table
        of each projection's synapses (pre, post, delay, final weight), the run's record in
        ``notes``. Layout and choices (subject, ``session_start_time`` = the Unix epoch
        unless given, tz-aware): :mod:`neurolab.results.nwb`.

        Raises ``ImportError`` without pynwb (``pip install 'neurolab[export]'``),
        ``FileExistsError`` when ``path`` exists and ``overwrite`` is False, ``TypeError`` /
        ``ValueError`` for a ``session_start_time`` that is not a tz-aware datetime."""
        from .nwb import write_nwb

        return write_nwb(self, path, session_start_time=session_start_time,
                         identifier=identifier, session_description=session_description,
                         overwrite=overwrite)

    def to_neo(self):
        """This run as a ``neo.Block``: one SpikeTrain per recorded neuron (ms, annotated
        with ``population`` and ``id``), AnalogSignals of sampled state (mV or
        dimensionless) and weights; see :mod:`neurolab.results.neoblock`. Raises
        ``ImportError`` without neo (``pip install 'neurolab[export]'``)."""
        from .neoblock import to_neo

        return to_neo(self)

    def to_sonata(self, path, *, overwrite: bool = False) -> Path:
        """Write the recorded spikes to the SONATA spike file ``path``
        (``/spikes/<population>/timestamps`` in ms and ``node_ids``, ``sorting =
        "by_time"``) and return the path; see :mod:`neurolab.results.sonata`. Raises
        ``ImportError`` without h5py, ``FileExistsError`` when ``path`` exists and
        ``overwrite`` is False."""
        from .sonata import write_sonata_spikes

        return write_sonata_spikes(self, path, overwrite=overwrite)


#: the files :meth:`SimResult.save` writes (their presence makes a folder a run folder)
RUN_FILES = ("run.json", "spikes.npz", "weights.npz", "state.npz")


def load_run(folder) -> SimResult:
    """Read a run folder written by :meth:`SimResult.save`.

    Runs saved before connectivity was kept (format ``neurolab-run-1``) load with an empty
    ``connectivity``; their population sizes and projection ends come from ``params``.
    Runs saved before delays were kept (neurolab 0.5) load with an empty ``delays``.
    Raises ``ValueError`` when an array file does not match the sha256 in ``run.json`` or
    the format is not one this version reads."""
    folder = Path(folder)
    meta = json.loads((folder / "run.json").read_text())
    fmt = meta.get("format", "neurolab-run-1")
    if fmt not in _READABLE_FORMATS:
        raise ValueError(f"run folder {str(folder)!r}: format {fmt!r} is not one this "
                         f"version of neurolab reads ({list(_READABLE_FORMATS)})")
    for name, digest in meta.get("sha256", {}).items():
        if io.sha256_file(folder / name) != digest:
            raise ValueError(f"run folder {str(folder)!r}: {name} does not match the sha256 "
                             f"recorded in run.json (altered, or left from another run)")
    res = SimResult(dt=meta["dt"], duration=meta["duration"], t_end=meta["t_end"],
                    interrupted=meta["interrupted"], seed=meta["seed"], params=meta["params"],
                    t_start=meta.get("t_start", 0.0))
    net = meta["params"].get("network", {}) if isinstance(meta["params"], dict) else {}
    if "sizes" in meta:
        res.populations.update((k, int(n)) for k, n in meta["sizes"].items())
    else:
        res.populations.update((p["name"], int(p["n"])) for p in net.get("populations", []))
    if "projections" in meta:
        res.projections.update((k, tuple(v)) for k, v in meta["projections"].items())
    else:
        res.projections.update((p["name"], (p["pre"], p["post"]))
                               for p in net.get("projections", []))
    spikes = io.load_npz(folder / "spikes.npz")
    for name, n in meta["populations"].items():
        res.spikes[name] = SpikeRecord(spikes[f"{name}/t"], spikes[f"{name}/i"], int(n),
                                       spikes.get(f"{name}/recorded"))
    weights = io.load_npz(folder / "weights.npz")
    for key in weights:
        name, part = key.rsplit("/", 1)
        if part == "final":
            res.final_weights[name] = weights[key]
        elif part == "pre_ids":
            res.connectivity[name] = (weights[key], weights[f"{name}/post_ids"])
        elif part == "delay":
            res.delays[name] = weights[key]
        elif part == "w":
            res.weights[name] = WeightRecord(*(weights[f"{name}/{k}"]
                                               for k in ("t", "syn", "pre", "post", "w")))
    state = io.load_npz(folder / "state.npz")
    for key in state:
        name, part = key.rsplit("/", 1)
        if part == "ids":
            res.state[name] = StateRecord(state[f"{name}/t"], state[key],
                                          *(state.get(f"{name}/{k}")
                                            for k in ("v", "ge", "gi", "theta", "w",
                                                      "u")))
    return res


def weight_matrix(source, projection: str, **kwargs):
    """Weights of ``projection`` as a (n_pre, n_post) matrix, pre x post.

    ``source`` is a :class:`SimResult` (also a loaded run; see
    :meth:`SimResult.weight_matrix` for ``t``, ``sparse``, ``fill``, ``duplicates``) or a
    :class:`~neurolab.model.network.Network`, whose projection's current weights
    (``proj.weight``) are used (``t`` is not accepted then). Raises ``KeyError`` for an
    unknown projection, ``TypeError`` for another kind of ``source``.
    """
    if isinstance(source, SimResult):
        return source.weight_matrix(projection, **kwargs)
    projs = getattr(source, "projections", None)
    if not isinstance(projs, dict) or not hasattr(source, "populations"):
        raise TypeError(f"source must be a SimResult or a Network, got "
                        f"{type(source).__name__}")
    if projection not in projs:
        raise KeyError(f"unknown projection {projection!r}; projections: {list(projs)}")
    if "t" in kwargs:
        raise TypeError("t is only accepted with a SimResult source (a network holds its "
                        "current weights only)")
    proj = projs[projection]
    opts = {"sparse": False, "fill": np.nan, "duplicates": "raise", **kwargs}
    unknown = set(opts) - {"sparse", "fill", "duplicates"}
    if unknown:
        raise TypeError(f"unknown argument(s) {sorted(unknown)}; accepted: sparse, fill, "
                        f"duplicates")
    return _matrix(projection, proj.pre_ids, proj.post_ids, proj.weight, proj.pre.n,
                   proj.post.n, **opts)


def assert_same(a: SimResult, b: SimResult, *, ignore=("params",)) -> None:
    """Raise ``AssertionError`` listing every difference (:meth:`SimResult.diff`) between
    ``a`` and ``b``; nothing when they are equal. For tests such as "run(500) + run(500)
    gives the same as run(1000)"."""
    lines = a.diff(b, ignore=ignore)
    if lines:
        shown = lines[:20] + ([f"... and {len(lines) - 20} more"] if len(lines) > 20 else [])
        raise AssertionError("results differ:\n  " + "\n  ".join(shown))
