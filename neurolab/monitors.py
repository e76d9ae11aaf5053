"""Simulation results: recorded spikes, sampled weights and sampled state.

Vocabulary follows Brian2's monitors: ``t`` (ms), ``i`` (neuron index within its
population), ``spike_trains()``, ``rates()``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import io


@dataclass
class SpikeRecord:
    """Spikes of one population: times ``t`` (ms of network time) and local indices ``i``,
    sorted by time then index; ``n`` is the population size; ``recorded`` the local ids
    whose spikes were recorded (``None``: all of them)."""

    t: np.ndarray
    i: np.ndarray
    n: int
    recorded: np.ndarray | None = None

    def __len__(self):
        return int(self.t.shape[0])


@dataclass
class WeightRecord:
    """Weights of chosen synapses of one projection, sampled at the start of every
    ``weight_dt`` ms: ``t`` (n_samples,) ms, ``syn``/``pre``/``post`` (n_rec,) synapse,
    presynaptic and postsynaptic local indices, ``w`` (n_samples, n_rec)."""

    t: np.ndarray
    syn: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    w: np.ndarray


@dataclass
class StateRecord:
    """State of chosen neurons, sampled at the start of every ``state_dt`` ms: ``t`` (ms),
    ``ids`` (local indices), and the variables asked for, each (n_samples, n_ids):
    ``v`` (mV), ``ge``, ``gi`` (dimensionless conductances, or mV for current synapses)."""

    t: np.ndarray
    ids: np.ndarray
    v: np.ndarray | None = None
    ge: np.ndarray | None = None
    gi: np.ndarray | None = None


@dataclass
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
    final_weights : {projection: (n_syn,) weights at ``t_end``}.
    state : {population: StateRecord}.
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

    # ---------------------------------------------------------------- analysis
    def spike_trains(self, pop: str) -> dict:
        """``{i: spike times (ms)}`` for every neuron of population ``pop``."""
        rec = self._spikes(pop)
        order = np.argsort(rec.i, kind="stable")
        ids, t = rec.i[order], rec.t[order]
        bounds = np.searchsorted(ids, np.arange(rec.n + 1))
        return {i: t[bounds[i]:bounds[i + 1]] for i in range(rec.n)}

    def rates(self, pop: str) -> np.ndarray:
        """Mean firing rate (Hz) of every neuron of ``pop`` over this run,
        ``[t_start, t_end)``; NaN for neurons whose spikes were not recorded."""
        rec = self._spikes(pop)
        counts = np.bincount(rec.i, minlength=rec.n).astype(np.float64)
        span = self.t_end - self.t_start
        out = np.zeros(rec.n) if span <= 0 else counts / (span / 1000.0)
        if rec.recorded is not None:
            mask = np.ones(rec.n, dtype=bool)
            mask[rec.recorded] = False
            out[mask] = np.nan
        return out

    def _spikes(self, pop):
        if pop not in self.spikes:
            raise KeyError(f"pop must be a population whose spikes were recorded, got "
                           f"{pop!r}; recorded: {sorted(self.spikes)}")
        return self.spikes[pop]

    def __repr__(self):
        n_spk = {k: len(v) for k, v in self.spikes.items()}
        return (f"SimResult(t_end={self.t_end} ms of {self.duration} ms, "
                f"interrupted={self.interrupted}, spikes={n_spk}, "
                f"weights={sorted(self.weights)}, state={sorted(self.state)})")

    # ---------------------------------------------------------------- save / load
    def arrays(self) -> dict:
        """The run's arrays as ``{file stem: {key: array}}`` (what :meth:`save` writes)."""
        spikes = {}
        for name, rec in self.spikes.items():
            spikes[f"{name}/t"] = rec.t
            spikes[f"{name}/i"] = rec.i
            if rec.recorded is not None:
                spikes[f"{name}/recorded"] = rec.recorded
        weights = {}
        for name, fw in self.final_weights.items():
            weights[f"{name}/final"] = fw
        for name, rec in self.weights.items():
            for key in ("t", "syn", "pre", "post", "w"):
                weights[f"{name}/{key}"] = getattr(rec, key)
        state = {}
        for name, rec in self.state.items():
            state[f"{name}/t"] = rec.t
            state[f"{name}/ids"] = rec.ids
            for key in ("v", "ge", "gi"):
                if getattr(rec, key) is not None:
                    state[f"{name}/{key}"] = getattr(rec, key)
        return {"spikes": spikes, "weights": weights, "state": state}

    def save(self, folder) -> Path:
        """Write the run to ``folder``: ``spikes.npz``, ``weights.npz``, ``state.npz``, then
        ``run.json`` (every parameter, seed, dt, package versions, git commit, and the
        sha256 of each array file). Each file is written atomically; ``run.json`` comes
        last and :func:`load_run` checks the checksums, so a save interrupted half-way
        (new arrays beside an old ``run.json``) is detected, not read as a whole run. The
        bytes depend only on the results and ``params``."""
        folder = Path(folder)
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
                "sha256": checksums, "format": "neurolab-run-1"}
        io.atomic_write_json(folder / "run.json", meta)
        return folder


def load_run(folder) -> SimResult:
    """Read a run folder written by :meth:`SimResult.save`."""
    folder = Path(folder)
    meta = json.loads((folder / "run.json").read_text())
    for name, digest in meta.get("sha256", {}).items():
        if io.sha256_file(folder / name) != digest:
            raise ValueError(f"run folder {str(folder)!r}: {name} does not match the sha256 "
                             f"recorded in run.json (altered, or left from another run)")
    res = SimResult(dt=meta["dt"], duration=meta["duration"], t_end=meta["t_end"],
                    interrupted=meta["interrupted"], seed=meta["seed"], params=meta["params"],
                    t_start=meta.get("t_start", 0.0))
    spikes = io.load_npz(folder / "spikes.npz")
    for name, n in meta["populations"].items():
        res.spikes[name] = SpikeRecord(spikes[f"{name}/t"], spikes[f"{name}/i"], int(n),
                                       spikes.get(f"{name}/recorded"))
    weights = io.load_npz(folder / "weights.npz")
    for key in weights:
        name, part = key.rsplit("/", 1)
        if part == "final":
            res.final_weights[name] = weights[key]
        elif part == "w":
            res.weights[name] = WeightRecord(*(weights[f"{name}/{k}"]
                                               for k in ("t", "syn", "pre", "post", "w")))
    state = io.load_npz(folder / "state.npz")
    for key in state:
        name, part = key.rsplit("/", 1)
        if part == "ids":
            res.state[name] = StateRecord(state[f"{name}/t"], state[key],
                                          *(state.get(f"{name}/{k}") for k in ("v", "ge", "gi")))
    return res
